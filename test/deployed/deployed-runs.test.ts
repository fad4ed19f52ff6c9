/**
 * Issue 13, point 3: deployed runs read from Step Functions. A real local run of the
 * synthesized machines (real handlers, the simulator over HTTP, virtual clock) is served
 * as Step Functions would return it (test/deployed/sfn-wire.ts) through
 * aws-sdk-client-mock; `report` from those answers must give the local run's own report.
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from "vitest";
import { loadPipelinesConfig } from "../../lib/config/load";
import { type LocalRunResult, runPipelineLocally } from "../../lib/local/runner";
import { VirtualClock } from "../../lib/local/virtual-clock";
import { runReportSchema } from "../../lib/report/model";
import { parseScenario, type RunningSimulator, startSimulator } from "../../simulator";
import { runMain } from "../cli/in-process";
import { serveWire, type WireExecution, wireExecutions } from "./sfn-wire";

const A = "9f1c0d2e-0000-4000-8000-0000000000a1";
const B = "9f1c0d2e-0000-4000-8000-0000000000b1";
const C = "9f1c0d2e-0000-4000-8000-0000000000c1";
const D = "9f1c0d2e-0000-4000-8000-0000000000d1";
const T0 = Date.UTC(2026, 0, 5, 7, 0, 0);

// a and b start at once; c waits for a; d for a and b, and fails (Polytomic says why).
const PIPELINES = `
pipelines:
  night:
    steps:
      - { id: a, model_sync: ${A} }
      - { id: b, bulk_sync: ${B} }
      - { id: c, model_sync: ${C}, after: [a] }
      - { id: d, model_sync: ${D}, after: [a, b] }
`;
const SCENARIO = `
api_key: deployed-key
syncs:
  ${A}: { type: model, queue_seconds: 5, duration_seconds: 300, records: 10 }
  ${B}: { type: bulk, queue_seconds: 0, duration_seconds: 600, records: 20 }
  ${C}: { type: model, queue_seconds: 2, duration_seconds: 100, records: 5 }
  ${D}: { type: model, queue_seconds: 0, duration_seconds: 120, outcome: failed }
`;
const ENV = { AWS_REGION: "us-east-1" };

let sim: RunningSimulator;
let dir: string;
let result: LocalRunResult;
let wire: Map<string, WireExecution>;
let pipelineArn: string;
let executionArn: string;
let sfn = mockClient(SFNClient);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "deployed-"));
  await writeFile(join(dir, "pipelines.yaml"), PIPELINES);
  const config = loadPipelinesConfig(join(dir, "pipelines.yaml"));
  const clock = new VirtualClock(T0);
  sim = await startSimulator({
    scenario: parseScenario(SCENARIO, "deployed.yaml"),
    clock,
    sleep: (ms: number) => clock.sleep(ms),
  });
  result = await runPipelineLocally({
    config,
    pipeline: "night",
    polytomic: { baseUrl: sim.url, apiKey: "deployed-key" },
    clock,
    outDir: join(dir, "out"),
    executionName: "night-deployed",
  });
  wire = wireExecutions(result);
  const pipelineRun = result.executions[0];
  if (!pipelineRun) throw new Error("no pipeline execution");
  executionArn = pipelineRun.executionArn;
  pipelineArn = wire.get(executionArn)?.describe.stateMachineArn ?? "";
});

afterAll(async () => {
  sfn.restore();
  await sim?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

/** The run as a read before its end would see it: every execution still RUNNING. */
function stillGoing(): Map<string, WireExecution> {
  return new Map(
    [...wire].map(([arn, w]) => [
      arn,
      {
        describe: {
          ...w.describe,
          status: "RUNNING" as const,
          stopDate: undefined,
          error: undefined,
          cause: undefined,
        },
        events: w.events.filter(
          (e) => !e.type?.startsWith("Execution") || e.type === "ExecutionStarted",
        ),
      },
    ]),
  );
}

