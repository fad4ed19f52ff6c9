import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";
import { bundleHandler } from "./lambda-bundle";
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
  /**
   * Where bundles are cached between synths (see lambda-bundle.ts).
   * @default - `.cache/lambda-bundles` at the repository root
   */
  readonly bundleCacheDir?: string;
}

/** The default bundle cache (git-ignored). */
export const BUNDLE_CACHE_DIR = join(REPO_ROOT, ".cache", "lambda-bundles");

/**
 * NODE_OPTIONS of every function: stack traces through the source maps. It costs start-up
 * time (bench/lambda.ts measures the import with and without it).
 */
export const DEPLOYED_NODE_OPTIONS = "--enable-source-maps";

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
 * Bundling (lambda-bundle.ts): esbuild's API with the options NodejsFunction used, cached
 * by content, so a synth rebuilds only a function whose inputs changed, and launches no
 * `npx`. A stack whose bundling is skipped (`aws:cdk:bundling-stacks`, as the local runner
 * and the tests synthesize) gets the handler's source directory as a stand-in asset.
 *
 * Bundling choice: `@aws-sdk/*` is bundled (nothing external) rather than taken from
 * the Lambda runtime. That pins the SDK to the version in package-lock.json, the one the
 * tests ran against, at the cost of a larger bundle (the clients used are small: Secrets
 * Manager, CloudWatch, S3). The ESM banner defines `require` for the few CommonJS
 * dependencies that call it at run time.
 */
export class OrchestratorFunction extends lambda.Function {
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
    if (!existsSync(props.entry)) {
      throw new Error(`${id}: the handler entry ${props.entry} does not exist`);
    }
    const code = Stack.of(scope).bundlingRequired
      ? lambda.Code.fromAsset(
          bundleHandler(props.entry, props.bundleCacheDir ?? BUNDLE_CACHE_DIR, REPO_ROOT).dir,
        )
      : lambda.Code.fromAsset(dirname(props.entry));
    super(scope, id, {
      role,
      code,
      handler: "index.handler",
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize,
      timeout,
      logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      tracing: lambda.Tracing.ACTIVE,
      environment: { ...props.environment, NODE_OPTIONS: DEPLOYED_NODE_OPTIONS },
    });
  }
}
