import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, describe, expect, it } from "vitest";
import {
  METRIC_NAMESPACE,
  METRICS,
  type MetricKey,
  ORGANIZATION_METRICS,
  PIPELINE_METRICS,
  STEP_METRICS,
} from "../../../functions/core/metrics";
import { makeHandler } from "../../../functions/publish-metrics";
import { bulkInput, type Env, env, pendingStart, runToEnd, scenario, stepInput } from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const dims = (step: string, type: string) => [
  { Name: "Pipeline", Value: "nightly" },
  { Name: "Step", Value: step },
  { Name: "SyncType", Value: type },
];
const pipelineDims = [{ Name: "Pipeline", Value: "nightly" }];

describe("publish-metrics", () => {
  it("publishes one PutMetricData call, field by field", async () => {
    e = await env(
      scenario(
        "queue_seconds: 5\nduration_seconds: 300\nrecords: 1000\noutcome: completed_with_errors\nerrors: 2\nwarnings: 7",
      ),
    );
    const { state, checks } = await runToEnd(
      e,
      stepInput({
        policy: { max_errors: 5, fail_on_warnings: false, fail_on_schema_errors: true },
      }),
    );
    const completedAt = new Date(checks.at(-1)?.completed_at as string);
    e.clock.advance(60_000);
    const r = await makeHandler(e.deps)({ ...state, logs: { exported: false, keys: [] } });
    expect(r).toEqual({ published: true, metric_count: 10 });
    const calls = e.cloudwatch.commandCalls(PutMetricDataCommand);
    expect(calls).toHaveLength(1);
    const input = calls[0]?.args[0].input;
    expect(input?.Namespace).toBe(METRIC_NAMESPACE);
    const d = dims("push_hubspot", "model");
    const m = (key: MetricKey, value: number) => ({
      MetricName: METRICS[key].name,
      Unit: METRICS[key].unit,
      Value: value,
      Timestamp: completedAt,
      Dimensions: key in STEP_METRICS ? d : pipelineDims,
    });
    expect(input?.MetricData).toEqual([
      m("duration", 300),
      m("queueTime", 5),
      m("records", 1000),
      m("errors", 2),
      m("warnings", 7),
      m("succeeded", 1),
      m("failed", 0),
      m("timedOut", 0),
      m("logExportFailed", 1),
      m("apiRetries", 0),
    ]);
  });

  it("sums the API retries of start, every check and the export into ApiRetries", async () => {
    e = await env(scenario("duration_seconds: 10"));
    const { state } = await runToEnd(e, stepInput());
    const withRetries = {
      ...state,
      start: { ...state.start, api_retries: 2 },
      check: { ...state.check, api_retries: 3 },
      logs: { exported: true, keys: [], api_retries: 1 },
    } as typeof state;
    await makeHandler(e.deps)(withRetries);
    const data = e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
    expect(data.find((x) => x.MetricName === PIPELINE_METRICS.apiRetries.name)?.Value).toBe(6);
  });

  it("publishes at most 3 metrics per step; the rest per pipeline only (custom metrics are billed per dimension set)", async () => {
    e = await env(scenario("duration_seconds: 10\nerrors: 1\nwarnings: 1"));
    const { state } = await runToEnd(e, stepInput());
    await makeHandler(e.deps)({ ...state, logs: { exported: true, keys: [] } });
    const data = e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
    const perStep = data.filter((x) => x.Dimensions?.some((d) => d.Name === "Step"));
    expect(new Set(perStep.map((x) => x.MetricName)).size).toBeLessThanOrEqual(3);
    expect(perStep.map((x) => x.MetricName).sort()).toEqual([
      "RecordsSynced",
      "StepDurationSeconds",
      "StepFailed",
    ]);
    const rest = data.filter((x) => !perStep.includes(x));
    expect(rest.length).toBeGreaterThan(0);
    for (const x of rest) expect(x.Dimensions).toEqual(pipelineDims);
  });

  describe("organization-scoped steps (partner fan-out)", () => {
    const ORG = "7c1e0000-0000-4000-8000-0000000000a0";
    const organization = { organization_id: ORG, organization_name: "Acme" };
    const published = () =>
      e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];

    it("a failed step adds ONE OrganizationStepFailures datum, dimensions Pipeline and Organization", async () => {
      e = await env(scenario("duration_seconds: 10\noutcome: failed"));
      const { state } = await runToEnd(e, stepInput());
      const r = await makeHandler(e.deps)({ ...state, ...organization });
      expect(r).toEqual({ published: true, metric_count: published().length });
      const org = published().filter(
        (x) => x.MetricName === ORGANIZATION_METRICS.stepFailures.name,
      );
      expect(org).toHaveLength(1);
      expect(org[0]).toMatchObject({
        Unit: "Count",
        Value: 1,
        Dimensions: [
          { Name: "Pipeline", Value: "nightly" },
          { Name: "Organization", Value: ORG },
        ],
      });
      // No other metric carries the organization: per-step metrics keep their dimensions.
      const others = published().filter((x) => x !== org[0]);
      for (const x of others)
        expect(x.Dimensions?.some((d) => d.Name === "Organization")).toBe(false);
      expect(others.find((x) => x.MetricName === "StepFailed")?.Dimensions).toEqual(
        dims("push_hubspot", "model"),
      );
    });

    it("a step that succeeded, or one outside a fan-out, publishes no organization metric", async () => {
      e = await env(scenario("duration_seconds: 10"));
      const { state } = await runToEnd(e, stepInput());
      await makeHandler(e.deps)({ ...state, ...organization });
      await makeHandler(e.deps)(stepInput());
      const names = e.cloudwatch
        .commandCalls(PutMetricDataCommand)
        .flatMap((c) => c.args[0].input.MetricData ?? [])
        .map((x) => x.MetricName);
      expect(names).toContain("StepFailed");
      expect(names).not.toContain(ORGANIZATION_METRICS.stepFailures.name);
    });
  });

  it("a failed, timed-out step counts as failed and timed out, stamped now", async () => {
    e = await env(scenario("", "duration_seconds: 7200"));
    const { state } = await runToEnd(e, bulkInput({ timeout_seconds: 300 }));
    const now = new Date(e.clock.now());
    const r = await makeHandler(e.deps)(state);
    expect(r.published).toBe(true);
    const data = e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
    const value = (name: string) => data.find((x) => x.MetricName === name)?.Value;
    expect(value("StepSucceeded")).toBe(0);
    expect(value("StepFailed")).toBe(1);
    expect(value("StepTimedOut")).toBe(1);
    expect(value("StepQueueSeconds")).toBe(2);
    expect(value("LogExportFailed")).toBeUndefined();
    expect(data.every((x) => x.Timestamp?.getTime() === now.getTime())).toBe(true);
    expect(data[0]?.Dimensions).toEqual(dims("load_salesforce", "bulk"));
    expect(data.find((x) => x.MetricName === "StepTimedOut")?.Dimensions).toEqual(pipelineDims);
  });

  it("a step that never started publishes failure only", async () => {
    e = await env(scenario());
    const r = await makeHandler(e.deps)(stepInput());
    expect(r).toEqual({ published: true, metric_count: 3 });
    const data = e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
    expect(data.map((x) => [x.MetricName, x.Value])).toEqual([
      ["StepSucceeded", 0],
      ["StepFailed", 1],
      ["StepTimedOut", 0],
    ]);
  });

  it("a step that gave up starting: failure and the retried starts, no counts from the pass-through check", async () => {
    e = await env(scenario());
    const r = await makeHandler(e.deps)({
      ...stepInput(),
      start: pendingStart(e.clock.now(), {
        key_index: 7,
        errors: 7,
        retry_after_seconds: 60,
        api_retries: 7,
      }),
      check: {
        status: "not_started",
        terminal: false,
        step_failed: false,
        counts: { records: 0, errors: 0, warnings: 0 },
        next_poll_seconds: 60,
        polls: 0,
        timed_out: false,
        start_pending: true,
      },
    });
    expect(r).toEqual({ published: true, metric_count: 4 });
    const data = e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData ?? [];
    expect(data.map((x) => [x.MetricName, x.Value])).toEqual([
      ["StepSucceeded", 0],
      ["StepFailed", 1],
      ["StepTimedOut", 0],
      [PIPELINE_METRICS.apiRetries.name, 7],
    ]);
  });

  it("throttling is retried, then reported without throwing", async () => {
    e = await env(scenario("duration_seconds: 10"));
    const { state } = await runToEnd(e, stepInput());
    const throttled = Object.assign(new Error("Rate exceeded"), {
      name: "ThrottlingException",
      $metadata: { httpStatusCode: 400 },
    });
    e.cloudwatch.on(PutMetricDataCommand).rejects(throttled);
    const r = await makeHandler(e.deps)(state);
    expect(r.published).toBe(false);
    expect(r.error).toContain("ThrottlingException");
    expect(e.cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(4);
  });

  it("throttling once, then success, publishes", async () => {
    e = await env(scenario("duration_seconds: 10"));
    const { state } = await runToEnd(e, stepInput());
    e.cloudwatch
      .on(PutMetricDataCommand)
      .rejectsOnce(Object.assign(new Error("slow down"), { name: "Throttling" }))
      .resolves({});
    const r = await makeHandler(e.deps)(state);
    expect(r.published).toBe(true);
    expect(e.cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(2);
  });

  it("a permanent CloudWatch error is not retried and not thrown", async () => {
    e = await env(scenario("duration_seconds: 10"));
    const { state } = await runToEnd(e, stepInput());
    e.cloudwatch
      .on(PutMetricDataCommand)
      .rejects(Object.assign(new Error("denied"), { name: "AccessDenied" }));
    const r = await makeHandler(e.deps)(state);
    expect(r).toMatchObject({ published: false, error: "AccessDenied: denied" });
    expect(e.cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(1);
  });
});
