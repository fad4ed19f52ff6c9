import { describe, expect, it } from "vitest";
import {
  countMonitoring,
  type DeploymentUsage,
  hourlyFleet,
  METRICS_PER_FAILING_ORGANIZATION,
  measureUsage,
  monthlyCost,
  PRICES,
  runsPerMonth,
} from "../../bench/cost";
import { parsePipelinesConfig } from "../../lib/config/load";

const usage = (runs: number): DeploymentUsage => ({
  pipelines: [
    {
      name: "p",
      steps: 20,
      runsPerMonth: runs,
      transitions: 800,
      stepRuns: 20,
      polls: 200,
      logFiles: 28,
    },
  ],
  alarms: 23,
  dashboards: 1,
});

describe("the cost model", () => {
  it("prices each item from its named constant and sums them", () => {
    const cost = monthlyCost(usage(730));
    const usd = Object.fromEntries(cost.lines.map((l) => [l.item, l.usd]));
    expect(usd["state transitions"]).toBeCloseTo(730 * 800 * 0.000025, 6);
    expect(usd["custom metrics"]).toBeCloseTo((20 * 3 + 7) * 0.3, 6);
    expect(usd["PutMetricData calls"]).toBeCloseTo((730 * 20 * 0.01) / 1000, 6);
    expect(usd.alarms).toBeCloseTo(2.3, 6);
    expect(usd.dashboards).toBe(3);
    expect(usd["Lambda requests"]).toBeCloseTo(730 * (200 + 60) * PRICES.lambdaRequest.usd, 9);
    expect(usd["log files"]).toBeCloseTo(730 * 28 * PRICES.s3Put.usd, 9);
    expect(cost.total).toBeCloseTo(
      cost.lines.reduce((t, l) => t + l.usd, 0),
      9,
    );
    expect(cost.byService.CloudWatch).toBeCloseTo(20.1 + 0.146 + 2.3 + 3, 6);
    for (const price of Object.values(PRICES))
      expect(price.source).toMatch(/^https:\/\/aws\.amazon\.com\//);
  });

  it("bills no custom metrics for a pipeline that never runs", () => {
    const cost = monthlyCost(usage(0));
    expect(cost.lines.find((l) => l.item === "custom metrics")?.quantity).toBe(0);
  });

  it("counts 3 metrics per step and 7 per pipeline: 335 for 5 pipelines of 20 steps, not 1,000", () => {
    const fleet: DeploymentUsage = {
      ...usage(730),
      pipelines: Array.from({ length: 5 }, (_, i) => ({
        ...usage(730).pipelines[0],
        name: `p${i}`,
      })) as DeploymentUsage["pipelines"],
    };
    const metrics = (c: ReturnType<typeof monthlyCost>) =>
      c.lines.find((l) => l.item === "custom metrics")?.quantity;
    expect(metrics(monthlyCost(fleet))).toBe(335);
    expect(metrics(monthlyCost(fleet, { perStep: 10, perPipeline: 0 }))).toBe(1000);
  });

  it("a partner fan-out adds one metric per pipeline per failing organization, none for one that never fails", () => {
    const base = usage(730);
    const metrics = (failing: number) => {
      const [p] = base.pipelines;
      if (!p) throw new Error("no pipeline");
      const cost = monthlyCost({ ...base, pipelines: [{ ...p, failingOrganizations: failing }] });
      return cost.lines.find((l) => l.item === "custom metrics")?.quantity;
    };
    expect(metrics(0)).toBe(20 * 3 + 7);
    expect(metrics(12)).toBe(20 * 3 + 7 + 12);
    expect(METRICS_PER_FAILING_ORGANIZATION).toBe(1);
  });

  it("counts a schedule's runs a month", () => {
    const schedule = (text: string) =>
      parsePipelinesConfig(
        `pipelines:\n  p:\n    schedule: ${text}\n    steps:\n      - { id: a, model_sync: 9f1c0d2e-0000-4000-8000-000000000001 }\n`,
        "t",
      ).pipelines[0]?.schedule;
    expect(runsPerMonth(schedule("{ rate: 1 hour }"))).toBe(730);
    expect(runsPerMonth(schedule('{ cron: "0 2 * * 1-5", timezone: America/New_York }'))).toBe(
      261 / 12,
    );
    expect(runsPerMonth(schedule('{ cron: "0,30 * * * *" }'))).toBe((365 * 48) / 12);
    expect(runsPerMonth(undefined)).toBe(0);
  });

  it("counts the alarms and dashboard of the synthesized fleet: per pipeline 2 + a step alarm each + the schedule's, and 2 dead-letter alarms", () => {
    const fleet = hourlyFleet();
    expect(fleet.pipelines.map((p) => p.steps.length)).toEqual([20, 20, 20, 20, 20]);
    expect(countMonitoring(fleet)).toEqual({ alarms: 5 * (2 + 20 + 1) + 2, dashboards: 1 });
  });

  it("measures a pipeline's usage by running it locally", async () => {
    const config = parsePipelinesConfig(
      "pipelines:\n  p:\n    schedule: { rate: 1 hour }\n    steps:\n      - { id: a, bulk_sync: 9f1c0d2e-0000-4000-8000-000000000001 }\n      - { id: b, model_sync: 9f1c0d2e-0000-4000-8000-000000000002, after: [a] }\n",
      "t",
    );
    const measured = await measureUsage(config);
    const [p] = measured.pipelines;
    expect(p).toMatchObject({ name: "p", steps: 2, runsPerMonth: 730, stepRuns: 2 });
    // Each step: start, checks (3 transitions a poll, the last without its Wait), export,
    // publish, outcome, succeeded; plus the pipeline's own states.
    expect(p?.transitions).toBeGreaterThan(3 * (p?.polls ?? 0));
    expect(p?.logFiles).toBeGreaterThan(0);
  });
});
