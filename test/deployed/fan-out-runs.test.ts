/**
 * Issue 15: a deployed fan-out run can be read. A REAL local run of the partner example
 * (examples/pipelines/partner.yaml against examples/scenarios/partner-fanout.yaml: Acme
 * succeeds, Globex's load fails, Initech lacks the HubSpot sync) through the synthesized
 * machines, served as Step Functions would answer it (test/deployed/sfn-wire.ts) through
 * aws-sdk-client-mock. The fan-out's direct children are the per-organization executions,
 * not steps: `report`, `history`, `trigger` and the widget must read them as organizations.
 */
import { copyFile, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { loadPipelinesConfig } from "../../lib/config/load";
import { type LocalRunResult, runPipelineLocally } from "../../lib/local/runner";
import { VirtualClock } from "../../lib/local/virtual-clock";
import { type RunReport, runReportSchema } from "../../lib/report/model";
import { loadScenario, type RunningSimulator, startSimulator } from "../../simulator";
import { runMain } from "../cli/in-process";
import { runReportValidator } from "../report/validate";
import { serveWire, type WireExecution, wireAt, wireExecutions } from "./sfn-wire";

const ROOT = resolve(import.meta.dirname, "../..");
const ORGS = {
  Acme: "7c1e0000-0000-4000-8000-0000000001a0",
  Globex: "7c1e0000-0000-4000-8000-0000000001b0",
  Initech: "7c1e0000-0000-4000-8000-0000000001c0",
} as const;
const T0 = Date.UTC(2026, 0, 6, 2, 0, 0);
const ENV = { AWS_REGION: "us-east-1" };
const PIPELINE = "partner_nightly";

let sim: RunningSimulator;
let dir: string;
let result: LocalRunResult;
let wire: Map<string, WireExecution>;
let pipelineArn: string;
let fanOutArn: string;
const sfn = mockClient(SFNClient);

/** The local run's per-organization execution of an organization. */
function organizationArn(id: string): string {
  const found = result.executions.find((e) => {
    const started = e.events.find((ev) => ev.type === "ExecutionStarted") as
      | { input?: { organization_id?: string; step?: string } }
      | undefined;
    return started?.input?.organization_id === id && started.input.step === undefined;
  });
  if (!found) throw new Error(`no execution of organization ${id}`);
  return found.executionArn;
}

/** Every execution (the per-organization one and its steps') of an organization. */
function executionsOf(id: string): string[] {
  return result.executions
    .filter((e) => {
      const started = e.events.find((ev) => ev.type === "ExecutionStarted") as
        | { input?: { organization_id?: string } }
        | undefined;
      return started?.input?.organization_id === id;
    })
    .map((e) => e.executionArn);
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deployed-fan-out-"));
  await copyFile(join(ROOT, "examples/pipelines/partner.yaml"), join(dir, "pipelines.yaml"));
  const clock = new VirtualClock(T0);
  const scenario = await loadScenario(join(ROOT, "examples/scenarios/partner-fanout.yaml"));
  sim = await startSimulator({ scenario, clock, sleep: (ms: number) => clock.sleep(ms) });
  result = await runPipelineLocally({
    config: loadPipelinesConfig(join(dir, "pipelines.yaml")),
    pipeline: PIPELINE,
    polytomic: { baseUrl: sim.url, apiKey: "sim-key", partnerKey: "sim-partner-key" },
    clock,
    outDir: join(dir, "out"),
    executionName: "partner-deployed",
  });
  wire = wireExecutions(result);
  const fanOut = result.executions[0];
  if (!fanOut) throw new Error("no fan-out execution");
  fanOutArn = fanOut.executionArn;
  pipelineArn = wire.get(fanOutArn)?.describe.stateMachineArn ?? "";
}, 120_000);

