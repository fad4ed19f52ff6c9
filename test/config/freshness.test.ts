import { describe, expect, it } from "vitest";
import { ConfigError, parsePipelinesConfig } from "../../lib/config/load";

const UUID = "9f1c0d2e-0000-4000-8000-000000000001";
const PIPELINE = `pipelines:\n  p:\n    steps:\n      - id: load\n        bulk_sync: ${UUID}\n`;

function load(freshness: string) {
  return parsePipelinesConfig(`${PIPELINE}freshness:\n${freshness}`, "pipelines.yaml");
}

/** The problems of a `freshness:` section as formatted lines; fails the test when it loads. */
function problems(freshness: string): string[] {
  try {
    load(freshness);
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected the file to be rejected");
}

describe("freshness: in the pipelines file", () => {
  it("loads syncs by id and by name, with per-schema ages and the defaults", () => {
    const config = load(
      `  syncs:\n    - bulk_sync: ${UUID}\n      max_age: 26h\n      schemas: { Contact: { max_age: 2h } }\n    - model_sync: { name: Contacts to HubSpot }\n      max_age: 1h30m\n`,
    );
    expect(config.freshness).toEqual({
      check_every_seconds: 900,
      max_api_calls: 200,
      max_pages: 5,
      syncs: [
        {
          type: "bulk",
          sync: { id: UUID },
          label: UUID,
          max_age_seconds: 26 * 3600,
          schemas: [{ schema: "Contact", max_age_seconds: 7200 }],
        },
        {
          type: "model",
          sync: { name: "Contacts to HubSpot" },
          label: "Contacts to HubSpot",
          max_age_seconds: 5400,
          schemas: [],
        },
      ],
    });
  });

  it("takes check_every and the call bounds", () => {
    const config = load(
      `  check_every: 5m\n  max_api_calls: 50\n  max_pages: 2\n  syncs:\n    - bulk_sync: ${UUID}\n      max_age: 1h\n`,
    );
    expect(config.freshness).toMatchObject({
      check_every_seconds: 300,
      max_api_calls: 50,
      max_pages: 2,
    });
  });

  it("leaves freshness out when the file has none", () => {
    expect(parsePipelinesConfig(PIPELINE, "pipelines.yaml").freshness).toBeUndefined();
  });

  it("rejects a max_age that is not a duration, and unknown keys", () => {
    expect(
      problems(`  syncs:\n    - bulk_sync: ${UUID}\n      max_age: 1 day\n      maxage: 2h\n`),
    ).toEqual([
      'pipelines.yaml: field "freshness.syncs[0].max_age": invalid duration "1 day": use whole numbers with units s, m or h, such as 45s, 90m, 2h or 1h30m',
      'pipelines.yaml: field "freshness.syncs[0].maxage": unknown key "maxage" (did you mean "max_age"?)',
    ]);
  });

  it("rejects per-schema ages on a model sync, both or neither sync kind", () => {
    expect(
      problems(
        `  syncs:\n    - model_sync: ${UUID}\n      max_age: 2h\n      schemas: { Contact: { max_age: 2h } }\n    - model_sync: { name: a }\n      bulk_sync: { name: a }\n      max_age: 2h\n    - max_age: 2h\n`,
      ),
    ).toEqual([
      'pipelines.yaml: field "freshness.syncs[0].schemas": per-schema max_age is for bulk syncs; this entry watches a model sync',
      'pipelines.yaml: field "freshness.syncs[1].model_sync": set either bulk_sync or model_sync, not both',
      'pipelines.yaml: field "freshness.syncs[2].bulk_sync": missing: set bulk_sync or model_sync',
    ]);
  });

  it("rejects a sync listed twice (same id in any case, same name), and two syncs of one name", () => {
    expect(
      problems(
        `  syncs:\n    - bulk_sync: ${UUID}\n      max_age: 2h\n    - bulk_sync: ${UUID.toUpperCase()}\n      max_age: 3h\n    - model_sync: { name: a }\n      max_age: 2h\n    - model_sync: { name: a }\n      max_age: 2h\n    - bulk_sync: { name: a }\n      max_age: 2h\n`,
      ),
    ).toEqual([
      'pipelines.yaml: field "freshness.syncs[1]": this sync is listed already, at freshness.syncs[0]',
      'pipelines.yaml: field "freshness.syncs[3]": this sync is listed already, at freshness.syncs[2]',
      'pipelines.yaml: field "freshness.syncs[4]": freshness.syncs[2] is named "a" too: their metrics (dimension Sync) would mix; name one by id',
    ]);
  });

  it("rejects ages the check interval cannot see, and check_every in seconds", () => {
    expect(
      problems(
        `  check_every: 90s\n  syncs:\n    - bulk_sync: ${UUID}\n      max_age: 1m30s\n      schemas: { Contact: { max_age: 1m } }\n`,
      ),
    ).toEqual([
      'pipelines.yaml: field "freshness.check_every": use whole minutes, such as 5m or 15m',
      'pipelines.yaml: field "freshness.syncs[0].max_age": 1m30s is not longer than check_every (1m30s): a sync is looked at only that often',
      'pipelines.yaml: field "freshness.syncs[0].schemas.Contact.max_age": 1m is not longer than check_every (1m30s): a sync is looked at only that often',
    ]);
  });

  it("rejects an empty list and bounds out of range", () => {
    expect(problems("  max_api_calls: 0\n  max_pages: 101\n  syncs: []\n")).toEqual([
      'pipelines.yaml: field "freshness.max_api_calls": max_api_calls must be at least 1',
      'pipelines.yaml: field "freshness.max_pages": max_pages must be at most 100',
      'pipelines.yaml: field "freshness.syncs": list at least one sync, or leave freshness out',
    ]);
  });
});
