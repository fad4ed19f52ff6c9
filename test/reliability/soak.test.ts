/**
 * Soak: 500 simulated pipeline executions (20 rounds of 25 pipelines run at once on one
 * VirtualClock and one simulator per round), random faults on 5% of the API calls, and a
 * random outcome per sync and round. Checks: every execution ended; no sync started twice
 * for one step; every step's status and error are the scenario's truth; nothing is left
 * running at Polytomic.
 */
import { describe, expect, it } from "vitest";
import type { LocalRunResult } from "../../lib/local/runner";
import { config, handlers, pass, runPipeline, stillRunning, uuid, world } from "./harness";

const ROUNDS = 20;
const PIPELINES = 25;
const RATE = 0.05;

/** mulberry32: a small seeded PRNG, so every round's scenario is reproducible. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface StepSpec {
  id: string;
  sync: string;
  type: "model" | "bulk";
  after: string[];
  runAfter: "success" | "completion";
  maxErrors: number;
  failOnWarnings: boolean;
  timeoutSeconds: number;
}

/** Pipeline i: 2, 3 or 4 steps, distinct syncs, a mix of policies. */
function pipelineSteps(i: number): StepSpec[] {
  const s = (n: number, over: Partial<StepSpec>): StepSpec => ({
    id: `s${n}`,
    sync: uuid(1000 + i * 10 + n),
    type: n % 2 === 0 ? "bulk" : "model",
    after: [],
    runAfter: "success",
    maxErrors: 0,
    failOnWarnings: false,
    timeoutSeconds: 600,
    ...over,
  });
  switch (i % 3) {
    case 0:
      return [s(0, {}), s(1, { after: ["s0"], maxErrors: 10 })];
    case 1:
      return [
        s(0, { timeoutSeconds: 900 }),
        s(1, { after: ["s0"], failOnWarnings: true }),
        s(2, { after: [], runAfter: "success" }),
      ];
    default:
      return [
        s(0, {}),
        s(1, { after: ["s0"], runAfter: "completion" }),
        s(2, { after: ["s0"], maxErrors: 5 }),
        s(3, { after: ["s1", "s2"] }),
      ];
  }
}

const SPECS = Array.from({ length: PIPELINES }, (_, i) => pipelineSteps(i));

const CONFIG = config(
  `pipelines:\n${SPECS.map(
    (steps, i) => `  p${i}:
    timeout: 6h
    defaults:
      poll: { min: 1m, max: 5m }
    steps:
${steps
  .map(
    (s) => `      - id: ${s.id}
        ${s.type}_sync: ${s.sync}
        after: [${s.after.join(", ")}]
        run_after: ${s.runAfter}
        max_errors: ${s.maxErrors}
        fail_on_warnings: ${s.failOnWarnings}
        timeout: ${s.timeoutSeconds}s`,
  )
  .join("\n")}`,
  ).join("\n")}\n`,
);

type Outcome =
  | "completed"
  | "warnings"
  | "completed_with_errors"
  | "failed"
  | "canceled"
  | "interrupted"
  | "errors";

interface Truth {
  outcome: Outcome;
  /** Seconds until terminal (queue + running). */
  seconds: number;
}

function drawTruth(rand: () => number, type: "model" | "bulk", timeout: number): Truth {
  const r = rand();
  const outcomes: Outcome[] =
    type === "bulk"
      ? ["failed", "canceled", "interrupted", "completed_with_errors", "warnings", "errors"]
      : ["failed", "canceled", "interrupted", "completed_with_errors", "warnings"];
  const outcome: Outcome =
    r < 0.6 ? "completed" : (outcomes[Math.floor(rand() * outcomes.length)] ?? "completed");
  // Well inside the step's timeout, or well past it (1 in 12).
  const seconds =
    rand() < 1 / 12 ? timeout * 2 + Math.floor(rand() * 600) : 20 + Math.floor(rand() * 200);
  return { outcome, seconds };
}

function scenarioYaml(truths: Map<string, { spec: StepSpec; truth: Truth }>, seed: number) {
  const lines = [`random_faults: { rate: ${RATE}, seed: ${seed} }`, "syncs:"];
  for (const { spec, truth } of truths.values()) {
    const outcome = truth.outcome === "warnings" ? "completed" : truth.outcome;
    lines.push(
      `  ${spec.sync}:`,
      `    type: ${spec.type}`,
      "    queue_seconds: 5",
      `    duration_seconds: ${truth.seconds - 5}`,
      `    outcome: ${outcome}`,
      "    records: 100",
      `    errors: ${truth.outcome === "completed_with_errors" || truth.outcome === "errors" ? 3 : 0}`,
      `    warnings: ${truth.outcome === "warnings" ? 2 : 0}`,
      "    export_seconds: 2",
    );
  }
  return lines.join("\n");
}

