/**
 * How far apart a schedule's firings are in elapsed time, in its time zone, as EventBridge
 * Scheduler fires them. One computation for both users: `doctor`'s overlap and "never
 * fires" advice (the shortest gap) and the "schedule stopped firing" alarm (the longest).
 *
 * Daylight saving time, as EventBridge Scheduler documents it ("Daylight savings time on
 * EventBridge Scheduler", Scheduler user guide, schedule types): a cron time that does not
 * exist when clocks go forward is skipped; a time that occurs twice when they go back fires
 * once. Which of the two occurrences is not documented, so both readings are computed:
 * the shortest gap is the least, the longest gap the greatest, of either reading.
 *
 * Measured over the firings of 2024 to 2028 (29 February twice, so a leap-day cron has a
 * gap), without enumerating every firing: days without a UTC-offset change keep the wall
 * clock's gaps, and only the few days with a change are walked time by time. A cron that
 * names weekdays in some months only repeats its calendar every 28 years; its gaps (weeks
 * to a year) can differ by a few days in years outside the window.
 */
import { type CronValues, cronValues } from "./cron";
import type { ScheduleConfig } from "./model";

export interface ScheduleGaps {
  /** Seconds between the two closest consecutive firings. */
  shortest: number;
  /** Seconds between the two farthest-apart consecutive firings. */
  longest: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const WINDOW_START = Date.UTC(2024, 0, 1);
/** 2024 to 2028: every date a cron can name, and two leap days to measure a gap between. */
const WINDOW_DAYS = (Date.UTC(2029, 0, 1) - WINDOW_START) / DAY_MS;

/**
 * The schedule's shortest and longest gap, or undefined when it never fires or its
 * expression cannot be read.
 * @throws ScheduleExpressionError for an invalid cron, as cronToEventBridge does
 */
export function scheduleGaps(schedule: ScheduleConfig): ScheduleGaps | undefined {
  if (schedule.cron === undefined) {
    const seconds = rateSeconds(schedule.expression);
    return seconds === undefined ? undefined : { shortest: seconds, longest: seconds };
  }
  return cronGaps(schedule.cron, schedule.timezone);
}

/**
 * `rate(N unit)` in seconds. A rate is a fixed duration on Scheduler, a day always 24 hours
 * ("evaluates the rate expression 24 hours after the schedule's last invocation").
 */
export function rateSeconds(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|hour|day)s?\)$/.exec(expression);
  if (match === null) return undefined;
  const unit = { minute: 60, hour: 3600, day: 86_400 }[match[2] as "minute" | "hour" | "day"];
  return Number(match[1]) * unit;
}

/** A cron's shortest and longest gap in `timeZone`, or undefined when it never fires. */
export function cronGaps(cron: string, timeZone: string): ScheduleGaps | undefined {
  const values = cronValues(cron);
  const times = values.hours.flatMap((h) => values.minutes.map((m) => (h * 60 + m) * MINUTE_MS));
  const days = firingDays(values);
  if (days.length === 0 || times.length === 0) return undefined;
  const zone = new Zone(timeZone);
  const readings = (["first", "second"] as const).map((once) =>
    gapsBetween(days.flatMap((day) => daySpan(day, times, zone, once) ?? [])),
  );
  const valid = readings.filter((r): r is ScheduleGaps => r !== undefined);
  if (valid.length === 0) return undefined;
  return {
    shortest: Math.min(...valid.map((r) => r.shortest)),
    longest: Math.max(...valid.map((r) => r.longest)),
  };
}

/** Midnight (as a UTC wall-clock timestamp) of each window day whose date the cron matches. */
function firingDays(values: CronValues): number[] {
  const days: number[] = [];
  for (let day = 0; day < WINDOW_DAYS; day++) {
    const midnight = WINDOW_START + day * DAY_MS;
    const date = new Date(midnight);
    if (!values.months.has(date.getUTCMonth() + 1)) continue;
    if (values.daysOfMonth !== undefined && !values.daysOfMonth.has(date.getUTCDate())) continue;
    if (values.daysOfWeek !== undefined && !values.daysOfWeek.has(date.getUTCDay())) continue;
    days.push(midnight);
  }
  return days;
}

