/**
 * A step's expectations (`expect:` in pipelines.yaml): what a run that otherwise
 * succeeded must look like. Each expectation it misses is one line naming what was
 * expected and what was seen; status.ts fails the step with `Sync.ExpectationFailed`.
 *
 * Error rate: errors / (records + errors), so that a run of only errors is 100% and a
 * run of nothing is 0%. Polytomic does not say whether `record_count` includes the
 * records that failed; under the reading that it does, this rate is lower than the
 * true share, so `max_error_rate` may let through a run that `max_errors` would not:
 * both can be set.
 * Duration: the run's running time from Polytomic's `started_at` to `completed_at`
 * (check-status's `run_seconds`); a run without both timestamps is not judged on it.
 */
import type { Expectations, RunCounts } from "./contract";

/** What the expectations read of a terminal run. */
export interface ExpectedRun {
  counts: RunCounts;
  run_seconds?: number;
  /** Bulk: every schema of the run with its records; undefined for a model sync. */
  schemas?: readonly { schema: string; records: number }[];
}

function records(n: number): string {
  return `${n} record${n === 1 ? "" : "s"}`;
}

/** `7800` -> `2h10m`: the notation pipelines.yaml writes durations in. */
function duration(seconds: number): string {
  const whole = Math.round(seconds);
  if (whole === 0) return "0s";
  const parts: [number, string][] = [
    [Math.floor(whole / 3600), "h"],
    [Math.floor((whole % 3600) / 60), "m"],
    [whole % 60, "s"],
  ];
  return parts.map(([n, unit]) => (n ? `${n}${unit}` : "")).join("");
}

/** Percent with at most two decimals: 12.5, 0.01, 5. */
function percent(value: number): string {
  return `${Math.round(value * 100) / 100}%`;
}

/** The expectations `run` misses, one line each, in a fixed order; empty when it meets them all. */
export function missedExpectations(expect: Expectations, run: ExpectedRun): string[] {
  const missed: string[] = [];
  const { records: seen, errors } = run.counts;
  if (expect.min_records !== undefined && seen < expect.min_records) {
    missed.push(`expected at least ${records(expect.min_records)}, saw ${seen}`);
  }
  if (expect.max_records !== undefined && seen > expect.max_records) {
    missed.push(`expected at most ${records(expect.max_records)}, saw ${seen}`);
  }
  const max = expect.max_error_rate_percent;
  const rate = errors > 0 ? (errors / (seen + errors)) * 100 : 0;
  if (max !== undefined && rate > max) {
    missed.push(`error rate ${percent(rate)} over max_error_rate ${percent(max)}`);
  }
  const limit = expect.max_duration_seconds;
  if (limit !== undefined && run.run_seconds !== undefined && run.run_seconds > limit) {
    missed.push(`ran ${duration(run.run_seconds)}, over max_duration ${duration(limit)}`);
  }
  for (const { schema: name, min_records: min } of expect.schemas ?? []) {
    const schema = run.schemas?.find((s) => s.schema === name);
    const got = schema?.records ?? 0;
    if (got >= min) continue;
    const absent = schema ? "" : " (not in the run)";
    missed.push(`schema "${name}": expected at least ${records(min)}, saw ${got}${absent}`);
  }
  return missed;
}
