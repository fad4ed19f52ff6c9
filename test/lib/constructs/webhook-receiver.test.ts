import { Duration, Validations } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { ContextError, webhooksFrom } from "../../../lib/app-context";
import { orchestratorStack } from "../helpers";

const build = orchestratorStack;

describe("webhook receiver (opt-in)", () => {
  it("is off by default: no bus, no Function URL, no webhook secret", () => {
    const { stack, template } = build();
    expect(stack.webhookReceiver).toBeUndefined();
    template.resourceCountIs("AWS::Events::EventBus", 0);
    template.resourceCountIs("AWS::Lambda::Url", 0);
    expect(Object.keys(template.findOutputs("WebhookUrl"))).toEqual([]);
  });

  it("deploys a Function URL without IAM auth, a bus the function may put events on, and a generated secret it may read", () => {
    const { stack, template } = build({
      webhooks: { signatureAlgorithm: "hmac-sha256-base64", maxAge: Duration.minutes(10) },
    });
    template.resourceCountIs("AWS::Events::EventBus", 1);
    template.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
    template.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true },
    });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          WEBHOOK_SIGNATURE_ALGORITHM: "hmac-sha256-base64",
          WEBHOOK_MAX_AGE_SECONDS: "600",
          WEBHOOK_MAX_SKEW_SECONDS: "300",
          EVENT_BUS_NAME: { Ref: Match.stringLikeRegexp("^WebhooksBus") },
          WEBHOOK_SECRET_ARN: { Ref: Match.stringLikeRegexp("^WebhooksSecret") },
        }),
      },
    });
    template.hasResourceProperties("AWS::IAM::Policy", {
      Roles: [{ Ref: Match.stringLikeRegexp("^WebhooksFunctionRole") }],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ["secretsmanager:GetSecretValue", "secretsmanager:DescribeSecret"],
            Resource: { Ref: Match.stringLikeRegexp("^WebhooksSecret") },
          }),
          Match.objectLike({
            Action: "events:PutEvents",
            Resource: { "Fn::GetAtt": [Match.stringLikeRegexp("^WebhooksBus"), "Arn"] },
          }),
        ]),
      },
    });
    expect(Object.keys(template.findOutputs("*"))).toEqual(
      expect.arrayContaining(["WebhookUrl", "WebhookSecretArn", "WebhookEventBusName"]),
    );
    expect(stack.webhookReceiver?.alarms).toHaveLength(3);
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "PolytomicOrchestrator",
      MetricName: "WebhookDeliveries",
      Dimensions: [{ Name: "Outcome", Value: "rejected" }],
      Statistic: "Sum",
      Threshold: 5,
      AlarmActions: [{ Ref: Match.stringLikeRegexp("^MonitoringAlarms") }],
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Dimensions: [{ Name: "Outcome", Value: "failed" }],
      Threshold: 1,
    });
    template.hasResourceProperties("AWS::CloudWatch::Alarm", {
      Namespace: "AWS/Lambda",
      MetricName: "Errors",
      Dimensions: [
        { Name: "FunctionName", Value: { Ref: Match.stringLikeRegexp("^WebhooksFunction") } },
      ],
    });
  });

  it("keeps cdk-nag clean with the receiver", () => {
    const { app, stack } = build({ webhooks: {} });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
  });

  it("refuses a signature algorithm it cannot check", () => {
    expect(() => build({ webhooks: { signatureAlgorithm: "md5" as never } })).toThrow(
      /signatureAlgorithm must be one of hmac-sha256-hex/,
    );
  });
});

describe("webhooks context", () => {
  it("is off unless webhooks=true; the algorithm needs it and must be known", () => {
    expect(webhooksFrom(undefined, undefined)).toBeUndefined();
    expect(webhooksFrom("false", undefined)).toBeUndefined();
    expect(webhooksFrom("true", undefined)).toEqual({});
    expect(webhooksFrom(true, "hmac-sha512-hex")).toEqual({
      signatureAlgorithm: "hmac-sha512-hex",
    });
    expect(() => webhooksFrom("yes", undefined)).toThrow(ContextError);
    expect(() => webhooksFrom("true", "md5")).toThrow(/webhookSignatureAlgorithm: must be one of/);
    expect(() => webhooksFrom(undefined, "hmac-sha256-hex")).toThrow(/add -c webhooks=true/);
  });
});
