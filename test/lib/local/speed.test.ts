/**
 * `--speed` keeps simulated time honest: the same scenario gives the same timeline on the
 * virtual clock at full speed and paced at 600 simulated seconds per real second, with
 * another core kept busy meanwhile. Time stands still while work is in flight at every
 * speed, so how fast the machine is changes nothing.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { Worker } from "node:worker_threads";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipelinesConfig } from "../../../lib/config/load";
import { type LocalRunResult, runPipelineLocally } from "../../../lib/local/runner";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { loadScenario, startSimulator } from "../../../simulator";

const ROOT = resolve(import.meta.dirname, "../../..");
const T0 = Date.UTC(2026, 0, 5, 7, 0, 0);

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "speed-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

async function runNightly(clock: VirtualClock, dir: string): Promise<LocalRunResult> {
  const config = loadPipelinesConfig(join(ROOT, "pipelines.yaml"));
  const scenario = await loadScenario(join(ROOT, "examples/scenarios/real-time.yaml"));
  const sim = await startSimulator({ scenario, clock });
  try {
    return await runPipelineLocally({
      config,
      pipeline: "nightly",
      polytomic: { baseUrl: sim.url, apiKey: scenario.api_key ?? "key" },
      clock,
      outDir: join(out, dir),
      executionName: "nightly-speed-test",
    });
  } finally {
    await sim.close();
  }
}

/** What must not depend on the clock's speed. */
function timeline(result: LocalRunResult) {
  return {
    status: result.status,
    seconds: (Date.parse(result.finished_at) - Date.parse(result.started_at)) / 1000,
    polls: result.polls,
    steps: result.steps.map((s) => [s.id, s.status, s.duration_seconds, s.records, s.logs.length]),
  };
}

/** Keeps another thread spinning until terminated. */
function busyThread(): Worker {
  return new Worker("for (;;) {}", { eval: true });
}

describe("--speed", () => {
  it("gives the timeline of the virtual clock at 600x, with a core kept busy", {
    timeout: 120_000,
  }, async () => {
    const virtual = timeline(await runNightly(new VirtualClock(T0), "virtual"));
    const load = busyThread();
    try {
      const paced = timeline(await runNightly(new VirtualClock(T0, 600), "paced"));
      expect(paced).toEqual(virtual);
    } finally {
      await load.terminate();
    }
    expect(virtual.status).toBe("succeeded");
    expect(virtual.steps.every(([, , , , logs]) => (logs as number) > 0)).toBe(true);
  });
});
