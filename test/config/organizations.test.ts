import { describe, expect, it } from "vitest";
import { parsePipelinesConfig } from "../../lib/config/load";
import { MAX_ORGANIZATIONS } from "../../lib/config/schema";
import { problems } from "./problems";

const UUID = "9f1c0d2e-0000-4000-8000-000000000001";
const ORG = "7c1e0000-0000-4000-8000-0000000000a0";

const byName = `      - id: load\n        bulk_sync: { name: Salesforce to Snowflake }\n`;
const pipeline = (extra: string, steps = byName) =>
  `pipelines:\n  p:\n${extra}    steps:\n${steps}`;

describe("organizations: (issue 15)", () => {
  it("loads the three forms, with the defaults of concurrency and fail_when", () => {
    const load = (extra: string) =>
      parsePipelinesConfig(pipeline(extra), "pipelines.yaml").pipelines[0]?.fan_out;
    expect(load(`    organizations: [${ORG}, Globex]\n`)).toEqual({
      organizations: { list: [ORG, "Globex"] },
      max_concurrent: 10,
      fail_when: "any",
    });
    expect(
      load("    organizations: all\n    max_concurrent_organizations: 3\n    fail_when: all\n"),
    ).toEqual({ organizations: { all: true }, max_concurrent: 3, fail_when: "all" });
    expect(load(`    organizations: { sharing_connection: ${UUID} }\n`)?.organizations).toEqual({
      sharing_connection: UUID,
    });
  });

  it("leaves a pipeline without organizations as it was: no fan_out key at all", () => {
    const config = parsePipelinesConfig(pipeline(""), "pipelines.yaml");
    expect(Object.keys(config.pipelines[0] ?? {})).not.toContain("fan_out");
  });

  it("refuses a step naming its sync by uuid, saying why", () => {
    const steps = `      - id: load\n        bulk_sync: ${UUID}\n      - id: push\n        model_sync: ${UUID}\n`;
    expect(problems(pipeline("    organizations: all\n", steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "load", field "bulk_sync": with organizations:, name the sync ({ name: ... }) instead of giving its uuid: sync ids differ per organization, so the step looks its sync up by name in each one',
      'pipelines.yaml: pipeline "p", step "push", field "model_sync": with organizations:, name the sync ({ name: ... }) instead of giving its uuid: sync ids differ per organization, so the step looks its sync up by name in each one',
    ]);
  });

  it("refuses max_concurrent_organizations and fail_when without organizations", () => {
    expect(problems(pipeline("    max_concurrent_organizations: 2\n    fail_when: all\n"))).toEqual(
      [
        'pipelines.yaml: pipeline "p", field "max_concurrent_organizations": "max_concurrent_organizations" is only valid with organizations:',
        'pipelines.yaml: pipeline "p", field "fail_when": "fail_when" is only valid with organizations:',
      ],
    );
  });

  it("refuses bad forms, bad values and an organization listed twice", () => {
    expect(
      problems(
        pipeline(
          "    organizations: [Acme, Globex, Acme]\n    max_concurrent_organizations: 41\n    fail_when: most\n",
        ),
      ),
    ).toEqual([
      'pipelines.yaml: pipeline "p", field "max_concurrent_organizations": max_concurrent_organizations must be at most 40 (an inline Map runs at most 40 iterations at once)',
      'pipelines.yaml: pipeline "p", field "fail_when": "most" is not one of: any, all',
      'pipelines.yaml: pipeline "p", field "organizations[2]": "Acme" is listed twice',
    ]);
    expect(problems(pipeline("    organizations: some\n"))).toEqual([
      'pipelines.yaml: pipeline "p", field "organizations": expected a list of organization uuids or names, `all` or { sharing_connection: <uuid> }, got "some"',
    ]);
    expect(
      problems(pipeline("    organizations: []\n    max_concurrent_organizations: 0\n")),
    ).toEqual([
      'pipelines.yaml: pipeline "p", field "organizations": list at least one organization, or write `all`',
      'pipelines.yaml: pipeline "p", field "max_concurrent_organizations": max_concurrent_organizations must be at least 1',
    ]);
    expect(problems(pipeline("    organizations: { sharing_connection: nope }\n"))).toEqual([
      'pipelines.yaml: pipeline "p", field "organizations.sharing_connection": invalid uuid "nope"',
    ]);
  });

  it(`refuses a list of more than ${MAX_ORGANIZATIONS} organizations`, () => {
    const names = Array.from({ length: MAX_ORGANIZATIONS + 1 }, (_, i) => `org${i}`).join(", ");
    expect(problems(pipeline(`    organizations: [${names}]\n`))).toEqual([
      `pipelines.yaml: pipeline "p", field "organizations": ${MAX_ORGANIZATIONS + 1} organizations: a pipeline runs in at most ${MAX_ORGANIZATIONS} (one execution history holds them all; docs/pipelines.md#one-pipeline-across-organizations)`,
    ]);
  });
});
