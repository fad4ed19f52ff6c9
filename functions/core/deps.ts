/**
 * Everything a handler needs, injected: the Lambda adapters (functions/aws/aws-deps.ts) and
 * the local runner build one of these and hand it to each handler's `makeHandler`.
 */
import type { DeliveryStore } from "./delivery";
import type { ExecutionHistory } from "./history";
import type { ModelLogType } from "./input";
import { JsonLogger } from "./logger";
import type {
  Clock,
  Logger,
  LogSink,
  MetricsSink,
  NoticeSink,
  PartnerAccess,
  PolytomicApi,
  Sleep,
} from "./ports";
import { Redactor } from "./redact";

export interface RuntimeConfig {
  /** First segment of every log key. @default "polytomic-logs" */
  logsPrefix: string;
  /** Model log types exported by export-logs. @default ["errors", "warnings"] */
  logTypes: ModelLogType[];
  /** Time budget of an invocation when the runtime gives no remaining time (local runs). @default 60000 */
  defaultBudgetMs: number;
  /** Time kept back from the Lambda's remaining time for returning a result. @default 3000 */
  safetyMarginMs: number;
  /** Console log entries saved per run, at most. @default 5000 */
  maxConsoleEntries: number;
}

export const DEFAULT_RUNTIME_CONFIG: RuntimeConfig = {
  logsPrefix: "polytomic-logs",
  logTypes: ["errors", "warnings"],
  defaultBudgetMs: 60_000,
  safetyMarginMs: 3_000,
  maxConsoleEntries: 5_000,
};

export interface Deps {
  polytomic: PolytomicApi;
  logs: LogSink;
  metrics: MetricsSink;
  clock: Clock;
  sleep: Sleep;
  logger: Logger;
  /** Shared with the logger: handlers redact error messages with it too. */
  redactor: Redactor;
  config: RuntimeConfig;
  /**
   * A run-sync execution's own history (cancel-sync's EventBridge path only). Without it,
   * cancel-sync cannot tell which run a stopped execution started and cancels nothing.
   */
  executionHistory?: ExecutionHistory;
  /** Where the freshness notice is published (freshness-notice only). */
  notices?: NoticeSink;
  /**
   * The partner key's reach (partner fan-out, docs/partners.md): resolve-organizations, and
   * the run handlers for a step input with `organization_id` (core/organization.ts).
   */
  partner?: PartnerAccess;
  /**
   * With webhooks on (check-status and start-sync only): the measured delivery of the
   * organization's webhook (core/delivery.ts), which decides between polling and waiting on
   * events. Without it a step polls.
   */
  delivery?: DeliveryStore;
}

/** Deps with defaults for everything but the three adapters (local runner, tests). */
export function createDeps(
  parts: Pick<Deps, "polytomic" | "logs" | "metrics"> &
    Partial<Omit<Deps, "config">> & {
      config?: Partial<RuntimeConfig>;
    },
): Deps {
  const redactor = parts.redactor ?? new Redactor();
  return {
    polytomic: parts.polytomic,
    logs: parts.logs,
    metrics: parts.metrics,
    clock: parts.clock ?? { now: () => Date.now() },
    sleep: parts.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms))),
    redactor,
    logger: parts.logger ?? new JsonLogger({ redactor }),
    config: { ...DEFAULT_RUNTIME_CONFIG, ...parts.config },
    ...(parts.executionHistory ? { executionHistory: parts.executionHistory } : {}),
    ...(parts.notices ? { notices: parts.notices } : {}),
    ...(parts.partner ? { partner: parts.partner } : {}),
    ...(parts.delivery ? { delivery: parts.delivery } : {}),
  };
}
