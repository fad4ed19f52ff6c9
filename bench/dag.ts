/**
 * Benchmark 2, DAG timing: each DAG of dags.ts runs through `runPipelineLocally` (the
 * public runner: synthesized pipeline and run-sync machines, real handlers, simulator on
 * a virtual clock), once with the default polling and once with a fixed 30 s loop.
 *
 * Checks (a violation throws, failing the bench): no step's child execution started
 * before each of its dependencies' child executions ended, and no step's Polytomic run
 * was created before each dependency's run completed.
 *
 * Reports the makespan against two critical paths: of the Polytomic work (queue + run
 * of each step) and of the steps as observed (child start to child end, so detection
 * latency, log export and metrics included). The second difference is pure scheduling
 * delay (a barrier or an implied dependency would show there); the first is what a
 * user waits beyond the work itself, allowed one poll interval per critical-path edge.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { stillRunningSeconds } from "../functions/core/error-names";
import { parsePipelinesConfig } from "../lib/config/load";
import { WAIT_FOR_STEP_STATES } from "../lib/constructs/wait-for-step-state-machine";
import { billedTransitions, type EventLog } from "../lib/local/engine";
import { runPipelineLocally } from "../lib/local/runner";
import { VirtualClock } from "../lib/local/virtual-clock";
import { parseScenario } from "../simulator/scenario";
import { startSimulator } from "../simulator/server";
import { benchDags, type Dag } from "./dags";
import { BENCH_EPOCH } from "./harness";
import { sum } from "./stats";

export interface DagStrategy {
  key: string;
  label: string;
  poll?: string;
}

export const DAG_STRATEGIES: DagStrategy[] = [
  { key: "default", label: "default (adaptive)" },
  { key: "fixed30", label: "fixed 30 s", poll: "{ strategy: fixed, min: 30s, max: 30s }" },
];

export interface StepTiming {
  id: string;
  after: string[];
  child_start_s: number;
  child_end_s: number;
  run_created_s: number;
  run_completed_s: number;
  /** The last wait before check-status saw the run terminal, seconds. */
  final_poll_interval_s: number;
}

export interface DagResult {
  dag: string;
  shape: string;
  series_parallel: boolean;
  /** A held-out DAG (dags.ts): its gate figures are not in-sample. */
  held_out: boolean;
  strategy: string;
  steps: number;
  status: string;
  makespan_s: number;
  /** Longest path of Polytomic work (queue + run). */
  critical_path_work_s: number;
  critical_path_steps: string[];
  /** Longest path of observed step spans (child start to end). */
  critical_path_observed_s: number;
  /** makespan - critical path of observed spans: time lost to scheduling. */
  scheduling_delay_s: number;
  /** makespan - critical path of work. */
  excess_s: number;
  /** One poll interval per critical-path edge: the final poll intervals of its steps. */
  allowance_s: number;
  /** excess / allowance: at most 1 meets the target. */
  excess_in_intervals: number;
  excess_per_edge_s: number;
  within_target: boolean;
  /** Dependency checks made (every edge, twice: child executions and Polytomic runs). */
  checked_edges: number;
  /** Billed state transitions of the whole pipeline: every execution, retries included. */
  transitions: number;
  /** Gates (wait-for-step executions) and their billed transitions. */
  gates: number;
  gate_transitions: number;
  /**
   * The gates' polling: Describe's entries and retries and the Wait loop's states (not
   * Init, Attach, Status? or the result), billed transitions.
   */
  gate_polling_transitions: number;
}

const W = WAIT_FOR_STEP_STATES;
const POLLING_STATES = new Set<string>([W.describe, W.wait, W.lastEntry, W.backOff]);

/** A gate's polling transitions: its polling states entered and its retries. */
function gatePolling(execution: { events: readonly EventLog[] }): number {
  return execution.events.filter(
    (e) =>
      e.type === "StateRetried" || (e.type === "StateEntered" && POLLING_STATES.has(e.state.name)),
  ).length;
}

/** A wait-for-step (gate) execution, by its state machine's name in the ARN. */
function isGate(execution: { executionArn: string }): boolean {
  return execution.executionArn.includes(":wait-for-step:");
}

/** A step started before a dependency ended: the bench fails loudly on it. */
export class DependencyViolation extends Error {
  override name = "DependencyViolation";
}

const SYNC_PREFIX = "c0000000-0000-4000-8000-";
const syncId = (index: number) => `${SYNC_PREFIX}${String(index + 1).padStart(12, "0")}`;

function configFor(dag: Dag, strategy: DagStrategy) {
  const lines = ["pipelines:", `  dag_${dag.name}:`, "    timeout: 48h", "    steps:"];
  dag.steps.forEach((s, i) => {
    lines.push(`      - id: ${s.id}`, `        bulk_sync: ${syncId(i)}`, "        timeout: 12h");
    if (s.after.length > 0) lines.push(`        after: [${s.after.join(", ")}]`);
    if (strategy.poll) lines.push(`        poll: ${strategy.poll}`);
  });
  return parsePipelinesConfig(`${lines.join("\n")}\n`, `bench/dag ${dag.name} (generated)`);
}

