import { Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { describe, expect, it } from "vitest";
import { METRIC_NAMESPACE } from "../../../functions/core/metrics";
import { LogsBucket } from "../../../lib/constructs/logs-bucket";
import { OrchestratorFunction } from "../../../lib/constructs/orchestrator-function";
import { functionEntry } from "../../../lib/constructs/paths";
import { SyncFunctions, type SyncFunctionsProps } from "../../../lib/constructs/sync-functions";
import { FIXTURE_FUNCTIONS_DIR, unbundledStack } from "../helpers";

function build(props: Partial<SyncFunctionsProps> = {}) {
  const stack = unbundledStack();
  const bucket = new s3.Bucket(stack, "Logs");
  const fns = new SyncFunctions(stack, "Functions", {
    logsBucket: bucket,
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    ...props,
  });
  return { stack, fns, template: Template.fromStack(stack) };
}

type Statement = Record<string, unknown>;

/** The policy statements attached to the role of the function whose logical id starts with `prefix`. */
function statementsOf(template: Template, prefix: string): Statement[] {
  const fns = template.findResources("AWS::Lambda::Function");
  const fnId = Object.keys(fns).find((id) => id.startsWith(prefix));
  expect(fnId, `function ${prefix}`).toBeDefined();
  const role = fns[fnId as string]?.Properties.Role as { "Fn::GetAtt": string[] } | undefined;
  const roleRef = role?.["Fn::GetAtt"][0];
  const policies = template.findResources("AWS::IAM::Policy");
  return Object.values(policies)
    .filter((p) => (p.Properties.Roles as Array<{ Ref: string }>).some((r) => r.Ref === roleRef))
    .flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

function actionsOf(statements: Statement[]): string[] {
  return statements.flatMap((s) => (Array.isArray(s.Action) ? s.Action : [s.Action])) as string[];
}

describe("SyncFunctions", () => {
  it("creates five Node.js 24 arm64 traced functions with source maps enabled", () => {
    const { template } = build();
    template.resourceCountIs("AWS::Lambda::Function", 5);
    const fns = template.findResources("AWS::Lambda::Function", {
      Properties: {
        Runtime: "nodejs24.x",
        Architectures: ["arm64"],
        Handler: "index.handler",
        TracingConfig: { Mode: "Active" },
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: "--enable-source-maps" }) },
      },
    });
    expect(Object.keys(fns)).toHaveLength(5);
  });

  it("gives every function a log group with retention", () => {
    const { template } = build();
    template.resourceCountIs("AWS::Logs::LogGroup", 5);
    template.allResourcesProperties("AWS::Logs::LogGroup", { RetentionInDays: 30 });
  });

  it("lets each function write logs to its own log group only, with no managed policy", () => {
    const { template } = build();
    for (const role of Object.values(template.findResources("AWS::IAM::Role"))) {
      expect(role.Properties.ManagedPolicyArns).toBeUndefined();
    }
    const fns = template.findResources("AWS::Lambda::Function");
    expect(Object.keys(fns)).toHaveLength(5);
    for (const [id, fn] of Object.entries(fns)) {
      const logGroup = (fn.Properties.LoggingConfig as { LogGroup: { Ref: string } }).LogGroup.Ref;
      const logs = statementsOf(template, id).filter((st) =>
        actionsOf([st]).some((a) => a.startsWith("logs:")),
      );
      expect(logs, id).toEqual([
        {
          Effect: "Allow",
          Action: ["logs:CreateLogStream", "logs:PutLogEvents"],
          Resource: { "Fn::GetAtt": [logGroup, "Arn"] },
        },
      ]);
    }
  });

  it("scopes PutMetricData to the project's namespace, for publish-metrics and cancel-sync only", () => {
    const { template } = build();
    // cancel-sync publishes the metrics of a run whose execution stopped before it could.
    for (const publisher of ["FunctionsPublishMetrics", "FunctionsCancelSync"]) {
      expect(statementsOf(template, publisher)).toContainEqual(
        expect.objectContaining({
          Action: "cloudwatch:PutMetricData",
          Resource: "*",
          Condition: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
        }),
      );
    }
    const statements = statementsOf(template, "FunctionsPublishMetrics");
    expect(actionsOf(statements)).not.toContain("secretsmanager:GetSecretValue");
    for (const other of ["FunctionsStartSync", "FunctionsCheckStatus"]) {
      expect(actionsOf(statementsOf(template, other))).not.toContain("cloudwatch:PutMetricData");
    }
  });

  it("lets export-logs put objects only under the logs prefix", () => {
    const { template } = build({ logsPrefix: "runs/polytomic" });
    const statements = statementsOf(template, "FunctionsExportLogs");
    const put = statements.find((s) => actionsOf([s]).includes("s3:PutObject"));
    expect(put?.Resource).toEqual({
      "Fn::Join": [
        "",
        [{ "Fn::GetAtt": [expect.stringMatching(/^Logs/), "Arn"] }, "/runs/polytomic/*"],
      ],
    });
    const all = actionsOf(statements);
    expect(all.filter((a) => a.startsWith("s3:")).sort()).toEqual([
      "s3:AbortMultipartUpload",
      "s3:PutObject",
    ]);
    for (const other of ["FunctionsStartSync", "FunctionsCheckStatus", "FunctionsPublishMetrics"]) {
      expect(actionsOf(statementsOf(template, other))).not.toContain("s3:PutObject");
    }
  });

  it("grants secret read on the given secret only to the functions that call Polytomic", () => {
    const stack = unbundledStack();
    const secret = secretsmanager.Secret.fromSecretCompleteArn(
      stack,
      "Key",
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic-AbCdEf",
    );
    const fns = new SyncFunctions(stack, "Functions", {
      logsBucket: new s3.Bucket(stack, "Logs"),
      apiKeySecret: secret,
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      polytomicApiUrl: "https://sim.example.com",
    });
    expect(fns.apiKeySecret).toBe(secret);
    const template = Template.fromStack(stack);
    template.resourceCountIs("AWS::SecretsManager::Secret", 0);
    for (const name of [
      "FunctionsStartSync",
      "FunctionsCheckStatus",
      "FunctionsExportLogs",
      "FunctionsCancelSync",
    ]) {
      const read = statementsOf(template, name).find((s) =>
        actionsOf([s]).includes("secretsmanager:GetSecretValue"),
      );
      expect(read?.Resource, name).toBe(secret.secretArn);
    }
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          POLYTOMIC_SECRET_ARN: secret.secretArn,
          POLYTOMIC_API_URL: "https://sim.example.com",
        }),
      },
    });
  });

  it("creates the API key secret when none is given", () => {
    const { template } = build();
    template.resourceCountIs("AWS::SecretsManager::Secret", 1);
  });

  it("passes the bucket and prefix to export-logs", () => {
    const { template } = build({ logsPrefix: "exports" });
    template.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({
          LOGS_BUCKET: { Ref: Match.stringLikeRegexp("^Logs") },
          LOGS_PREFIX: "exports",
        }),
      },
    });
  });

  it.each([["/leading"], ["trailing/"], ["two//slashes"], ["spa ce"]])(
    "rejects the logs prefix %j",
    (logsPrefix) => {
      expect(() => build({ logsPrefix })).toThrow(/logsPrefix .* is not a valid key prefix/);
    },
  );

  it("rejects a Polytomic API URL that is not http(s)", () => {
    expect(() => build({ polytomicApiUrl: "app.polytomic.com" })).toThrow(/not an http\(s\) URL/);
  });
});