beforeEach(() => {
  sfn.reset();
  serveWire(sfn, wire, pipelineArn, "night", { pageSize: 7 });
});

describe("report from Step Functions", () => {
  it("gives the local run's own report, from the histories Step Functions returns", async () => {
    expect(result.status).toBe("failed");
    const run = await runMain(["report", executionArn, "--json"], dir, ENV);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(1);
    const report = runReportSchema.parse(JSON.parse(run.stdout));
    expect(report).toEqual(result.timeline);
    expect(report.steps.find((s) => s.id === "d")?.status).toBe("failed");
    // Every history was read page by page (7 events a page): nextToken was followed.
    const tokens = sfn
      .commandCalls(GetExecutionHistoryCommand)
      .map((c) => c.args[0].input.nextToken);
    expect(tokens).toContain("page-7");
    // d waits for b through a gate: its wait-for-step child is found and read, and ignored.
    const read = sfn
      .commandCalls(GetExecutionHistoryCommand)
      .map((c) => c.args[0].input.executionArn);
    const gates = new Set(read.filter((arn) => arn?.includes(":execution:wait-for-step:")));
    expect(gates.size).toBe(1);
  });

  it("reads `latest` of a pipeline, and writes the report as HTML", async () => {
    const run = await runMain(
      ["report", "latest", "--pipeline", "night", "--html", "r.html"],
      dir,
      ENV,
    );
    expect(run.code).toBe(1);
    expect(run.stdout).toContain("Pipeline night: failed (execution night-deployed");
    expect(run.stdout).toMatch(/d\s+failed/);
    const html = await readFile(join(dir, "r.html"), "utf8");
    expect(html).toContain("Pipeline night");
  });

  it("says a run still going is running (exit 3), with its steps running", async () => {
    sfn.reset();
    serveWire(sfn, stillGoing(), pipelineArn, "night");
    const run = await runMain(["report", executionArn], dir, ENV);
    expect(run.code).toBe(3);
    expect(run.stdout).toMatch(
      /^Pipeline night: running \(execution night-deployed, started \S+, still running\)/,
    );
    expect(run.stdout).toMatch(/ d\s+running/);
  });

  it("says clearly when the execution is not kept (or never was)", async () => {
    const gone = executionArn.replace("night-deployed", "night-long-ago");
    const run = await runMain(["report", gone], dir, ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(`execution ${gone} does not exist`);
    expect(run.stderr).toContain("keeps an ended execution for 90 days");
  });

  it("notes a child execution that is no longer kept, and reports the rest", async () => {
    const child = [...wire.keys()].find(
      (arn) => arn.includes(":execution:") && arn !== executionArn,
    );
    const fewer = new Map(wire);
    fewer.delete(child ?? "");
    sfn.reset();
    serveWire(sfn, fewer, pipelineArn, "night");
    const run = await runMain(["report", executionArn, "--json"], dir, ENV);
    expect(run.stderr).toContain(`note: child execution ${child} is no longer kept`);
    expect(runReportSchema.parse(JSON.parse(run.stdout)).steps).toHaveLength(4);
  });
});

describe("history", () => {
  it("lists the pipeline's executions: status, start, duration, failed steps", async () => {
    const older = {
      name: "night-older",
      executionArn: `${pipelineArn.replace(":stateMachine:", ":execution:")}:night-older`,
      status: "SUCCEEDED" as const,
      startDate: new Date(T0 - 86_400_000),
      stopDate: new Date(T0 - 86_400_000 + 65_000),
    };
    sfn.reset();
    serveWire(sfn, wire, pipelineArn, "night", { listed: [older] });
    const run = await runMain(["history", "night", "--json"], dir, ENV);
    expect(run.stderr).toBe("");
    expect(run.code).toBe(0);
    const rows = JSON.parse(run.stdout) as {
      name: string;
      status: string;
      failed_steps: string[];
      duration_seconds: number;
    }[];
    expect(rows.map((r) => [r.name, r.status])).toEqual([
      ["night-deployed", "FAILED"],
      ["night-older", "SUCCEEDED"],
    ]);
    expect(rows[0]?.failed_steps).toEqual(["d"]);
    expect(rows[1]?.duration_seconds).toBe(65);
    const table = await runMain(["history", "night"], dir, ENV);
    expect(table.stdout).toMatch(/night-deployed\s+FAILED\s+\S+\s+\S+.*\bd$/m);
  });

  it("follows ListExecutions' nextToken up to --limit", async () => {
    const item = (n: number) => ({
      name: `night-${n}`,
      executionArn: `${executionArn}-${n}`,
      stateMachineArn: pipelineArn,
      status: "SUCCEEDED" as const,
      startDate: new Date(T0 - n * 1000),
      stopDate: new Date(T0 - n * 1000 + 500),
    });
    sfn.on(ListExecutionsCommand).resolves({ executions: [item(1)], nextToken: "more" });
    sfn
      .on(ListExecutionsCommand, { nextToken: "more" })
      .resolves({ executions: [item(2), item(3)] });
    const run = await runMain(["history", "night", "--limit", "2", "--json"], dir, ENV);
    const rows = JSON.parse(run.stdout) as { name: string }[];
    expect(rows.map((r) => r.name)).toEqual(["night-1", "night-2"]);
    const asked = sfn.commandCalls(ListExecutionsCommand).map((c) => c.args[0].input);
    expect(asked.map((i) => [i.maxResults, i.nextToken])).toEqual([
      [2, undefined],
      [1, "more"],
    ]);
  });

  it("names the stack's pipelines when the one asked for is not deployed", async () => {
    const run = await runMain(["history", "nope"], dir, ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      'stack "PolytomicOrchestrator" in us-east-1 has no pipeline "nope" (it has: night)',
    );
    const other = await runMain(["history", "night", "--stack", "Other"], dir, ENV);
    expect(other.stderr).toContain('no pipeline of stack "Other" is deployed in us-east-1');
  });
});

describe("redrive", () => {
  it("redrives a failed execution", async () => {
    sfn.on(RedriveExecutionCommand).resolves({ redriveDate: new Date(T0) });
    const run = await runMain(["redrive", executionArn], dir, ENV);
    expect(run.code).toBe(0);
    expect(sfn.commandCalls(RedriveExecutionCommand)[0]?.args[0].input.executionArn).toBe(
      executionArn,
    );
  });

  it.each([
    {
      why: "a SUCCEEDED execution",
      change: { status: "SUCCEEDED" as const },
      says: "execution night-deployed is SUCCEEDED; only a FAILED, ABORTED or TIMED_OUT execution can be redriven",
    },
    {
      why: "one Step Functions will not redrive (its redriveStatusReason)",
      change: {
        redriveStatus: "NOT_REDRIVABLE" as const,
        redriveStatusReason: "Execution is older than 14 days",
      },
      says: "will not redrive execution night-deployed: Execution is older than 14 days",
    },
  ])(
    "refuses $why with a clear message, without calling RedriveExecution",
    async ({ change, says }) => {
      const describe = { ...wire.get(executionArn)?.describe, ...change };
      sfn.on(DescribeExecutionCommand, { executionArn }).resolves(describe);
      const run = await runMain(["redrive", executionArn], dir, ENV);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(says);
      expect(sfn.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
    },
  );
});

describe("trigger", () => {
  it("starts the pipeline and follows it to its end, polling on an injected clock", async () => {
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date(T0) });
    // The first read sees the run going (no end event yet, nor its children's ends).
    const going = stillGoing();
    sfn.reset();
    serveWire(sfn, going, pipelineArn, "night");
    sfn.on(StartExecutionCommand).resolves({ executionArn, startDate: new Date(T0) });
    const sleeps: number[] = [];
    const { triggerCommand } = await import("../../lib/cli/commands/trigger");
    const { Capture } = await import("../cli/in-process");
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await triggerCommand(
      ["night"],
      { stdout, stderr, env: ENV, cwd: dir },
      {
        now: () => T0,
        sleep: async (ms) => {
          sleeps.push(ms);
          sfn.reset();
          serveWire(sfn, wire, pipelineArn, "night");
        },
      },
    );
    expect(stderr.text).toContain(`Started ${executionArn}`);
    expect(code).toBe(1);
    expect(sleeps).toEqual([10_000]);
    expect(stdout.text).toContain("Pipeline night: failed");
  });
});

