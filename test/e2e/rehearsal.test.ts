/**
 * A rehearsal of the deployed check offline: the e2e pipelines and scenario run in the
 * local engine (the synthesized definitions, the real handlers, the simulator on a virtual
 * clock), and the same checks judge what they produced. So the expectations agree with the
 * product's model, and a failing row in a deployed run points at a difference between AWS
 * and that model, not at a wrong expectation. (The gate's Attach needs Step Functions'
 * history: only the deployed run checks it.)
 */
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { DescribeExecutionOutput } from "@aws-sdk/client-sfn";
import { afterAll, describe, expect, it } from "vitest";
import {
  type CheckRow,
  checkLogs,
  checkMetrics,
  checkOutcome,
  checkSimulator,
  metricSumKey,
} from "../../e2e/checks";
import { EXPECTATIONS } from "../../e2e/expectations";
import { METRICS, type MetricKey } from "../../functions/core/metrics";
import { loadPipelinesConfig } from "../../lib/config/load";
import { synthesizeDefinitions } from "../../lib/constructs/definitions";
import { type LocalRunResult, localAppOf, runPipelineDefinitions } from "../../lib/local/runner";
import type { SimulatorStateView } from "../../simulator/lambda";
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

const SYNC_IDS = Object.keys(parseScenario(scenario).syncs);

/** The simulators' state as the driver reads it, merged over one simulator per pipeline. */
function merged(worlds: readonly World[]): SimulatorStateView {
  const count = (id: string) => worlds.reduce((n, x) => n + x.sim.startCount(id), 0);
  return {
    instance: "local",
    started_at: "",
    executions: worlds.flatMap((x) => x.sim.executions()),
    start_counts: Object.fromEntries(SYNC_IDS.map((id) => [id, count(id)])),
  };
}

/** What DescribeExecution would answer for the local run (the pipeline's output or cause). */
function describeOf(result: LocalRunResult): DescribeExecutionOutput {
  const results = Object.fromEntries(
    result.steps.map((s) => [
      s.id,
      { status: s.status, ...(s.error ? { error: { Error: s.error.name } } : {}) },
    ]),
  );
  if (result.error?.name === "States.ABORTED")
    return { status: "ABORTED" } as DescribeExecutionOutput;
  return (
    result.status === "succeeded"
      ? { status: "SUCCEEDED", output: JSON.stringify({ results }) }
      : { status: "FAILED", error: result.error?.name, cause: JSON.stringify(results) }
  ) as DescribeExecutionOutput;
}

const METRIC_KEYS = Object.fromEntries(
  Object.entries(METRICS).map(([k, m]) => [m.name, k as MetricKey]),
);

async function rehearse(pipeline: string): Promise<CheckRow[]> {
  const x = await world(scenario);
  worlds.push(x);
  const h = handlers(x);
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
  for (const datum of h.sinks.metrics.flat()) {
    const dims = Object.fromEntries(datum.Dimensions.map((d) => [d.Name, d.Value]));
    const metric = METRIC_KEYS[datum.MetricName];
    if (!metric || dims.Pipeline === undefined) throw new Error(`unknown ${datum.MetricName}`);
    const key = metricSumKey(metric, { ...dims, Pipeline: dims.Pipeline });
    sums[key] = (sums[key] ?? 0) + datum.Value;
  }
  const run = {
    pipeline,
    executionName,
    describe: describeOf(result),
    history: [],
    logKeys: [...h.sinks.objects.keys()],
  };
  return [
    ...checkOutcome(expected, run),
    ...checkLogs(expected, run),
    ...checkMetrics(expected, pipeline, sums),
  ];
}

const failed = (rows: CheckRow[]) =>
  rows.filter((r) => !r.pass).map((r) => `${r.check}: ${r.detail}`);

describe("the deployed check's pipelines, rehearsed in the local engine", () => {
  for (const pipeline of Object.keys(EXPECTATIONS)) {
    it(`${pipeline} ends as its expectation says`, async () => {
      const rows = await rehearse(pipeline);
      expect(rows.length).toBeGreaterThan(0);
      expect(failed(rows)).toEqual([]);
    });
  }

  it("leaves no run going, and each sync's run ends as FINAL_RUN_STATUS says", () => {
    expect(worlds).toHaveLength(Object.keys(EXPECTATIONS).length);
    const state = merged(worlds);
    expect(failed(checkSimulator(state, state))).toEqual([]);
  });
});
