/**
 * The CloudWatch metrics the product publishes: defined once here, used by the
 * publish-metrics handler and by the dashboard and alarms (CDK imports this file;
 * it holds constants and one pure helper only).
 *
 * CloudWatch bills each metric (name + dimension values) as a custom metric, $0.30 a
 * month (https://aws.amazon.com/cloudwatch/pricing/). So only what the per-step alarms
 * and dashboard graphs read is published per step (STEP_METRICS, 3 metrics a step); the
 * rest is published per pipeline (PIPELINE_METRICS: one metric a pipeline each, summed
 * or maximised over its steps). `SyncType` follows from the step (a step runs one sync),
 * so it does not multiply the per-step metrics. A step's own counts stay in its run's
 * result and logs.
 */

export const METRIC_NAMESPACE = "PolytomicOrchestrator";

/** Dimensions of every per-step metric, in this order. */
export const STEP_DIMENSIONS = ["Pipeline", "Step", "SyncType"] as const;
/** Dimensions of every per-pipeline metric. */
export const PIPELINE_DIMENSIONS = ["Pipeline"] as const;
export type StepDimension = (typeof STEP_DIMENSIONS)[number];

/** Per-step metrics: what the per-step alarm (StepFailed) and dashboard graphs read. */
export const STEP_METRICS = {
  /** Seconds from the run's start to its terminal status. */
  duration: { name: "StepDurationSeconds", unit: "Seconds" },
  records: { name: "RecordsSynced", unit: "Count" },
  /** 1 when the step failed (any outcome the policy fails), else 0. */
  failed: { name: "StepFailed", unit: "Count" },
} as const;

/** Per-pipeline metrics: one datum per step run, with the Pipeline dimension only. */
export const PIPELINE_METRICS = {
  /** Seconds a step's run spent queued before running. */
  queueTime: { name: "StepQueueSeconds", unit: "Seconds" },
  errors: { name: "RecordErrors", unit: "Count" },
  warnings: { name: "RecordWarnings", unit: "Count" },
  /** 1 when the step succeeded, else 0 (the Sum counts the pipeline's steps that succeeded). */
  succeeded: { name: "StepSucceeded", unit: "Count" },
  /** 1 when the step hit its timeout. */
  timedOut: { name: "StepTimedOut", unit: "Count" },
  /** 1 when exporting the run's logs failed (the step's outcome is unaffected). */
  logExportFailed: { name: "LogExportFailed", unit: "Count" },
  /** Polytomic API calls that were retried during the step. */
  apiRetries: { name: "ApiRetries", unit: "Count" },
} as const;

/**
 * Partner fan-out (docs/partners.md): one datum, 1, when an organization-scoped step fails,
 * with dimensions Pipeline and Organization (the organization's id). Only a failure
 * publishes it, so an organization that never fails costs nothing; one that does costs one
 * custom metric per pipeline it fails in, whatever the number of steps. The per-step and
 * per-pipeline metrics above never carry the organization (500 organizations x 3 metrics a
 * step would be ruinous).
 */
export const ORGANIZATION_METRICS = {
  stepFailures: { name: "OrganizationStepFailures", unit: "Count" },
} as const;
/** Dimensions of the organization metric, in this order. */
export const ORGANIZATION_DIMENSIONS = ["Pipeline", "Organization"] as const;

export type StepMetricKey = keyof typeof STEP_METRICS;
export type PipelineMetricKey = keyof typeof PIPELINE_METRICS;
export type MetricKey = StepMetricKey | PipelineMetricKey;

/** Every metric, per step and per pipeline, by key. */
export const METRICS: Readonly<Record<MetricKey, { name: string; unit: string }>> = {
  ...STEP_METRICS,
  ...PIPELINE_METRICS,
};

/** Whether `key` is published per step (else per pipeline). */
export function isStepMetric(key: MetricKey): key is StepMetricKey {
  return Object.hasOwn(STEP_METRICS, key);
}

/** Dimension values: the pipeline's, and the step's for a per-step metric. */
export type DimensionValues = { readonly Pipeline: string } & Partial<
  Readonly<Record<StepDimension, string>>
>;

/** The dimensions a metric is published with (a per-step metric needs the step's values). */
export function metricDimensions(
  key: MetricKey,
  values: DimensionValues,
): Array<{ Name: StepDimension; Value: string }> {
  const names: readonly StepDimension[] = isStepMetric(key) ? STEP_DIMENSIONS : PIPELINE_DIMENSIONS;
  return names.map((name) => {
    const value = values[name];
    if (value === undefined)
      throw new Error(`metric ${METRICS[key].name} needs the ${name} dimension`);
    return { Name: name, Value: value };
  });
}
