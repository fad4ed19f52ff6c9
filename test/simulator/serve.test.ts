import { describe, expect, it } from "vitest";
import { serve } from "../../simulator";

describe("serve", () => {
  it("starts on 127.0.0.1 with a scenario file and prints the URL", async () => {
    const lines: string[] = [];
    const sim = await serve({
      scenarioPath: "examples/scenarios/nightly.yaml",
      speed: 60,
      log: (l) => lines.push(l),
    });
    try {
      expect(sim.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(lines[0]).toContain(sim.url);
      const res = await fetch(`${sim.url}/api/bulk/syncs`, {
        headers: { authorization: "Bearer sim-key" },
      });
      const body = (await res.json()) as { data: { name: string }[] };
      expect(body.data.map((s) => s.name).sort()).toEqual([
        "Postgres events to Snowflake",
        "Salesforce to Snowflake",
        "Stripe to Snowflake",
      ]);
    } finally {
      await sim.close();
    }
  });
});

describe("serve a partner scenario", () => {
  it("says how many organizations the syncs are in", async () => {
    const lines: string[] = [];
    const sim = await serve({
      scenarioPath: "examples/scenarios/partner.yaml",
      log: (l) => lines.push(l),
    });
    try {
      expect(lines[0]).toContain("(3 syncs in 3 organizations from ");
    } finally {
      await sim.close();
    }
  });
});