function scenarioFor(dag: Dag) {
  const syncs: Record<string, unknown> = {};
  dag.steps.forEach((s, i) => {
    syncs[syncId(i)] = {
      type: "bulk",
      name: `${dag.name} ${s.id}`,
      queue_seconds: s.queue_seconds,
      duration_seconds: s.duration_seconds,
      outcome: "completed",
      records: 100,
      history_seconds: [s.duration_seconds, s.duration_seconds, s.duration_seconds],
    };
  });
  return parseScenario(JSON.stringify({ syncs }), `bench/dag ${dag.name}`);
}

/** Longest path through the DAG with per-step weights; returns length and path. */
export function longestPath(
  steps: ReadonlyArray<{ id: string; after: string[] }>,
  weight: (id: string) => number,
): { length: number; path: string[] } {
  const best = new Map<string, { length: number; path: string[] }>();
  const visit = (id: string): { length: number; path: string[] } => {
    const known = best.get(id);
    if (known) return known;
    const s = steps.find((x) => x.id === id);
    if (!s) throw new Error(`longestPath: unknown step ${id}`);
    let before = { length: 0, path: [] as string[] };
    for (const dep of s.after) {
      const p = visit(dep);
      if (p.length > before.length) before = p;
    }
    const result = { length: before.length + weight(id), path: [...before.path, id] };
    best.set(id, result);
    return result;
  };
  let top = { length: 0, path: [] as string[] };
  for (const s of steps) {
    const p = visit(s.id);
    if (p.length > top.length) top = p;
  }
  return top;
}

type PipelineRun = Awaited<ReturnType<typeof runPipelineLocally>>;
type SimulatorRun = ReturnType<Awaited<ReturnType<typeof startSimulator>>["executions"]>[number];

/** When each step's child execution was first seen going and first seen ended (clock ms). */
interface ChildTimes {
  start: Map<string, number>;
  end: Map<string, number>;
}

