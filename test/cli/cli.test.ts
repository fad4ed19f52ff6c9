/**
 * The command line as users run it: a subprocess (tsx bin/cli.ts on this Node), its exit
 * code, stdout and stderr. Kept to a few runs: each costs about a second.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadPipelinesConfig } from "../../lib/config/load";
import { scenarioFromConfig, syncIdFromName } from "../../lib/local/scenario-from-config";
import { stepTimingSchema } from "../../lib/report/model";
import { reportValidator } from "../report/validate";

const ROOT = resolve(import.meta.dirname, "../..");
const BIN = join(ROOT, "bin/cli.ts");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");
const LAUNCHER = join(ROOT, "bin/polytomic-orchestrator.mjs");
const FIXTURES = join(ROOT, "test/fixtures/cli");
const PIPELINES = join(FIXTURES, "pipelines.yaml");

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** The environment minus the Polytomic variables, plus `env`. */
function environment(env: Record<string, string>): NodeJS.ProcessEnv {
  const base = { ...process.env };
  delete base.POLYTOMIC_API_KEY;
  delete base.POLYTOMIC_API_URL;
  return { ...base, ...env };
}

/**
 * Runs the CLI in `cwd` (tsx bin/cli.ts on this Node), or through the package's bin launcher
 * when `launcher` is set.
 */
function cli(
  args: string[],
  env: Record<string, string> = {},
  cwd = FIXTURES,
  launcher = false,
): Promise<CliResult> {
  return new Promise((done) => {
    execFile(
      process.execPath,
      launcher ? [LAUNCHER, ...args] : [TSX, BIN, ...args],
      { cwd, env: environment(env), timeout: 60_000, maxBuffer: 10 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : null;
        done({ code, stdout, stderr });
      },
    );
  });
}

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "cli-test-"));
});
afterAll(async () => {
  await rm(out, { recursive: true, force: true });
});

const STEP_FIELDS = [
  "id",
  "sync_type",
  "sync_id",
  "status",
  "outcome",
  "execution_id",
  "duration_seconds",
  "records",
  "errors",
  "warnings",
  "logs",
  // the times each step carries, in the documented order
  ...Object.keys(stepTimingSchema.shape),
];