interface Expected {
  status: "succeeded" | "failed" | "skipped";
  error?: string;
}

/** The scenario's truth for one step, from the spec's rules (independent of the handlers). */
function expectedStep(spec: StepSpec, truth: Truth): Expected {
  if (truth.seconds > spec.timeoutSeconds) return { status: "failed", error: "Sync.TimedOut" };
  switch (truth.outcome) {
    case "completed":
      return { status: "succeeded" };
    case "warnings":
      return spec.failOnWarnings
        ? { status: "failed", error: "Sync.WarningsNotAllowed" }
        : { status: "succeeded" };
    case "completed_with_errors":
      return 3 > spec.maxErrors
        ? { status: "failed", error: "Sync.CompletedWithErrors" }
        : { status: "succeeded" };
    case "errors":
      return { status: "failed", error: "Sync.CompletedWithErrors" };
    case "failed":
      return { status: "failed", error: "Sync.Failed" };
    case "canceled":
      return { status: "failed", error: "Sync.Canceled" };
    case "interrupted":
      return { status: "failed", error: "Sync.Interrupted" };
  }
}

function expectedPipeline(
  steps: StepSpec[],
  truths: Map<string, { spec: StepSpec; truth: Truth }>,
): Map<string, Expected> {
  const out = new Map<string, Expected>();
  for (const spec of steps) {
    const deps = spec.after.map((id) => out.get(id)?.status);
    const runs =
      spec.runAfter === "completion"
        ? deps.every((d) => d !== "skipped")
        : deps.every((d) => d === "succeeded");
    const truth = truths.get(spec.sync)?.truth as Truth;
    out.set(spec.id, runs ? expectedStep(spec, truth) : { status: "skipped" });
  }
  return out;
}

describe("soak", () => {
  it(`${ROUNDS * PIPELINES} pipeline executions with ${RATE * 100}% random API faults end as the scenario says`, async () => {
    let executions = 0;
    let faults = 0;
    let stepsRun = 0;
    let requests = 0;
    const problems: string[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      const rand = prng(round + 1);
      const truths = new Map<string, { spec: StepSpec; truth: Truth }>();
      for (const steps of SPECS) {
        for (const spec of steps)
          truths.set(spec.sync, { spec, truth: drawTruth(rand, spec.type, spec.timeoutSeconds) });
      }
      const w = await world(scenarioYaml(truths, round + 1), { validateResponses: false });
      try {
        const h = handlers(w, { logLevel: "error" });
        const results: LocalRunResult[] = await Promise.all(
          SPECS.map((_, i) =>
            runPipeline(w, h, CONFIG, `p${i}`, { executionName: `p${i}-round-${round}` }),
          ),
        );
        await pass(w, 300); // cancels reach `canceled`
        executions += results.length;
        faults += w.sim.randomFaultCount();
        requests += w.sim.requests().filter((r) => r.endpoint !== "download").length;
        results.forEach((result, i) => {
          const steps = SPECS[i] as StepSpec[];
          const expected = expectedPipeline(steps, truths);
          const where = `round ${round} p${i}`;
          for (const spec of steps) {
            const want = expected.get(spec.id) as Expected;
            const got = result.steps.find((s) => s.id === spec.id);
            const gotView = { status: got?.status, error: got?.error?.name };
            const wantView = { status: want.status, error: want.error };
            if (JSON.stringify(gotView) !== JSON.stringify(wantView)) {
              problems.push(
                `${where} ${spec.id} (${JSON.stringify(truths.get(spec.sync)?.truth)}): got ${JSON.stringify(gotView)} ${got?.error?.message ?? ""}, want ${JSON.stringify(wantView)}`,
              );
            }
            const starts = w.sim.startCount(spec.sync);
            const wantStarts = want.status === "skipped" ? 0 : 1;
            if (starts !== wantStarts)
              problems.push(`${where} ${spec.id}: started ${starts} times, want ${wantStarts}`);
            if (want.status !== "skipped") stepsRun++;
          }
          const anyFailed = [...expected.values()].some((e) => e.status === "failed");
          if (result.status !== (anyFailed ? "failed" : "succeeded"))
            problems.push(`${where}: pipeline ${result.status}`);
        });
        for (const running of stillRunning(w))
          problems.push(`round ${round}: left running ${running}`);
      } finally {
        await w.close();
      }
    }
    expect(problems).toEqual([]);
    expect(executions).toBe(ROUNDS * PIPELINES);
    // The faults really happened: about 5% of a few tens of thousands of calls.
    expect(faults / requests).toBeGreaterThan(RATE * 0.6);
    expect(faults / requests).toBeLessThan(RATE * 1.4);
    console.log(
      `soak: ${executions} pipeline executions, ${stepsRun} steps run, ${requests} API calls, ${faults} random faults`,
    );
  }, 600_000);
});
