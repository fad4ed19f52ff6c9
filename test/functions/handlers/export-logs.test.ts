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

  it.each(["url_string", "urls_array", "url_object"])(
    "bulk: a done job's result as %s (its shape is undocumented) gives the archive",
    async (shape) => {
      e = await env(
        scenario(
          "",
          "duration_seconds: 30\nexport_seconds: 20",
          `assumptions:\n  export_result: ${shape}`,
        ),
      );
      const { state } = await runToEnd(e, bulkInput());
      const r = await makeHandler(e.deps)(state);
      expect(r).toMatchObject({ exported: true });
      const archive = r.keys.filter((k) => !k.endsWith("console.json"));
      expect(archive).toHaveLength(1);
      expect(e.s3Objects.get(archive[0] as string)?.length).toBeGreaterThan(0);
    },
  );

  it("bulk: a done job's result of another shape is a recorded failure naming its keys, not its values", async () => {
    const secretish = "https://logs.example.com/a.tgz?X-Amz-Signature=deadbeef";
    e = await env(scenario("", "duration_seconds: 30\nexport_seconds: 20"), {
      wrap: answering("getJob", async (real, type, id, options) => {
        const job = await real(type, id, options);
        return job.status === "done"
          ? { ...job, result: { location: { href: secretish }, expires_in: 900 } }
          : job;
      }),
    });
    const { state } = await runToEnd(e, bulkInput());
    const r = await makeHandler(e.deps)(state);
    expect(r.exported).toBe(false);
    expect(r.error).toContain("result shape: object with keys location, expires_in");
    expect(r.keys).toEqual([`${PREFIX}/load_salesforce/console.json`]);
    const logged = e.lines.find((l) => l.includes("its result has no URL this code knows"));
    expect(logged).toContain("location, expires_in");
    expect(e.lines.join("\n")).not.toContain("deadbeef");
    expect(r.error).not.toContain("deadbeef");
  });

  it("console: asks for the 50 entries the API serves, and says when older ones may be gone", async () => {
    const schemas = Array.from({ length: 60 }, (_, i) => `  - { name: S${i}, outcome: failed }`);
    const limits: (number | undefined)[] = [];
    e = await env(
      scenario("", `duration_seconds: 30\noutcome: failed\nschemas:\n${schemas.join("\n")}`),
      {
        wrap: answering("getBulkConsoleLogs", (real, syncId, executionId, query, options) => {
          limits.push(query?.limit);
          return real(syncId, executionId, query, options);
        }),
      },
    );
    const { state } = await runToEnd(e, bulkInput());
    await makeHandler(e.deps)(state);
    expect(limits.length).toBeGreaterThan(0);
    expect(limits.every((l) => l === 50)).toBe(true);
    const consoleJson = JSON.parse(
      e.s3Objects.get(`${PREFIX}/load_salesforce/console.json`)?.toString() ?? "{}",
    );
    expect(consoleJson.entries).toHaveLength(50);
    expect(consoleJson.truncated).toBe(true);
    expect(consoleJson.note).toContain("only the latest 50");
    expect(e.lines.some((l) => l.includes("console log truncated"))).toBe(true);
  });

  it("console: a short log is whole", async () => {
    e = await env(scenario("duration_seconds: 30"));
    const { state } = await runToEnd(e, stepInput());
    await makeHandler(e.deps)(state);
    const consoleJson = JSON.parse(
      e.s3Objects.get(`${PREFIX}/push_hubspot/console.json`)?.toString() ?? "{}",
    );
    expect(consoleJson.entries.length).toBeGreaterThan(0);
    expect(consoleJson.entries.length).toBeLessThan(50);
    expect(consoleJson.truncated).toBe(false);
    expect(consoleJson.note).toBeUndefined();
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
