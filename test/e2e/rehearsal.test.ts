/**
 * A rehearsal of the deployed check offline: the e2e pipelines and scenario run in the
 * local engine (the synthesized definitions, the real handlers, the simulator on a virtual
 * clock), and the same checks judge what they produced. So the expectations agree with the
 * product's model, and a failing row in a deployed run points at a difference between AWS
 * and that model, not at a wrong expectation. (The gate's Attach needs Step Functions'
 * history: only the deployed run checks it.)
 *
 * Credentials as deployed: the secret is docs/partners.md's mixed form (lib/e2e), so the
 * single-organization pipelines call as HTTP Basic `<default organization>:<partner key>`,
 * and the fan-out (e2e_partner, run as the CLI runs it: runPipelineLocally, the handler
 * modules with resolve-organizations) with the partner key.
 */
import { readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import type { DescribeExecutionOutput, HistoryEvent } from "@aws-sdk/client-sfn";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CheckRow,
  type ChildEvidence,
  checkCredentials,
  checkFanOut,
  checkLogs,
  checkMetrics,
  checkOutcome,
  checkSimulator,
  metricSumKey,
  organizationSumKey,
  type RunEvidence,
} from "../../e2e/checks";
import { EXPECTATIONS, PARTNER_ORGANIZATIONS } from "../../e2e/expectations";
import { METRICS, type MetricKey, ORGANIZATION_METRICS } from "../../functions/core/metrics";
import { loadPipelinesConfig } from "../../lib/config/load";
import { synthesizeDefinitions } from "../../lib/constructs/definitions";
import type { LocalExecutionResult } from "../../lib/local/engine";
import { localAppOf, runPipelineDefinitions, runPipelineLocally } from "../../lib/local/runner";
import { type SimulatorStateView, stateView } from "../../simulator/lambda";
import { parseScenario } from "../../simulator/scenario";
import { handlers, pass, type World, world } from "../reliability/harness";

const repo = join(import.meta.dirname, "..", "..");
const config = loadPipelinesConfig(join(repo, "e2e", "pipelines.yaml"));
const scenario = readFileSync(join(repo, "e2e", "scenario.yaml"), "utf8");
/** The synthesized definitions, gates included (the reliability harness's app has none). */
const app = localAppOf(synthesizeDefinitions(config));

/** One simulator world per rehearsed pipeline, kept for the last test. */
const worlds: World[] = [];
afterAll(async () => {
  await Promise.all(worlds.map((x) => x.close()));
});

const parsed = parseScenario(scenario);
/** The secret's mixed form: the partner key, acting as the default organization. */
const PARTNER_KEY = parsed.partner_key ?? "";
const OWNER = parsed.organization_id ?? "";

/** The simulators' state as the driver reads it, merged over one simulator per pipeline. */
function merged(worlds: readonly World[]): SimulatorStateView {
  const views = worlds.map((x) => stateView(x.sim, parsed, { instance: "local", started_at: "" }));
  const count = (id: string) => views.reduce((n, v) => n + (v.start_counts[id] ?? 0), 0);
  return {
    instance: "local",
    started_at: "",
    executions: views.flatMap((v) => v.executions),
    start_counts: Object.fromEntries(Object.keys(parsed.syncs).map((id) => [id, count(id)])),
    sync_organizations: views[0]?.sync_organizations ?? {},
    starts: views.flatMap((v) => v.starts),
    calls: views.flatMap((v) => v.calls),
  };
}

const METRIC_KEYS = Object.fromEntries(
  Object.entries(METRICS).map(([k, m]) => [m.name, k as MetricKey]),
);