describe("AWS environment", () => {
  // The real SDK client, without the mock, in an environment with no AWS configuration:
  // the SDK fails before any request (no network is reached).
  const NO_AWS = {
    AWS_REGION: undefined,
    AWS_DEFAULT_REGION: undefined,
    AWS_PROFILE: undefined,
    AWS_ACCESS_KEY_ID: undefined,
    AWS_SECRET_ACCESS_KEY: undefined,
    AWS_SESSION_TOKEN: undefined,
    AWS_CONFIG_FILE: "/nonexistent/aws-config",
    AWS_SHARED_CREDENTIALS_FILE: "/nonexistent/aws-credentials",
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_CONTAINER_CREDENTIALS_RELATIVE_URI: undefined,
    AWS_CONTAINER_CREDENTIALS_FULL_URI: undefined,
    AWS_WEB_IDENTITY_TOKEN_FILE: undefined,
  };
  beforeEach(() => {
    sfn.restore();
    for (const [name, value] of Object.entries(NO_AWS)) vi.stubEnv(name, value);
  });
  afterEach(() => {
    vi.unstubAllEnvs();
    sfn = mockClient(SFNClient);
  });

  it("says that the region is missing", async () => {
    const run = await runMain(["report", executionArn], dir, {});
    expect(run.code).toBe(2);
    expect(run.stderr).toBe(
      "report: no usable AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) to the stack's region\n",
    );
  });

  it("says that no credentials were found, and how to give them", async () => {
    const run = await runMain(["history", "night"], dir, ENV);
    expect(run.code).toBe(2);
    expect(run.stderr).toContain(
      "history: AWS refused or found no credentials (CredentialsProviderError",
    );
    expect(run.stderr).toContain("set AWS_PROFILE");
  });
});

