import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, describe, expect, it } from "vitest";
import { FRESHNESS_METRICS, METRIC_NAMESPACE } from "../../../functions/core/freshness-metrics";
import { makeHandler } from "../../../functions/freshness";
import { type Env, env, KEY, MODEL, scenario } from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const H = 3600;
const input = {
  syncs: [
    {
      type: "model",
      sync: { id: MODEL },
      label: "hubspot",
      max_age_seconds: 24 * H,
      schemas: [],
    },
    {
      type: "bulk",
      sync: { name: "Salesforce to Snowflake" },
      label: "Salesforce to Snowflake",
      max_age_seconds: 2 * H,
      schemas: [
        { schema: "Account", max_age_seconds: 2 * H },
        { schema: "Contact", max_age_seconds: 26 * H },
      ],
    },
    {
      type: "model",
      sync: { name: "Nobody" },
      label: "Nobody",
      max_age_seconds: H * 2,
      schemas: [],
    },
  ],
  max_api_calls: 50,
  max_pages: 5,
};

describe("freshness handler", () => {
  it("publishes the ages it read, the calls it made and how many it could not read", async () => {
    e = await env(
      scenario(
        "active: false\nlast_succeeded: -26h",
        "last_succeeded: -1h\nschemas:\n  - { name: Account }\n  - { name: Contact, last_succeeded: -72h }",
      ),
    );
    const result = await makeHandler(e.deps)(input);
    expect(result).toEqual({
      checked_at: new Date(e.clock.now()).toISOString(),
      api_calls: 4,
      stale: 2,
      never: 0,
      unreadable: 1,
      published: true,
    });
    const calls = e.cloudwatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.args[0].input.Namespace).toBe(METRIC_NAMESPACE);
    const data = calls[0]?.args[0].input.MetricData ?? [];
    const view = data.map((d) => [
      d.MetricName,
      d.Dimensions?.map((x) => `${x.Name}=${x.Value}`).join(","),
      d.Value,
    ]);
    const age = FRESHNESS_METRICS.age.name;
    expect(view).toEqual([
      [age, "Sync=hubspot", 26 * H],
      [age, "Sync=Salesforce to Snowflake", H],
      [age, "Sync=Salesforce to Snowflake,Schema=Account", H],
      [age, "Sync=Salesforce to Snowflake,Schema=Contact", 72 * H],
      // "Nobody" has no age: its alarm sees missing data, which breaches.
      [FRESHNESS_METRICS.apiCalls.name, "", 4],
      [FRESHNESS_METRICS.unreadable.name, "", 1],
    ]);
    // The model sync list is read once for both model syncs: 2 lists, 2 execution pages.
    // One line per sync and schema, the stale ones at warn, and a summary with the calls.
    const logged = e.lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(logged.filter((l) => l.message === "sync stale").map((l) => [l.sync, l.schema])).toEqual(
      [
        ["hubspot", undefined],
        ["Salesforce to Snowflake", "Contact"],
      ],
    );
    expect(logged.find((l) => l.message === "freshness checked")).toMatchObject({
      api_calls: 4,
      max_api_calls: 50,
    });
  });

  it("refuses input without its bounds, naming the field", async () => {
    e = await env(scenario());
    await expect(makeHandler(e.deps)({ syncs: [] })).rejects.toMatchObject({
      name: "Input.Invalid",
      message: expect.stringContaining("max_api_calls"),
    });
  });

  it("reports a failed publish in its result instead of failing", async () => {
    e = await env(scenario("last_succeeded: -1h"));
    e.cloudwatch.on(PutMetricDataCommand).rejects(new Error("AccessDenied"));
    const result = await makeHandler(e.deps)({ ...input, syncs: input.syncs.slice(0, 1) });
    expect(result.published).toBe(false);
  });

  it("never writes the API key, in its lines or its result, even when calls fail", async () => {
    e = await env(
      scenario(
        "last_succeeded: -1h",
        "",
        "faults:\n  - { endpoint: executions, status: 500, times: 5 }\n  - { endpoint: syncs, status: 503, times: 1 }",
      ),
      { registerKey: false },
    );
    const result = await makeHandler(e.deps)(input);
    expect(result.unreadable).toBeGreaterThan(0);
    const written = [...e.lines, JSON.stringify(result)].join("\n");
    expect(written).not.toContain(KEY);
  });
});
