import { describe, expect, it } from "vitest";
import { toDot, toMermaid } from "../../lib/config/graph";
import { parsePipelinesConfig } from "../../lib/config/load";
import type { PipelineConfig } from "../../lib/config/model";

const fanOutIn = parsePipelinesConfig(
  `pipelines:
  nightly:
    steps:
      - id: load_salesforce
        bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001
      - id: load_stripe
        bulk_sync: { name: Stripe to Snowflake }
      - id: push_hubspot
        model_sync: { name: Contacts to "HubSpot" }
        after: [load_salesforce]
      - id: end
        model_sync: 9f1c0d2e-0000-4000-8000-000000000004
        after: [load_salesforce, load_stripe]
        run_after: completion
`,
  "pipelines.yaml",
).pipelines[0] as PipelineConfig;

describe("toMermaid", () => {
  it("draws a fan-out / fan-in pipeline", () => {
    expect(toMermaid(fanOutIn)).toBe(
      [
        "flowchart LR",
        '  s1[("load_salesforce<br/>bulk: 9f1c0d2e-0000-4000-8000-000000000001")]',
        '  s2[("load_stripe<br/>bulk: Stripe to Snowflake")]',
        '  s3("push_hubspot<br/>model: Contacts to #34;HubSpot#34;")',
        '  s4("end<br/>model: 9f1c0d2e-0000-4000-8000-000000000004")',
        "  s1 --> s3",
        "  s1 -. completion .-> s4",
        "  s2 -. completion .-> s4",
        "",
      ].join("\n"),
    );
  });
});

describe("toDot", () => {
  it("draws a fan-out / fan-in pipeline", () => {
    expect(toDot(fanOutIn)).toBe(
      [
        'digraph "nightly" {',
        "  rankdir=LR;",
        '  node [shape=box, style=rounded, fontname="Helvetica"];',
        '  edge [fontname="Helvetica"];',
        '  "load_salesforce" [label="load_salesforce\\nbulk: 9f1c0d2e-0000-4000-8000-000000000001", shape=cylinder, style=solid];',
        '  "load_stripe" [label="load_stripe\\nbulk: Stripe to Snowflake", shape=cylinder, style=solid];',
        '  "push_hubspot" [label="push_hubspot\\nmodel: Contacts to \\"HubSpot\\""];',
        '  "end" [label="end\\nmodel: 9f1c0d2e-0000-4000-8000-000000000004"];',
        '  "load_salesforce" -> "push_hubspot";',
        '  "load_salesforce" -> "end" [style=dashed, label="completion"];',
        '  "load_stripe" -> "end" [style=dashed, label="completion"];',
        "}",
        "",
      ].join("\n"),
    );
  });

  it("is deterministic", () => {
    expect(toDot(fanOutIn)).toBe(toDot(structuredClone(fanOutIn)));
    expect(toMermaid(fanOutIn)).toBe(toMermaid(structuredClone(fanOutIn)));
  });
});
