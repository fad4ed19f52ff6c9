/**
 * `freshness` in-process: the example pipelines file and scenario against the embedded
 * simulator, over HTTP; --live against a simulator standing in for the real API.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import type { FreshnessReport } from "../../functions/core/freshness";
import { ManualClock, parseScenario, startSimulator } from "../../simulator";
import { runMain } from "./in-process";

const REPO = resolve(import.meta.dirname, "../..");
const SCENARIO = "examples/scenarios/freshness.yaml";

describe("freshness command", () => {
  it("shows the paused sync and the schema that stopped loading as STALE, exit 1", async () => {
    const { code, stdout, stderr } = await runMain(["freshness", "--scenario", SCENARIO], REPO);
    expect(stderr).toBe("");
    expect(code).toBe(1);
    const lines = stdout.split("\n");
    expect(lines[0]).toMatch(/^sync +schema +last success +age +max age +status$/);
    const row = (text: string) => lines.find((l) => l.includes(text)) ?? "";
    expect(row("Zendesk to Snowflake (paused)")).toMatch(/30h 00m 00s +2h 00m 00s +STALE$/);
    expect(row("Contact ")).toMatch(/68h 00m 00s +26h 00m 00s +STALE$/);
    expect(row("Contacts to HubSpot")).toMatch(/19h 00m 00s +26h 00m 00s +ok$/);
    // Watched by id: named from the sync list read anyway, with the id's start.
    expect(row("Contact ")).toMatch(/^Salesforce to Snowflake \(9f1c0d2e…\) +Contact +\S+Z +/);
    expect(stdout).toContain("2 syncs or schemas need attention; 5 API calls of at most 200");
    const table = lines.slice(
      0,
      lines.findIndex((l) => l.includes("need attention")),
    );
    for (const line of table) expect(line.length).toBeLessThanOrEqual(100);
  });

  it("a long name is cut to keep the table within 100 columns, the id's start kept", async () => {
    const dir = mkdtempSync(join(tmpdir(), "freshness-"));
    const id = "9f1c0d2e-0000-4000-8000-000000000003";
    const name = `Salesforce production org to the Snowflake analytics warehouse ${"x".repeat(40)}`;
    writeFileSync(
      join(dir, "pipelines.yaml"),
      `pipelines:\n  p:\n    steps:\n      - { id: a, bulk_sync: ${id} }\nfreshness:\n  syncs:\n    - bulk_sync: ${id}\n      max_age: 2h\n      schemas: { Opportunity_History: { max_age: 2h } }\n`,
    );
    writeFileSync(
      join(dir, "scenario.yaml"),
      `syncs:\n  ${id}:\n    type: bulk\n    name: ${name}\n    schemas:\n      - { name: Opportunity_History }\n`,
    );
    const { stdout } = await runMain(["freshness", "--scenario", "scenario.yaml"], dir);
    const lines = stdout.split("\n");
    const table = lines.slice(
      0,
      lines.findIndex((l) => l.includes("need attention")),
    );
    expect(table).toHaveLength(4);
    for (const line of table) expect(line.length).toBeLessThanOrEqual(100);
    expect(table[3]).toMatch(
      /^Salesforce product… \(9f1c0d2e…\) +Opportunity_History +- +- +2h 00m 00s +never succeeded$/,
    );
  });

  it("--json prints the report only", async () => {
    const { code, stdout } = await runMain(["freshness", "--scenario", SCENARIO, "--json"], REPO);
    expect(code).toBe(1);
    const report = JSON.parse(stdout) as FreshnessReport;
    expect(report.rows.map((r) => [r.sync, r.schema, r.status])).toEqual([
      ["9f1c0d2e-0000-4000-8000-000000000001", undefined, "ok"],
      ["9f1c0d2e-0000-4000-8000-000000000001", "Contact", "stale"],
      ["Contacts to HubSpot", undefined, "ok"],
      ["Zendesk to Snowflake", undefined, "stale"],
    ]);
  });

  it("without a scenario: the pipelines' syncs are fresh, a sync no pipeline runs never succeeded", async () => {
    const { code, stdout } = await runMain(["freshness"], REPO);
    expect(code).toBe(1);
    expect(stdout).toMatch(/Zendesk to Snowflake +- +- +2h 00m 00s +never succeeded/);
    expect(stdout).toContain("1 sync or schema needs attention");
  });

  it("exit 0 when every sync is fresh; --live asks POLYTOMIC_API_URL with POLYTOMIC_API_KEY", async () => {
    const dir = mkdtempSync(join(tmpdir(), "freshness-"));
    const id = "9f1c0d2e-0000-4000-8000-000000000002";
    writeFileSync(
      join(dir, "pipelines.yaml"),
      `pipelines:\n  p:\n    steps:\n      - { id: a, model_sync: ${id} }\nfreshness:\n  syncs:\n    - { model_sync: ${id}, max_age: 2h }\n`,
    );
    const sim = await startSimulator({
      scenario: parseScenario(
        `api_key: live-key\nsyncs:\n  ${id}: { type: model, last_succeeded: -1m }`,
        "live.yaml",
      ),
      clock: new ManualClock(Date.now()),
      host: "127.0.0.1",
    });
    try {
      const env = { POLYTOMIC_API_KEY: "live-key", POLYTOMIC_API_URL: sim.url };
      const ok = await runMain(["freshness", "--live"], dir, env);
      expect(ok.stdout).toMatch(/ok\n0 syncs or schemas need attention; 2 API calls/);
      expect(ok.code).toBe(0);
      const refused = await runMain(["freshness", "--live"], dir, {
        ...env,
        POLYTOMIC_API_KEY: "no",
      });
      expect(refused.code).toBe(2);
      expect(refused.stderr).toMatch(
        /refused the API key \(401 Unauthorized\); check POLYTOMIC_API_KEY/,
      );
    } finally {
      await sim.close();
    }
  });

  it("exit 2 for a file without freshness:, and for --scenario with --live", async () => {
    const dir = mkdtempSync(join(tmpdir(), "freshness-"));
    writeFileSync(
      join(dir, "pipelines.yaml"),
      "pipelines:\n  p:\n    steps:\n      - { id: a, model_sync: 9f1c0d2e-0000-4000-8000-000000000002 }\n",
    );
    const none = await runMain(["freshness"], dir);
    expect(none.code).toBe(2);
    expect(none.stderr).toMatch(/pipelines.yaml has no freshness: section/);
    const both = await runMain(["freshness", "--live", "--scenario", "x.yaml"], REPO);
    expect(both.code).toBe(2);
    expect(both.stderr).toMatch(/--scenario is for the embedded simulator/);
  });
});