describe("OrchestratorFunction", () => {
  it("rejects memory and timeouts Lambda does not accept", () => {
    const stack = unbundledStack();
    const entry = functionEntry("start-sync", FIXTURE_FUNCTIONS_DIR);
    expect(
      () => new OrchestratorFunction(stack, "A", { entry, description: "x", memorySize: 64 }),
    ).toThrow(/memorySize must be an integer between 128 and 10240/);
    expect(
      () =>
        new OrchestratorFunction(stack, "B", {
          entry,
          description: "x",
          timeout: Duration.minutes(16),
        }),
    ).toThrow(/timeout must be between 1 second and 15 minutes/);
  });
});

describe("LogsBucket", () => {
  it("is encrypted, TLS only, private, and expires objects", () => {
    const stack = unbundledStack();
    new LogsBucket(stack, "Logs", { expiration: Duration.days(30) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::S3::Bucket", {
      BucketEncryption: {
        ServerSideEncryptionConfiguration: [
          { ServerSideEncryptionByDefault: { SSEAlgorithm: "AES256" } },
        ],
      },
      PublicAccessBlockConfiguration: {
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      },
      LifecycleConfiguration: {
        Rules: [Match.objectLike({ ExpirationInDays: 30, Status: "Enabled" })],
      },
    });
    template.hasResourceProperties("AWS::S3::BucketPolicy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: "Deny",
            Action: "s3:*",
            Condition: { Bool: { "aws:SecureTransport": "false" } },
          }),
        ]),
      },
    });
  });

  it("defaults to 90 days", () => {
    const stack = unbundledStack();
    new LogsBucket(stack, "Logs");
    Template.fromStack(stack).hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: { Rules: [Match.objectLike({ ExpirationInDays: 90 })] },
    });
  });

  it("rejects an expiration that is not a whole number of days", () => {
    const stack = unbundledStack();
    expect(() => new LogsBucket(stack, "Logs", { expiration: Duration.hours(12) })).toThrow(
      /whole number of days, at least 1/,
    );
  });
});
