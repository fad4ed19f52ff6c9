import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { scenarioGaps } from "../../lib/cli/commands/run";
import { loadPipelinesConfig } from "../../lib/config/load";
import { loadScenario } from "../../simulator";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");

describe("scenarioGaps", () => {
  it("names the steps whose sync the scenario lacks, by id or by name and type", async () => {
    const config = loadPipelinesConfig(resolve(FIXTURES, "pipelines.yaml"));
    const scenario = await loadScenario(resolve(FIXTURES, "hubspot-fails.yaml"));
    expect(scenarioGaps(config, "fanout", scenario)).toEqual([]);
    expect(scenarioGaps(config, "single", { ...scenario, source: "s.yaml" })).toEqual([
      's.yaml has no model sync 7a2b3c4d-0000-4000-8000-000000000005: step "only" will fail',
    ]);
    const renamed = structuredClone(scenario);
    const hubspot = renamed.syncs["1b2c3d4e-0000-4000-8000-000000000002"];
    if (hubspot) hubspot.name = "Contacts to Hubspot";
    expect(scenarioGaps(config, "fanout", { ...renamed, source: "s.yaml" })).toEqual([
      's.yaml has no model sync named "Contacts to HubSpot": step "push_hubspot" will fail',
    ]);
  });
});
