import { App, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import {
  FRESHNESS_METRICS,
  FRESHNESS_NOTICE_TOPIC_ENV,
  METRIC_NAMESPACE,
} from "../../../functions/core/freshness-metrics";
import type { FreshnessConfig } from "../../../lib/config/model";
import { alarmName } from "../../../lib/constructs/freshness";
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

/** The one rule on freshness alarms' state changes. */
const noticeRule = (template: Template) => {
  const rules = Object.values(
    template.findResources("AWS::Events::Rule", {
      Properties: { EventPattern: { "detail-type": ["CloudWatch Alarm State Change"] } },
    }),
  );
  expect(rules).toHaveLength(1);
  return rules[0]?.Properties as Record<string, unknown>;
};

const lossAlarms = (template: Template) =>
  ["AsyncEventsDropped", "FailedInvocations"].map((MetricName) => {
    const found = Object.values(
      template.findResources("AWS::CloudWatch::Alarm", { Properties: { MetricName } }),
    );
    expect(found).toHaveLength(1);
    return found[0]?.Properties as Record<string, unknown>;
  });

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
        AlarmName: expect.stringMatching(/^Orchestrator\/freshness\//),
      });
      // No action of its own: the notice rule sends the page (one per alarm, not two).
      expect(a.AlarmActions).toBeUndefined();
    }
    expect(alarms.map((a) => a.AlarmName)).toEqual([
      `Orchestrator/freshness/bulk "${BULK}"`,
      `Orchestrator/freshness/bulk "${BULK}" schema "Contact"`,
      'Orchestrator/freshness/model "Contacts to HubSpot"',
    ]);
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

  it("graphs every function of the stack in Lambda errors, those made after Monitoring too", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new OrchestratorStack(app, "Orchestrator", {
      config: { ...sampleConfig(), freshness: freshness() },
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      env: { account: "123456789012", region: "us-east-1" },
      apiKeySecretArn: SECRET_ARN,
      webhooks: {},
    });
    const template = Template.fromStack(stack);
    const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    const functions = Object.keys(template.findResources("AWS::Lambda::Function"));
    // Each function's Errors metric names it by a reference to its logical id.
    const graphed = functions.filter((id) => body.includes(`{"Ref":"${id}"}`));
    expect(functions.length).toBeGreaterThanOrEqual(11);
    expect(functions.filter((id) => !graphed.includes(id))).toEqual([]);
    for (const label of ["freshness-notice", "webhook", "wake", "register-wait", "report-widget"]) {
      expect(body).toContain(`\\"label\\":\\"${label}\\"`);
    }
    // check-status's Errors count the retry loop's polls: labelled so, on the right axis.
    const polls = body.indexOf("check-status (counts still-running polls)");
    expect(polls).toBeGreaterThan(0);
    expect(body.slice(polls, polls + 120)).toMatch(/yAxis[\\"]+:[\\"]+right/);
  });

  it("with an empty created secret, the check is off and its alarms do not notify", () => {
    const { template } = build(freshness(), { createSecret: true });
    for (const a of ageAlarms(template)) expect(a.ActionsEnabled).toBe(false);
    // Alarm state changes reach EventBridge whatever ActionsEnabled says: the rule is off too.
    expect(noticeRule(template).State).toBe("DISABLED");
    for (const a of lossAlarms(template)) expect(a.ActionsEnabled).toBe(false);
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

  it("an age alarm going into ALARM runs the notice function with the watched syncs and the alarm's detail", () => {
    const { template } = build(freshness());
    const rule = noticeRule(template);
    expect(rule.State).toBe("ENABLED");
    // The alarms' name prefix, not their ARNs: one pattern for any number of alarms.
    expect(rule.EventPattern).toEqual({
      source: ["aws.cloudwatch"],
      "detail-type": ["CloudWatch Alarm State Change"],
      detail: { alarmName: [{ prefix: "Orchestrator/freshness/" }], state: { value: ["ALARM"] } },
    });
    const [target] = rule.Targets as {
      Arn: { "Fn::GetAtt": string[] };
      InputTransformer: { InputPathsMap: unknown; InputTemplate: string };
      RetryPolicy: unknown;
    }[];
    expect(target?.Arn["Fn::GetAtt"][0]).toMatch(/^FreshnessNoticeFunction/);
    expect(target?.InputTransformer.InputPathsMap).toEqual({ detail: "$.detail" });
    const templateText = target?.InputTransformer.InputTemplate ?? "";
    expect(templateText.length).toBeLessThanOrEqual(8192);
    expect(JSON.parse(templateText.replace("<detail>", '"DETAIL"'))).toEqual({
      syncs: freshness().syncs,
      max_api_calls: 200,
      max_pages: 5,
      alarm: "DETAIL",
    });
    expect(target?.RetryPolicy).toEqual({
      MaximumEventAgeInSeconds: 3600,
      MaximumRetryAttempts: 8,
    });
    // Only this rule may invoke it.
    template.hasResourceProperties("AWS::Lambda::Permission", {
      Action: "lambda:InvokeFunction",
      Principal: "events.amazonaws.com",
      FunctionName: { "Fn::GetAtt": [Match.stringLikeRegexp("^FreshnessNoticeFunction"), "Arn"] },
      SourceArn: { "Fn::GetAtt": [Match.stringLikeRegexp("^FreshnessNoticeRule"), "Arn"] },
    });
    template.hasResourceProperties("AWS::Lambda::EventInvokeConfig", {
      FunctionName: { Ref: Match.stringLikeRegexp("^FreshnessNoticeFunction") },
      MaximumRetryAttempts: 2,
    });
  });

  it("the notice function reads the secret and may publish to the alarm topic, through its key, and nothing else", () => {
    const { template } = build(freshness());
    template.hasResourceProperties("AWS::Lambda::Function", {
      Description: Match.stringLikeRegexp("notice"),
      Environment: {
        Variables: Match.objectLike({
          POLYTOMIC_SECRET_ARN: SECRET_ARN,
          [FRESHNESS_NOTICE_TOPIC_ENV]: { Ref: Match.stringLikeRegexp("^MonitoringAlarms") },
        }),
      },
    });
    const policies = Object.values(
      template.findResources("AWS::IAM::Policy", {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^FreshnessNoticeFunctionRole") }] },
      }),
    );
    expect(policies).toHaveLength(1);
    const document = policies[0]?.Properties.PolicyDocument as {
      Statement: { Action: unknown; Resource: unknown }[];
    };
    const statements = document.Statement;
    expect(statements.map((s) => [s.Action, s.Resource])).toEqual([
      [["logs:CreateLogStream", "logs:PutLogEvents"], expect.anything()],
      [["xray:PutTraceSegments", "xray:PutTelemetryRecords"], "*"],
      [["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"], SECRET_ARN],
      ["sns:Publish", { Ref: expect.stringMatching(/^MonitoringAlarms[0-9A-F]+$/) }],
      [
        ["kms:Decrypt", "kms:GenerateDataKey*"],
        { "Fn::GetAtt": [expect.stringMatching(/^MonitoringTopicKey/), "Arn"] },
      ],
    ]);
  });

  it("a lost notice pages through CloudWatch: the function dropped it, or EventBridge could not run it", () => {
    const { template } = build(freshness());
    const [dropped, undelivered] = lossAlarms(template);
    expect(dropped).toMatchObject({
      Namespace: "AWS/Lambda",
      Dimensions: [
        { Name: "FunctionName", Value: { Ref: expect.stringMatching(/^FreshnessNoticeFunction/) } },
      ],
      Statistic: "Sum",
      Threshold: 0,
      TreatMissingData: "notBreaching",
      ActionsEnabled: true,
      AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringAlarms/) }],
    });
    expect(undelivered).toMatchObject({
      Namespace: "AWS/Events",
      Dimensions: [
        { Name: "RuleName", Value: { Ref: expect.stringMatching(/^FreshnessNoticeRule/) } },
      ],
      Statistic: "Sum",
      Threshold: 0,
      AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringAlarms/) }],
    });
    expect(String(dropped?.AlarmDescription)).toContain("Orchestrator/freshness/");
  });

  it("names each age alarm unambiguously, within CloudWatch's 255 characters", () => {
    const sync = (label: string) => ({
      type: "bulk" as const,
      sync: { name: label },
      label,
      max_age_seconds: 3600,
      schemas: [],
    });
    // A label holding the schema separator cannot pass for a schema's alarm.
    expect(alarmName("S/freshness/", sync('a" schema "b'), undefined)).not.toBe(
      alarmName("S/freshness/", sync("a"), "b"),
    );
    const long = "x".repeat(300);
    const [one, two] = [alarmName("S/", sync(long), "A"), alarmName("S/", sync(long), "B")];
    expect(Array.from(one).length).toBe(255);
    expect(one).not.toBe(two);
    expect(one.startsWith("S/bulk ")).toBe(true);
  });
});
