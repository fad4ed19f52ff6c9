import { readdirSync, readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { describe, expect, it } from "vitest";
import { parse } from "yaml";
import { decompose, planSteps } from "../../lib/asl/series-parallel";
import { CONFIG_SCHEMA_PATH, generateConfigJsonSchema } from "../../lib/config/json-schema";
import { loadPipelinesConfig } from "../../lib/config/load";
import { loadScenario } from "../../simulator/scenario";

const root = (path: string) => fileURLToPath(new URL(`../../${path}`, import.meta.url));
const examples = readdirSync(root("examples/pipelines"))
  .filter((f) => f.endsWith(".yaml"))
  .map((f) => `examples/pipelines/${f}`);

describe("the shipped pipelines files", () => {
  it("pipelines.yaml loads: nightly on weekdays in New York, hourly events", () => {
    const config = loadPipelinesConfig(root("pipelines.yaml"));
    const [nightly, hourly] = config.pipelines;
    expect(config.pipelines.map((p) => p.name)).toEqual(["nightly", "hourly_events"]);
    expect(nightly?.schedule).toEqual({
      cron: "0 2 * * 1-5",
      timezone: "America/New_York",
      expression: "cron(0 2 ? * MON-FRI *)",
    });
    expect(nightly?.timeout_seconds).toBe(6 * 3600);
    expect(nightly?.steps.map((s) => [s.id, s.sync_type, s.after, s.run_after])).toEqual([
      ["load_salesforce", "bulk", [], "success"],
      ["load_stripe", "bulk", [], "success"],
      ["push_hubspot", "model", ["load_salesforce"], "success"],
      ["push_braze", "model", ["load_salesforce"], "success"],
      ["update_salesforce_accounts", "model", ["load_salesforce"], "success"],
      ["refresh_reporting", "model", ["load_salesforce", "load_stripe"], "completion"],
    ]);
    expect(nightly?.steps[0]?.options).toEqual({
      schemas: ["Account", "Contact", "Opportunity"],
      fetch_mode: "incremental",
    });
    expect(hourly?.schedule?.expression).toBe("rate(1 hour)");
  });

  it("starts with the editor schema line", () => {
    expect(readFileSync(root("pipelines.yaml"), "utf8").split("\n")[0]).toBe(
      "# yaml-language-server: $schema=./pipelines.schema.json",
    );
  });

  it("include a ten-step fan-out / fan-in pipeline and a non-series-parallel one", () => {
    const steps = (file: string) => loadPipelinesConfig(root(file)).pipelines[0]?.steps ?? [];
    const ten = decompose(steps("examples/pipelines/ten-step.yaml")).plan;
    expect(planSteps(ten)).toHaveLength(10);
    // Three loads fan out to their pushes, which fan in to the last two steps.
    expect(
      ten.kind === "series" && ten.parts.map((p) => (p.kind === "step" ? p.id : p.kind)),
    ).toEqual(["parallel", "build_health_scores", "publish_dashboard"]);
    const nShape = decompose(steps("examples/pipelines/non-series-parallel.yaml"));
    expect(nShape.gated).not.toEqual([]);
  });

  it.each(examples)("%s loads", (file) => {
    expect(loadPipelinesConfig(root(file)).pipelines.length).toBeGreaterThan(0);
  });
});

describe("pipelines.schema.json", () => {
  it("is up to date with the zod schema (run `npm run gen:config-schema` when this fails)", () => {
    const committed = readFileSync(fileURLToPath(CONFIG_SCHEMA_PATH), "utf8");
    expect(committed === generateConfigJsonSchema()).toBe(true);
  });

  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const validate = ajv.compile(JSON.parse(generateConfigJsonSchema()));

  it.each(["pipelines.yaml", ...examples])("accepts %s", (file) => {
    const ok = validate(parse(readFileSync(root(file), "utf8")));
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
  });

  it("flags unknown keys, two syncs in a step and bad durations for the editor", () => {
    const bad = {
      pipelines: {
        p: {
          timeout: "2d",
          steps: [
            {
              id: "a",
              bulk_sync: "9f1c0d2e-0000-4000-8000-000000000001",
              model_sync: "x",
              colour: 1,
            },
          ],
        },
      },
    };
    expect(validate(bad)).toBe(false);
    const paths = (validate.errors ?? []).map((e) => `${e.instancePath} ${e.keyword}`);
    expect(paths).toEqual(
      expect.arrayContaining([
        "/pipelines/p/timeout pattern",
        "/pipelines/p/steps/0 additionalProperties",
        "/pipelines/p/steps/0 oneOf",
      ]),
    );
  });

  it.each(["nightly.yaml", "flaky.yaml"])(
    "examples/scenarios/%s defines every sync pipelines.yaml runs, of the right type",
    async (name) => {
      const scenario = await loadScenario(root(`examples/scenarios/${name}`));
      const syncs = Object.entries(scenario.syncs);
      const config = loadPipelinesConfig(root("pipelines.yaml"));
      const steps = config.pipelines.flatMap((p) => p.steps);
      expect(steps.length).toBeGreaterThan(0);
      for (const step of steps) {
        const found = syncs.filter(([id, sync]) =>
          step.sync.id ? id === step.sync.id : sync.name === step.sync.name,
        );
        expect(found, `${name}: ${step.id}`).toHaveLength(1);
        expect(found[0]?.[1].type, `${name}: ${step.id}`).toBe(step.sync_type);
      }
    },
  );

  it("examples/scenarios/freshness.yaml defines every sync pipelines.yaml watches, of the right type", async () => {
    const scenario = await loadScenario(root("examples/scenarios/freshness.yaml"));
    const watched = loadPipelinesConfig(root("pipelines.yaml")).freshness?.syncs ?? [];
    expect(watched.length).toBeGreaterThan(0);
    for (const w of watched) {
      const found = Object.entries(scenario.syncs).filter(([id, sync]) =>
        w.sync.id ? id === w.sync.id : sync.name === w.sync.name,
      );
      expect(found, w.label).toHaveLength(1);
      expect(found[0]?.[1].type, w.label).toBe(w.type);
    }
  });
});
