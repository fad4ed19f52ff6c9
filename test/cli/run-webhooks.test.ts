/**
 * Issue 16: `run --webhooks` runs the machines synthesized with webhooks, the steps waiting
 * on the embedded simulator's signed events (lib/local/event-wait.ts), and the scenario's
 * `webhooks:` switches shape what arrives. Through the command line, in-process.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runMain } from "./in-process";

const CONFIG = resolve(import.meta.dirname, "../fixtures/cli/pipelines.yaml");
const SYNC = "7a2b3c4d-0000-4000-8000-000000000005"; // the `single` pipeline's step
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "run-webhooks-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

/** `run single --json` against a 5 s queue + 300 s model run, with `webhooks` in the scenario. */
async function runSingle(args: string[], webhooks = "") {
  const scenario = join(dir, `scenario-${Math.random().toString(36).slice(2)}.yaml`);
  await writeFile(
    scenario,
    `syncs:
  ${SYNC}: { type: model, name: Contacts, queue_seconds: 5, duration_seconds: 300, records: 10 }
${webhooks}`,
  );
  const out = join(dir, "out");
  const result = await runMain(
    ["run", "single", "--config", CONFIG, "--scenario", scenario, "--json", "--out", out, ...args],
    dir,
  );
  const report = result.code <= 1 ? JSON.parse(result.stdout) : undefined;
  return { ...result, report };
}

describe("run --webhooks", () => {
  it("waits on the simulator's events: the end is seen when the run ends, with fewer status calls", async () => {
    const polled = await runSingle([]);
    const evented = await runSingle(["--webhooks"]);
    expect([polled.code, evented.code]).toEqual([0, 0]);
    expect(evented.report.status).toBe("succeeded");
    expect(evented.report.steps[0].records).toEqual(polled.report.steps[0].records);
    // No check at the start (it waits for the event at once); checks at 60, 120, 180, 240 and
    // 300 s (the event fallback), then the one the run's end event triggers at 305 s: 6,
    // where adaptive polling makes more than twice as many.
    expect(evented.report.polls).toBe(6);
    expect(polled.report.polls).toBeGreaterThan(2 * evented.report.polls);
    const took = (r: { started_at: string; finished_at: string }) =>
      Date.parse(r.finished_at) - Date.parse(r.started_at);
    expect(took(evented.report)).toBeLessThan(took(polled.report));
  });

  it("applies the scenario's webhooks: settings: with every event lost, the fallback checks find the end", async () => {
    const lost = await runSingle(["--webhooks"], "webhooks: { loss: 1 }");
    expect(lost.code).toBe(0);
    expect(lost.report.status).toBe("succeeded");
    // 60, ..., 300 s (none at the start), then 25% of the 295 s run later: 373 s.
    expect(lost.report.polls).toBe(6);
    const evented = await runSingle(["--webhooks"]);
    const took = (r: { started_at: string; finished_at: string }) =>
      Date.parse(r.finished_at) - Date.parse(r.started_at);
    expect(took(lost.report) - took(evented.report)).toBeGreaterThanOrEqual(60_000);
  });

  it("is refused with --live, before anything runs", async () => {
    const result = await runMain(
      ["run", "single", "--config", CONFIG, "--webhooks", "--live"],
      dir,
      {
        POLYTOMIC_API_KEY: "k",
      },
    );
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("--webhooks");
    expect(result.stderr).toContain("--live");
  });
});
