/**
 * What `doctor` warns about in a valid pipelines file because it will hurt on AWS: a
 * schedule that fires again before a run may have ended (overlapping executions), and a
 * cron that never fires. Polling whose worst case fills a run-sync execution's history is
 * not a warning: the loader refuses it (lib/config/history.ts), so doctor reports it as
 * the config problem it is.
 */
import { formatConfigDuration } from "../config/duration";
import type { PipelineConfig, ScheduleConfig } from "../config/model";
import { scheduleGaps } from "../config/schedule-gaps";

/**
 * The shortest time in seconds between two consecutive fires of the schedule, in elapsed
 * time in its time zone (a daylight-saving change can shorten one interval by an hour);
 * undefined when a cron never fires.
 */
export function shortestInterval(schedule: ScheduleConfig): number | undefined {
  return scheduleGaps(schedule)?.shortest;
}

/** The schedule's warnings: it never fires, or fires again within the pipeline's timeout. */
export function scheduleWarnings(pipeline: PipelineConfig): string[] {
  const schedule = pipeline.schedule;
  if (schedule === undefined) return [];
  const interval = shortestInterval(schedule);
  const what = schedule.cron !== undefined ? `cron "${schedule.cron}"` : `rate "${schedule.rate}"`;
  if (interval === undefined) {
    return [`${what} never fires (no date matches it): the pipeline will never run on schedule`];
  }
  if (interval >= pipeline.timeout_seconds) return [];
  return [
    `${what} fires again after ${formatConfigDuration(interval)} at the shortest, within the pipeline's timeout ` +
      `(${formatConfigDuration(pipeline.timeout_seconds)}): a slow run overlaps the next, both running the same syncs ` +
      "(each step's on_conflict decides what the second does); lengthen the interval or shorten the timeout",
  ];
}
