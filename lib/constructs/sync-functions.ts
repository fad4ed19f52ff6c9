import { Duration, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as kms from "aws-cdk-lib/aws-kms";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import { Construct } from "constructs";
import { METRIC_NAMESPACE } from "../../functions/core/metrics";
import { DEFAULT_BASE_URL } from "../../functions/polytomic/client";
import { OrchestratorFunction } from "./orchestrator-function";
import { type FunctionName, functionEntry } from "./paths";

/** Environment variable names the handlers read (functions/aws). */
export const FUNCTION_ENV = {
  secretArn: "POLYTOMIC_SECRET_ARN",
  apiUrl: "POLYTOMIC_API_URL",
  logsBucket: "LOGS_BUCKET",
  logsPrefix: "LOGS_PREFIX",
} as const;

export interface SyncFunctionsProps {
  /** The bucket export-logs writes the runs' logs to. */
  readonly logsBucket: s3.IBucket;
  /**
   * Key prefix under which export-logs writes (no leading or trailing slash).
   * export-logs may only put objects under `<prefix>/`.
   * @default "polytomic-logs"
   */
  readonly logsPrefix?: string;
  /**
   * The secret holding the Polytomic API key (the secret string is the key itself).
   * Its `encryptionKey`, when set, is granted `kms:Decrypt` (via Secrets Manager only).
   * @default - a new secret is created with no value at all (no generated placeholder,
   *   which Polytomic would answer with 401): put the key in it after deployment
   *   (`aws secretsmanager put-secret-value`)
   */
  readonly apiKeySecret?: secretsmanager.ISecret;
  /**
   * The customer-managed KMS key the API key secret is encrypted with: the functions that
   * read the secret may `kms:Decrypt` with it through Secrets Manager only; a created
   * secret is encrypted with it. Needed for an imported key, where CDK's `grantRead`
   * can only write to the key's policy, which an imported key's is not.
   * @default - the account's `aws/secretsmanager` key (no KMS grant needed)
   */
  readonly apiKeySecretEncryptionKey?: kms.IKey;
  /**
   * Polytomic API base URL.
   * @default - the handlers' default, `DEFAULT_BASE_URL` (https://app.polytomic.com)
   */
  readonly polytomicApiUrl?: string;
  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding the handler entries, `<dir>/<function name>/index.ts`.
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
}

const PREFIX_PATTERN = /^[A-Za-z0-9!_.*'()-]+(\/[A-Za-z0-9!_.*'()-]+)*$/;

/** What differs between the functions besides name and description. */
interface FunctionOptions {
  readonly timeout?: Duration;
  readonly memorySize?: number;
  readonly environment?: Record<string, string>;
}

/** Throws when the logs prefix or the API URL cannot be used. */
function checkProps(logsPrefix: string, polytomicApiUrl: string | undefined): void {
  if (!PREFIX_PATTERN.test(logsPrefix)) {
    throw new Error(
      `logsPrefix "${logsPrefix}" is not a valid key prefix: use path segments of letters, digits and !_.*'()- separated by "/", without leading or trailing slash`,
    );
  }
  if (polytomicApiUrl !== undefined && !/^https?:\/\/[^\s/]+/.test(polytomicApiUrl)) {
    throw new Error(
      `polytomicApiUrl "${polytomicApiUrl}" is not an http(s) URL (e.g. ${DEFAULT_BASE_URL})`,
    );
  }
}

/**
 * The five Lambda functions of a run, with least-privilege grants:
 * - start-sync, check-status, export-logs, cancel-sync read the API key secret
 *   (secretsmanager:GetSecretValue/DescribeSecret on that one secret);
 * - export-logs may put objects only under `<bucket>/<prefix>/*`;
 * - publish-metrics may call cloudwatch:PutMetricData only for the project's namespace
 *   (the action does not support resource ARNs, so the scope is the
 *   `cloudwatch:namespace` condition key).
 */
export class SyncFunctions extends Construct {
  readonly startSync: lambda.IFunction;
  readonly checkStatus: lambda.IFunction;
  readonly exportLogs: lambda.IFunction;
  readonly publishMetrics: lambda.IFunction;
  readonly cancelSync: lambda.IFunction;
  /** The secret the Polytomic-calling functions read the API key from. */
  readonly apiKeySecret: secretsmanager.ISecret;
  /** The customer-managed key of the secret, when there is one. */
  readonly apiKeySecretEncryptionKey?: kms.IKey;
  /** The environment of every function that calls Polytomic (secret ARN, API URL). */
  readonly polytomicEnvironment: Readonly<Record<string, string>>;
  readonly logsPrefix: string;

