import { Duration, RemovalPolicy } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import { LogLevel, NodejsFunction, OutputFormat } from "aws-cdk-lib/aws-lambda-nodejs";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { REPO_ROOT } from "./paths";

export interface OrchestratorFunctionProps {
  /** Absolute path of the handler module (exports `handler`). */
  readonly entry: string;
  /** What the function does, shown in the Lambda console. */
  readonly description: string;
  /**
   * Environment variables. `NODE_OPTIONS=--enable-source-maps` is always added.
   * @default - only NODE_OPTIONS
   */
  readonly environment?: Record<string, string>;
  /**
   * Memory size in MB.
   * @default 256
   */
  readonly memorySize?: number;
  /**
   * Invocation timeout. Keep it below the state machine task timeout.
   * @default Duration.seconds(60)
   */
  readonly timeout?: Duration;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * NODE_OPTIONS of every function: stack traces through the source maps. It costs start-up
 * time (bench/lambda.ts measures the import with and without it).
 */
export const DEPLOYED_NODE_OPTIONS = "--enable-source-maps";

/** Defines `require` in the ESM bundle, for the few CommonJS dependencies that call it. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __orchestratorCreateRequire } from 'node:module'; const require = __orchestratorCreateRequire(import.meta.url);";

/** Memory in MB Lambda accepts. */
const MIN_MEMORY = 128;
const MAX_MEMORY = 10_240;
/** Lambda's hard limit on a function's timeout. */
const MAX_TIMEOUT = Duration.minutes(15);

/**
 * A Lambda function of the orchestrator: Node.js 24 on arm64, bundled with the LOCAL
 * esbuild (never Docker) into minified ESM with source maps, with its own log group and
 * a role that may write to that log group only.
 *
 * Bundling choice: `@aws-sdk/*` is bundled (externalModules: []) rather than taken from
 * the Lambda runtime. That pins the SDK to the version in package-lock.json, the one the
 * tests ran against, at the cost of a larger bundle (the clients used are small: Secrets
 * Manager, CloudWatch, S3). The ESM banner defines `require` for the few CommonJS
 * dependencies that call it at run time.
 */
export class OrchestratorFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: OrchestratorFunctionProps) {
    const memorySize = props.memorySize ?? 256;
    if (!Number.isInteger(memorySize) || memorySize < MIN_MEMORY || memorySize > MAX_MEMORY) {
      throw new Error(
        `${id}: memorySize must be an integer between ${MIN_MEMORY} and ${MAX_MEMORY} MB, got ${memorySize}`,
      );
    }
    const timeout = props.timeout ?? Duration.seconds(60);
    if (timeout.toSeconds() < 1 || timeout.toSeconds() > MAX_TIMEOUT.toSeconds()) {
      throw new Error(
        `${id}: timeout must be between 1 second and 15 minutes, got ${timeout.toHumanString()}`,
      );
    }
    const logGroup = new logs.LogGroup(scope, `${id}LogGroup`, {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // Its own role, allowed to write to its own log group only (AWSLambdaBasicExecutionRole,
    // CDK's default, may write to every log group of the account).
    const role = new iam.Role(scope, `${id}Role`, {
      assumedBy: new iam.ServicePrincipal("lambda.amazonaws.com"),
      description: `${id}: its own log group, and the grants its construct adds`,
    });
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ["logs:CreateLogStream", "logs:PutLogEvents"],
        resources: [logGroup.logGroupArn],
      }),
    );
    super(scope, id, {
      role,
      entry: props.entry,
      handler: "handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      projectRoot: REPO_ROOT,
      depsLockFilePath: `${REPO_ROOT}/package-lock.json`,
      environment: { ...props.environment, NODE_OPTIONS: DEPLOYED_NODE_OPTIONS },
      bundling: {
        forceDockerBundling: false,
        // Warnings and errors only: esbuild's size summary for each of the five bundles
        // buried the synth's own messages.
        logLevel: LogLevel.WARNING,
        format: OutputFormat.ESM,
        target: "node24",
        minify: true,
        sourceMap: true,
        mainFields: ["module", "main"],
        banner: ESM_REQUIRE_BANNER,
        externalModules: [],
      },
    });
  }
}