afterAll(async () => {
  sfn.restore();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

beforeEach(() => {
  sfn.reset();
  serveWire(sfn, wire, pipelineArn, PIPELINE, { pageSize: 9 });
});

const historiesRead = () =>
  new Set(sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input.executionArn));

describe("report <fan-out execution>", () => {
  it("names the failed organizations first with their errors and steps, and Acme succeeded", async () => {
    expect(result.status).toBe("failed");
    const run = await runMain(["report", fanOutArn, "--json"], dir, ENV);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const json = JSON.parse(run.stdout);
    const validate = runReportValidator();
    expect(validate(json), JSON.stringify(validate.errors)).toBe(true);
    const report = runReportSchema.parse(json);
    expect(
      report.organizations?.map((o) => [o.name, o.status, o.error, o.failed_steps, o.steps_shown]),
    ).toEqual([
      ["Globex", "failed", "Pipeline.StepsFailed", ["load_salesforce"], true],
      ["Initech", "failed", "Pipeline.StepsFailed", ["push_hubspot"], true],
      ["Acme", "succeeded", null, [], false],
    ]);
    for (const o of report.organizations ?? []) {
      expect(o.id).toBe(ORGS[o.name as keyof typeof ORGS]);
      expect(o.execution_arn).toBe(organizationArn(o.id));
    }
    // The failed organizations' steps, as the local run's report has them (Acme's left out).
    const local = result.timeline as RunReport;
    expect(report.steps).toEqual(local.steps.filter((s) => !s.id.startsWith("Acme / ")));
    const errorOf = (id: string) => report.steps.find((s) => s.id === id)?.error?.name;
    expect(errorOf("Globex / load_salesforce")).toBe("Sync.Failed");
    expect(errorOf("Initech / push_hubspot")).toBe("Sync.NotFound");
    expect(report.steps.find((s) => s.id === "Globex / push_hubspot")?.status).toBe("skipped");
    const { steps: _s, organizations: _o, ...own } = report;
    const { steps: _l, ...localOwn } = local;
    expect(own).toEqual(localOwn);
    // Acme succeeded: neither its execution's history nor its steps' were read.
    const read = historiesRead();
    for (const arn of executionsOf(ORGS.Acme)) expect(read.has(arn)).toBe(false);
    for (const arn of executionsOf(ORGS.Globex)) {
      if (wire.get(arn)?.describe.name?.startsWith("load_salesforce"))
        expect(read.has(arn)).toBe(true);
    }
  });

  it("reads the steps of at most --organizations failed organizations, and says so", async () => {
    const run = await runMain(["report", fanOutArn, "--json", "--organizations", "1"], dir, ENV);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain(
      "note: 2 organizations failed; the steps of the first 1 are shown",
    );
    const report = runReportSchema.parse(JSON.parse(run.stdout));
    expect(report.organizations?.map((o) => [o.name, o.steps_shown])).toEqual([
      ["Globex", true],
      ["Initech", false],
      ["Acme", false],
    ]);
    expect(report.steps.map((s) => s.id)).toEqual([
      "Globex / load_salesforce",
      "Globex / push_hubspot",
    ]);
    // Initech's failed steps are still named, from its execution's cause in the fan-out's history.
    expect(report.organizations?.[1]?.failed_steps).toEqual(["push_hubspot"]);
    for (const arn of executionsOf(ORGS.Initech)) expect(historiesRead().has(arn)).toBe(false);
    const bad = await runMain(["report", fanOutArn, "--organizations", "many"], dir, ENV);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--organizations must be a whole number from 0 to 100");
  });

  it("prints the organizations failed first, their steps, and how to drill into one", async () => {
    const run = await runMain(["report", fanOutArn], dir, ENV);
    expect(run.code).toBe(1);
    const lines = run.stdout.split("\n");
    expect(lines[0]).toMatch(/^Pipeline partner_nightly: failed \(execution partner-deployed, /);
    expect(lines[1]).toBe("Organizations: 3 (2 failed, 1 succeeded)");
    const table = lines.slice(2, lines.indexOf("Steps of Globex, Initech:"));
    const rows = table.filter((l) => /^ {2}(Globex|Initech|Acme) /.test(l));
    expect(rows.map((l) => l.trim().split(/\s+/).slice(0, 2))).toEqual([
      ["Globex", "failed"],
      ["Initech", "failed"],
      ["Acme", "succeeded"],
    ]);
    expect(run.stdout).toContain("Steps of Globex, Initech:");
    expect(run.stdout).toMatch(/Globex \/ load_salesforce\s+failed/);
    expect(run.stdout).toContain("Initech / push_hubspot: Sync.NotFound:");
    expect(run.stdout).toContain(`Globex   ${organizationArn(ORGS.Globex)}`);
    expect(run.stdout).toContain(`Initech  ${organizationArn(ORGS.Initech)}`);
  });

  it("writes the organizations and the failed ones' timelines to --html", async () => {
    const run = await runMain(
      ["report", "latest", "--pipeline", PIPELINE, "--html", "f.html"],
      dir,
      ENV,
    );
    expect(run.code).toBe(1);
    const html = await readFile(join(dir, "f.html"), "utf8");
    expect(html).toContain("<h2>Organizations</h2>");
    expect(html).toContain(
      "· 4 steps (1 succeeded, 2 failed, 1 skipped) of 2 of 3 organizations</div>",
    );
    expect(html).toMatch(
      /<tr data-organization="Globex"><td>Globex<\/td><td class="status-failed"[^>]*>failed/,
    );
    expect(html).toContain('data-step="Initech / push_hubspot"');
    expect(html).not.toContain('data-step="Acme / load_salesforce"');
    expect(html.indexOf('data-organization="Initech"')).toBeLessThan(
      html.indexOf('data-organization="Acme"'),
    );
  });
});

describe("report <per-organization execution>: the drill-down", () => {
  it.each(Object.entries(ORGS))(
    "gives %s's run as the local run's report of it",
    async (name, id) => {
      const arn = organizationArn(id);
      const run = await runMain(["report", arn, "--json"], dir, ENV);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(name === "Acme" ? 0 : 1);
      const report = runReportSchema.parse(JSON.parse(run.stdout));
      expect(report).toEqual(result.organization_timelines?.[id]);
      expect(report.organizations).toBeUndefined();
    },
  );

  it("refuses an execution started by something that is not a pipeline", async () => {
    const arn = organizationArn(ORGS.Acme);
    const own = wire.get(arn)?.describe;
    const input = JSON.stringify({
      ...JSON.parse(own?.input ?? "{}"),
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: arn,
    });
    sfn.on(DescribeExecutionCommand, { executionArn: arn }).resolves({ ...own, input });
    const run = await runMain(["report", arn], dir, ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`execution ${arn} is not a pipeline run`);
  });
});

describe("a fan-out read while it runs, or after it was stopped", () => {
  const serveAt = (at: number) => {
    sfn.reset();
    serveWire(sfn, wireAt(wire, at), pipelineArn, PIPELINE);
  };
  const outcomes = (report: RunReport) => report.organizations?.map((o) => [o.name, o.status]);

  it("says running, with each organization running or waiting, and reads no organization's steps", async () => {
    // +300 s: Acme and Globex run (two at a time), Initech waits for a slot.
    serveAt(T0 + 300_000);
    const run = await runMain(["report", fanOutArn, "--json"], dir, ENV);
    expect(run.code).toBe(3);
    const report = runReportSchema.parse(JSON.parse(run.stdout));
    expect(report.status).toBe("running");
    expect(outcomes(report)).toEqual([
      ["Acme", "running"],
      ["Globex", "running"],
      ["Initech", "waiting"],
    ]);
    expect(report.organizations?.[2]?.execution_arn).toBeNull();
    expect(report.steps).toEqual([]);
    expect([...historiesRead()]).toEqual([fanOutArn]);
    // The page and the widget draw the organizations without a step to draw.
    const html = await runMain(["report", fanOutArn, "--html", "mid.html"], dir, ENV);
    expect(html.code).toBe(3);
    const page = await readFile(join(dir, "mid.html"), "utf8");
    expect(page).toMatch(
      /<tr data-organization="Initech"><td>Initech<\/td><td class="status-waiting"/,
    );
    const { makeHandler } = await import("../../functions/report-widget/index");
    const widget = await makeHandler(new SFNClient({ region: "us-east-1" }))({
      pipeline: PIPELINE,
      stateMachineArn: pipelineArn,
      steps: [],
    });
    expect(widget).toContain(
      '<tr data-organization="Acme"><td>Acme</td><td class="status-running"',
    );
    // +800 s: Acme succeeded, and Initech took its slot.
    serveAt(T0 + 800_000);
    const later = runReportSchema.parse(
      JSON.parse((await runMain(["report", fanOutArn, "--json"], dir, ENV)).stdout),
    );
    expect(outcomes(later)).toEqual([
      ["Globex", "running"],
      ["Initech", "running"],
      ["Acme", "succeeded"],
    ]);
  });

  it("calls organizations a stopped fan-out started interrupted, and the others not started", async () => {
    const at = T0 + 300_000;
    const cut = wireAt(wire, at);
    const own = cut.get(fanOutArn) as WireExecution;
    const events = [
      ...own.events,
      { id: own.events.length + 1, type: "ExecutionAborted" as const, timestamp: new Date(at) },
    ];
    cut.set(fanOutArn, {
      describe: { ...own.describe, status: "ABORTED", stopDate: new Date(at) },
      events,
    });
    sfn.reset();
    serveWire(sfn, cut, pipelineArn, PIPELINE);
    const run = await runMain(["report", fanOutArn, "--json"], dir, ENV);
    expect(run.code).toBe(1);
    const report = runReportSchema.parse(JSON.parse(run.stdout));
    expect(report.status).toBe("interrupted");
    expect(outcomes(report)).toEqual([
      ["Acme", "interrupted"],
      ["Globex", "interrupted"],
      ["Initech", "not_started"],
    ]);
  });
});

describe("history of a fan-out", () => {
  it("lists each run's organizations failed of all, and names the failed ones", async () => {
    // An older run that succeeded although one organization failed (as with fail_when: all).
    const older = `${fanOutArn}-older`;
    const served = new Map(wire);
    const latest = wire.get(fanOutArn) as WireExecution;
    served.set(older, {
      describe: {
        ...latest.describe,
        executionArn: older,
        name: "partner-older",
        status: "SUCCEEDED",
        output: JSON.stringify({
          organizations: [
            { id: ORGS.Acme, name: "Acme", status: "succeeded" },
            { id: ORGS.Globex, name: "Globex", status: "failed", error: "States.TaskFailed" },
          ],
          count: 2,
          failed_ids: [ORGS.Globex],
          failed_count: 1,
        }),
        error: undefined,
        cause: undefined,
      },
      events: [],
    });
    sfn.reset();
    serveWire(sfn, served, pipelineArn, PIPELINE);
    const run = await runMain(["history", PIPELINE, "--json"], dir, ENV);
    expect(run.stderr).toBe("");
    const rows = JSON.parse(run.stdout) as { name: string; organizations: unknown }[];
    expect(rows.map((r) => [r.name, r.organizations])).toEqual([
      ["partner-deployed", { failed: 2, total: 3, failed_names: ["Globex", "Initech"] }],
      ["partner-older", { failed: 1, total: 2, failed_names: ["Globex"] }],
    ]);
    const table = await runMain(["history", PIPELINE], dir, ENV);
    expect(table.stdout).toMatch(/ORGS FAILED\s+FAILED$/m);
    expect(table.stdout).toMatch(
      /partner-deployed\s+FAILED\s+\S+\s+17m 37s\s+2\/3\s+Globex, Initech$/m,
    );
    expect(table.stdout).toMatch(/partner-older\s+SUCCEEDED\s+\S+\s+17m 37s\s+1\/2\s+Globex$/m);
  });
});

describe("trigger on a fan-out", () => {
  it("follows the organizations as they change and ends with the report's summary", async () => {
    sfn.reset();
    serveWire(sfn, wireAt(wire, T0 + 300_000), pipelineArn, PIPELINE);
    sfn.on(StartExecutionCommand).resolves({ executionArn: fanOutArn, startDate: new Date(T0) });
    const { triggerCommand } = await import("../../lib/cli/commands/trigger");
    const { Capture } = await import("../cli/in-process");
    const stdout = new Capture();
    const stderr = new Capture();
    const sleeps: number[] = [];
    const code = await triggerCommand(
      [PIPELINE],
      { stdout, stderr, env: ENV, cwd: dir },
      {
        now: () => T0,
        sleep: async (ms) => {
          sleeps.push(ms);
          sfn.reset();
          serveWire(sfn, wire, pipelineArn, PIPELINE);
        },
      },
    );
    expect(code).toBe(1);
    expect(sleeps).toEqual([10_000]);
    const lines = stdout.text.split("\n");
    expect(lines.slice(0, 5)).toEqual([
      "[0/3 organizations ended] Acme: running",
      "[0/3 organizations ended] Globex: running",
      "[3/3 organizations ended] Globex: failed (Pipeline.StepsFailed)",
      "[3/3 organizations ended] Initech: failed (Pipeline.StepsFailed)",
      "[3/3 organizations ended] Acme: succeeded",
    ]);
    // The summary is `report`'s: the same text from the same histories.
    sfn.reset();
    serveWire(sfn, wire, pipelineArn, PIPELINE);
    const report = await runMain(["report", fanOutArn], dir, ENV);
    expect(stdout.text).toContain(report.stdout.split("\n").slice(1).join("\n"));
    expect(stdout.text).toContain("Pipeline partner_nightly: failed");
  });
});

describe("the dashboard's widget for a fan-out pipeline", () => {
  const params = () => ({
    pipeline: PIPELINE,
    stateMachineArn: pipelineArn,
    steps: [
      { id: "load_salesforce", sync_type: "bulk", after: [] },
      { id: "push_hubspot", sync_type: "model", after: ["load_salesforce"] },
    ],
  });

  it("shows the latest run's organizations failed first, and the failed ones' timelines", async () => {
    const { makeHandler } = await import("../../functions/report-widget/index");
    const html = await makeHandler(new SFNClient({ region: "us-east-1" }))({
      widgetContext: { params: params() },
    });
    expect(typeof html).toBe("string");
    const text = html as string;
    expect(text).toContain("<h2>Organizations</h2>");
    const at = (name: string) => text.indexOf(`data-organization="${name}"`);
    expect(at("Globex")).toBeGreaterThan(0);
    expect(at("Globex")).toBeLessThan(at("Initech"));
    expect(at("Initech")).toBeLessThan(at("Acme"));
    expect(text).toContain('class="bar running" data-step="Globex / load_salesforce"');
    expect(text).not.toContain('data-step="Acme / ');
    expect(text).not.toContain("<script");
  });

  it("lists a bounded number of organizations and counts the rest", async () => {
    const run = await runMain(["report", fanOutArn, "--json"], dir, ENV);
    const report = runReportSchema.parse(JSON.parse(run.stdout));
    const { renderTimelineFragment } = await import("../../lib/report/html");
    const html = renderTimelineFragment(report, { logHref: () => null, maxOrganizations: 1 });
    expect(html).toContain('data-organization="Globex"');
    expect(html).not.toContain('data-organization="Initech"');
    expect(html).toContain("… and 2 more (report --json lists every one)");
  });
});