async function rehearse(pipeline: string): Promise<CheckRow[]> {
  const x = await world(scenario);
  worlds.push(x);
  const h = handlers(x, { client: { apiKey: { organizationId: OWNER, key: PARTNER_KEY } } });
  const expected = EXPECTATIONS[pipeline];
  if (!expected) throw new Error(`no expectation for ${pipeline}`);
  const stop = new AbortController();
  const executionName = `e2e-rehearsal-${pipeline}`;
  const result = await runPipelineDefinitions({
    app,
    config,
    pipeline,
    functions: h.functions,
    clock: x.clock,
    executionName,
    histories: x.histories,
    signal: stop.signal,
    onEvent: (e) => {
      const when = expected.stop_when_running;
      if (e.type === "step" && e.progress.step === when?.step && e.progress.state === "running") {
        stop.abort();
      }
    },
  });
  await pass(x, 60); // a cancel takes the scenario's cancel_seconds
  const sums: Record<string, number> = {};
  for (const datum of h.sinks.metrics.flat()) addDatum(sums, datum as Datum);
  const [parent] = result.executions;
  if (!parent) throw new Error("no pipeline execution");
  const run = {
    pipeline,
    executionName,
    describe: describeLocal(parent),
    history: historyOf(parent),
    logKeys: [...h.sinks.objects.keys()],
    stepExecutions: stepExecutionsOf(result.executions),
  };
  return [
    ...checkOutcome(expected, run),
    ...checkLogs(expected, run),
    ...checkMetrics(expected, pipeline, sums),
  ];
}

/** What DescribeExecution would answer for a local execution (input and output from its events). */
function describeLocal(e: Omit<LocalExecutionResult, "output">): DescribeExecutionOutput {
  const started = e.events.find((v) => v.type === "ExecutionStarted");
  const ended = e.events.find((v) => v.type === "ExecutionSucceeded");
  return {
    executionArn: e.executionArn,
    status: e.status,
    input: JSON.stringify(started && "input" in started ? started.input : {}),
    ...(ended && "output" in ended ? { output: JSON.stringify(ended.output) } : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
  } as DescribeExecutionOutput;
}

/**
 * The part of the execution's history the checks read, as GetExecutionHistory would answer
 * it: each `<type>StateEntered` event with its state's name and input.
 */
function historyOf(e: Omit<LocalExecutionResult, "output">): HistoryEvent[] {
  return e.events.flatMap((v, i) =>
    v.type === "StateEntered" && "state" in v
      ? [
          {
            id: i + 1,
            timestamp: new Date(v.timestamp),
            type: `${v.state.type}StateEntered`,
            stateEnteredEventDetails: { name: v.state.name, input: JSON.stringify(v.state.input) },
          } as HistoryEvent,
        ]
      : [],
  );
}

/** The executions started with a step's input: the steps' run-sync executions, described. */
function stepExecutionsOf(
  executions: ReadonlyArray<Omit<LocalExecutionResult, "output">>,
): ChildEvidence[] {
  return executions
    .map((e) => ({ executionArn: e.executionArn, describe: describeLocal(e), history: [] }))
    .filter((e) => (JSON.parse(e.describe.input ?? "{}") as { step?: unknown }).step !== undefined);
}

/** Every file under `dir`, as keys relative to it (the local log sink's S3 keys). */
function keysUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => relative(dir, join(d.parentPath, d.name)));
}

