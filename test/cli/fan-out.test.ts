/**
 * `run` of a partner pipeline (issue 15) through the real command line, against the
 * embedded simulator: examples/pipelines/partner.yaml with
 * examples/scenarios/partner-fanout.yaml (Acme succeeds, Globex's load fails, Initech has
 * no HubSpot sync).
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
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
    expect(run.stdout).toMatch(
      /pipeline error: Pipeline\.OrganizationsFailed: 2 of 3 organizations failed/,
    );
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
