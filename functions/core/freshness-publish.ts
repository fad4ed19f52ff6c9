/**
 * The freshness function's work: check every watched sync (freshness.ts), log one line
 * per sync and schema and one summary line (with the API calls made), and publish the ages
 * with FRESHNESS_METRICS in one PutMetricData call. A sync or schema with no age (never
 * succeeded, unreadable) gets no SyncAgeSeconds datum: its alarm treats the missing data as
 * breaching, so it is never shown fresh.
 */
import type { Deps } from "./deps";
import {
  checkFreshness,
  type FreshnessInput,
  type FreshnessReport,
  type FreshnessRow,
} from "./freshness";
import {
  FRESHNESS_METRICS,
  FRESHNESS_SCHEMA_DIMENSION,
  FRESHNESS_SYNC_DIMENSION,
  METRIC_NAMESPACE,
} from "./freshness-metrics";
import type { Logger, MetricDatum } from "./ports";
import type { Budget } from "./runtime";

export interface FreshnessResult {
  checked_at: string;
  api_calls: number;
  stale: number;
  never: number;
  unreadable: number;
  published: boolean;
}

/** The metric data of one check (pure). */
export function freshnessMetricData(report: FreshnessReport): MetricDatum[] {
  const Timestamp = new Date(report.checked_at);
  const datum = (
    metric: { name: string; unit: string },
    Value: number,
    dims: [string, string][],
  ) => ({
    MetricName: metric.name,
    Unit: metric.unit,
    Value,
    Timestamp,
    Dimensions: dims.map(([Name, v]) => ({ Name, Value: v })),
  });
  const data: MetricDatum[] = report.rows.flatMap((row) => {
    if (row.age_seconds === undefined) return [];
    const dims: [string, string][] = [[FRESHNESS_SYNC_DIMENSION, row.sync]];
    if (row.schema !== undefined) dims.push([FRESHNESS_SCHEMA_DIMENSION, row.schema]);
    return [datum(FRESHNESS_METRICS.age, row.age_seconds, dims)];
  });
  const unreadable = report.rows.filter((r) => r.status === "unreadable").length;
  data.push(datum(FRESHNESS_METRICS.apiCalls, report.api_calls, []));
  data.push(datum(FRESHNESS_METRICS.unreadable, unreadable, []));
  return data;
}

/** One log line per row: info when fresh, warn otherwise. */
function logRow(row: FreshnessRow, log: Logger): void {
  const fields = { ...row };
  if (row.status === "ok") log.info("sync fresh", fields);
  else log.warn(`sync ${row.status === "never" ? "never succeeded" : row.status}`, fields);
}

export async function runFreshnessCheck(
  input: FreshnessInput,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<FreshnessResult> {
  const report = await checkFreshness(input, deps.polytomic, deps.clock.now(), {
    deadline: budget.deadline,
  });
  for (const row of report.rows) logRow(row, log);
  const count = (status: FreshnessRow["status"]) =>
    report.rows.filter((r) => r.status === status).length;
  const result = {
    checked_at: report.checked_at,
    api_calls: report.api_calls,
    stale: count("stale"),
    never: count("never"),
    unreadable: count("unreadable"),
    published: false,
  };
  log.info("freshness checked", { ...result, max_api_calls: report.max_api_calls });
  try {
    await deps.metrics.put(freshnessMetricData(report), METRIC_NAMESPACE);
    result.published = true;
  } catch (err) {
    log.error("freshness metrics not published", { error: deps.redactor.error(err) });
  }
  return result;
}
