/**
 * What `doctor` warns about in a valid pipelines file because it will hurt on AWS: a
 * schedule that fires again before a run may have ended (overlapping executions), a cron
 * that never fires, and polling whose worst case fills a run-sync execution's history.
 */
import type { PollSettings } from "../../functions/core/contract";
import { nextPollSeconds } from "../../functions/core/polling";
import { formatConfigDuration } from "../config/duration";
import type { PipelineConfig, ScheduleConfig } from "../config/model";
import { scheduleGaps } from "../config/schedule-gaps";

/** Step Functions fails an execution whose history reaches this many events (no Catch runs). */
export const HISTORY_QUOTA = 25_000;
/** Above this worst case, doctor warns: the rest of the quota is for retries and the other states. */
export const HISTORY_WARNING = 20_000;
/**
 * Events one status check adds to a run-sync execution's history: the check Lambda Task
 * (TaskStateEntered, LambdaFunctionScheduled, Started, Succeeded, TaskStateExited: 5), the
 * run-finished Choice (2) and the Wait (2), counted as bench/history-events.ts counts them.
 */
export const EVENTS_PER_POLL = 9;

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

/**
 * Status checks a step makes at most in `seconds`: with no run history, the strategy's
 * shortest waits (adaptive waits only grow with a history).
 */
export function worstCasePolls(settings: PollSettings, seconds: number): number {
  let polls = 0;
  for (let elapsed = 0; elapsed < seconds; ) {
    polls++;
    elapsed += nextPollSeconds(settings, { elapsedSeconds: elapsed, queued: false, polls });
  }
  return polls;
}

/** Steps whose polling, over the whole step timeout, could fill the execution history. */
export function pollWarnings(pipeline: PipelineConfig): string[] {
  const warnings: string[] = [];
  for (const step of pipeline.steps) {
    const polls = worstCasePolls(step.poll, step.timeout_seconds);
    const events = polls * EVENTS_PER_POLL;
    if (events <= HISTORY_WARNING) continue;
    warnings.push(
      `step "${step.id}": polling (${step.poll.strategy}, every ${formatConfigDuration(step.poll.min_seconds)} at the shortest) ` +
        `for its whole timeout (${formatConfigDuration(step.timeout_seconds)}) makes ${polls} status checks, about ${events} events ` +
        `in its run-sync execution's history; Step Functions fails an execution at ${HISTORY_QUOTA} ` +
        "without running Catch. Raise poll.min, use the adaptive strategy, or shorten the timeout",
    );
  }
  return warnings;
}