describe("run", () => {
  it("runs a fan-out/fan-in pipeline against the generated scenario; --json prints only the report", async () => {
    const { code, stdout, stderr } = await cli([
      "run",
      "fanout",
      "--json",
      "--out",
      join(out, "ok"),
    ]);
    expect(stderr).not.toContain("Error");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(Object.keys(report)).toEqual([
      "pipeline",
      "status",
      "message",
      "started_at",
      "finished_at",
      "steps",
      "state_transitions",
      "polls",
      "critical_path",
      "report",
    ]);
    // The documented format (schemas/run-report.schema.json).
    const validate = reportValidator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report).toMatchObject({ pipeline: "fanout", status: "succeeded" });
    expect(Date.parse(report.finished_at)).toBeGreaterThan(Date.parse(report.started_at));
    expect(report.state_transitions).toBeGreaterThan(0);
    expect(report.polls).toBeGreaterThanOrEqual(4);

    const scenario = scenarioFromConfig(loadPipelinesConfig(PIPELINES), "fanout");
    const hubspotId = syncIdFromName("model", "Contacts to HubSpot");
    const ids: Record<string, string> = {
      load_salesforce: "9f1c0d2e-0000-4000-8000-000000000001",
      push_hubspot: hubspotId,
      push_braze: "7a2b3c4d-0000-4000-8000-000000000003",
      report: "7a2b3c4d-0000-4000-8000-000000000004",
    };
    expect(report.steps.map((s: { id: string }) => s.id)).toEqual(Object.keys(ids));
    for (const step of report.steps) {
      expect(Object.keys(step)).toEqual(STEP_FIELDS);
      const sync = scenario.syncs[ids[step.id] ?? ""];
      expect(step).toMatchObject({
        sync_type: sync?.type,
        sync_id: sync?.id,
        status: "succeeded",
        outcome: "succeeded",
        records: sync?.records,
        errors: 0,
        warnings: 0,
      });
      expect(step.execution_id).toEqual(expect.any(String));
      // Queueing plus running, on the simulated clock: at least the scenario's duration.
      expect(step.duration_seconds).toBeGreaterThanOrEqual(sync?.duration_seconds ?? Number.NaN);
      expect(step.logs.length).toBeGreaterThan(0);
      for (const file of step.logs) expect(existsSync(resolve(FIXTURES, file))).toBe(true);
    }
  });

  it("fails the step whose sync fails, skips what depends on it, runs the rest, exits 1", async () => {
    const { code, stdout } = await cli([
      "run",
      "fanout",
      "--scenario",
      "hubspot-fails.yaml",
      "--json",
      "--out",
      join(out, "failed"),
    ]);
    expect(code).toBe(1);
    const report = JSON.parse(stdout);
    const validate = reportValidator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(report.status).toBe("failed");
    expect(report.message).toBe(
      "pipeline fanout failed: push_hubspot (Sync.Failed) failed; 1 skipped (report)",
    );
    expect(report.error).toBeUndefined();
    const byId = Object.fromEntries(report.steps.map((s: { id: string }) => [s.id, s]));
    expect(byId.load_salesforce).toMatchObject({ status: "succeeded", records: 120000 });
    expect(byId.push_braze).toMatchObject({ status: "succeeded", records: 4000 });
    expect(byId.push_hubspot).toMatchObject({
      status: "failed",
      outcome: "failed",
      sync_id: "1b2c3d4e-0000-4000-8000-000000000002",
      error: { name: "Sync.Failed" },
    });
    expect(byId.report).toMatchObject({
      status: "skipped",
      outcome: "skipped",
      execution_id: null,
      records: 0,
    });
  });

  it("without a terminal appends a plain line per state change, then the summary table", async () => {
    // COLUMNS as wide as the whole table: without it, output that is not a terminal is
    // fitted to 80 columns (test/cli/width.test.ts).
    const { code, stdout } = await cli(
      ["run", "fanout", "--scenario", "hubspot-fails.yaml", "--out", join(out, "plain")],
      { COLUMNS: "250" },
    );
    expect(code).toBe(1);
    expect(stdout).not.toContain("\x1b");
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(
      /^Running pipeline fanout \(4 steps\) against embedded simulator at http:\/\/127\.0\.0\.1:\d+/,
    );
    const progress = lines.filter((l) => /^\[[#-]{10}\] \d\/4 {2}/.test(l));
    // Each step's changes in order, each printed once.
    const states = (id: string) =>
      progress
        .filter((l) => l.includes(` ${id} `))
        .map((l) => /(waiting|queued|running|succeeded|failed|skipped)/.exec(l)?.[1]);
    expect(states("load_salesforce")).toEqual(["queued", "running", "succeeded"]);
    expect(states("push_hubspot")).toEqual(["queued", "running", "failed"]);
    expect(states("report")).toEqual(["skipped"]);
    expect(progress.at(-1)).toMatch(/^\[##########\] 4\/4 {2}/);
    // Elapsed time on the simulated clock: the 90-minute run plus the polling delay.
    expect(stdout).toMatch(/✔ load_salesforce\s+succeeded\s+1h \d\dm \d\ds\s+120,000 records\n/);
    // The summary's ELAPSED is the live display's measure; RUNNING is Polytomic's.
    const live = /✔ load_salesforce\s+succeeded\s+(1h \d\dm \d\ds)\s/.exec(stdout)?.[1];
    expect(stdout).toMatch(
      new RegExp(
        `\\nload_salesforce\\s+\\S+\\s+succeeded\\s+${live}\\s+1h 30m 00s\\s+120,000\\s+0\\s+0\\s+load_salesforce/`,
      ),
    );
    expect(stdout).toMatch(
      /STEP\s+SYNC\s+OUTCOME\s+ELAPSED\s+RUNNING\s+RECORDS\s+ERRORS\s+WARNINGS\s+LOGS/,
    );
    expect(stdout).toMatch(
      /\npush_hubspot\s+Contacts to HubSpot\s+failed\s+1\dm \d\ds\s+10m 00s\s+100\s+100\s+0\s/,
    );
    expect(stdout).toMatch(/\nreport\s+\S+\s+skipped\s+-\s+-\s+0\s+0\s+0\s+-\n/);
    expect(stdout).toContain(`Logs under ${join(out, "plain", "polytomic-logs", "fanout")}`);
    expect(stdout).toContain("push_hubspot failed: Sync.Failed:");
    expect(stdout).toMatch(
      /Pipeline fanout failed in .* of simulated time: 4 steps \(2 succeeded, 1 failed, 1 skipped\)/,
    );
  });

  it("refuses a bad pipelines file with exit 2, naming file, pipeline, step and field", async () => {
    const { code, stdout, stderr } = await cli(["run", "broken", "--config", "invalid.yaml"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain(
      'invalid.yaml:8:16: pipeline "broken", step "push", field "after": unknown step "lod" (known: load)\n',
    );
  });

  it("--live without POLYTOMIC_API_KEY exits 2 naming the variable", async () => {
    const { code, stdout, stderr } = await cli(["run", "fanout", "--live"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toContain("POLYTOMIC_API_KEY environment variable is not set");
  });

  it("runs the ten-step example pipeline to the end: hours of syncs on the simulated clock", async () => {
    const config = join(ROOT, "examples/pipelines/ten-step.yaml");
    const { code, stdout, stderr } = await cli(
      ["run", "ten_step", "--config", config, "--json", "--out", join(out, "ten-step")],
      {},
      ROOT,
    );
    expect(stderr).not.toContain("Error");
    expect(code).toBe(0);
    const report = JSON.parse(stdout);
    expect(report).toMatchObject({ pipeline: "ten_step", status: "succeeded" });
    expect(report.steps).toHaveLength(10);
    expect(report.steps.map((s: { id: string }) => s.id)).toEqual(
      loadPipelinesConfig(config).pipelines[0]?.steps.map((s) => s.id),
    );
    for (const step of report.steps) expect(step).toMatchObject({ status: "succeeded" });
    // Simulated time (the report's clock), not the test's: hours of syncs, however fast they ran.
    const simulatedMs = Date.parse(report.finished_at) - Date.parse(report.started_at);
    expect(simulatedMs).toBeGreaterThan(60 * 60 * 1000);
    // A safety net for a loaded machine (the child itself is killed after 60 s), not a goal.
  }, 90_000);

  it("an --out that cannot be created exits 2 with one line naming it, before anything runs", async () => {
    const file = join(out, "a-file");
    await writeFile(file, "not a directory\n");
    const target = join(file, "logs");
    const { code, stdout, stderr } = await cli(["run", "fanout", "--out", target]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `run: cannot write logs and metrics to ${target}: a part of the path is not a directory; choose a directory you can write with --out\n`,
    );
  });

  it("an unknown pipeline exits 2 listing the known ones", async () => {
    const { code, stderr } = await cli(["run", "weekly"]);
    expect(code).toBe(2);
    expect(stderr).toContain(
      'unknown pipeline "weekly" in pipelines.yaml; known pipelines: fanout, single',
    );
  });
});

describe("graph", () => {
  it("prints a fan-out/fan-in pipeline as Mermaid", async () => {
    const { code, stdout } = await cli(["graph", "fanout"]);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "flowchart LR",
        '  s1[("load_salesforce<br/>bulk: 9f1c0d2e-0000-4000-8000-000000000001")]',
        '  s2("push_hubspot<br/>model: Contacts to HubSpot")',
        '  s3("push_braze<br/>model: 7a2b3c4d-0000-4000-8000-000000000003")',
        '  s4("report<br/>model: 7a2b3c4d-0000-4000-8000-000000000004")',
        "  s1 --> s2",
        "  s1 --> s3",
        "  s2 --> s4",
        "  s3 --> s4",
        "",
      ].join("\n"),
    );
  });
});

describe("validate", () => {
  it("summarizes a valid file and exits 0 (through the package's bin launcher)", async () => {
    const { code, stdout } = await cli(["validate", "--config", PIPELINES], {}, ROOT, true);
    expect(code).toBe(0);
    expect(stdout).toBe(
      [
        "test/fixtures/cli/pipelines.yaml: OK, 2 pipelines",
        "  fanout: 4 steps, cron 0 2 * * 1-5 (America/New_York)",
        "  single: 1 step, manual only",
        "",
      ].join("\n"),
    );
  });

  it("prints every problem and exits 2", async () => {
    const { code, stdout, stderr } = await cli(["validate", "--config", "invalid.yaml"]);
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      'invalid.yaml:8:16: pipeline "broken", step "push", field "after": unknown step "lod" (known: load)\n' +
        "1 problem in the pipelines file\n",
    );
  });
});

describe("simulator", () => {
  it("a --port in use exits 2 with one line naming the port", async () => {
    const taken = createServer();
    await new Promise<void>((listening) => taken.listen(0, "127.0.0.1", listening));
    try {
      const address = taken.address();
      const port = typeof address === "object" && address !== null ? address.port : 0;
      const { code, stdout, stderr } = await cli(["simulator", "--port", String(port)]);
      expect(code).toBe(2);
      expect(stdout).toBe("");
      expect(stderr).toBe(
        `simulator: port ${port} on 127.0.0.1 is already in use; stop what is listening there or choose another --port (--port 0 picks a free one)\n`,
      );
    } finally {
      await new Promise((closed) => taken.close(closed));
    }
  });

  it("serves the scenario on 127.0.0.1, prints its URL and stops cleanly on SIGTERM", async () => {
    const child = spawn(
      process.execPath,
      [TSX, BIN, "simulator", "--scenario", "hubspot-fails.yaml"],
      {
        cwd: FIXTURES,
        env: environment({}),
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    try {
      let stdout = "";
      const url = await new Promise<string>((found, failed) => {
        const timer = setTimeout(() => failed(new Error(`no URL printed: ${stdout}`)), 20_000);
        child.stdout.on("data", (chunk: Buffer) => {
          stdout += chunk.toString();
          const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stdout);
          if (match?.[1]) {
            clearTimeout(timer);
            found(match[1]);
          }
        });
      });
      expect(stdout).toContain("4 syncs from");
      const res = await fetch(`${url}/api/syncs/1b2c3d4e-0000-4000-8000-000000000002`, {
        headers: { authorization: "Bearer any-key" },
      });
      expect(res.status).toBe(200);
      const exited = new Promise<number | null>((r) => child.on("exit", (code) => r(code)));
      child.kill("SIGTERM");
      expect(await exited).toBe(0);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
