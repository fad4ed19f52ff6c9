/**
 * The command line in real time: a run paced on the wall clock (`--speed`) waits as long as
 * its polls say, and Ctrl-C cancels what was going. Subprocesses, as users run them.
 */
import { type ChildProcessWithoutNullStreams, spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const BIN = join(ROOT, "bin/cli.ts");
const FIXTURES = join(ROOT, "test/fixtures/cli");

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "cli-real-time-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

function run(args: string[]): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
  exited: Promise<number | null>;
} {
  // Wide: the summary is fitted to 80 columns otherwise (test/cli/width.test.ts), and the
  // checks below read whole lines.
  const env: NodeJS.ProcessEnv = { ...process.env, COLUMNS: "300" };
  delete env.POLYTOMIC_API_KEY;
  delete env.POLYTOMIC_API_URL;
  const child = spawn(
    process.execPath,
    [
      TSX,
      BIN,
      "run",
      ...args,
      "--config",
      "real-time.yaml",
      "--scenario",
      "real-time-scenario.yaml",
    ],
    { cwd: FIXTURES, env },
  );
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr.on("data", (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  const exited = new Promise<number | null>((done) => child.on("exit", (code) => done(code)));
  return { child, output: () => stdout, exited };
}

describe("run in real time", () => {
  // The one test that waits for real: 95 s in a single poll (the engine used to time every
  // task out after 60 wall-clock seconds). The bound leaves room for a loaded machine.
  it("--speed 1 waits out a 95-second poll and succeeds", { timeout: 600_000 }, async () => {
    const { output, exited } = run([
      "slow_poll",
      "--speed",
      "1",
      "--json",
      "--out",
      join(out, "slow"),
    ]);
    expect(await exited, output()).toBe(0);
    const report = JSON.parse(output()) as {
      status: string;
      started_at: string;
      finished_at: string;
      polls: number;
      steps: Array<{ status: string }>;
    };
    expect(report.status).toBe("succeeded");
    expect(report.steps.map((s) => s.status)).toEqual(["succeeded"]);
    expect(report.polls).toBe(2);
    const seconds = (Date.parse(report.finished_at) - Date.parse(report.started_at)) / 1000;
    expect(seconds).toBeGreaterThanOrEqual(95);
  });

  it("Ctrl-C cancels the running sync, names it and the step that never started, and exits 130", {
    timeout: 300_000,
  }, async () => {
    const { child, output, exited } = run([
      "interrupt",
      "--speed",
      "60",
      "--out",
      join(out, "ctrl-c"),
    ]);
    try {
      await new Promise<void>((found) => {
        const look = () => {
          if (/ long_load +running/.test(output())) found();
          else setTimeout(look, 50);
        };
        look();
      });
      child.kill("SIGINT");
      expect(await exited, output()).toBe(130);
    } finally {
      child.kill("SIGKILL");
    }
    const text = output();
    expect(text).toMatch(/long_load: cancelled run \S+; Polytomic reports it canceled/);
    expect(text).toContain("never started: push_after_load");
    expect(text).toMatch(/Pipeline interrupt interrupted in .*\(1 cancelled, 1 not started\)/);
    expect(text).not.toMatch(/\d+ (failed|skipped)/);
  });
});
