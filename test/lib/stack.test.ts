import { existsSync } from "node:fs";
import aslValidator from "asl-validator";
import { App, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { METRIC_NAMESPACE, PIPELINE_METRICS, STEP_METRICS } from "../../functions/core/metrics";
import { resolveDefinition } from "../../lib/asl/resolve";
import { maxGapSeconds } from "../../lib/asl/schedule-window";
import { FUNCTION_NAMES, functionEntry } from "../../lib/constructs/paths";
import { OrchestratorStack, type OrchestratorStackProps } from "../../lib/stack";
import { pipeline, sampleConfig, step } from "../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR } from "./helpers";

function build(config = sampleConfig(), props: Partial<OrchestratorStackProps> = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new OrchestratorStack(app, "Orchestrator", {
    config,
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    env: { account: "123456789012", region: "us-east-1" },
    ...props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic-AbCdEf";
const KEY_ARN = "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab";
const READERS = ["StartSync", "CheckStatus", "ExportLogs", "CancelSync"];

/** The statements of each reading function's role policy, by function. */
function readerStatements(template: Template): Map<string, unknown[]> {
  const policies = template.findResources("AWS::IAM::Policy") as Record<
    string,
    {
      Properties: {
        Roles: { Ref: string }[];
        PolicyDocument: { Statement: unknown[] };
      };
    }
  >;
  const result = new Map<string, unknown[]>();
  for (const reader of READERS) {
    const statements = Object.values(policies)
      .filter((p) => p.Properties.Roles.some((r) => r.Ref.startsWith(`Functions${reader}`)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement);
    result.set(reader, statements);
  }
  return result;
}

const decryptViaSecretsManager = Match.objectLike({
  Action: "kms:Decrypt",
  Effect: "Allow",
  Resource: KEY_ARN,
  Condition: { StringEquals: { "kms:ViaService": "secretsmanager.us-east-1.amazonaws.com" } },
});

describe("OrchestratorStack: the API key secret", () => {
  it("a created secret holds no generated value; its schedules are disabled and nothing alarms on their silence", () => {
    const { template, stack } = build();
    const secrets = Object.values(template.findResources("AWS::SecretsManager::Secret"));
    expect(secrets).toHaveLength(1);
    const properties = (secrets[0] as { Properties: Record<string, unknown> }).Properties;
    expect(properties.GenerateSecretString).toBeUndefined();
    expect(properties.SecretString).toBeUndefined();
    template.allResourcesProperties("AWS::Scheduler::Schedule", { State: "DISABLED" });
    expect(Object.keys(template.findResources("AWS::CloudWatch::Alarm"))).not.toContainEqual(
      expect.stringMatching(/ScheduleStoppedFiring/),
    );
    // The stack outputs the secret to fill and what to do.
    template.hasOutput("ApiKeySecretArn", { Value: { Ref: Match.stringLikeRegexp("ApiKey") } });
    template.hasOutput("SchedulesDisabled", {
      Value: Match.stringLikeRegexp(
        "Schedules of nightly are deployed DISABLED: the API key secret was created empty.*schedulesEnabled=true",
      ),
    });
    Annotations.fromStack(stack).hasInfo("*", Match.stringLikeRegexp("deployed DISABLED"));
  });

  it("schedules fire, and are watched, once schedulesEnabled is true or the secret is given", () => {
    for (const props of [{ schedulesEnabled: true }, { apiKeySecretArn: SECRET_ARN }]) {
      const { template } = build(sampleConfig(), props);
      template.allResourcesProperties("AWS::Scheduler::Schedule", { State: "ENABLED" });
      expect(Object.keys(template.findResources("AWS::CloudWatch::Alarm"))).toContainEqual(
        expect.stringMatching(/ScheduleStoppedFiring/),
      );
      expect(Object.keys(template.toJSON().Outputs)).not.toContain("SchedulesDisabled");
    }
    const off = build(sampleConfig(), { apiKeySecretArn: SECRET_ARN, schedulesEnabled: false });
    off.template.allResourcesProperties("AWS::Scheduler::Schedule", { State: "DISABLED" });
  });

  it("grants kms:Decrypt, via Secrets Manager only, on the customer key of an existing secret", () => {
    const { template } = build(sampleConfig(), {
      apiKeySecretArn: SECRET_ARN,
      apiKeySecretKmsKeyArn: KEY_ARN,
    });
    for (const [reader, statements] of readerStatements(template)) {
      expect(statements, reader).toContainEqual(
        expect.objectContaining({ Action: "kms:Decrypt", Resource: KEY_ARN }),
      );
      expect(
        statements.filter((s) => decryptViaSecretsManager.test(s).isSuccess),
        reader,
      ).toHaveLength(1);
    }
    // publish-metrics never reads the secret: only the readers may decrypt with its key
    // (the failure notices' role decrypts with the alarm topics' own key, not this one).
    const statements = Object.values(template.findResources("AWS::IAM::Policy")).flatMap(
      (policy) => policy.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>,
    );
    const withSecretKey = statements.filter(
      (s) => JSON.stringify(s.Action).includes("kms:Decrypt") && s.Resource === KEY_ARN,
    );
    expect(withSecretKey).toHaveLength(READERS.length);
  });

  it("encrypts a created secret with the given key, and grants decrypting it", () => {
    const { template } = build(sampleConfig(), { apiKeySecretKmsKeyArn: KEY_ARN });
    template.hasResourceProperties("AWS::SecretsManager::Secret", { KmsKeyId: KEY_ARN });
    for (const [reader, statements] of readerStatements(template)) {
      expect(
        statements.filter((s) => decryptViaSecretsManager.test(s).isSuccess),
        reader,
      ).toHaveLength(1);
    }
  });

  it("rejects a key alias, saying what to give", () => {
    expect(() =>
      build(sampleConfig(), {
        apiKeySecretArn: SECRET_ARN,
        apiKeySecretKmsKeyArn: "arn:aws:kms:us-east-1:123456789012:alias/polytomic",
      }),
    ).toThrow(/apiKeySecretKmsKeyArn must be a KMS key ARN .*not an alias/);
  });
});

describe("OrchestratorStack", () => {
  it("has zero unacknowledged cdk-nag AwsSolutions findings and no warnings", () => {
    const { app, stack } = build();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
  });

  it("creates no wait-for-step machine when every pipeline is series-parallel", () => {
    const { stack, template } = build();
    expect(stack.waitForStep).toBeUndefined();
    template.resourceCountIs(
      "AWS::StepFunctions::StateMachine",
      1 + sampleConfig().pipelines.length,
    );
  });

  it("with a gated (non-series-parallel) pipeline: one wait-for-step machine, the grants gates need, cdk-nag still clean", () => {
    const config = sampleConfig();
    config.pipelines.push(
      pipeline("n_shape", [step("a"), step("b"), step("c", ["a", "b"]), step("d", ["b"])]),
    );
    const { app, stack, template } = build(config);
    expect(stack.waitForStep).toBeDefined();
    template.resourceCountIs("AWS::StepFunctions::StateMachine", 2 + config.pipelines.length);
    const executionsOf = (machine: string) => ({
      "Fn::Join": [
        "",
        [
          "arn:",
          { Ref: "AWS::Partition" },
          ":states:us-east-1:123456789012:execution:",
          {
            "Fn::Select": [6, { "Fn::Split": [":", { Ref: Match.stringLikeRegexp(machine) }] }],
          },
          "*",
        ],
      ],
    });
    // The pipeline starts the wait-for-step machine (.sync: describe and stop its executions).
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("^Pipelinenshape") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "states:StartExecution",
            Effect: "Allow",
            Resource: { Ref: Match.stringLikeRegexp("^WaitForStepStateMachine") },
          }),
          Match.objectLike({
            Action: ["states:DescribeExecution", "states:StopExecution"],
            Effect: "Allow",
            Resource: executionsOf("^WaitForStepStateMachine"),
          }),
        ]),
      },
    });
    // The wait-for-step machine describes run-sync executions and attaches to them.
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("^WaitForStepStateMachineRole") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "states:DescribeExecution",
            Effect: "Allow",
            Resource: executionsOf("^RunSyncStateMachine"),
          }),
          Match.objectLike({
            Action: "states:StartExecution",
            Effect: "Allow",
            Resource: { Ref: Match.stringLikeRegexp("^RunSyncStateMachine") },
          }),
          Match.objectLike({
            Action: ["events:PutTargets", "events:PutRule", "events:DescribeRule"],
            Effect: "Allow",
          }),
        ]),
      },
    });
    // Pipelines without gates get no grant on it.
    const policies = template.findResources("AWS::IAM::Policy");
    for (const [id, policy] of Object.entries(policies)) {
      if (!/^Pipeline(nightly|manual)/.test(id)) continue;
      expect(JSON.stringify(policy)).not.toContain("WaitForStep");
    }
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: { DefinitionString: unknown } }
    >;
    for (const machine of Object.values(resources)) {
      if (machine.Type !== "AWS::StepFunctions::StateMachine") continue;
      const result = aslValidator(
        resolveDefinition(machine.Properties.DefinitionString, resources),
      );
      expect(result.errorsText("\n")).toBe("");
    }
  });

  it("every state machine definition passes asl-validator", () => {
    const { template } = build();
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: { DefinitionString: unknown } }
    >;
    const machines = Object.values(resources).filter(
      (r) => r.Type === "AWS::StepFunctions::StateMachine",
    );
    expect(machines).toHaveLength(3);
    for (const machine of machines) {
      const result = aslValidator(
        resolveDefinition(machine.Properties.DefinitionString, resources),
      );
      expect(result.errorsText("\n")).toBe("");
    }
  });

  it("puts every state machine's log group under /aws/vendedlogs/states/ (the Logs resource policy's size limit)", () => {
    const config = sampleConfig();
    config.pipelines.push(
      pipeline("n_shape", [step("a"), step("b"), step("c", ["a", "b"]), step("d", ["b"])]),
    );
    const { template } = build(config);
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: Record<string, unknown> }
    >;
    const groups = new Map(
      Object.entries(resources)
        .filter(([, r]) => r.Type === "AWS::Logs::LogGroup")
        .map(([id, r]) => [id, r.Properties.LogGroupName]),
    );
    const machines = Object.values(resources).filter(
      (r) => r.Type === "AWS::StepFunctions::StateMachine",
    );
    expect(machines).toHaveLength(2 + config.pipelines.length);
    const names = machines.map((m) => {
      const config = m.Properties.LoggingConfiguration as {
        Destinations: { CloudWatchLogsLogGroup: { LogGroupArn: { "Fn::GetAtt": [string] } } }[];
      };
      const id = config.Destinations[0]?.CloudWatchLogsLogGroup.LogGroupArn["Fn::GetAtt"][0];
      return groups.get(id as string);
    });
    for (const name of names) {
      expect(name).toMatch(/^\/aws\/vendedlogs\/states\/Orchestrator-[A-Za-z0-9_-]+$/);
    }
    expect(new Set(names).size).toBe(names.length);
    expect(names).toContain("/aws/vendedlogs/states/Orchestrator-Pipeline-n_shape");
  });

  it("schedules the scheduled pipeline in its time zone, with retries and an encrypted TLS-only DLQ", () => {
    const { template } = build(sampleConfig(), { apiKeySecretArn: SECRET_ARN });
    template.resourceCountIs("AWS::Scheduler::Schedule", 1);
    template.hasResourceProperties("AWS::Scheduler::Schedule", {
      State: "ENABLED",
      ScheduleExpression: "cron(0 2 ? * MON-FRI *)",
      ScheduleExpressionTimezone: "America/New_York",
      FlexibleTimeWindow: { Mode: "OFF" },
      Target: Match.objectLike({
        Arn: { Ref: Match.stringLikeRegexp("^PipelinenightlyStateMachine") },
        RetryPolicy: { MaximumRetryAttempts: 10, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: {
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^ScheduleDeadLetters"), "Arn"] },
        },
      }),
    });
    template.hasResourceProperties("AWS::SQS::Queue", { SqsManagedSseEnabled: true });
    template.hasResourceProperties("AWS::SQS::QueuePolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
    // The scheduler role may start only that pipeline.
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("SchedulerRole") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "states:StartExecution",
            Resource: { Ref: Match.stringLikeRegexp("^PipelinenightlyStateMachine") },
          }),
        ]),
      },
    });
  });

  it("cancels the Polytomic run when a run-sync execution is aborted, times out or fails (past its Catch, e.g. the history limit)", () => {
    const { template } = build();
    template.hasResourceProperties("AWS::Events::Rule", {
      EventPattern: {
        source: ["aws.states"],
        "detail-type": ["Step Functions Execution Status Change"],
        detail: {
          stateMachineArn: [{ Ref: Match.stringLikeRegexp("^RunSyncStateMachine") }],
          status: ["ABORTED", "TIMED_OUT", "FAILED"],
        },
      },
      Targets: [
        Match.objectLike({
          Arn: { "Fn::GetAtt": [Match.stringLikeRegexp("^FunctionsCancelSync"), "Arn"] },
          DeadLetterConfig: Match.anyValue(),
          RetryPolicy: Match.anyValue(),
        }),
      ],
    });
    // cancel-sync reads the ended execution's history: run-sync executions only, and only
    // that action (no other principal gets it).
    const readers = template.findResources("AWS::IAM::Policy", {
      Properties: {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Action: "states:GetExecutionHistory" })]),
        },
      },
    });
    expect(Object.values(readers)).toHaveLength(1);
    expect(Object.values(readers)[0]).toMatchObject({
      Properties: {
        Roles: [{ Ref: expect.stringMatching(/^FunctionsCancelSyncRole/) }],
        PolicyDocument: {
          Statement: [
            {
              Action: "states:GetExecutionHistory",
              Effect: "Allow",
              Resource: {
                "Fn::Join": [
                  "",
                  [
                    "arn:",
                    { Ref: "AWS::Partition" },
                    ":states:us-east-1:123456789012:execution:",
                    {
                      "Fn::Select": [
                        6,
                        {
                          "Fn::Split": [
                            ":",
                            { Ref: expect.stringMatching(/^RunSyncStateMachine/) },
                          ],
                        },
                      ],
                    },
                    ":*",
                  ],
                ],
              },
            },
          ],
        },
      },
    });
  });

  it("alarms on failures, timeouts, failed steps and a silent schedule, to an encrypted topic with the notify emails", () => {
    const { template } = build(sampleConfig(), { apiKeySecretArn: SECRET_ARN });
    template.allResourcesProperties("AWS::SNS::Topic", { KmsMasterKeyId: Match.anyValue() });
    // nightly (notify: data-oncall) has a topic of its own; the deployment's topic, for
    // dead letters and for manual (no notify), is subscribed by every address.
    const topics = template.findResources("AWS::SNS::Topic");
    const nightlyTopic = Object.keys(topics).find((id) => id.startsWith("MonitoringAlarmsnightly"));
    const deploymentTopic = Object.keys(topics).find((id) =>
      /^MonitoringAlarms[0-9A-F]{8}$/.test(id),
    );
    expect(Object.keys(topics)).toHaveLength(2);
    expect(nightlyTopic && deploymentTopic).toBeTruthy();
    const subscriptions = Object.values(template.findResources("AWS::SNS::Subscription"));
    expect(
      subscriptions.map((sub) => [sub.Properties.TopicArn.Ref, sub.Properties.Endpoint]).sort(),
    ).toEqual(
      [
        [deploymentTopic, "data-oncall@example.com"],
        [nightlyTopic, "data-oncall@example.com"],
      ].sort(),
    );
    const alarms = template.findResources("AWS::CloudWatch::Alarm");
    // 2 pipelines x (failed, timed out) + 6 steps + 1 scheduled pipeline + 2 DLQs.
    expect(Object.keys(alarms)).toHaveLength(4 + 6 + 1 + 2);
    // nightly: failed, timed out, 4 steps, schedule.
    expect(
      Object.keys(alarms).filter((id) => id.startsWith("MonitoringPipelinenightly")),
    ).toHaveLength(7);
    for (const [id, alarm] of Object.entries(alarms)) {
      const topic = id.startsWith("MonitoringPipelinenightly") ? nightlyTopic : deploymentTopic;
      expect(alarm.Properties.AlarmActions, id).toEqual([{ Ref: topic }]);
    }
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: METRIC_NAMESPACE,
      MetricName: STEP_METRICS.failed.name,
      Dimensions: Match.arrayWith([{ Name: "Step", Value: "push-hubspot" }]),
    });
    const gap = maxGapSeconds(sampleConfig().pipelines[0]?.schedule as never) as number;
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      MetricName: "ExecutionsStarted",
      ComparisonOperator: "LessThanThreshold",
      TreatMissingData: "breaching",
      Period: 3600,
      EvaluationPeriods: Math.ceil((gap + 7200) / 3600),
    });
    template.resourceCountIs("AWS::CloudWatch::Dashboard", 1);
  });

  it("reads at most 3 custom metrics per step in its alarms and dashboard; the rest per pipeline", () => {
    const { template } = build();
    // Every custom metric (name + dimensions) the alarms and the dashboard read.
    const read = new Set<string>();
    for (const alarm of Object.values(template.findResources("AWS::CloudWatch::Alarm"))) {
      const p = alarm.Properties as {
        Namespace?: string;
        MetricName: string;
        Dimensions?: { Name: string; Value: string }[];
      };
      if (p.Namespace !== METRIC_NAMESPACE) continue;
      read.add(
        JSON.stringify([p.MetricName, ...(p.Dimensions ?? []).flatMap((d) => [d.Name, d.Value])]),
      );
    }
    for (const dashboard of Object.values(template.findResources("AWS::CloudWatch::Dashboard"))) {
      const body = dashboard.Properties.DashboardBody as { "Fn::Join": [string, unknown[]] };
      const text = body["Fn::Join"][1]
        .map((part) => (typeof part === "string" ? part : "x"))
        .join("");
      for (const widget of (
        JSON.parse(text) as { widgets: { properties: { metrics?: unknown[][] } }[] }
      ).widgets) {
        for (const line of widget.properties.metrics ?? []) {
          if (line[0] !== METRIC_NAMESPACE) continue;
          read.add(JSON.stringify(line.slice(1).filter((x) => typeof x === "string")));
        }
      }
    }
    const perStep = new Map<string, Set<string>>();
    const stepNames: string[] = Object.values(STEP_METRICS).map((m) => m.name);
    for (const entry of read) {
      const [name, ...dims] = JSON.parse(entry) as string[];
      const at = dims.indexOf("Step");
      if (at < 0) {
        expect(dims, name).toEqual(["Pipeline", expect.any(String)]);
        expect(Object.values(PIPELINE_METRICS).map((m) => m.name)).toContain(name);
        continue;
      }
      expect(stepNames).toContain(name);
      const key = `${dims[dims.indexOf("Pipeline") + 1]}/${dims[at + 1]}`;
      perStep.set(key, new Set([...(perStep.get(key) ?? []), name as string]));
    }
    expect(perStep.size).toBe(6); // every step of the sample config is graphed
    for (const [step, names] of perStep) expect(names.size, step).toBeLessThanOrEqual(3);
  });

  it("lets this account's alarms, and nothing else, publish to the TLS-only topic and use its key", () => {
    const { template } = build();
    const own = {
      StringEquals: { "aws:SourceAccount": "123456789012" },
      ArnLike: {
        "aws:SourceArn": {
          "Fn::Join": [
            "",
            ["arn:", { Ref: "AWS::Partition" }, ":cloudwatch:us-east-1:123456789012:alarm:*"],
          ],
        },
      },
    };
    // An explicit topic policy replaces SNS's default one: the Allow must be in it.
    template.hasResourceProperties("AWS::SNS::TopicPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "sns:Publish",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
          Match.objectLike({
            Sid: "AllowAlarmsToPublish",
            Effect: "Allow",
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: "sns:Publish",
            Condition: own,
          }),
        ]),
      },
    });
    template.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: "cloudwatch.amazonaws.com" },
            Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
            Condition: own,
          }),
        ]),
      },
    });
  });

  it("alarms on a message in either dead-letter queue", () => {
    const { template } = build();
    const dlqAlarms = Object.values(template.findResources("AWS::CloudWatch::Alarm")).filter(
      (a) => a.Properties.MetricName === "ApproximateNumberOfMessagesVisible",
    );
    expect(dlqAlarms).toHaveLength(2);
    const queues = dlqAlarms.map(
      (a) => (a.Properties.Dimensions as { Value: { "Fn::GetAtt": string[] } }[])[0]?.Value,
    );
    expect(queues.map((q) => q?.["Fn::GetAtt"][0]).sort()).toEqual([
      expect.stringMatching(/^CancellationDeadLetters/),
      expect.stringMatching(/^ScheduleDeadLetters/),
    ]);
    for (const a of dlqAlarms) {
      expect(a.Properties).toMatchObject({
        Threshold: 1,
        ComparisonOperator: "GreaterThanOrEqualToThreshold",
        AlarmActions: [{ Ref: expect.stringMatching(/^MonitoringAlarms/) }],
      });
    }
  });

  it("rejects a config without pipelines", () => {
    expect(() => build({ source: "/x/pipelines.yaml", pipelines: [] })).toThrow(
      /\/x\/pipelines.yaml: no pipelines defined/,
    );
  });

  it("rejects both an API key secret and a secret ARN", () => {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const other = new OrchestratorStack(app, "Other", {
      config: sampleConfig(),
      functionsDir: FIXTURE_FUNCTIONS_DIR,
    });
    expect(
      () =>
        new OrchestratorStack(app, "Both", {
          config: sampleConfig(),
          functionsDir: FIXTURE_FUNCTIONS_DIR,
          apiKeySecret: other.functions.apiKeySecret,
          apiKeySecretArn: "arn:aws:secretsmanager:us-east-1:123456789012:secret:k-AbCdEf",
        }),
    ).toThrow(/either apiKeySecret or apiKeySecretArn, not both/);
  });

  it("gives the run-sync machine the largest step timeout plus the margin", () => {
    const config = {
      source: "p",
      pipelines: [pipeline("p", [step("a", [], { timeout_seconds: 7200 })])],
    };
    const { template } = build(config);
    const resources = template.toJSON().Resources as Record<
      string,
      { Type: string; Properties: { DefinitionString: unknown } }
    >;
    const [runSyncId] = Object.keys(resources).filter(
      (id) =>
        id.startsWith("RunSyncStateMachine") &&
        resources[id]?.Type === "AWS::StepFunctions::StateMachine",
    );
    const definition = resolveDefinition(
      resources[runSyncId as string]?.Properties.DefinitionString,
      resources,
    );
    expect(definition.TimeoutSeconds).toBe(7200 + 1800);
  });
});

describe("bundling", () => {
  const missing = FUNCTION_NAMES.filter((name) => !existsSync(functionEntry(name)));
  it.skipIf(missing.length > 0)(
    `bundles every handler with the local esbuild into minified ESM with source maps${missing.length > 0 ? ` (skipped: functions/{${missing.join(",")}}/index.ts not written yet)` : ""}`,
    () => {
      const app = new App();
      const stack = new OrchestratorStack(app, "Bundled", { config: sampleConfig() });
      const assembly = app.synth();
      const template = Template.fromStack(stack);
      // The five sync functions and the dashboard's report widget.
      template.resourceCountIs("AWS::Lambda::Function", 6);
      expect(assembly.directory).toBeTruthy();
    },
    120_000,
  );
});
