/**
 * Benchmark 1, polling: every run of the workload (workload.ts) goes through the real
 * run-sync state machine (a one-step pipeline, so the child execution is exactly what a
 * deployed step runs) once per polling strategy, against the simulator on a virtual
 * clock. Per run: polls, billed state transitions (states entered plus retries, as Step
 * Functions bills them: lib/local/engine.ts billedTransitions) and modelled history events of the run-sync
 * execution, and detection latency (when check-status first saw the run terminal minus
 * the run's completed_at in the simulator).
 */
import { parsePipelinesConfig } from "../lib/config/load";
import type { PipelinesConfig } from "../lib/config/model";
import { billedTransitions } from "../lib/local/engine";
import type { LocalApp } from "../lib/local/runner";
import { parseScenario } from "../simulator/scenario";
import { runBench, synthesizeLocalApp } from "./harness";
import { historyEvents } from "./history-events";
import { mapLimit, mean, percentile, sum } from "./stats";
import {
  DEFAULT_WORKLOAD,
  generateWorkload,
  HELD_OUT_WORKLOADS,
  type WorkloadOptions,
  type WorkloadRun,
} from "./workload";

const BULK_SYNC = "b0000000-0000-4000-8000-000000000001";
const MODEL_SYNC = "a0000000-0000-4000-8000-000000000001";

export interface Strategy {
  /** Short key, used in pipeline names and JSON. */
  key: string;
  label: string;
  /** The step's `poll:` YAML, or undefined for the pipelines file's defaults. */
  poll?: string;
  /**
   * The step's timeout, hours: the longest validation accepts for the strategy (a fixed
   * loop's checks over a longer one could reach the history limit, lib/config/history.ts).
   * Runs that do not end within it are out of the strategy's reach and not measured.
   */
  timeoutHours: number;
}

export const STRATEGIES: Strategy[] = [
  { key: "default", label: "default (adaptive, 10 s – 10 min)", timeoutHours: 24 },
  {
    key: "backoff",
    label: "backoff (10 s – 10 min)",
    poll: "{ strategy: backoff }",
    timeoutHours: 24,
  },
  {
    key: "fixed30",
    label: "fixed 30 s",
    poll: "{ strategy: fixed, min: 30s, max: 30s }",
    timeoutHours: 18,
  },
  {
    key: "fixed15",
    label: "fixed 15 s",
    poll: "{ strategy: fixed, min: 15s, max: 15s }",
    timeoutHours: 9,
  },
];

/** Whether `run` ends (queue included) within the strategy's step timeout. */
function inReach(strategy: Strategy, run: WorkloadRun): boolean {
  return run.queue_seconds + run.duration_seconds < strategy.timeoutHours * 3600 - 60;
}

/** Runs shorter than this are "short" (their latency target is absolute). */
export const SHORT_RUN_SECONDS = 600;

export interface RunMeasure {
  index: number;
  duration_seconds: number;
  outlier: boolean;
  status: string;
  polls: number;
  /** Polytomic API calls (status calls, the start, any list call). */
  api_calls: number;
  transitions: number;
  history_events: number;
  latency_seconds: number;
  /** Latency over its bound, max(15 s, 10% of the run's duration); above 1 breaks it. */
  latency_bound_ratio: number;
}

export interface StrategySummary {
  key: string;
  label: string;
  runs: number;
  failed_runs: number;
  polls_mean: number;
  polls_p95: number;
  polls_max: number;
  transitions_mean: number;
  transitions_total: number;
  history_events_mean: number;
  history_events_max: number;
  latency_mean: number;
  latency_p95: number;
  latency_max: number;
  short_runs: number;
  short_latency_mean: number;
  short_latency_p95: number;
  /** Mean over runs of latency / duration, percent. */
  latency_pct_mean: number;
  /** Total latency over total run time, percent. */
  latency_pct_aggregate: number;
  /** Runs whose latency exceeded max(15 s, 10% of the run's duration). */
  over_bound: number;
  worst_bound_ratio: number;
  /** Runs longer than the strategy's step timeout (Strategy.timeoutHours): not measured. */
  out_of_reach?: number;
}

export interface PollingReport {
  /** Which workload: "base", or a HELD_OUT_WORKLOADS key. */
  workload_key?: string;
  workload_label?: string;
  workload: WorkloadOptions & {
    duration_min: number;
    duration_max: number;
    duration_median: number;
    short_runs: number;
    outliers: number;
  };
  strategies: StrategySummary[];
  /** Default vs each fixed loop: default / fixed (below 1 is cheaper). */
  ratios: Record<string, { polls: number; transitions: number; history_events: number }>;
  runs: Record<string, RunMeasure[]>;
  wall_seconds: number;
}

function pipelineName(strategy: Strategy, type: "bulk" | "model"): string {
  return `poll-${strategy.key}-${type}`;
}

