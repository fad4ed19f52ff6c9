/**
 * Preflight (lib/cli/preflight.ts) against the simulator over HTTP, and `run` refusing to
 * start any step when it fails.
 */
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { PolytomicClient } from "../../functions/polytomic/client";
import { CredentialError, EnvironmentError } from "../../lib/cli/args";
import { preflight, preflightScenario } from "../../lib/cli/preflight";
import { loadPipelinesConfig, parsePipelinesConfig } from "../../lib/config/load";
import type { PipelineConfig } from "../../lib/config/model";
import {
  loadScenario,
  type RunningSimulator,
  type Scenario,
  startSimulator,
} from "../../simulator";
import { runMain } from "./in-process";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");
const KEY = "right-key";

let scenario: Scenario;
let dir: string;
const running: RunningSimulator[] = [];

beforeAll(async () => {
  scenario = { ...(await loadScenario(resolve(FIXTURES, "hubspot-fails.yaml"))), api_key: KEY };
  dir = await mkdtemp(join(tmpdir(), "preflight-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));
afterEach(async () => {
  await Promise.all(running.splice(0).map((s) => s.close()));
});

async function simulator(s: Scenario = scenario): Promise<RunningSimulator> {
  const sim = await startSimulator({ scenario: s, host: "127.0.0.1" });
  running.push(sim);
  return sim;
}

function pipeline(steps: string): PipelineConfig {
  const config = parsePipelinesConfig(`pipelines:\n  p:\n    steps:\n${steps}`, "p.yaml");
  return config.pipelines[0] as PipelineConfig;
}

const target = (sim: RunningSimulator, apiKey = KEY) => ({
  baseUrl: sim.url,
  apiKey,
  description: "the test simulator",
  keyHint: "the test's key",
});

const MISSPELLED = `      - { id: load, bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001 }
      - { id: push, model_sync: { name: Contacts to Hubspot }, after: [load] }
`;

describe("preflight", () => {
  it("resolves every step's sync, each distinct list once", async () => {
    const sim = await simulator();
    const fanout = loadPipelinesConfig(resolve(FIXTURES, "pipelines.yaml")).pipelines[0];
    const twice = pipeline(`      - { id: a, model_sync: { name: Contacts to HubSpot } }
      - { id: b, model_sync: { name: Contacts to HubSpot } }
      - { id: c, model_sync: { name: Weekly report } }
`);
    expect(await preflight(fanout as PipelineConfig, target(sim))).toEqual({
      problems: [],
      warnings: [],
      resolved: {
        load_salesforce: "9f1c0d2e-0000-4000-8000-000000000001",
        push_hubspot: "1b2c3d4e-0000-4000-8000-000000000002",
        push_braze: "7a2b3c4d-0000-4000-8000-000000000003",
        report: "7a2b3c4d-0000-4000-8000-000000000004",
      },
    });
    const before = sim.requests().length;
    const report = await preflight(twice, target(sim));
    expect(report.problems).toEqual([]);
    // The key check (limit=1), then one listing of every model sync for the three steps.
    expect(
      sim
        .requests()
        .slice(before)
        .map((r) => `${r.method} ${r.path}`),
    ).toEqual(["GET /api/syncs", "GET /api/syncs"]);
  });

  it("names each step whose sync cannot be found, with did-you-mean and the sync's real type", async () => {
    const sim = await simulator();
    const report = await preflight(
      pipeline(`${MISSPELLED}      - { id: wrong_type, model_sync: 9f1c0d2e-0000-4000-8000-000000000001 }
      - { id: unknown, bulk_sync: 9f1c0d2e-0000-4000-8000-0000000000ff }
`),
      target(sim),
    );
    expect(report.problems).toEqual([
      'step "push": no model sync is named "Contacts to Hubspot" (did you mean "Contacts to HubSpot"?)',
      'step "wrong_type": no model sync has the id 9f1c0d2e-0000-4000-8000-000000000001 (it is a bulk sync: use bulk_sync)',
      'step "unknown": no bulk sync has the id 9f1c0d2e-0000-4000-8000-0000000000ff',
    ]);
    expect(report.resolved).toEqual({ load: "9f1c0d2e-0000-4000-8000-000000000001" });
  });

  it("reports inactive (paused) syncs, by id and by name, as warnings", async () => {
    const paused = structuredClone(scenario);
    for (const id of [
      "9f1c0d2e-0000-4000-8000-000000000001",
      "1b2c3d4e-0000-4000-8000-000000000002",
    ]) {
      const sync = paused.syncs[id];
      if (sync) sync.active = false;
    }
    const sim = await simulator(paused);
    const report = await preflight(
      pipeline(`      - { id: load, bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001 }
      - { id: push, model_sync: { name: Contacts to HubSpot } }
      - { id: braze, model_sync: 7a2b3c4d-0000-4000-8000-000000000003 }
`),
      target(sim),
    );
    expect(report.problems).toEqual([]);
    expect(report.warnings).toEqual([
      'step "load": the bulk sync "Salesforce to Snowflake" (9f1c0d2e-0000-4000-8000-000000000001) is inactive (paused) in Polytomic; starting it may be refused',
      'step "push": the model sync "Contacts to HubSpot" (1b2c3d4e-0000-4000-8000-000000000002) is inactive (paused) in Polytomic; starting it may be refused',
    ]);
  });

  it("a refused key is one credential error after one call, the key not in it", async () => {
    const sim = await simulator();
    const err = await preflight(pipeline(MISSPELLED), target(sim, "wrong-key-123")).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(CredentialError);
    expect((err as Error).message).toBe(
      "the test simulator refused the API key (401 Unauthorized); check the test's key",
    );
    expect(sim.requests()).toHaveLength(1);
  });

  it("an API that cannot be reached is an environment error naming it, not a crash", async () => {
    const sim = await simulator();
    const url = sim.url;
    await sim.close();
    const client = new PolytomicClient({ baseUrl: url, apiKey: KEY, retry: { maxAttempts: 1 } });
    const err = await preflight(
      pipeline(MISSPELLED),
      { ...target(sim), baseUrl: url },
      client,
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EnvironmentError);
    expect((err as Error).message).toMatch(/^cannot ask the test simulator: /);
    expect((err as Error).message).not.toContain(KEY);
  });

  it("against a scenario, leaves the scenario's faults to the run", async () => {
    const faulty: Scenario = {
      ...scenario,
      faults: [
        {
          endpoint: "any",
          status: 401,
          malformed: false,
          reset: false,
          recorded: false,
          times: 100,
        },
      ],
      random_faults: { rate: 1, seed: 1, kinds: ["server_error"], endpoints: ["any"] },
    };
    const report = await preflightScenario(pipeline(MISSPELLED), faulty, {
      apiKey: KEY,
      description: "the embedded simulator",
      keyHint: "api_key",
    });
    expect(report.problems).toEqual([
      'step "push": no model sync is named "Contacts to Hubspot" (did you mean "Contacts to HubSpot"?)',
    ]);
  });
});

describe("run with a failing preflight", () => {
  const run = (args: string[], env: Record<string, string> = {}) => runMain(args, FIXTURES, env);

  it("--live with a refused key: one line, exit 2, no execution started", async () => {
    const sim = await simulator();
    const { code, stdout, stderr } = await run(["run", "fanout", "--live"], {
      POLYTOMIC_API_URL: sim.url,
      POLYTOMIC_API_KEY: "wrong-key-123",
    });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      `the Polytomic API at ${sim.url} refused the API key (401 Unauthorized); check POLYTOMIC_API_KEY\n`,
    );
    expect(sim.executions()).toEqual([]);
  });

  it("a misspelled sync name stops the run before any step, exit 2", async () => {
    const sim = await simulator();
    const file = join(dir, "misspelled.yaml");
    await writeFile(file, `pipelines:\n  p:\n    steps:\n${MISSPELLED}`);
    const { code, stdout, stderr } = await run(["run", "p", "--config", file, "--live"], {
      POLYTOMIC_API_URL: sim.url,
      POLYTOMIC_API_KEY: KEY,
    });
    expect(code).toBe(2);
    expect(stdout).toBe("");
    expect(stderr).toBe(
      'step "push": no model sync is named "Contacts to Hubspot" (did you mean "Contacts to HubSpot"?)\n' +
        "1 problem with the pipeline's syncs; no step was started\n",
    );
    expect(sim.executions()).toEqual([]);
  });

  it("with --scenario, a step whose sync the scenario lacks stops the run, exit 2", async () => {
    const { code, stderr } = await run([
      "run",
      "single",
      "--scenario",
      "hubspot-fails.yaml",
      "--out",
      join(dir, "out"),
    ]);
    expect(code).toBe(2);
    expect(stderr).toBe(
      'step "only": no model sync has the id 7a2b3c4d-0000-4000-8000-000000000005\n' +
        "1 problem with the pipeline's syncs; no step was started\n",
    );
  });
});

describe("run: errors a person reads", () => {
  const run = (args: string[]) => runMain(args, dir);
  const config = resolve(FIXTURES, "pipelines.yaml");

  it.runIf(existsSync("/proc/self"))(
    "an --out where the file system refuses directories (/proc) fails at once, exit 2",
    async () => {
      const { code, stderr } = await run([
        "run",
        "single",
        "--config",
        config,
        "--out",
        "/proc/x/y",
      ]);
      expect(code).toBe(2);
      expect(stderr).toBe(
        "run: cannot write logs and metrics to /proc/x/y: the file system there does not allow creating directories; choose a directory you can write with --out\n",
      );
    },
  );

  it("a scenario file's problems name the file, the sync and the field; read errors are sentences", async () => {
    await writeFile(
      join(dir, "bad-scenario.yaml"),
      "syncs:\n  7a2b3c4d-0000-4000-8000-000000000005:\n    type: model\n    outcome: errors\n",
    );
    const bad = await run(["run", "single", "--config", config, "--scenario", "bad-scenario.yaml"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^bad-scenario\.yaml: sync "7a2b3c4d-0000-4000-8000-000000000005", field "outcome": "errors" is a bulk outcome/,
    );
    await mkdir(join(dir, "scenarios"), { recursive: true });
    const directory = await run(["run", "single", "--config", config, "--scenario", "scenarios"]);
    expect(directory).toMatchObject({ code: 2, stdout: "" });
    expect(directory.stderr).toBe(
      "scenarios: cannot read the scenario: it is a directory, not a file\n",
    );
    await writeFile(join(dir, "binary.yaml"), Buffer.from([0xff, 0xfe, 0, 1, 2]));
    const binary = await run(["run", "single", "--config", config, "--scenario", "binary.yaml"]);
    expect(binary.code).toBe(2);
    expect(binary.stderr).toBe(
      "binary.yaml: cannot read the scenario: it is not a text file (it holds binary data); expected YAML or JSON\n",
    );
  });
});