describe("the dashboard's report widget (functions/report-widget)", () => {
  const params = () => ({
    pipeline: "night",
    stateMachineArn: pipelineArn,
    steps: [
      { id: "a", sync_type: "model", after: [] },
      { id: "b", sync_type: "bulk", after: [] },
      { id: "c", sync_type: "model", after: ["a"] },
      { id: "d", sync_type: "model", after: ["a", "b"] },
    ],
  });

  it("renders the latest run's timeline, as the local run's report would", async () => {
    const { makeHandler } = await import("../../functions/report-widget/index");
    const { renderTimelineFragment } = await import("../../lib/report/html");
    const html = await makeHandler(new SFNClient({ region: "us-east-1" }))({
      widgetContext: { dashboardName: "d", widgetId: "widget-1", params: params() },
    });
    expect(typeof html).toBe("string");
    expect(html).toBe(renderTimelineFragment(result.timeline as never, { logHref: encodeURI }));
    expect(html).toContain('data-step="d"');
    expect(html).not.toContain("<script");
  });

  it("reads the parameters from the event itself too, and says when there is no run", async () => {
    const { makeHandler } = await import("../../functions/report-widget/index");
    sfn.on(ListExecutionsCommand).resolves({ executions: [] });
    const html = await makeHandler(new SFNClient({ region: "us-east-1" }))(params());
    expect(html).toBe("<p>Pipeline night has no execution in the last 90 days.</p>");
  });

  it("answers describe with its documentation", async () => {
    const { makeHandler, DESCRIPTION } = await import("../../functions/report-widget/index");
    expect(await makeHandler(new SFNClient({ region: "us-east-1" }))({ describe: true })).toBe(
      DESCRIPTION,
    );
  });
});
