/**
 * `run` of a partner pipeline (issue 15) through the real command line, against the
 * embedded simulator: examples/pipelines/partner.yaml with
 * examples/scenarios/partner-fanout.yaml (Acme succeeds, Globex's load fails, Initech has
 * no HubSpot sync).
 */
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { reportValidator } from "../report/validate";
import { runMain } from "./in-process";

const ROOT = resolve(import.meta.dirname, "../..");
const RUN = [
  "run",
  "partner_nightly",
  "--config",
  "examples/pipelines/partner.yaml",
  "--scenario",
  "examples/scenarios/partner-fanout.yaml",
];

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "cli-fan-out-"));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe("run <partner pipeline> --scenario", () => {
  it("prints each step under its organization, each organization's outcome, and fails naming the failed ones", async () => {
    const run = await runMain([...RUN, "--out", join(out, "text")], ROOT, { COLUMNS: "200" });
    expect(run.code).toBe(1);
    expect(run.stdout).toMatch(/ORGANIZATION\s+STEP\s+SYNC/);
    expect(run.stdout).toMatch(/Initech\s+push_hubspot\s+Contacts to HubSpot\s+failed/);
    expect(run.stdout).toContain(
      'Initech / push_hubspot failed: Sync.NotFound: no model sync is named "Contacts to HubSpot" in organization Initech',
    );
    expect(run.stdout).toContain("Globex / load_salesforce failed: Sync.Failed");
    expect(run.stdout).toContain(
      "Organizations: Acme succeeded; Globex failed (load_salesforce); Initech failed (push_hubspot)",
    );
    const own = run.stdout.split("\n").find((l) => l.startsWith("pipeline error:")) ?? "";
    expect(own).toMatch(
      /^pipeline error: Pipeline\.OrganizationsFailed: 2 of 3 organizations failed/,
    );
    // The console's JSON list stays out of the terminal: the Organizations line names them.
    expect(own).not.toContain("[{");
    expect(run.stderr).toBe("");
  }, 120_000);

  it("--json groups the steps by organization and validates against the committed schema", async () => {
    const run = await runMain([...RUN, "--json", "--out", join(out, "json")], ROOT);
    expect(run.code).toBe(1);
    const report = JSON.parse(run.stdout);
    expect(reportValidator()(report)).toBe(true);
    expect(report.organizations).toEqual([
      expect.objectContaining({ name: "Acme", status: "succeeded", failed_steps: [] }),
      expect.objectContaining({
        name: "Globex",
        status: "failed",
        failed_steps: ["load_salesforce"],
      }),
      expect.objectContaining({
        name: "Initech",
        status: "failed",
        failed_steps: ["push_hubspot"],
      }),
    ]);
    const byOrganization = report.steps.map((s: { organization: { name: string }; id: string }) => [
      s.organization.name,
      s.id,
    ]);
    expect(byOrganization).toHaveLength(6);
    expect(report.error.name).toBe("Pipeline.OrganizationsFailed");
    // report.html draws every organization's steps, named by organization.
    const html = await readFile(report.report, "utf8");
    for (const name of [
      "Acme / push_hubspot",
      "Globex / load_salesforce",
      "Initech / push_hubspot",
    ]) {
      expect(html).toContain(name);
    }
    expect(report.critical_path).toEqual(["Initech / load_salesforce"]);
    expect(report.message).toContain("Initech / push_hubspot (Sync.NotFound)");
  }, 120_000);
});

describe("run <partner pipeline> without --scenario", () => {
  it.each([
    ["a list", "[Acme, 7c1e0000-0000-4000-8000-0000000001b0]", 2],
    ["all (the partner's own organization too)", "all", 4],
    ["a shared connection", "{ sharing_connection: 7c1e0000-0000-4000-8000-00000000c000 }", 3],
  ])(
    "generates a partner scenario in which every organization's steps succeed: %s",
    async (_, organizations, count) => {
      const dir = await mkdtemp(join(out, "generated-"));
      await writeFile(
        join(dir, "pipelines.yaml"),
        `pipelines:\n  p:\n    organizations: ${organizations}\n    steps:\n      - { id: load, bulk_sync: { name: Load } }\n      - { id: push, model_sync: { name: Push }, after: [load] }\n`,
      );
      const run = await runMain(["run", "p", "--json", "--out", join(dir, "out")], dir);
      expect(run.stderr).toBe("");
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout);
      expect(report.organizations).toHaveLength(count);
      expect(report.steps).toHaveLength(2 * count);
      expect(report.steps.every((s: { status: string }) => s.status === "succeeded")).toBe(true);
    },
    120_000,
  );
});

describe("validate a partner pipeline", () => {
  it("says in which organizations its steps run", async () => {
    const run = await runMain(["validate", "--config", "examples/pipelines/partner.yaml"], ROOT);
    expect(run.code).toBe(0);
    expect(run.stdout).toContain(
      "partner_nightly: 2 steps in each of 3 organizations, manual only",
    );
  });
});
