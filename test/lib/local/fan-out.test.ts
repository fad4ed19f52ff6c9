/**
 * A partner fan-out (issue 15) run locally through the synthesized definitions, against the
 * embedded simulator over HTTP, with a recording proxy in between to see the
 * Idempotency-Keys the steps send.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipelinesConfig } from "../../../lib/config/load";
import { runLocalExecution } from "../../../lib/local/engine";
import type { LocalRunResult } from "../../../lib/local/runner";
import { runPipelineLocally } from "../../../lib/local/runner";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { loadScenario, startSimulator } from "../../../simulator";
import { type Recorded, recordingServer } from "../../polytomic/recording-server";
import { runReportValidator } from "../../report/validate";

const ROOT = resolve(import.meta.dirname, "../../..");
const ORGS = {
  acme: "7c1e0000-0000-4000-8000-0000000001a0",
  globex: "7c1e0000-0000-4000-8000-0000000001b0",
  initech: "7c1e0000-0000-4000-8000-0000000001c0",
};

let result: LocalRunResult;
let requests: Recorded[];
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "fan-out-"));
  const clock = new VirtualClock(0);
  const scenario = await loadScenario(join(ROOT, "examples/scenarios/partner-fanout.yaml"));
  const simulator = await startSimulator({ scenario, clock, host: "127.0.0.1" });
  // Forwards every request to the simulator, as is, and keeps it.
  const proxy = await recordingServer((req, res) => {
    const headers = Object.fromEntries(
      Object.entries(req.headers).filter(
        (entry): entry is [string, string] =>
          typeof entry[1] === "string" &&
          !["host", "content-length", "connection"].includes(entry[0]),
      ),
    );
    void fetch(`${simulator.url}${req.url}`, {
      method: req.method,
      headers,
      ...(req.body !== "" ? { body: req.body } : {}),
    }).then(async (answer) => {
      res.writeHead(answer.status, { "content-type": answer.headers.get("content-type") ?? "" });
      res.end(await answer.text());
    });
  });
  try {
    result = await runPipelineLocally({
      config: loadPipelinesConfig(join(ROOT, "examples/pipelines/partner.yaml")),
      pipeline: "partner_nightly",
      polytomic: { baseUrl: proxy.url, apiKey: "sim-key", partnerKey: "sim-partner-key" },
      clock,
      outDir: out,
    });
    requests = proxy.requests;
  } finally {
    await proxy.close();
    await simulator.close();
  }
}, 120_000);
afterAll(() => rm(out, { recursive: true, force: true }));

describe("a partner fan-out run locally", () => {
  it("runs each organization's steps in that organization, with its own outcome", () => {
    const outcome = result.steps.map((s) => [s.organization?.name, s.id, s.status, s.error?.name]);
    expect(outcome).toEqual(
      expect.arrayContaining([
        ["Acme", "load_salesforce", "succeeded", undefined],
        ["Acme", "push_hubspot", "succeeded", undefined],
        ["Globex", "load_salesforce", "failed", "Sync.Failed"],
        ["Globex", "push_hubspot", "skipped", undefined],
        ["Initech", "load_salesforce", "succeeded", undefined],
        ["Initech", "push_hubspot", "failed", "Sync.NotFound"],
      ]),
    );
    expect(result.steps).toHaveLength(6);
    const notFound = result.steps.find((s) => s.error?.name === "Sync.NotFound");
    expect(notFound?.error?.message).toContain(`organization Initech (${ORGS.initech})`);
    expect(result.status).toBe("failed");
    expect(result.error?.name).toBe("Pipeline.OrganizationsFailed");
    expect(result.error?.message).toMatch(/^2 of 3 organizations failed/);
    expect(result.error?.message).toContain(ORGS.globex);
    expect(result.error?.message).toContain(ORGS.initech);
    expect(result.error?.message).not.toContain(ORGS.acme);
  });

  it("reports the run with every organization's steps, and each organization's own run", () => {
    expect(runReportValidator()(result.timeline)).toBe(true);
    expect(result.timeline?.steps.map((s) => s.id)).toEqual([
      "Acme / load_salesforce",
      "Acme / push_hubspot",
      "Globex / load_salesforce",
      "Globex / push_hubspot",
      "Initech / load_salesforce",
      "Initech / push_hubspot",
    ]);
    expect(result.timeline?.steps[1]?.after).toEqual(["Acme / load_salesforce"]);
    const globex = result.organization_timelines?.[ORGS.globex];
    expect(globex?.steps.map((s) => [s.id, s.status])).toEqual([
      ["load_salesforce", "failed"],
      ["push_hubspot", "skipped"],
    ]);
  });

  it("runs at most max_concurrent_organizations (2) organizations at a time", () => {
    const organizations = result.executions.filter((e) =>
      /^partner_nightly-[0-9a-f]{32}$/.test(e.name),
    );
    expect(organizations).toHaveLength(3);
    const overlapping = (at: number) =>
      organizations.filter((e) => e.startedAt <= at && at < e.stoppedAt).length;
    expect(Math.max(...organizations.map((e) => overlapping(e.startedAt)))).toBe(2);
    const [third] = [...organizations].sort((a, b) => b.startedAt - a.startedAt);
    const firstEnd = Math.min(...organizations.map((e) => e.stoppedAt));
    expect(third?.startedAt).toBe(firstEnd);
  });

  it("sends each organization's start its own Idempotency-Key, as HTTP Basic for that organization", () => {
    const starts = requests.filter((r) => r.method === "POST" && /\/executions$/.test(r.url));
    // The three loads and Acme's push (Initech's push never found its sync; Globex's was skipped).
    expect(starts).toHaveLength(4);
    const keys = starts.map((r) => r.headers["idempotency-key"]);
    expect(new Set(keys).size).toBe(4);
    const asOrganization = starts.map(
      (r) =>
        Buffer.from(String(r.headers.authorization).replace(/^Basic /, ""), "base64")
          .toString()
          .split(":")[0],
    );
    expect(new Set(asOrganization)).toEqual(new Set(Object.values(ORGS)));
  });
});

describe("$$.Execution.Input in the local engine", () => {
  it("is the execution's input inside a Parallel branch, as on Step Functions (a per-organization machine's steps read their organization there)", async () => {
    const definition = {
      StartAt: "Both",
      States: {
        Both: {
          Type: "Parallel",
          Parameters: { unrelated: "branch input" },
          Branches: [
            {
              StartAt: "Read",
              States: {
                Read: {
                  Type: "Pass",
                  Parameters: { "organization.$": "$$.Execution.Input.organization_id" },
                  End: true,
                },
              },
            },
          ],
          End: true,
        },
      },
    };
    const result = await runLocalExecution(definition, {
      name: "x",
      stateMachineName: "p",
      input: { organization_id: ORGS.acme },
      clock: new VirtualClock(0),
      tasks: {},
    });
    expect(result.output).toEqual([{ organization: ORGS.acme }]);
  });
});
