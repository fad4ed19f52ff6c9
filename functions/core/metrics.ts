/**
 * The CloudWatch metrics the product publishes: defined once here, used by the
 * publish-metrics handler and by the dashboard and alarms (CDK imports this file;
 * it holds constants only).
 */

export const METRIC_NAMESPACE = "PolytomicOrchestrator";

/** Dimensions of every per-step metric, in this order. */
export const STEP_DIMENSIONS = ["Pipeline", "Step", "SyncType"] as const;
export type StepDimension = (typeof STEP_DIMENSIONS)[number];

/** Per-step metrics, published once per step run by publish-metrics. */
export const STEP_METRICS = {
  /** Seconds from the run's start to its terminal status. */
  duration: { name: "StepDurationSeconds", unit: "Seconds" },
  /** Seconds the run spent queued before running. */
  queueTime: { name: "StepQueueSeconds", unit: "Seconds" },
  records: { name: "RecordsSynced", unit: "Count" },
  errors: { name: "RecordErrors", unit: "Count" },
  warnings: { name: "RecordWarnings", unit: "Count" },
  /** 1 when the step succeeded, else 0. */
  succeeded: { name: "StepSucceeded", unit: "Count" },
  /** 1 when the step failed (any outcome the policy fails), else 0. */
  failed: { name: "StepFailed", unit: "Count" },
  /** 1 when the step hit its timeout. */
  timedOut: { name: "StepTimedOut", unit: "Count" },
  /** 1 when exporting the run's logs failed (the step's outcome is unaffected). */
  logExportFailed: { name: "LogExportFailed", unit: "Count" },
  /** Polytomic API calls that were retried during the step. */
  apiRetries: { name: "ApiRetries", unit: "Count" },
} as const;

export type StepMetricKey = keyof typeof STEP_METRICS;
