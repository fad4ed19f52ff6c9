/**
 * Non-series-parallel pipelines end to end: the synthesized definitions (with gates) run
 * in the local engine through runPipelineLocally, the real handlers, and the simulator
 * over HTTP, on a virtual clock. Every step must start no earlier than its dependencies
 * end and no later than one gate interval after; skips follow the real dependencies.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterEach, describe, expect, it } from "vitest";
import { decompose } from "../../../lib/asl/series-parallel";
import { loadPipelinesConfig } from "../../../lib/config/load";
import type { PipelineConfig, PipelinesConfig, StepConfig } from "../../../lib/config/model";
import { gateSchedule } from "../../../lib/constructs/pipeline-state-machine";
import { type LocalRunResult, runPipelineLocally } from "../../../lib/local/runner";
import { scenarioFromConfig, scenarioSyncId } from "../../../lib/local/scenario-from-config";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { type RunningSimulator, type Scenario, startSimulator } from "../../../simulator";
import { pipeline, step } from "../../fixtures/cdk/config";

const T0 = Date.UTC(2026, 0, 5, 7, 0, 0);
const POLL = { strategy: "adaptive" as const, min_seconds: 10, max_seconds: 300 };

function uuid(n: number): string {
  return `9f1c0d2e-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

/** A model step with its own sync and the given dependencies. */
function modelStep(id: string, n: number, after: string[] = [], more: Partial<StepConfig> = {}) {
  return step(id, after, { sync: { id: uuid(n) }, poll: POLL, timeout_seconds: 4 * 3600, ...more });
}

/** a->c, b->c, b->d, with x->b first so that the gated-on b can be skipped. */
function nShape(overrides: Record<string, Partial<StepConfig>> = {}): PipelineConfig {
  return pipeline(
    "n_shape",
    [
      modelStep("a", 1, [], overrides.a),
      modelStep("x", 2, [], overrides.x),
      modelStep("b", 3, ["x"], overrides.b),
      modelStep("c", 4, ["a", "b"], overrides.c),
      modelStep("d", 5, ["b"], overrides.d),
    ],
    { timeout_seconds: 12 * 3600 },
  );
}

interface Timing {
  start?: number;
  end?: number;
}

interface Run {
  result: LocalRunResult;
  timing: Map<string, Timing>;
  /** When the pipeline started (simulated epoch ms). */
  t0: number;
}

let sim: RunningSimulator | undefined;
let outDir: string | undefined;
afterEach(async () => {
  await sim?.close();
  sim = undefined;
  if (outDir) await rm(outDir, { recursive: true, force: true });
  outDir = undefined;
});

async function run(
  config: PipelinesConfig,
  name: string,
  tune: (scenario: Scenario, syncOf: (step: string) => string) => void = () => {},
): Promise<Run> {
  const clock = new VirtualClock(T0);
  const scenario = scenarioFromConfig(config, name);
  const steps = config.pipelines.find((p) => p.name === name)?.steps ?? [];
  const syncOf = (id: string) => scenarioSyncId(steps.find((s) => s.id === id) as StepConfig);
  tune(scenario, syncOf);
  sim = await startSimulator({ scenario, clock, sleep: (ms: number) => clock.sleep(ms) });
  outDir = await mkdtemp(join(tmpdir(), "gates-"));
  const timing = new Map<string, Timing>();
  const t0 = clock.now();
  const result = await runPipelineLocally({
    config,
    pipeline: name,
    polytomic: { baseUrl: sim.url, apiKey: "gates-test-key" },
    clock,
    outDir,
    executionName: `${name}-test`,
    onEvent: (e) => {
      if (e.type !== "step") return;
      const t = timing.get(e.progress.step) ?? {};
      if (t.start === undefined && e.progress.started_at)
        t.start = Date.parse(e.progress.started_at);
      if (
        t.end === undefined &&
        (e.progress.state === "succeeded" || e.progress.state === "failed")
      )
        t.end = clock.now();
      timing.set(e.progress.step, t);
    },
  });
  return { result, timing, t0 };
}

function durations(
  scenario: Scenario,
  syncOf: (step: string) => string,
  seconds: Record<string, number>,
) {
  for (const [id, s] of Object.entries(seconds)) {
    const sync = scenario.syncs[syncOf(id)];
    if (!sync) throw new Error(`no sync for ${id}`);
    sync.queue_seconds = 0;
    sync.duration_seconds = s;
  }
}

/**
 * Every step that ran starts no earlier than each dependency ended, and no later than
 * the latest dependency end plus one gate interval (the dependency's poll.max) when it
 * was gated, or at once when the Parallel structure orders it. Returns each step's
 * delay after its last dependency ended (ms).
 */
