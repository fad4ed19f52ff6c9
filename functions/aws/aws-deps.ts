/**
 * Deps for Lambda, built from the environment. Each handler names only the adapters it
 * uses (so its bundle holds only those AWS SDK clients); the others fail loudly if called.
 *
 * Environment:
 * - POLYTOMIC_SECRET_ARN, POLYTOMIC_SECRET_TTL_SECONDS, POLYTOMIC_API_URL,
 *   POLYTOMIC_API_VERSION: see polytomic-from-env.ts;
 * - LOGS_BUCKET: see s3-sink.ts;
 * - LOGS_PREFIX (default "polytomic-logs"), LOG_TYPES (model log types, comma-separated;
 *   default "errors,warnings"), LOG_LEVEL (default "info").
 */
import { DEFAULT_RUNTIME_CONFIG, type Deps } from "../core/deps";
import { HandlerError } from "../core/errors";
import type { ExecutionHistory } from "../core/history";
import { parseLogTypes } from "../core/input";
import { JsonLogger, parseLogLevel } from "../core/logger";
import type {
  Logger,
  LogSink,
  MetricsSink,
  NoticeSink,
  PartnerAccess,
  PolytomicApi,
} from "../core/ports";
import { Redactor } from "../core/redact";
import { type Env, optionalEnv } from "./env";

/** What an adapter factory gets. */
export interface AdapterContext {
  env: Env;
  redactor: Redactor;
  logger: Logger;
}

export interface AwsAdapters {
  polytomic?: (ctx: AdapterContext) => PolytomicApi;
  logs?: (ctx: AdapterContext) => LogSink;
  metrics?: (ctx: AdapterContext) => MetricsSink;
  executionHistory?: (ctx: AdapterContext) => ExecutionHistory;
  notices?: (ctx: AdapterContext) => NoticeSink;
  /** The partner key's reach: the partner fan-out (docs/partners.md). */
  partner?: (ctx: AdapterContext) => PartnerAccess;
}

function notConfigured(what: string): HandlerError {
  return new HandlerError("Internal.Error", `${what} is not configured for this function`);
}

const noPolytomic = new Proxy({} as PolytomicApi, {
  get: () => () => Promise.reject(notConfigured("the Polytomic client")),
});
const noLogs: LogSink = { put: () => Promise.reject(notConfigured("the log store")) };
const noMetrics: MetricsSink = { put: () => Promise.reject(notConfigured("the metrics sink")) };

/** Builds the Lambda deps with the given adapters; `env` is injectable for tests. */
export async function awsDeps(adapters: AwsAdapters, env: Env = process.env): Promise<Deps> {
  const redactor = new Redactor();
  const logger = new JsonLogger({ redactor, level: parseLogLevel(optionalEnv(env, "LOG_LEVEL")) });
  const ctx: AdapterContext = { env, redactor, logger };
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
    polytomic: adapters.polytomic ? adapters.polytomic(ctx) : noPolytomic,
    logs: adapters.logs ? adapters.logs(ctx) : noLogs,
    metrics: adapters.metrics ? adapters.metrics(ctx) : noMetrics,
    clock: { now: () => Date.now() },
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
    logger,
    redactor,
    ...(adapters.executionHistory ? { executionHistory: adapters.executionHistory(ctx) } : {}),
    ...(adapters.notices ? { notices: adapters.notices(ctx) } : {}),
    ...(adapters.partner ? { partner: adapters.partner(ctx) } : {}),
    config: {
      ...DEFAULT_RUNTIME_CONFIG,
      logsPrefix: optionalEnv(env, "LOGS_PREFIX") ?? DEFAULT_RUNTIME_CONFIG.logsPrefix,
      logTypes,
    },
  };
}
