/** `doctor`: the preflight for every pipeline, and the warnings about what will hurt on AWS. */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { eventsPerState } from "../../bench/history-events";
import { scheduleWarnings, shortestInterval } from "../../lib/cli/advice";
import { EVENTS_PER_CHECK } from "../../lib/config/history";
import { parsePipelinesConfig } from "../../lib/config/load";
import type { PipelineConfig } from "../../lib/config/model";
import { synthesizeDefinitions } from "../../lib/constructs/definitions";
import { RUN_SYNC_STATES } from "../../lib/constructs/run-sync-state-machine";
import { loadScenario, parseScenario, startSimulator } from "../../simulator";
import { runMain } from "./in-process";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "doctor-test-"));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

const cli = (args: string[], env: Record<string, string> = {}) => runMain(args, dir, env);

function pipeline(body: string): PipelineConfig {
  return parsePipelinesConfig(`pipelines:\n  p:\n${body}`, "p.yaml").pipelines[0] as PipelineConfig;
}

const STEP = "    steps:\n      - { id: a, bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001 }\n";

describe("schedule advice", () => {
  it.each([
    ["*/15 * * * *", 900],
    ["0 2 * * 1-5", 24 * 3600],
    ["0 9,17 * * *", 8 * 3600],
    ["0 2 1 * *", 28 * 24 * 3600],
    ["0 2 29 2 *", (4 * 365 + 1) * 24 * 3600],
    ["0 2 30 2 *", undefined],
    ["0 2 31 4,6,9,11 *", undefined],
  ])("cron %s fires again after %s s at the shortest", (cron, seconds) => {
    const p = pipeline(`    schedule: { cron: "${cron}" }\n${STEP}`);
    expect(shortestInterval(p.schedule as NonNullable<PipelineConfig["schedule"]>)).toBe(seconds);
  });

  it("measures in the schedule's time zone, where clocks going forward shorten an interval", () => {
    // 10 March 2024, New York: 01:00 EST and 03:00 EDT are one hour apart.
    const p = pipeline(
      `    schedule: { cron: "0 1,3 * * *", timezone: America/New_York }\n    timeout: 90m\n${STEP}`,
    );
    expect(shortestInterval(p.schedule as NonNullable<PipelineConfig["schedule"]>)).toBe(3600);
    expect(scheduleWarnings(p)).toEqual([
      expect.stringMatching(/^cron "0 1,3 \* \* \*" fires again after 1h at the shortest/),
    ]);
  });

  it("warns about a cron that never fires and a schedule that overlaps its own runs", () => {
    expect(scheduleWarnings(pipeline(`    schedule: { cron: "0 2 30 2 *" }\n${STEP}`))).toEqual([
      'cron "0 2 30 2 *" never fires (no date matches it): the pipeline will never run on schedule',
    ]);
    const [overlap] = scheduleWarnings(
      pipeline(`    schedule: { rate: 1 hour }\n    timeout: 2h\n${STEP}`),
    );
    expect(overlap).toMatch(
      /^rate "1 hour" fires again after 1h at the shortest, within the pipeline's timeout \(2h\)/,
    );
    expect(
      scheduleWarnings(pipeline(`    schedule: { rate: 2 hours }\n    timeout: 2h\n${STEP}`)),
    ).toEqual([]);
    expect(scheduleWarnings(pipeline(`    schedule: { cron: "0 2 * * *" }\n${STEP}`))).toEqual([]);
  });
});