function expectExactTiming(p: PipelineConfig, r: Run): Map<string, number> {
  const { gated } = decompose(p.steps.map((s) => ({ id: s.id, after: s.after })));
  const delays = new Map<string, number>();
  for (const s of p.steps) {
    const start = r.timing.get(s.id)?.start;
    if (start === undefined) continue;
    const ends = s.after.map((d) => r.timing.get(d)?.end ?? Number.NaN);
    for (const [i, end] of ends.entries()) {
      expect(start, `${s.id} starts after ${s.after[i]} ends`).toBeGreaterThanOrEqual(end);
    }
    const last = Math.max(r.t0, ...ends);
    const delay = start - last;
    const gatedOn = gated.filter((g) => g.step === s.id).map((g) => g.dependsOn);
    const bound =
      gatedOn.length === 0
        ? 0
        : Math.max(...gatedOn.map((d) => p.steps.find((x) => x.id === d)?.poll.max_seconds ?? 0));
    expect(delay, `${s.id} starts within one gate interval`).toBeLessThanOrEqual(bound * 1000);
    delays.set(s.id, delay);
  }
  return delays;
}

describe("non-series-parallel pipelines in the local engine", () => {
  it("the N shape: no step waits for an unrelated one; the gated step starts within 10% of its wait", async () => {
    const p = nShape();
    const config: PipelinesConfig = { source: "test", pipelines: [p] };
    expect(decompose(p.steps.map((s) => ({ id: s.id, after: s.after }))).gated).toEqual([
      { step: "c", dependsOn: "b" },
    ]);
    const r = await run(config, "n_shape", (sc, syncOf) =>
      durations(sc, syncOf, { a: 20 * 60, x: 30 * 60, b: 90 * 60, c: 10 * 60, d: 5 * 60 }),
    );
    expect(r.result.error).toBeUndefined();
    expect(r.result.status).toBe("succeeded");
    expect(r.result.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "succeeded"],
      ["x", "succeeded"],
      ["b", "succeeded"],
      ["c", "succeeded"],
      ["d", "succeeded"],
    ]);
    const t = (id: string) => r.timing.get(id) as Required<Timing>;
    // Both sources start at once; d follows b at once (same branch).
    expect(t("a").start).toBe(r.t0);
    expect(t("x").start).toBe(r.t0);
    const delays = expectExactTiming(p, r);
    expect(delays.get("d")).toBe(0);
    expect(delays.get("b")).toBe(0);
    // c's gate began when a ended (its branch) and waited for b: it polled while b had
    // not started (x first), then attached to b's running child and saw it end at once.
    const waited = (t("c").start - t("a").end) / 1000;
    expect(waited).toBeGreaterThan(60 * 60);
    expect(delays.get("c")).toBe(0);
    const gates = r.result.executions.filter((e) => e.executionArn.includes(":wait-for-step:"));
    expect(gates).toHaveLength(1);
    expect(gates[0]?.status).toBe("SUCCEEDED");
    const entered = (gates[0]?.events ?? [])
      .filter((e) => e.type === "StateEntered")
      .map((e) => ("state" in e ? e.state.name : ""));
    expect(entered.filter((n) => n === "Attach")).toHaveLength(1);
    expect(entered.slice(-5)).toEqual(["Status?", "Attach", "Describe", "Status?", "Succeeded"]);
    // No polling once b ran: it waited for b's child (x's 30 minutes) by retrying
    // Describe, a transition a check, about 15 s + 30% of the time waited apart.
    expect(entered.filter((n) => n === "Wait")).toHaveLength(0);
    const retries = (gates[0]?.events ?? []).filter((e) => e.type === "StateRetried").length;
    expect(retries).toBeGreaterThan(0);
    expect(retries).toBeLessThan(15);
  });

  it("a step the cut left on its own runs in its dependency's branch: one gate fewer, no later start", async () => {
    // x (after a and b) would be a branch of its own, both dependencies gated, its first
    // gate polling from the start; it runs right after b instead, beside y, and gates on a only.
    const p = pipeline(
      "hung",
      [
        modelStep("a", 1),
        modelStep("r", 2),
        modelStep("b", 3, ["r"]),
        modelStep("y", 4, ["b"]),
        modelStep("c", 5, ["a", "r"]),
        modelStep("x", 6, ["a", "b"]),
      ],
      { timeout_seconds: 12 * 3600 },
    );
    const r = await run({ source: "test", pipelines: [p] }, "hung", (sc, syncOf) =>
      durations(sc, syncOf, { a: 10 * 60, r: 5 * 60, b: 30 * 60, y: 5 * 60, c: 5 * 60, x: 5 * 60 }),
    );
    expect(r.result.status).toBe("succeeded");
    const delays = expectExactTiming(p, r);
    expect(delays.get("x")).toBe(0);
    expect(delays.get("y")).toBe(0);
    const gates = r.result.executions
      .filter((e) => e.executionArn.includes(":wait-for-step:"))
      .map((e) => e.name.split("-").slice(0, 2).join("-"));
    expect(gates).toContain("x-a");
    expect(gates).not.toContain("x-b");
    expect(gates).toHaveLength(decompose(p.steps).gated.length);
  });

  it("the gate also waits for a dependency that has not started yet", async () => {
    // b starts only after x's 2 hours; c's gate (after a's 5 minutes) polls a child
    // that does not exist yet (Sfn.ExecutionDoesNotExistException) until then.
    const p = nShape();
    const r = await run({ source: "test", pipelines: [p] }, "n_shape", (sc, syncOf) =>
      durations(sc, syncOf, { a: 5 * 60, x: 2 * 3600, b: 10 * 60, c: 60, d: 60 }),
    );
    expect(r.result.status).toBe("succeeded");
    expectExactTiming(p, r);
    const t = (id: string) => r.timing.get(id) as Required<Timing>;
    expect(t("b").start).toBeGreaterThan(t("a").end);
  });

  it("skips follow the real dependencies: a failed step skips its dependents across a gate", async () => {
    // x fails: b is skipped (its skip child ends at once so c's gate sees it), so c and d
    // are skipped; a still runs. Nothing waits for the pipeline timeout.
    const p = nShape();
    const r = await run({ source: "test", pipelines: [p] }, "n_shape", (sc, syncOf) => {
      durations(sc, syncOf, { a: 20 * 60, x: 30 * 60, b: 60, c: 60, d: 60 });
      (sc.syncs[syncOf("x")] as { outcome?: string }).outcome = "failed";
    });
    expect(r.result.status).toBe("failed");
    expect(r.result.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "succeeded"],
      ["x", "failed"],
      ["b", "skipped"],
      ["c", "skipped"],
      ["d", "skipped"],
    ]);
    const end = Date.parse(r.result.finished_at);
    // Done within one gate interval of x's end, not at the 12-hour timeout.
    expect(end - (r.timing.get("x")?.end ?? 0)).toBeLessThanOrEqual(POLL.max_seconds * 1000);
    // b's skip child ran (no sync started for it) and is the only other child for b.
    const names = r.result.executions.map((e) => e.name);
    expect(names.filter((n) => n.startsWith("b-"))).toHaveLength(1);
    expect(r.result.polls).toBeGreaterThan(0);
  });

  it("run_after: completion runs the gated step once its failed dependency ended", async () => {
    const p = nShape({ c: { run_after: "completion" } });
    const r = await run({ source: "test", pipelines: [p] }, "n_shape", (sc, syncOf) => {
      durations(sc, syncOf, { a: 10 * 60, x: 20 * 60, b: 60 * 60, c: 60, d: 60 });
      (sc.syncs[syncOf("b")] as { outcome?: string }).outcome = "failed";
    });
    expect(r.result.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "succeeded"],
      ["x", "succeeded"],
      ["b", "failed"],
      ["c", "succeeded"],
      ["d", "skipped"],
    ]);
    expectExactTiming(p, r);
  });

  it("a skipped dependency reaches a completion step through the gate without a run", async () => {
    const p = nShape({ c: { run_after: "completion" } });
    const r = await run({ source: "test", pipelines: [p] }, "n_shape", (sc, syncOf) => {
      durations(sc, syncOf, { a: 10 * 60, x: 20 * 60, b: 60, c: 60, d: 60 });
      (sc.syncs[syncOf("x")] as { outcome?: string }).outcome = "failed";
    });
    expect(r.result.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "succeeded"],
      ["x", "failed"],
      ["b", "skipped"],
      ["c", "succeeded"],
      ["d", "skipped"],
    ]);
    const t = (id: string) => r.timing.get(id) as Required<Timing>;
    expect(t("c").start).toBeGreaterThanOrEqual(t("x").end);
    expect(t("c").start - t("x").end).toBeLessThanOrEqual(POLL.max_seconds * 1000);
  });

  it("the shipped nightly pipeline: load_stripe starts at once, refresh_reporting right after both loads", async () => {
    const file = fileURLToPath(new URL("../../../pipelines.yaml", import.meta.url));
    const config = loadPipelinesConfig(file);
    const nightly = config.pipelines.find((p) => p.name === "nightly") as PipelineConfig;
    const r = await run(config, "nightly");
    expect(r.result.status).toBe("succeeded");
    expect(r.timing.get("load_stripe")?.start).toBe(r.t0);
    expect(r.timing.get("load_salesforce")?.start).toBe(r.t0);
    expectExactTiming(nightly, r);
    const refresh = r.timing.get("refresh_reporting")?.start ?? 0;
    const loadsEnd = Math.max(
      r.timing.get("load_salesforce")?.end ?? 0,
      r.timing.get("load_stripe")?.end ?? 0,
    );
    const { gated } = decompose(nightly.steps.map((s) => ({ id: s.id, after: s.after })));
    expect(gated).toHaveLength(1);
    const dep = nightly.steps.find((s) => s.id === gated[0]?.dependsOn) as StepConfig;
    const schedule = gateSchedule(dep.poll.min_seconds, dep.poll.max_seconds);
    expect(refresh - loadsEnd).toBeLessThanOrEqual((schedule.at(-1) ?? 0) * 1000);
  });
});