  constructor(scope: Construct, id: string, props: SyncFunctionsProps) {
    super(scope, id);
    const logsPrefix = props.logsPrefix ?? "polytomic-logs";
    checkProps(logsPrefix, props.polytomicApiUrl);
    this.logsPrefix = logsPrefix;
    this.apiKeySecret = props.apiKeySecret ?? emptySecret(this, props.apiKeySecretEncryptionKey);

    if (props.apiKeySecretEncryptionKey) {
      this.apiKeySecretEncryptionKey = props.apiKeySecretEncryptionKey;
    }
    const common: Record<string, string> = {
      [FUNCTION_ENV.secretArn]: this.apiKeySecret.secretArn,
      ...(props.polytomicApiUrl ? { [FUNCTION_ENV.apiUrl]: props.polytomicApiUrl } : {}),
    };
    this.polytomicEnvironment = common;
    const make = (name: FunctionName, description: string, options: FunctionOptions) =>
      this.makeFunction(name, description, options, props);
    this.startSync = make("start-sync", "Starts (or attaches to) a Polytomic sync run", {
      environment: common,
    });
    this.checkStatus = make("check-status", "Checks a Polytomic sync run's status", {
      environment: common,
    });
    const logsEnvironment = {
      [FUNCTION_ENV.logsBucket]: props.logsBucket.bucketName,
      [FUNCTION_ENV.logsPrefix]: logsPrefix,
    };
    this.exportLogs = make("export-logs", "Exports a finished run's logs to S3", {
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { ...common, ...logsEnvironment },
    });
    this.publishMetrics = make("publish-metrics", "Publishes a step run's CloudWatch metrics", {
      timeout: Duration.seconds(30),
      environment: {},
    });
    // cancel-sync also exports the logs and publishes the metrics of a run whose run-sync
    // execution stopped before it could (ABORTED, TIMED_OUT, FAILED past its Catch).
    this.cancelSync = make("cancel-sync", "Cancels a running Polytomic sync run", {
      timeout: Duration.minutes(5),
      memorySize: 512,
      environment: { ...common, ...logsEnvironment },
    });
    this.grant(props.logsBucket, props.apiKeySecretEncryptionKey);
  }

  private makeFunction(
    name: FunctionName,
    description: string,
    options: FunctionOptions,
    props: SyncFunctionsProps,
  ): OrchestratorFunction {
    return new OrchestratorFunction(this, toPascal(name), {
      entry: functionEntry(name, props.functionsDir),
      description,
      timeout: options.timeout,
      memorySize: options.memorySize,
      environment: options.environment,
      logRetention: props.logRetention,
    });
  }

  /** The least-privilege grants of the class comment. */
  private grant(logsBucket: s3.IBucket, key: kms.IKey | undefined): void {
    for (const fn of [this.startSync, this.checkStatus, this.exportLogs, this.cancelSync]) {
      grantSecretRead(fn, this.apiKeySecret, key);
    }
    for (const fn of [this.exportLogs, this.cancelSync]) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ["s3:PutObject", "s3:AbortMultipartUpload"],
          resources: [logsBucket.arnForObjects(`${this.logsPrefix}/*`)],
        }),
      );
      // Only needed when the bucket is encrypted with a customer-managed key.
      logsBucket.encryptionKey?.grantEncrypt(fn);
    }
    for (const fn of [this.publishMetrics, this.cancelSync]) grantPutMetrics(fn);
  }

  /** All five functions, keyed by name (for dashboards and alarms). */
  get all(): Record<FunctionName, lambda.IFunction> {
    return {
      "start-sync": this.startSync,
      "check-status": this.checkStatus,
      "export-logs": this.exportLogs,
      "publish-metrics": this.publishMetrics,
      "cancel-sync": this.cancelSync,
    };
  }
}

/**
 * `fn` may read the API key secret; with a customer-managed key, `kms:Decrypt` on it as
 * Secrets Manager documents: only via the service.
 */
export function grantSecretRead(
  fn: lambda.IFunction,
  secret: secretsmanager.ISecret,
  key: kms.IKey | undefined,
): void {
  secret.grantRead(fn);
  if (!key) return;
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["kms:Decrypt"],
      resources: [key.keyArn],
      conditions: {
        StringEquals: {
          "kms:ViaService": `secretsmanager.${Stack.of(fn).region}.amazonaws.com`,
        },
      },
    }),
  );
}

/**
 * `fn` may call cloudwatch:PutMetricData for the project's namespace only (the action
 * supports no resource ARNs: the scope is the `cloudwatch:namespace` condition key).
 */
export function grantPutMetrics(fn: lambda.IFunction): void {
  fn.addToRolePolicy(
    new iam.PolicyStatement({
      actions: ["cloudwatch:PutMetricData"],
      resources: ["*"],
      conditions: { StringEquals: { "cloudwatch:namespace": METRIC_NAMESPACE } },
    }),
  );
}

/**
 * A secret with no value: CDK's Secret generates a random string unless told otherwise,
 * and "If you omit both GenerateSecretString and SecretString, you create an empty
 * secret" (CloudFormation, AWS::SecretsManager::Secret). Until the key is put in it,
 * GetSecretValue finds no AWSCURRENT version and the functions fail with
 * `Config.MissingSecret` naming this secret, without calling Polytomic.
 */
function emptySecret(scope: Construct, encryptionKey: kms.IKey | undefined): secretsmanager.Secret {
  const secret = new secretsmanager.Secret(scope, "ApiKey", {
    description:
      'Polytomic API key of the orchestrator: created empty; put the key in it (the raw key, or {"api_key": "..."})',
    encryptionKey,
  });
  (secret.node.defaultChild as secretsmanager.CfnSecret).addPropertyDeletionOverride(
    "GenerateSecretString",
  );
  return secret;
}

function toPascal(name: string): string {
  return name
    .split("-")
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join("");
}
