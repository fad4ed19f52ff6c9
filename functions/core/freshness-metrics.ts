/**
 * The CloudWatch metrics of the freshness check: defined once here, used by the freshness
 * function (functions/core/freshness.ts) and by its alarms and dashboard widgets
 * (lib/constructs/freshness.ts). Constants only, so CDK code may import it.
 */

export { METRIC_NAMESPACE } from "./metrics";

/** Dimensions of a sync's age; a bulk schema's age adds `Schema`. */
export const FRESHNESS_SYNC_DIMENSION = "Sync";
export const FRESHNESS_SCHEMA_DIMENSION = "Schema";

export const FRESHNESS_METRICS = {
  /**
   * Seconds since the sync's (or schema's) last successful run, per check. Nothing is
   * published for a sync that never succeeded or whose age could not be read: its alarm
   * treats the missing data as breaching.
   */
  age: { name: "SyncAgeSeconds", unit: "Seconds" },
  /** Polytomic API calls one check made (no dimensions). */
  apiCalls: { name: "FreshnessApiCalls", unit: "Count" },
  /** Syncs and schemas whose last success one check could not read (no dimensions). */
  unreadable: { name: "FreshnessUnreadable", unit: "Count" },
} as const;

/** The freshness-notice function's environment variable naming the topic it publishes to. */
export const FRESHNESS_NOTICE_TOPIC_ENV = "FRESHNESS_NOTICE_TOPIC_ARN";