/** One one-step pipeline per strategy and sync type. */
export function pollingConfig(strategies: Strategy[]): PipelinesConfig {
  const lines = ["pipelines:"];
  for (const strategy of strategies) {
    for (const type of ["bulk", "model"] as const) {
      lines.push(
        `  ${pipelineName(strategy, type)}:`,
        "    timeout: 48h",
        "    steps:",
        "      - id: run",
        `        ${type}_sync: ${type === "bulk" ? BULK_SYNC : MODEL_SYNC}`,
        `        timeout: ${strategy.timeoutHours}h`,
      );
      if (strategy.poll) lines.push(`        poll: ${strategy.poll}`);
    }
  }
  return parsePipelinesConfig(`${lines.join("\n")}\n`, "bench/polling (generated)");
}

/**
 * The simulator's scenario for one run; with `loss`, it delivers events to a webhook, losing
 * each with that probability (seeded per run: the simulator's event ids repeat across runs).
 */
function scenarioFor(run: WorkloadRun, loss?: number) {
  const id = run.sync_type === "bulk" ? BULK_SYNC : MODEL_SYNC;
  return parseScenario(
    JSON.stringify({
      syncs: {
        [id]: {
          type: run.sync_type,
          name: `workload run ${run.index}`,
          queue_seconds: run.queue_seconds,
          duration_seconds: run.duration_seconds,
          outcome: "completed",
          records: 1000,
          history_seconds: run.history_seconds,
        },
      },
      ...(loss !== undefined ? { webhooks: { loss, seed: run.index + 1 } } : {}),
    }),
    `workload run ${run.index}`,
  );
}

/**
 * One run through the run-sync machine of `strategy`; with `loss`, `app` is synthesized with
 * webhooks and the step waits on the simulator's events, that share of them lost.
 */
export async function measure(
  app: LocalApp,
  config: PipelinesConfig,
  strategy: Strategy,
  run: WorkloadRun,
  loss?: number,
): Promise<RunMeasure> {
  const bench = await runBench({
    app,
    config,
    pipeline: pipelineName(strategy, run.sync_type),
    scenario: scenarioFor(run, loss),
    eventWait: loss !== undefined,
  });
  const child = bench.result.executions[1];
  const execution = bench.simulated[0];
  const seen = execution ? bench.terminalSeenAt.get(execution.id) : undefined;
  if (!child || !execution || execution.completedAt === null || seen === undefined) {
    throw new Error(
      `polling bench: run ${run.index} (${strategy.key}) did not complete: pipeline ${bench.result.status}, ${JSON.stringify(bench.result.error ?? bench.result.steps[0]?.error)}`,
    );
  }
  const latency = (seen - execution.completedAt) / 1000;
  const duration = (execution.completedAt - (execution.startedAt ?? execution.completedAt)) / 1000;
  return {
    index: run.index,
    duration_seconds: duration,
    outlier: run.outlier,
    status: bench.result.status,
    polls: bench.result.polls,
    api_calls: bench.api_calls,
    // Billed: states entered plus retries (a still-running check is a retry of the check Task).
    transitions: billedTransitions(child),
    history_events: historyEvents(app.runSync.definition, child.events),
    latency_seconds: latency,
    latency_bound_ratio: latency / Math.max(15, 0.1 * duration),
  };
}

function summarize(strategy: Strategy, runs: RunMeasure[]): StrategySummary {
  const latencies = runs.map((r) => r.latency_seconds);
  const short = runs.filter((r) => r.duration_seconds < SHORT_RUN_SECONDS);
  const polls = runs.map((r) => r.polls);
  return {
    key: strategy.key,
    label: strategy.label,
    runs: runs.length,
    failed_runs: runs.filter((r) => r.status !== "succeeded").length,
    polls_mean: mean(polls),
    polls_p95: percentile(polls, 95),
    polls_max: Math.max(...polls),
    transitions_mean: mean(runs.map((r) => r.transitions)),
    transitions_total: sum(runs.map((r) => r.transitions)),
    history_events_mean: mean(runs.map((r) => r.history_events)),
    history_events_max: Math.max(...runs.map((r) => r.history_events)),
    latency_mean: mean(latencies),
    latency_p95: percentile(latencies, 95),
    latency_max: Math.max(...latencies),
    short_runs: short.length,
    short_latency_mean: mean(short.map((r) => r.latency_seconds)),
    short_latency_p95: percentile(
      short.map((r) => r.latency_seconds),
      95,
    ),
    latency_pct_mean: 100 * mean(runs.map((r) => r.latency_seconds / r.duration_seconds)),
    latency_pct_aggregate: (100 * sum(latencies)) / sum(runs.map((r) => r.duration_seconds)),
    over_bound: runs.filter((r) => r.latency_bound_ratio > 1).length,
    worst_bound_ratio: Math.max(...runs.map((r) => r.latency_bound_ratio)),
  };
}

/**
 * The default strategy against each fixed loop (default / fixed; below 1 is cheaper), on
 * the runs both measured.
 */
