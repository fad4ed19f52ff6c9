/**
 * The longest gap between two firings of a schedule, used to size the "schedule
 * stopped firing" alarm. Pure; the computation (time zone and daylight saving time
 * included) is lib/config/schedule-gaps.ts, shared with `doctor`'s advice.
 */
import type { ScheduleConfig } from "../config/model";
import { scheduleGaps } from "../config/schedule-gaps";

/** Longest gap in seconds between consecutive firings, or undefined when it cannot be told. */
export function maxGapSeconds(schedule: ScheduleConfig): number | undefined {
  try {
    return scheduleGaps(schedule)?.longest;
  } catch {
    // An invalid cron: the loader rejects it first, with the reason.
    return undefined;
  }
}
