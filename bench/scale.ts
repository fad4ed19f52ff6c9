import type { AslDefinition } from "../lib/asl/definition";
import { parsePipelinesConfig } from "../lib/config/load";
import { synthesizeDefinitions } from "../lib/constructs/definitions";
import { parseScenario } from "../simulator/scenario";
import { BENCH_EPOCH, runBench, synthesizeLocalApp } from "./harness";
import { historyEvents } from "./history-events";
import { Prng } from "./prng";

export const SCALE_STEPS = 200;
export const DAY_SYNC_SECONDS = 23.5 * 3600;
export const HISTORY_TARGET = 20_000;
export const HISTORY_QUOTA = 25_000;
export const DEFINITION_QUOTA_BYTES = 1024 * 1024;

const syncId = (i: number) => `d0000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;

interface ScaleStep {
  id: string;
  after: string[];
}

function scaleSteps(): ScaleStep[] {
  const rng = new Prng(200);
  const half = SCALE_STEPS / 2;
  const steps: ScaleStep[] = [];
  for (let i = 0; i < half; i++) steps.push({ id: `load_${i}`, after: [] });
  for (let i = 0; i < half; i++) {
    const deps = new Set<number>();
    const n = rng.int(1, 3);
    while (deps.size < n) deps.add(rng.int(0, half - 1));
    steps.push({ id: `push_${i}`, after: [...deps].sort((a, b) => a - b).map((d) => `load_${d}`) });
  }
  return steps;
}

function scaleYaml(steps: ScaleStep[], name: string, poll?: string): string {
  const lines = ["pipelines:", `  ${name}:`, "    timeout: 48h", "    steps:"];
  steps.forEach((s, i) => {
    lines.push(`      - id: ${s.id}`, `        bulk_sync: ${syncId(i)}`, "        timeout: 24h");
    if (s.after.length > 0) lines.push(`        after: [${s.after.join(", ")}]`);
    if (poll) lines.push(`        poll: ${poll}`);
  });
  return `${lines.join("\n")}\n`;
}

function scaleScenario(count: number) {
  const syncs: Record<string, unknown> = {};
  const rng = new Prng(24);
  for (let i = 0; i < count; i++) {
    syncs[syncId(i)] = {
      type: "bulk",
      name: `day sync ${i}`,
      queue_seconds: 10,
      duration_seconds: DAY_SYNC_SECONDS,
      outcome: "completed",
      records: 1000,
      history_seconds: [0, 1, 2, 3, 4].map(() => Math.round(rng.logNormal(DAY_SYNC_SECONDS, 0.1))),
    };
  }
  return parseScenario(JSON.stringify({ syncs }), "bench/scale");
}

/** The first failed step's error, else the pipeline's, shortened for the report. */
function scaleError(result: {
  steps: Array<{ id: string; error?: { name: string; message: string } }>;
  error?: { name: string; message: string };
}): string {
  const step = result.steps.find((s) => s.error);
  const error = step?.error ?? result.error;
  const text = error
    ? `${step ? `step ${step.id}: ` : ""}${error.name}: ${error.message}`
    : "unknown";
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}

export interface ExecutionSize {
  name: string;
  transitions: number;
  history_events: number;
}

export interface ScaleReport {
  steps: number;
  sync_hours: number;
  synth_seconds: number;
  definition_bytes: number;
  run_sync_definition_bytes: number;
  definition_states: number;
  status: string;
  /** The pipeline's error, when it did not succeed. */
  error?: string;
  makespan_hours: number;
  pipeline: ExecutionSize;
  largest_child: ExecutionSize;
  total_transitions: number;
  polls: number;
  /**
   * One day-long step polled every 30 s, for comparison; or, since validation refuses
   * such a step (lib/config/history.ts), why it could not run.
   */
  fixed30_child: ExecutionSize | { refused: string };
  wall_seconds: number;
}

/** One day-long step with a fixed 30 s loop: the size of its child execution. */
async function fixed30Reference(): Promise<ExecutionSize | { refused: string }> {
  const oneStep = [{ id: "load_0", after: [] }];
  let fixedConfig: ReturnType<typeof parsePipelinesConfig>;
  try {
    fixedConfig = parsePipelinesConfig(
      scaleYaml(oneStep, "scale_fixed30", "{ strategy: fixed, min: 30s, max: 30s }"),
      "bench/scale fixed30 (generated)",
    );
  } catch (error) {
    return { refused: (error as Error).message.split("\n")[0] ?? "refused" };
  }
  const fixedApp = synthesizeLocalApp(fixedConfig);
  const fixed = await runBench({
    app: fixedApp,
    config: fixedConfig,
    pipeline: "scale_fixed30",
    scenario: scaleScenario(1),
  });
  const fixedChild = fixed.result.executions[1];
  return {
    name: fixedChild?.name ?? "none",
    transitions: fixedChild?.stateTransitions ?? 0,
    history_events: fixedChild ? historyEvents(fixedApp.runSync.definition, fixedChild.events) : 0,
  };
}

/** States in a definition, those of Parallel branches included. */
function countStates(d: AslDefinition): number {
  let states = 0;
  for (const s of Object.values(d.States)) {
    states++;
    for (const b of s.Branches ?? []) states += countStates(b);
  }
  return states;
}

export async function benchScale(
  options: { onProgress?: (m: string) => void } = {},
): Promise<ScaleReport> {
  const began = performance.now();
  const steps = scaleSteps();
  const config = parsePipelinesConfig(scaleYaml(steps, "scale"), "bench/scale (generated)");
  const synthStart = performance.now();
  const synthesized = synthesizeDefinitions(config);
  const synthSeconds = (performance.now() - synthStart) / 1000;
  const definition = synthesized.pipelines.scale as AslDefinition;
  options.onProgress?.(`scale: synthesized in ${synthSeconds.toFixed(1)} s`);

  const app = synthesizeLocalApp(config);
  const bench = await runBench({
    app,
    config,
    pipeline: "scale",
    scenario: scaleScenario(SCALE_STEPS),
    startMs: BENCH_EPOCH,
  });
  const result = bench.result;
  options.onProgress?.(`scale: ran in ${((performance.now() - began) / 1000).toFixed(1)} s`);
  const sizes: ExecutionSize[] = result.executions.map((e, i) => ({
    name: e.name,
    transitions: e.stateTransitions,
    history_events: historyEvents(i === 0 ? definition : app.runSync.definition, e.events),
  }));
  const [pipeline, ...children] = sizes;
  const largestChild = children.reduce(
    (a, b) => (b.history_events > a.history_events ? b : a),
    children[0] ?? { name: "none", transitions: 0, history_events: 0 },
  );

  const fixed30 = await fixed30Reference();
  return {
    steps: SCALE_STEPS,
    sync_hours: DAY_SYNC_SECONDS / 3600,
    synth_seconds: synthSeconds,
    definition_bytes: Buffer.byteLength(JSON.stringify(definition)),
    run_sync_definition_bytes: Buffer.byteLength(JSON.stringify(synthesized.runSync)),
    definition_states: countStates(definition),
    status: result.status,
    ...(result.status !== "succeeded" ? { error: scaleError(result) } : {}),
    makespan_hours: (Date.parse(result.finished_at) - Date.parse(result.started_at)) / 3_600_000,
    pipeline: pipeline ?? { name: "none", transitions: 0, history_events: 0 },
    largest_child: largestChild,
    total_transitions: result.state_transitions,
    polls: result.polls,
    fixed30_child: fixed30,
    wall_seconds: (performance.now() - began) / 1000,
  };
}
