/**
 * Deps for Lambda, built from the environment:
 * - POLYTOMIC_SECRET_ARN (required): the API key's secret;
 * - POLYTOMIC_SECRET_TTL_SECONDS (default 300): how long the key is cached;
 * - POLYTOMIC_API_URL, POLYTOMIC_API_VERSION (optional): client overrides;
 * - LOGS_BUCKET (required), LOGS_PREFIX (default "polytomic-logs"), LOG_TYPES (model log
 *   types, comma-separated; default "errors,warnings"), LOG_LEVEL (default "info").
 * AWS clients are created once per container, when first needed.
 */
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { withKeyRefresh } from "../core/auth-refresh";
import { DEFAULT_RUNTIME_CONFIG, type Deps } from "../core/deps";
import { HandlerError } from "../core/errors";
import { parseLogTypes } from "../core/input";
import { JsonLogger, parseLogLevel } from "../core/logger";
import { Redactor } from "../core/redact";
import { PolytomicClient } from "../polytomic/client";
import { CloudWatchMetricsSink } from "./cloudwatch";
import { type Env, numberEnv, optionalEnv, requireEnv } from "./env";
import { S3LogSink } from "./s3-sink";
import { SecretKeyStore } from "./secrets";

export interface AwsClients {
  secrets: SecretsManagerClient;
  s3: S3Client;
  cloudwatch: CloudWatchClient;
}

let clients: AwsClients | undefined;

function defaultClients(): AwsClients {
  clients ??= {
    secrets: new SecretsManagerClient({}),
    s3: new S3Client({}),
    cloudwatch: new CloudWatchClient({}),
  };
  return clients;
}

/** Builds the Lambda deps; `env` and `awsClients` are injectable for tests. */
export async function awsDeps(
  env: Env = process.env,
  awsClients: AwsClients = defaultClients(),
): Promise<Deps> {
  const redactor = new Redactor();
  const logger = new JsonLogger({ redactor, level: parseLogLevel(optionalEnv(env, "LOG_LEVEL")) });
  const secretArn = requireEnv(env, "POLYTOMIC_SECRET_ARN");
  const bucket = requireEnv(env, "LOGS_BUCKET");
  const keys = new SecretKeyStore({
    client: awsClients.secrets,
    secretArn,
    redactor,
    ttlMs: numberEnv(env, "POLYTOMIC_SECRET_TTL_SECONDS", 300) * 1000,
  });
  const baseUrl = optionalEnv(env, "POLYTOMIC_API_URL");
  const apiVersion = optionalEnv(env, "POLYTOMIC_API_VERSION");
  const client = new PolytomicClient({
    apiKey: () => keys.get(),
    ...(baseUrl ? { baseUrl } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    logger: {
      debug: (msg, data) => logger.debug(msg, { ...data }),
      warn: (msg, data) => logger.warn(msg, { ...data }),
    },
  });
  let logTypes = DEFAULT_RUNTIME_CONFIG.logTypes;
  const rawTypes = optionalEnv(env, "LOG_TYPES");
  if (rawTypes !== undefined) {
    try {
      logTypes = parseLogTypes(rawTypes, "LOG_TYPES");
    } catch (err) {
      throw new HandlerError("Config.Invalid", `environment variable ${(err as Error).message}`);
    }
  }
  return {
    polytomic: withKeyRefresh(client, () => keys.refresh(), logger),
    logs: new S3LogSink(awsClients.s3, bucket),
    metrics: new CloudWatchMetricsSink(awsClients.cloudwatch),
    clock: { now: () => Date.now() },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    logger,
    redactor,
    config: {
      ...DEFAULT_RUNTIME_CONFIG,
      logsPrefix: optionalEnv(env, "LOGS_PREFIX") ?? DEFAULT_RUNTIME_CONFIG.logsPrefix,
      logTypes,
    },
  };
}
