/**
 * publish-metrics: one PutMetricData call per step run with the metrics of metrics.ts (the
 * STEP_METRICS with dimensions Pipeline/Step/SyncType, the PIPELINE_METRICS with Pipeline
 * only, and for an organization-scoped step that failed OrganizationStepFailures with
 * Pipeline/Organization), timestamped at the run's completion (or now).
 * A failed publish never throws: the sink retries (bounded), then the failure is reported
 * in the result, because metrics must never fail a pipeline.
 */
import type { PublishMetricsResult, RunState } from "./contract";
import type { Deps } from "./deps";
import {
  METRIC_NAMESPACE,
  METRICS,
  type MetricKey,
  metricDimensions,
  ORGANIZATION_DIMENSIONS,
  ORGANIZATION_METRICS,
  type StepDimension,
} from "./metrics";
import type { Logger, MetricDatum } from "./ports";

/** The metric data of one step run (pure; exported for tests and the dashboard's docs). */
export function stepMetricData(state: RunState, now: number): MetricDatum[] {
  const { check, start, logs } = state;
  const completed = check?.completed_at ? Date.parse(check.completed_at) : Number.NaN;
  const timestamp = new Date(Number.isNaN(completed) ? now : completed);
  const values: Record<StepDimension, string> = {
    Pipeline: state.pipeline,
    Step: state.step,
    SyncType: state.sync_type,
  };
  const data: MetricDatum[] = [];
  const add = (key: MetricKey, value: number | undefined) => {
    if (value === undefined || !Number.isFinite(value)) return;
    const m = METRICS[key];
    data.push({
      MetricName: m.name,
      Unit: m.unit,
      Value: value,
      Timestamp: timestamp,
      Dimensions: metricDimensions(key, values),
    });
  };

  // Duration: the run's running time when it ended; else the time since the step started it.
  const sinceStart = start
    ? Math.max(0, Math.round((now - Date.parse(start.started_at)) / 1000))
    : undefined;
  add("duration", check?.run_seconds ?? sinceStart);
  add("queueTime", check?.queue_seconds);
  if (check) {
    add("records", check.counts.records);
    add("errors", check.counts.errors);
    add("warnings", check.counts.warnings);
  }
  const succeeded = check?.terminal === true && !check.step_failed && !check.timed_out;
  add("succeeded", succeeded ? 1 : 0);
  add("failed", succeeded ? 0 : 1);
  if (!succeeded && state.organization_id !== undefined) {
    data.push(organizationFailure(state.pipeline, state.organization_id, timestamp));
  }
  add("timedOut", check?.timed_out ? 1 : 0);
  if (logs) add("logExportFailed", logs.exported ? 0 : 1);
  if (start || state.pending_start || check || logs) {
    // Calls the client retried after transient faults, over the whole run.
    const retries =
      (start?.api_retries ?? 0) +
      (state.pending_start?.api_retries ?? 0) +
      (check?.api_retries ?? 0) +
      (logs?.api_retries ?? 0);
    add("apiRetries", retries);
  }
  return data;
}

/** OrganizationStepFailures: an organization-scoped step failed (metrics.ts). */
function organizationFailure(pipeline: string, organization: string, at: Date): MetricDatum {
  const values = { Pipeline: pipeline, Organization: organization };
  const { name, unit } = ORGANIZATION_METRICS.stepFailures;
  return {
    MetricName: name,
    Unit: unit,
    Value: 1,
    Timestamp: at,
    Dimensions: ORGANIZATION_DIMENSIONS.map((Name) => ({ Name, Value: values[Name] })),
  };
}

export async function publishMetrics(
  state: RunState,
  deps: Deps,
  log: Logger,
): Promise<PublishMetricsResult> {
  const data = stepMetricData(state, deps.clock.now());
  try {
    await deps.metrics.put(data, METRIC_NAMESPACE);
    log.info("metrics published", { metric_count: data.length });
    return { published: true, metric_count: data.length };
  } catch (err) {
    const e = deps.redactor.error(err);
    log.warn("metrics not published", { error: e });
    return { published: false, metric_count: data.length, error: `${e.name}: ${e.message}` };
  }
}