describe("doctor", () => {
  it("prints OK or each warning per pipeline and exits 0 when nothing stops a run", async () => {
    const file = join(dir, "warned.yaml");
    await writeFile(
      file,
      `pipelines:\n  never:\n    schedule: { cron: "0 2 30 2 *" }\n${STEP}  fine:\n${STEP}`,
    );
    const { code, stdout } = await cli(["doctor", "--config", file]);
    expect(code).toBe(0);
    expect(stdout.split("\n").slice(1)).toEqual([
      'never: warning: cron "0 2 30 2 *" never fires (no date matches it): the pipeline will never run on schedule',
      "fine: OK",
      "0 problems, 1 warning",
      "",
    ]);
  });

  it("refuses polling whose worst case reaches the execution-history limit, naming the step", async () => {
    const file = join(dir, "polling.yaml");
    await writeFile(
      file,
      "pipelines:\n  risky:\n    timeout: 24h\n    steps:\n      - { id: a, bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001, timeout: 24h, poll: { strategy: fixed, min: 5s } }\n",
    );
    const { code, stdout, stderr } = await cli(["doctor", "--config", file]);
    expect(code).toBe(2);
    expect(stdout + stderr).toMatch(/step "a".*25,000-event history limit/s);
  });

  it("--live resolves every step's sync and exits 2 naming those it cannot find", async () => {
    const scenario = await loadScenario(resolve(FIXTURES, "hubspot-fails.yaml"));
    const sim = await startSimulator({
      scenario: { ...scenario, api_key: "k-123" },
      host: "127.0.0.1",
    });
    try {
      const env = { POLYTOMIC_API_URL: sim.url, POLYTOMIC_API_KEY: "k-123" };
      const file = join(dir, "live.yaml");
      await writeFile(
        file,
        "pipelines:\n  p:\n    steps:\n      - { id: push, model_sync: { name: Contacts to Hubspot } }\n",
      );
      const { code, stdout } = await cli(["doctor", "--config", file, "--live"], env);
      expect(code).toBe(2);
      expect(stdout).toContain(
        'p: error: step "push": no model sync is named "Contacts to Hubspot" (did you mean "Contacts to HubSpot"?)\n',
      );
      const refused = await cli(["doctor", "--config", file, "--live"], {
        ...env,
        POLYTOMIC_API_KEY: "wrong",
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toBe(
        `the Polytomic API at ${sim.url} refused the API key (401 Unauthorized); check POLYTOMIC_API_KEY\n`,
      );
      expect(sim.executions()).toEqual([]);
    } finally {
      await sim.close();
    }
  });
});

describe("doctor and freshness:", () => {
  it("reads every watched sync once: an unknown name or a bound too low is a problem, a paused sync a warning", async () => {
    const sim = await startSimulator({
      scenario: parseScenario(
        "api_key: k-123\nsyncs:\n  9f1c0d2e-0000-4000-8000-000000000001: { type: bulk, name: Salesforce to Snowflake, active: false }\n  9f1c0d2e-0000-4000-8000-000000000002: { type: model, name: Contacts to HubSpot }\n",
        "live.yaml",
      ),
      host: "127.0.0.1",
    });
    try {
      const env = { POLYTOMIC_API_URL: sim.url, POLYTOMIC_API_KEY: "k-123" };
      const file = join(dir, "fresh.yaml");
      await writeFile(
        file,
        `pipelines:\n  p:\n${STEP}freshness:\n  max_api_calls: 3\n  syncs:\n    - { bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001, max_age: 2h }\n    - { model_sync: { name: Contacts to Hubspot }, max_age: 2h }\n    - { model_sync: 9f1c0d2e-0000-4000-8000-000000000002, max_age: 2h }\n`,
      );
      const { code, stdout } = await cli(["doctor", "--config", file, "--live"], env);
      expect(code).toBe(2);
      expect(stdout.split("\n").filter((l) => l.startsWith("freshness: "))).toEqual([
        'freshness: error: sync "Contacts to Hubspot": no model sync is named "Contacts to Hubspot"',
        'freshness: error: sync "9f1c0d2e-0000-4000-8000-000000000002": the check\'s bound of 3 API calls (max_api_calls) was reached',
        'freshness: warning: sync "9f1c0d2e-0000-4000-8000-000000000001" is inactive (paused) in Polytomic: it will go stale',
      ]);
    } finally {
      await sim.close();
    }
  });
});

describe("EVENTS_PER_CHECK", () => {
  it("is what one turn of the synthesized run-sync machine's polling loop adds to its history", () => {
    const config = parsePipelinesConfig(`pipelines:\n  p:\n${STEP}`, "p.yaml");
    const { runSync } = synthesizeDefinitions(config);
    const S = RUN_SYNC_STATES;
    const check = runSync.States[S.check];
    const finished = runSync.States[S.runFinished];
    const wait = runSync.States[S.wait];
    // The loop: check -> run finished? -> (not yet) wait -> check.
    expect(check?.Next).toBe(S.runFinished);
    expect(finished).toMatchObject({ Type: "Choice", Default: S.wait });
    expect(wait?.Next).toBe(S.check);
    const events = [check, finished, wait].reduce(
      (n, state) => n + eventsPerState(state?.Type ?? "", state?.Resource),
      0,
    );
    expect(events).toBe(EVENTS_PER_CHECK);
  });
});
