import { App, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { FRESHNESS_METRICS, METRIC_NAMESPACE } from "../../../functions/core/freshness-metrics";
import type { FreshnessConfig } from "../../../lib/config/model";
import { OrchestratorStack } from "../../../lib/stack";
import { sampleConfig } from "../../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR } from "../helpers";

const BULK = "9f1c0d2e-0000-4000-8000-000000000001";
const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic-AbCdEf";

const freshness = (overrides: Partial<FreshnessConfig> = {}): FreshnessConfig => ({
  check_every_seconds: 900,
  max_api_calls: 200,
  max_pages: 5,
  syncs: [
    {
      type: "bulk",
      sync: { id: BULK },
      label: BULK,
      max_age_seconds: 26 * 3600,
      schemas: [{ schema: "Contact", max_age_seconds: 30 * 3600 }],
    },
    {
      type: "model",
      sync: { name: "Contacts to HubSpot" },
      label: "Contacts to HubSpot",
      max_age_seconds: 2 * 3600,
      schemas: [],
    },
  ],
  ...overrides,
});

function build(config: FreshnessConfig | undefined, { createSecret = false } = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new OrchestratorStack(app, "Orchestrator", {
    config: { ...sampleConfig(), ...(config ? { freshness: config } : {}) },
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    env: { account: "123456789012", region: "us-east-1" },
    ...(createSecret ? {} : { apiKeySecretArn: SECRET_ARN }),
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const ageAlarms = (template: Template) =>
  Object.values(
    template.findResources("AWS::CloudWatch::Alarm", {
      Properties: { MetricName: FRESHNESS_METRICS.age.name },
    }),
  ).map((r) => r.Properties as Record<string, unknown>);

describe("Freshness construct", () => {
  it("one alarm per sync and per schema: Maximum > max_age over two check periods, missing data breaching", () => {
    const { template } = build(freshness());
    const alarms = ageAlarms(template);
    expect(
      alarms.map((a) => [a.Dimensions, a.Threshold, a.Period, a.Statistic, a.TreatMissingData]),
    ).toEqual([
      [[{ Name: "Sync", Value: BULK }], 26 * 3600, 900, "Maximum", "breaching"],
      [
        [
          { Name: "Schema", Value: "Contact" },
          { Name: "Sync", Value: BULK },
        ],
        30 * 3600,
        900,
        "Maximum",
        "breaching",
      ],
      [[{ Name: "Sync", Value: "Contacts to HubSpot" }], 2 * 3600, 900, "Maximum", "breaching"],
    ]);
    for (const a of alarms) {
      expect(a).toMatchObject({
        Namespace: METRIC_NAMESPACE,
        ComparisonOperator: "GreaterThanThreshold",
        EvaluationPeriods: 2,
        DatapointsToAlarm: 2,
        ActionsEnabled: true,
        AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringAlarms/) }],
      });
    }
    expect(alarms[1]?.AlarmDescription).toContain('schema "Contact" of bulk sync');
    expect(alarms[2]?.AlarmDescription).toContain(
      'model sync "Contacts to HubSpot" has not succeeded within its max_age of 2h',
    );
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: FRESHNESS_METRICS.unreadable.name,
      Threshold: 0,
      TreatMissingData: "notBreaching",
    });
  });

  it("runs the function every check_every with the watched syncs as input, no retries", () => {
    const { template } = build(freshness({ check_every_seconds: 300 }));
    const schedules = template.findResources("AWS::Scheduler::Schedule", {
      Properties: { ScheduleExpression: "rate(5 minutes)" },
    });
    const [schedule] = Object.values(schedules);
    const target = schedule?.Properties.Target as { Input: string; RetryPolicy: unknown };
    expect(JSON.parse(target.Input)).toEqual({
      syncs: freshness().syncs,
      max_api_calls: 200,
      max_pages: 5,
    });
    expect(target.RetryPolicy).toEqual({ MaximumEventAgeInSeconds: 300, MaximumRetryAttempts: 0 });
    expect(schedule?.Properties.State).toBe("ENABLED");
  });

  it("its function reads the secret and publishes only to the project's namespace", () => {
    const { template } = build(freshness());
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("last success"),
      Environment: { Variables: Match.objectLike({ POLYTOMIC_SECRET_ARN: SECRET_ARN }) },
    });
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("^FreshnessFunctionRole") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Action: Match.arrayWith(["secretsmanager:GetSecretValue"]) }),
          Match.objectLike({
            Action: "cloudwatch:PutMetricData",
            Condition: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
          }),
        ]),
      },
    });
  });

  it("shows each age against its limits on the monitoring dashboard", () => {
    const { template } = build(freshness());
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain("Age since last success: Contacts to HubSpot");
    expect(body).toContain("max_age Contact: 30h");
    expect(body).toContain(FRESHNESS_METRICS.age.name);
  });

  it("with an empty created secret, the check is off and its alarms do not notify", () => {
    const { template } = build(freshness(), { createSecret: true });
    for (const a of ageAlarms(template)) expect(a.ActionsEnabled).toBe(false);
    const schedules = template.findResources("AWS::Scheduler::Schedule", {
      Properties: { ScheduleExpression: "rate(15 minutes)" },
    });
    expect(Object.values(schedules).map((s) => s.Properties.State)).toEqual(["DISABLED"]);
  });

  it("adds nothing without freshness:, and stays clean under cdk-nag with it", () => {
    build(undefined).template.resourcePropertiesCountIs(
      "AWS::CloudWatch::Alarm",
      { MetricName: FRESHNESS_METRICS.age.name },
      0,
    );
    const { app, stack } = build(freshness());
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
  });

  it("refuses watched syncs too many for the schedule's input, saying what to do", () => {
    const many = Array.from({ length: 200 }, (_, i) => ({
      type: "model" as const,
      sync: { name: `A rather long model sync name number ${i}` },
      label: `A rather long model sync name number ${i}`,
      max_age_seconds: 3600,
      schemas: [],
    }));
    expect(() => build(freshness({ syncs: many }))).toThrow(/more than 8192: watch fewer syncs/);
  });
});