async function runDag(dag: Dag, strategy: DagStrategy): Promise<DagResult> {
  const config = configFor(dag, strategy);
  const pipeline = `dag_${dag.name}`;
  const clock = new VirtualClock(BENCH_EPOCH);
  const simulator = await startSimulator({ scenario: scenarioFor(dag), clock });
  const outDir = await mkdtemp(join(tmpdir(), "orchestrator-bench-dag-"));
  const child: ChildTimes = { start: new Map(), end: new Map() };
  try {
    const result = await runPipelineLocally({
      config,
      pipeline,
      polytomic: { baseUrl: simulator.url, apiKey: "bench-key" },
      clock,
      outDir,
      executionName: `bench-${pipeline}`.slice(0, 80),
      onEvent: (event) => {
        if (event.type !== "step") return;
        const { step, state } = event.progress;
        if ((state === "queued" || state === "running") && !child.start.has(step)) {
          child.start.set(step, clock.now());
        }
        if ((state === "succeeded" || state === "failed") && !child.end.has(step)) {
          child.end.set(step, clock.now());
        }
      },
    });
    if (result.status !== "succeeded") {
      throw new Error(
        `DAG bench: pipeline ${pipeline} (${strategy.key}) ${result.status}: ${JSON.stringify(result.error)}`,
      );
    }
    const runs = simulator.executions().filter((e) => !e.history);
    const timings = stepTimings(dag, pipeline, result, runs, child);
    const checked = checkDependencies(timings, `${pipeline} (${strategy.key})`);
    return summarize(dag, strategy, result, timings, checked);
  } finally {
    await simulator.close();
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * Each step's last wait before check-status saw its run terminal, from the child histories:
 * a Wait's seconds, or a still-running check's (the retry loop: its error names them).
 */
function finalPollIntervals(result: PipelineRun): Map<string, number> {
  const finalInterval = new Map<string, number>();
  for (const execution of result.executions.slice(1)) {
    let stepId: string | undefined;
    let last = 0;
    for (const event of execution.events) {
      if (event.type === "StateFailed") last = stillRunningSeconds(event.Error) ?? last;
      if (event.type !== "StateEntered") continue;
      const input = event.state.input as {
        step?: string;
        check?: { next_poll_seconds?: number };
      } | null;
      stepId ??= input?.step;
      if (event.state.type === "Wait") last = input?.check?.next_poll_seconds ?? last;
    }
    if (stepId) finalInterval.set(stepId, last);
  }
  return finalInterval;
}

/** Every step's child execution span and Polytomic run span, in seconds from the start. */
function stepTimings(
  dag: Dag,
  pipeline: string,
  result: PipelineRun,
  runs: SimulatorRun[],
  child: ChildTimes,
): StepTiming[] {
  const t0 = Date.parse(result.started_at);
  const sec = (ms: number) => (ms - t0) / 1000;
  const finalInterval = finalPollIntervals(result);
  return dag.steps.map((s, i) => {
    const run = runs.find((r) => r.syncId === syncId(i));
    const start = child.start.get(s.id);
    const end = child.end.get(s.id);
    if (!run || run.completedAt === null || start === undefined || end === undefined) {
      throw new Error(`DAG bench: ${pipeline} step ${s.id} did not run to the end`);
    }
    return {
      id: s.id,
      after: s.after,
      child_start_s: sec(start),
      child_end_s: sec(end),
      run_created_s: sec(run.createdAt),
      run_completed_s: sec(run.completedAt),
      final_poll_interval_s: finalInterval.get(s.id) ?? 0,
    };
  });
}

/** Throws DependencyViolation when a step started before a dependency ended; returns the checks made. */
function checkDependencies(timings: StepTiming[], what: string): number {
  const byId = new Map(timings.map((t) => [t.id, t]));
  let checked = 0;
  const violations: string[] = [];
  for (const t of timings) {
    for (const dep of t.after) {
      const d = byId.get(dep) as StepTiming;
      checked += 2;
      if (t.child_start_s < d.child_end_s) {
        violations.push(
          `${t.id} started at ${t.child_start_s}s, before its dependency ${dep} ended at ${d.child_end_s}s`,
        );
      }
      if (t.run_created_s < d.run_completed_s) {
        violations.push(
          `${t.id}'s Polytomic run was created at ${t.run_created_s}s, before ${dep}'s completed at ${d.run_completed_s}s`,
        );
      }
    }
  }
  if (violations.length > 0) {
    throw new DependencyViolation(
      `DAG bench: ${what} broke its dependencies:\n  ${violations.join("\n  ")}`,
    );
  }
  return checked;
}

/** The makespan against the critical paths of work and of observed spans. */
function summarize(
  dag: Dag,
  strategy: DagStrategy,
  result: PipelineRun,
  timings: StepTiming[],
  checked: number,
): DagResult {
  const byId = new Map(timings.map((t) => [t.id, t]));
  const get = (id: string) => byId.get(id) as StepTiming;
  const makespan = (Date.parse(result.finished_at) - Date.parse(result.started_at)) / 1000;
  const work = longestPath(dag.steps, (id) => get(id).run_completed_s - get(id).run_created_s);
  const observed = longestPath(dag.steps, (id) => get(id).child_end_s - get(id).child_start_s);
  const allowance = work.path.reduce((a, id) => a + get(id).final_poll_interval_s, 0);
  const excess = makespan - work.length;
  return {
    dag: dag.name,
    shape: dag.shape,
    series_parallel: dag.series_parallel,
    held_out: dag.held_out === true,
    strategy: strategy.key,
    steps: dag.steps.length,
    status: result.status,
    makespan_s: makespan,
    critical_path_work_s: work.length,
    critical_path_steps: work.path,
    critical_path_observed_s: observed.length,
    scheduling_delay_s: makespan - observed.length,
    excess_s: excess,
    allowance_s: allowance,
    excess_in_intervals: allowance > 0 ? excess / allowance : excess > 0 ? Infinity : 0,
    excess_per_edge_s: excess / work.path.length,
    within_target: excess <= allowance,
    checked_edges: checked,
    transitions: sum(result.executions.map(billedTransitions)),
    gates: result.executions.filter(isGate).length,
    gate_transitions: sum(result.executions.filter(isGate).map(billedTransitions)),
    gate_polling_transitions: sum(result.executions.filter(isGate).map(gatePolling)),
  };
}

export interface DagFailure {
  dag: string;
  shape: string;
  strategy: string;
  /** Why the pipeline did not run to the end (a defect to fix, reported, never hidden). */
  error: string;
}

export interface DagReport {
  results: DagResult[];
  failures: DagFailure[];
  wall_seconds: number;
}

export async function benchDag(
  options: { strategies?: DagStrategy[]; onProgress?: (m: string) => void } = {},
): Promise<DagReport> {
  const began = performance.now();
  const results: DagResult[] = [];
  const failures: DagFailure[] = [];
  for (const strategy of options.strategies ?? DAG_STRATEGIES) {
    for (const dag of benchDags()) {
      try {
        results.push(await runDag(dag, strategy));
      } catch (error) {
        if (error instanceof DependencyViolation) throw error;
        failures.push({
          dag: dag.name,
          shape: dag.shape,
          strategy: strategy.key,
          error: (error as Error).message,
        });
      }
    }
    options.onProgress?.(`dag: ${strategy.key} done`);
  }
  return { results, failures, wall_seconds: (performance.now() - began) / 1000 };
}
