import { describe, expect, it } from "vitest";
import type { PipelinesConfig, StepConfig } from "../../../lib/config/model";
import {
  scenarioFromConfig,
  scenarioSyncId,
  syncIdFromName,
} from "../../../lib/local/scenario-from-config";
import { parseScenario } from "../../../simulator/scenario";

function step(
  partial: Partial<StepConfig> & Pick<StepConfig, "id" | "sync_type" | "sync">,
): StepConfig {
  return {
    options: {},
    after: [],
    run_after: "success",
    on_conflict: "attach",
    policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
    poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
    timeout_seconds: 21_600,
    ...partial,
  };
}

const BULK_ID = "9F1C0D2E-0000-4000-8000-000000000001";

const config: PipelinesConfig = {
  source: "/tmp/pipelines.yaml",
  pipelines: [
    {
      name: "nightly",
      timeout_seconds: 43_200,
      notify: [],
      steps: [
        step({
          id: "load_salesforce",
          sync_type: "bulk",
          sync: { id: BULK_ID },
          options: { schemas: ["Account", "Contact"] },
        }),
        step({
          id: "load_again",
          sync_type: "bulk",
          sync: { id: BULK_ID },
          options: { schemas: ["Lead", "Account"] },
        }),
        step({
          id: "push_hubspot",
          sync_type: "model",
          sync: { name: "Contacts to HubSpot" },
          after: ["load_salesforce"],
        }),
      ],
    },
    { name: "other", timeout_seconds: 60, notify: [], steps: [] },
  ],
};

describe("syncIdFromName", () => {
  it("gives a stable, version-5-shaped uuid that depends on name and type", () => {
    const id = syncIdFromName("model", "Contacts to HubSpot");
    expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(syncIdFromName("model", "Contacts to HubSpot")).toBe(id);
    expect(syncIdFromName("bulk", "Contacts to HubSpot")).not.toBe(id);
    expect(syncIdFromName("model", "Contacts to Braze")).not.toBe(id);
  });
});

describe("scenarioFromConfig", () => {
  const scenario = scenarioFromConfig(config, "nightly");

  it("has one succeeding sync per distinct sync, ids lower case, names registered", () => {
    const modelId = syncIdFromName("model", "Contacts to HubSpot");
    expect(Object.keys(scenario.syncs).sort()).toEqual([BULK_ID.toLowerCase(), modelId].sort());
    expect(scenarioSyncId(config.pipelines[0]?.steps[2] as StepConfig)).toBe(modelId);
    const model = scenario.syncs[modelId];
    expect(model).toMatchObject({
      type: "model",
      name: "Contacts to HubSpot",
      outcome: "completed",
      errors: 0,
      warnings: 0,
    });
    for (const sync of Object.values(scenario.syncs)) {
      expect(sync.outcome).toBe("completed");
      expect(sync.records).toBeGreaterThan(0);
    }
    expect(scenario.faults).toEqual([]);
    expect(scenario.api_key).toBeUndefined();
  });

  it("gives bulk syncs tens of minutes to hours and model syncs minutes, with history around them", () => {
    const bulk = scenario.syncs[BULK_ID.toLowerCase()];
    const model = scenario.syncs[syncIdFromName("model", "Contacts to HubSpot")];
    expect(bulk?.duration_seconds).toBeGreaterThanOrEqual(20 * 60);
    expect(bulk?.duration_seconds).toBeLessThanOrEqual(3 * 3600);
    expect(model?.duration_seconds).toBeGreaterThanOrEqual(120);
    expect(model?.duration_seconds).toBeLessThanOrEqual(900);
    for (const sync of [bulk, model]) {
      const d = sync?.duration_seconds ?? 0;
      expect(sync?.history_seconds.length).toBeGreaterThan(0);
      for (const h of sync?.history_seconds ?? []) {
        expect(Math.abs(h - d)).toBeLessThanOrEqual(d * 0.15);
      }
    }
  });

  it("gives a bulk sync the union of its steps' schemas, records split among them", () => {
    const bulk = scenario.syncs[BULK_ID.toLowerCase()];
    expect(bulk?.schemas.map((s) => s.name)).toEqual(["Account", "Contact", "Lead"]);
    expect(bulk?.schemas.every((s) => s.outcome === "completed" && s.errors === 0)).toBe(true);
    expect(bulk?.schemas.reduce((n, s) => n + s.records, 0)).toBe(bulk?.records);
  });

  it("is deterministic", () => {
    expect(scenarioFromConfig(config, "nightly")).toEqual(scenario);
  });

  it("round-trips through the scenario parser unchanged", () => {
    const raw = Object.fromEntries(
      Object.entries(scenario.syncs).map(([id, { id: _id, schemas, ...sync }]) => [
        id,
        sync.type === "bulk" ? { ...sync, schemas } : sync,
      ]),
    );
    const reparsed = parseScenario(JSON.stringify({ syncs: raw }), "x");
    expect(reparsed.syncs).toEqual(scenario.syncs);
  });

  it("names the known pipelines when the pipeline is unknown", () => {
    expect(() => scenarioFromConfig(config, "weekly")).toThrow(
      /unknown pipeline "weekly".*nightly, other/,
    );
  });
});
