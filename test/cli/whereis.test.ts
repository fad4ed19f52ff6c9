/**
 * `whereis <uuid>`: against the embedded simulator serving examples/scenarios/partner.yaml, and
 * with --live against a simulator standing in for the real API over HTTP.
 */
import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock, parseScenario, type RunningSimulator, startSimulator } from "../../simulator";
import {
  ACME,
  ACME_BULK,
  GLOBEX,
  GLOBEX_BULK,
  PARTNER_KEY,
  PARTNER_SCENARIO,
  UNKNOWN,
} from "../fixtures/partner";
import { runMain } from "./in-process";

const REPO = resolve(import.meta.dirname, "../..");
const SCENARIO = PARTNER_SCENARIO;
const LIVE_PARTNER_KEY = "live-partner-key-0123456789";

const whereis = (args: string[], env: Record<string, string> = {}) =>
  runMain(["whereis", ...args], REPO, env);

describe("whereis against the embedded simulator", () => {
  it("names the organization, type and canonical path of a sync", async () => {
    const run = await whereis([ACME_BULK, "--scenario", SCENARIO]);
    expect(run).toMatchObject({ code: 0, stderr: "" });
    expect(run.stdout).toContain(`bulk_sync     ${ACME_BULK}\n`);
    expect(run.stdout).toContain(`organization  Acme (${ACME})\n`);
    expect(run.stdout).toContain(`path          /api/bulk/syncs/${ACME_BULK}\n`);
  });

  it("prints only JSON with --json, and resolves a past execution to its sync", async () => {
    const scenario = parseScenario(readFileSync(resolve(REPO, SCENARIO), "utf8"), SCENARIO);
    const sim = await startSimulator({ scenario, clock: new ManualClock() });
    const token = Buffer.from(`${GLOBEX}:${PARTNER_KEY}`);
    const res = await fetch(`${sim.url}/api/bulk/syncs/${GLOBEX_BULK}/executions`, {
      headers: { authorization: `Basic ${token.toString("base64")}` },
    });
    const body = (await res.json()) as { data: { id: string }[] };
    await sim.close();
    const execution = body.data[0]?.id ?? "";
    const run = await whereis([execution, "--scenario", SCENARIO, "--json"]);
    expect(run.code).toBe(0);
    expect(JSON.parse(run.stdout)).toEqual({
      id: execution,
      type: "bulk_sync_execution",
      organization: { id: GLOBEX, name: "Globex" },
      canonical_path: `/api/bulk/syncs/${GLOBEX_BULK}/executions/${execution}`,
      url: null,
      relationships: {
        bulk_sync: { id: GLOBEX_BULK, path: `/api/bulk/syncs/${GLOBEX_BULK}` },
      },
    });
  });

  it("exits 1 for a UUID no organization has, 2 for a non-UUID or a scenario without partner_key", async () => {
    const unknown = await whereis([UNKNOWN, "--scenario", SCENARIO]);
    expect(unknown).toMatchObject({ code: 1, stdout: "" });
    expect(unknown.stderr).toContain(`no organization of the partner has ${UNKNOWN}`);
    expect((await whereis(["not-a-uuid"])).code).toBe(2);
    const none = await whereis([ACME_BULK]);
    expect(none).toMatchObject({ code: 2 });
    expect(none.stderr).toContain("has no partner_key");
  });
});

describe("whereis --live", () => {
  let sim: RunningSimulator;
  let env: Record<string, string>;
  beforeEach(async () => {
    const yaml = readFileSync(resolve(REPO, SCENARIO), "utf8")
      .replace(`partner_key: ${PARTNER_KEY}`, `partner_key: ${LIVE_PARTNER_KEY}`)
      .replace("api_key: sim-key", "api_key: live-user-key");
    sim = await startSimulator({
      scenario: parseScenario(yaml, "live.yaml"),
      clock: new ManualClock(Date.now()),
      validateResponses: true,
    });
    env = { POLYTOMIC_PARTNER_KEY: LIVE_PARTNER_KEY, POLYTOMIC_API_URL: sim.url };
  });
  afterEach(async () => {
    await sim.close();
  });

  it("sends the partner key and prints the resource's URL on the API", async () => {
    const run = await whereis([ACME_BULK, "--live"], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(`url           ${sim.url}/api/bulk/syncs/${ACME_BULK}\n`);
  });

  it("says a partner key is needed when given a user key, and never prints the key", async () => {
    const run = await whereis([ACME_BULK, "--live"], {
      ...env,
      POLYTOMIC_PARTNER_KEY: "live-user-key",
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain("whereis needs a partner key");
    expect(run.stderr).toContain("(403)");
    expect(run.stdout + run.stderr).not.toContain("live-user-key");
    const wrong = await whereis([ACME_BULK, "--live"], {
      ...env,
      POLYTOMIC_PARTNER_KEY: "wrong-key-0123",
    });
    expect(wrong.code).toBe(2);
    expect(wrong.stdout + wrong.stderr).not.toContain("wrong-key-0123");
    const missing = await whereis([ACME_BULK, "--live"], { POLYTOMIC_API_URL: sim.url });
    expect(missing).toMatchObject({ code: 2 });
    expect(missing.stderr).toContain("POLYTOMIC_PARTNER_KEY");
  });
});