/** One day's firings: the first and last instant and the gaps between its own firings. */
interface DaySpan {
  first: number;
  last: number;
  shortest: number;
  longest: number;
}

/**
 * The firings of one day (wall-clock `midnight` plus each of `times`) as instants. A day
 * whose UTC offset does not change keeps the wall clock's gaps; a day with a change is
 * walked time by time, skipping times that do not exist and firing twice-occurring ones
 * at the `once` occurrence. Undefined when no firing of the day exists.
 */
function daySpan(
  midnight: number,
  times: readonly number[],
  zone: Zone,
  once: "first" | "second",
): DaySpan | undefined {
  // Local midnight and end of day lie within these bounds for every offset (-12h..+14h).
  const from = midnight - 14 * HOUR_MS;
  const to = midnight + 36 * HOUR_MS;
  const before = zone.offset(from);
  const after = zone.offset(to);
  if (before === after) return spanOf(times.map((t) => midnight + t - before));
  const change = zone.change(from, to);
  const instants = times.flatMap((t) => {
    // The wall time exists before the change, after it, in both (repeated) or neither (skipped).
    const valid = [midnight + t - before, midnight + t - after].filter((utc, i) =>
      i === 0 ? utc < change : utc >= change,
    );
    const chosen = once === "first" ? Math.min(...valid) : Math.max(...valid);
    return valid.length === 0 ? [] : [chosen];
  });
  return spanOf(instants);
}

/** First, last and the gaps between consecutive instants (sorted), undefined when empty. */
function spanOf(instants: readonly number[]): DaySpan | undefined {
  const first = instants[0];
  const last = instants.at(-1);
  if (first === undefined || last === undefined) return undefined;
  let shortest = Number.POSITIVE_INFINITY;
  let longest = 0;
  for (let i = 1; i < instants.length; i++) {
    const gap = (instants[i] as number) - (instants[i - 1] as number);
    shortest = Math.min(shortest, gap);
    longest = Math.max(longest, gap);
  }
  return { first, last, shortest, longest };
}

/** Gaps within and between the days; undefined with fewer than two firings. */
function gapsBetween(spans: readonly DaySpan[]): ScheduleGaps | undefined {
  let shortest = Number.POSITIVE_INFINITY;
  let longest = 0;
  spans.forEach((span, i) => {
    const between = (spans[i + 1]?.first ?? Number.POSITIVE_INFINITY) - span.last;
    shortest = Math.min(shortest, span.shortest, between);
    longest = Math.max(longest, span.longest, Number.isFinite(between) ? between : 0);
  });
  return Number.isFinite(shortest)
    ? { shortest: shortest / 1000, longest: longest / 1000 }
    : undefined;
}

/** UTC offsets of an IANA time zone, from the runtime's time zone database (Intl). */
class Zone {
  private readonly format: Intl.DateTimeFormat;

  constructor(timeZone: string) {
    this.format = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "numeric",
      day: "numeric",
      hour: "numeric",
      minute: "numeric",
      second: "numeric",
    });
  }

  /** Milliseconds to add to the instant `utc` to read the zone's wall clock. */
  offset(utc: number): number {
    const parts = this.format.formatToParts(utc);
    const part = (type: Intl.DateTimeFormatPartTypes) =>
      Number(parts.find((p) => p.type === type)?.value);
    const wall = Date.UTC(
      part("year"),
      part("month") - 1,
      part("day"),
      part("hour"),
      part("minute"),
      part("second"),
    );
    return wall - Math.floor(utc / 1000) * 1000;
  }

  /** The first instant (ms) after `from` and at most `to` at which the offset differs from `from`'s. */
  change(from: number, to: number): number {
    const start = this.offset(from);
    let lo = from;
    let hi = to;
    while (hi - lo > 1) {
      const mid = Math.floor((lo + hi) / 2);
      if (this.offset(mid) === start) lo = mid;
      else hi = mid;
    }
    return hi;
  }
}