/** The fan-out, run as the CLI runs it, judged by the same checks from what it left. */
async function rehearseFanOut(pipeline: string): Promise<{ rows: CheckRow[]; run: RunEvidence }> {
  const x = await world(scenario);
  worlds.push(x);
  const expected = EXPECTATIONS[pipeline];
  if (!expected) throw new Error(`no expectation for ${pipeline}`);
  const out = await mkdtemp(join(tmpdir(), "e2e-rehearsal-"));
  try {
    // Short: the local engine's States.Hash MD5 (aws-local-stepfunctions) is standard MD5
    // only for texts under 56 bytes (one block); longer ones hash differently from Step
    // Functions. `<name>/<uuid>/0` stays under 56 bytes with a name of 17 characters at most.
    const executionName = "e2e-rehearse";
    const result = await runPipelineLocally({
      config,
      pipeline,
      polytomic: { baseUrl: x.sim.url, apiKey: "unused", partnerKey: PARTNER_KEY },
      clock: x.clock,
      outDir: join(out, "logs"),
      runDir: join(out, "run"),
      executionName,
    });
    const [parent, ...rest] = result.executions;
    if (!parent) throw new Error("no pipeline execution");
    const children: ChildEvidence[] = rest
      .filter((e) => e.name.startsWith(`${pipeline}-`))
      .map((e) => ({
        executionArn: e.executionArn,
        describe: describeLocal(e),
        history: historyOf(e),
      }));
    const sums: Record<string, number> = {};
    for (const line of readFileSync(join(out, "run", "metrics.jsonl"), "utf8").split("\n")) {
      if (!line) continue;
      for (const datum of (JSON.parse(line) as { data: Datum[] }).data) addDatum(sums, datum);
    }
    const run: RunEvidence = {
      pipeline,
      executionName,
      describe: describeLocal(parent),
      history: historyOf(parent),
      logKeys: keysUnder(join(out, "logs")),
      children,
      stepExecutions: stepExecutionsOf(result.executions),
    };
    const rows = [
      ...checkOutcome(expected, run),
      ...checkMetrics(expected, pipeline, sums),
      ...checkFanOut(expected, run, sums),
    ];
    return { rows, run };
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}

interface Datum {
  MetricName: string;
  Value: number;
  Dimensions: Array<{ Name: string; Value: string }>;
}

/** Adds a published datum to the sums the checks read (as GetMetricData's Sum). */
function addDatum(sums: Record<string, number>, datum: Datum): void {
  const dims = Object.fromEntries(datum.Dimensions.map((d) => [d.Name, d.Value]));
  if (dims.Pipeline === undefined) throw new Error(`${datum.MetricName} has no Pipeline`);
  let key: string;
  if (datum.MetricName === ORGANIZATION_METRICS.stepFailures.name) {
    key = organizationSumKey(dims.Pipeline, dims.Organization ?? "");
  } else {
    const metric = METRIC_KEYS[datum.MetricName];
    if (!metric) throw new Error(`unknown ${datum.MetricName}`);
    key = metricSumKey(metric, { ...dims, Pipeline: dims.Pipeline });
  }
  sums[key] = (sums[key] ?? 0) + datum.Value;
}

const failed = (rows: CheckRow[]) =>
  rows.filter((r) => !r.pass).map((r) => `${r.check}: ${r.detail}`);

/** The fan-out's evidence, kept for the doctored-evidence test. */
let fanOut: RunEvidence | undefined;

describe("the deployed check's pipelines, rehearsed in the local engine", () => {
  for (const [pipeline, expected] of Object.entries(EXPECTATIONS)) {
    it(`${pipeline} ends as its expectation says`, async () => {
      let rows: CheckRow[];
      if (expected.organizations) {
        ({ rows, run: fanOut } = await rehearseFanOut(pipeline));
        expect(rows.filter((r) => r.check.includes("/E2E ")).length).toBeGreaterThan(9);
      } else {
        rows = await rehearse(pipeline);
      }
      expect(rows.length).toBeGreaterThan(0);
      expect(failed(rows)).toEqual([]);
    });
  }

  it("fails the fan-out's rows on doctored evidence", () => {
    const run = fanOut;
    const expected = EXPECTATIONS.e2e_partner;
    if (!run || !expected) throw new Error("the fan-out was not rehearsed");
    const [first, ...others] = run.children ?? [];
    if (!first) throw new Error("no child");
    const wrongOrg = {
      ...run,
      children: [
        { ...first, describe: { ...first.describe, input: '{"organization_id":"x"}' } },
        ...others,
      ],
    };
    expect(failed(checkFanOut(expected, wrongOrg, {})).length).toBeGreaterThan(0);
    const sums = {
      [organizationSumKey("e2e_partner", PARTNER_ORGANIZATIONS.globex)]: 1,
    };
    expect(failed(checkFanOut(expected, run, sums))).toContainEqual(
      expect.stringContaining("E2E Initech: OrganizationStepFailures = 1: no datapoint"),
    );
    const state = merged(worlds);
    const moved = state.starts.map((c) =>
      c.sync_id?.endsWith("01a1") ? { ...c, as: PARTNER_ORGANIZATIONS.globex } : c,
    );
    expect(failed(checkCredentials({ ...state, starts: moved }))).toEqual([
      expect.stringContaining("every start made as its sync's organization"),
    ]);
  });

  it("leaves no run going, each sync's run ends as FINAL_RUN_STATUS says, each start in its organization", () => {
    expect(worlds).toHaveLength(Object.keys(EXPECTATIONS).length);
    const state = merged(worlds);
    expect(failed(checkSimulator(state, state))).toEqual([]);
    expect(failed(checkCredentials(state))).toEqual([]);
  });
});
