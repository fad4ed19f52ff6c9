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
  it("runs with the webhook's events; a fresh record (unknown delivery) polls exactly as without webhooks", async () => {
    const polled = await runSingle([]);
    const evented = await runSingle(["--webhooks"]);
    expect([polled.code, evented.code]).toEqual([0, 0]);
    expect(evented.report.status).toBe("succeeded");
    expect(evented.report.steps[0].records).toEqual(polled.report.steps[0].records);
    // Each `run` is a fresh deployment: its delivery record knows nothing yet, so the step
    // polls (the retry loop) until runs have shown the webhook delivers
    // (test/lib/local/event-wait.test.ts "measured delivery" has the learning).
    expect(evented.report.polls).toBe(polled.report.polls);
  });

  it("applies the scenario's webhooks: settings: with every event lost, polling finds the end", async () => {
    const polled = await runSingle([]);
    const lost = await runSingle(["--webhooks"], "webhooks: { loss: 1 }");
    expect(lost.code).toBe(0);
    expect(lost.report.status).toBe("succeeded");
    expect(lost.report.polls).toBe(polled.report.polls);
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
