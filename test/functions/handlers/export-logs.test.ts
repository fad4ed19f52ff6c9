import { PutObjectCommand } from "@aws-sdk/client-s3";
import { afterEach, describe, expect, it } from "vitest";
import type { RunState } from "../../../functions/core/contract";
import { makeHandler } from "../../../functions/export-logs";
import {
  answering,
  BULK,
  bulkInput,
  type Env,
  env,
  MODEL,
  runToEnd,
  scenario,
  stepInput,
} from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const PREFIX = "polytomic-logs/nightly/2025-01-01/exec-2025-01-01";

async function bytesAt(e: Env, url: string): Promise<Buffer> {
  const res = await e.client.download(url);
  return Buffer.from(await res.arrayBuffer());
}

function fileName(url: string): string {
  return decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "");
}

describe("export-logs", () => {
  it("model: streams the errors and warnings files and the console log to S3, bytes intact", async () => {
    e = await env(
      scenario("outcome: completed_with_errors\nerrors: 3\nwarnings: 2\nduration_seconds: 30"),
    );
    const { state } = await runToEnd(
      e,
      stepInput({
        policy: { max_errors: 10, fail_on_warnings: false, fail_on_schema_errors: true },
      }),
    );
    const r = await makeHandler(e.deps)(state);
    expect(r.exported).toBe(true);
    expect(r.error).toBeUndefined();
    const execution = state.start?.execution_id as string;
    let files = 0;
    for (const type of ["errors", "warnings"] as const) {
      const { urls } = await e.client.getModelLogUrls(MODEL, execution, type);
      expect(urls?.length).toBeGreaterThan(0);
      for (const url of urls ?? []) {
        const key = `${PREFIX}/push_hubspot/${type}/${fileName(url)}`;
        expect(r.keys).toContain(key);
        const uploaded = e.s3Objects.get(key);
        const expected = await bytesAt(e, url);
        expect(expected.length).toBeGreaterThan(0);
        expect(uploaded?.equals(expected)).toBe(true);
        files++;
      }
    }
    const consoleKey = `${PREFIX}/push_hubspot/console.json`;
    expect(r.keys).toEqual(expect.arrayContaining([consoleKey]));
    expect(r.keys).toHaveLength(files + 1);
    const consoleJson = JSON.parse(e.s3Objects.get(consoleKey)?.toString() ?? "{}");
    expect(consoleJson.execution_id).toBe(execution);
    expect(consoleJson.entries.length).toBeGreaterThan(0);
    const puts = e.s3.commandCalls(PutObjectCommand);
    expect(puts.every((c) => c.args[0].input.Bucket === "logs-bucket")).toBe(true);
  });

  it("model: log types come from the input", async () => {
    e = await env(
      scenario("outcome: completed_with_errors\nerrors: 3\nwarnings: 2\nduration_seconds: 30"),
    );
    const { state } = await runToEnd(e, stepInput());
    const r = await makeHandler(e.deps)({ ...state, log_types: ["warnings"] });
    expect(r.keys.some((k) => k.includes("/warnings/"))).toBe(true);
    expect(r.keys.some((k) => k.includes("/errors/"))).toBe(false);
    const bad = await makeHandler(e.deps)({ ...state, log_types: ["bogus"] }).catch(
      (x: Error) => x,
    );
    expect(bad).toMatchObject({ name: "Input.Invalid" });
  });

  it("bulk: runs the export job and streams the archive, bytes intact", async () => {
    e = await env(
      scenario(
        "",
        "duration_seconds: 30\nexport_seconds: 20\nschemas:\n  - { name: Account }\n  - { name: Contact }",
      ),
    );
    const { state } = await runToEnd(e, bulkInput());
    const r = await makeHandler(e.deps)(state);
    expect(r.exported).toBe(true);
    const execution = state.start?.execution_id as string;
    const archiveKey = r.keys.find((k) => !k.endsWith("console.json"));
    expect(archiveKey?.startsWith(`${PREFIX}/load_salesforce/`)).toBe(true);
    // A second export of the same run yields the same archive content.
    const again = await e.client.exportBulkLogs(BULK, execution, {
      idempotencyKey: "test-export-2",
    });
    let url = again.data?.url;
    for (let i = 0; !url && i < 100; i++) {
      e.clock.advance(5_000);
      const job = await e.client.getJob("exportlogs", again.job?.job_id as string);
      url = (job.result as { url?: string } | undefined)?.url;
    }
    expect(archiveKey?.endsWith(`/${fileName(url as string)}`)).toBe(true);
    const expected = await bytesAt(e, url as string);
    expect(expected.length).toBeGreaterThan(0);
    expect(e.s3Objects.get(archiveKey as string)?.equals(expected)).toBe(true);
    expect(r.keys).toContain(`${PREFIX}/load_salesforce/console.json`);
  });

  it("a failed export job is reported, not thrown", async () => {
    e = await env(scenario("", "duration_seconds: 30\nexport_outcome: failed"));
    const { state } = await runToEnd(e, bulkInput());
    const r = await makeHandler(e.deps)(state);
    expect(r.exported).toBe(false);
    expect(r.error).toMatch(/log export job .* failed/);
    expect(r.keys).toEqual([`${PREFIX}/load_salesforce/console.json`]);
  });

  it("a download answering 500 is reported, not thrown, and its URL is not", async () => {
    e = await env(
      scenario(
        "outcome: completed_with_errors\nerrors: 3\nduration_seconds: 30",
        "",
        "faults:\n  - { endpoint: download, status: 500, times: 50 }",
      ),
    );
    const { state } = await runToEnd(e, stepInput());
    const r = await makeHandler(e.deps)(state as RunState);
    expect(r.exported).toBe(false);
    expect(r.error).toContain("Polytomic.ServerError");
    expect(r.error).not.toMatch(/X-Amz-Signature|\?/);
  });

  it("a download whose body stalls is cut off at the invocation's deadline and reported", async () => {
    // The headers arrive, then the body sends one chunk and never ends: the client's
    // timeouts are over by then, so only the export's own deadline can stop it.
    let cancelled = false;
    e = await env(scenario("outcome: completed_with_errors\nerrors: 3\nduration_seconds: 30"), {
      wrap: answering("download", async (_real, _url, options) => {
        const signal = options?.signal;
        const body = new ReadableStream<Uint8Array>({
          start(c) {
            c.enqueue(new TextEncoder().encode("first bytes"));
            signal?.addEventListener("abort", () => {
              cancelled = true;
              c.error(signal.reason);
            });
          },
        });
        return new Response(body, { headers: { "content-type": "application/json" } });
      }),
    });
    const { state } = await runToEnd(e, stepInput());
    // Without the cut-off this call would never return (the test would time out).
    const r = await makeHandler(e.deps)(state, { getRemainingTimeInMillis: () => 3_300 });
    expect(cancelled).toBe(true);
    expect(r.exported).toBe(false);
    expect(r.error).toMatch(/ran out/);
    // The console log does not depend on a download: it is still saved.
    expect(r.keys).toEqual([`${PREFIX}/push_hubspot/console.json`]);
  });

  it("an S3 failure is reported, not thrown", async () => {
    e = await env(scenario("outcome: completed_with_errors\nerrors: 3\nduration_seconds: 30"));
    const { state } = await runToEnd(e, stepInput());
    e.s3
      .on(PutObjectCommand)
      .rejects(Object.assign(new Error("Access Denied"), { name: "AccessDenied" }));
    const r = await makeHandler(e.deps)(state);
    expect(r.exported).toBe(false);
    expect(r.error).toContain("AccessDenied");
  });
});