export function ratiosOf(runs: PollingReport["runs"]): PollingReport["ratios"] {
  const ratios: PollingReport["ratios"] = {};
  const base = new Map((runs.default ?? []).map((r) => [r.index, r]));
  for (const [key, fixedRuns] of Object.entries(runs)) {
    if (!key.startsWith("fixed")) continue;
    const pairs = fixedRuns.flatMap((f) => {
      const d = base.get(f.index);
      return d ? [[d, f] as const] : [];
    });
    const total = (pick: (r: RunMeasure) => number, k: 0 | 1) => sum(pairs.map((p) => pick(p[k])));
    ratios[key] = {
      polls: total((r) => r.polls, 0) / total((r) => r.polls, 1),
      transitions: total((r) => r.transitions, 0) / total((r) => r.transitions, 1),
      history_events: total((r) => r.history_events, 0) / total((r) => r.history_events, 1),
    };
  }
  return ratios;
}

/** Merges reports of the same workload run with different strategies (in separate processes). */
export function combinePolling(reports: PollingReport[]): PollingReport {
  const first = reports[0];
  if (!first) throw new Error("combinePolling: no reports");
  const order = STRATEGIES.map((s) => s.key);
  const strategies = reports
    .flatMap((r) => r.strategies)
    .sort((a, b) => order.indexOf(a.key) - order.indexOf(b.key));
  const runs: PollingReport["runs"] = Object.assign({}, ...reports.map((r) => r.runs));
  return {
    ...(first.workload_key ? { workload_key: first.workload_key } : {}),
    ...(first.workload_label ? { workload_label: first.workload_label } : {}),
    workload: first.workload,
    strategies,
    ratios: ratiosOf(runs),
    runs,
    wall_seconds: Math.max(...reports.map((r) => r.wall_seconds)),
  };
}

export interface PollingOptions {
  workload?: WorkloadOptions;
  /** Which workload this is, for the report. @default "base" */
  workloadKey?: string;
  workloadLabel?: string;
  strategies?: Strategy[];
  /** Runs in flight at once (each on its own simulator and clock). */
  concurrency?: number;
  onProgress?: (message: string) => void;
}

export async function benchPolling(options: PollingOptions = {}): Promise<PollingReport> {
  const began = performance.now();
  const workloadOptions = options.workload ?? DEFAULT_WORKLOAD;
  const strategies = options.strategies ?? STRATEGIES;
  const workload = generateWorkload(workloadOptions);
  const config = pollingConfig(strategies);
  const app = synthesizeLocalApp(config);
  const runs: Record<string, RunMeasure[]> = {};
  for (const strategy of strategies) {
    const t0 = performance.now();
    const reachable = workload.filter((run) => inReach(strategy, run));
    runs[strategy.key] = await mapLimit(reachable, options.concurrency ?? 8, (run) =>
      measure(app, config, strategy, run),
    );
    options.onProgress?.(
      `polling: ${strategy.key}, ${workload.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  }
  const summaries = strategies.map((s) => ({
    ...summarize(s, runs[s.key] ?? []),
    out_of_reach: workload.length - (runs[s.key]?.length ?? 0),
  }));
  const durations = workload.map((r) => r.duration_seconds).sort((a, b) => a - b);
  return {
    workload_key: options.workloadKey ?? "base",
    workload_label: options.workloadLabel ?? "base workload",
    workload: {
      ...workloadOptions,
      duration_min: durations[0] ?? 0,
      duration_max: durations[durations.length - 1] ?? 0,
      duration_median: percentile(durations, 50),
      short_runs: durations.filter((d) => d < SHORT_RUN_SECONDS).length,
      outliers: workload.filter((r) => r.outlier).length,
    },
    strategies: summaries,
    ratios: ratiosOf(runs),
    runs,
    wall_seconds: (performance.now() - began) / 1000,
  };
}

/** Strategies every held-out workload runs: the default and the fixed 30 s loop. */
export const HELD_OUT_STRATEGIES = STRATEGIES.filter((s) => ["default", "fixed30"].includes(s.key));

/**
 * One held-out workload (workload.ts), on its report seed (or its tuning seed), with the
 * default and the fixed 30 s loop.
 */
export function benchHeldOut(
  key: string,
  options: { seed?: "report" | "tune"; onProgress?: (message: string) => void } = {},
): Promise<PollingReport> {
  const held = HELD_OUT_WORKLOADS.find((w) => w.key === key);
  if (!held) throw new Error(`unknown held-out workload ${key}`);
  const seed = options.seed === "tune" ? held.tuneSeed : held.reportSeed;
  return benchPolling({
    workload: { ...held.options, seed },
    workloadKey: held.key,
    workloadLabel: held.label,
    strategies: HELD_OUT_STRATEGIES,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
}

/** Per run of a workload: default transitions over fixed 30 s transitions. */
export function perRunCostRatios(report: PollingReport): number[] {
  const fixed = new Map((report.runs.fixed30 ?? []).map((r) => [r.index, r.transitions]));
  return (report.runs.default ?? []).flatMap((r) => {
    const f = fixed.get(r.index);
    return f === undefined ? [] : [r.transitions / f];
  });
}
