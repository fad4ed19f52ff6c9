/**
 * The longest gap between two firings of a schedule, used to size the "schedule
 * stopped firing" alarm. Pure. Cron firings are enumerated minute by minute over
 * 15 days in UTC: the time zone shifts all firings alike, and a DST change moves
 * one gap by an hour, which the alarm's margin covers.
 */
import type { ScheduleConfig } from "../config/model";

const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
const UNIT_SECONDS: Record<string, number> = {
  minute: 60,
  minutes: 60,
  hour: 3600,
  hours: 3600,
  day: 86400,
  days: 86400,
};
const MONTHS = ["JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC"];
const DAYS = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** Longest gap in seconds between consecutive firings, or undefined when it cannot be told. */
export function maxGapSeconds(schedule: ScheduleConfig): number | undefined {
  // `rate` is the file's text (`1 hour`); `expression` is always the full `rate(1 hour)`.
  const rate = RATE.exec(schedule.expression);
  if (rate) return Number(rate[1]) * (UNIT_SECONDS[rate[2] as string] ?? 0);
  if (!schedule.cron) return undefined;
  return cronMaxGap(schedule.cron);
}

function cronMaxGap(cron: string): number | undefined {
  const fields = cron.trim().split(/\s+/);
  if (fields.length !== 5) return undefined;
  const [mi, ho, dom, mo, dow] = fields as [string, string, string, string, string];
  const minutes = parseField(mi, 0, 59);
  const hours = parseField(ho, 0, 23);
  const days = parseField(dom, 1, 31);
  const months = parseField(mo, 1, 12, MONTHS, 1);
  const weekdays = parseField(dow, 0, 7, DAYS, 0);
  if (!minutes || !hours || !days || !months || !weekdays) return undefined;
  if (weekdays.has(7)) weekdays.add(0);
  const domRestricted = dom !== "*" && dom !== "?";
  const dowRestricted = dow !== "*" && dow !== "?";
  const start = Date.UTC(2024, 0, 1);
  let previous: number | undefined;
  let maxGap = 0;
  for (let t = start; t < start + 15 * 86400_000; t += 60_000) {
    const d = new Date(t);
    if (!minutes.has(d.getUTCMinutes()) || !hours.has(d.getUTCHours())) continue;
    if (!months.has(d.getUTCMonth() + 1)) continue;
    const domOk = days.has(d.getUTCDate());
    const dowOk = weekdays.has(d.getUTCDay());
    const dayOk = domRestricted && dowRestricted ? domOk || dowOk : domRestricted ? domOk : dowOk;
    if (!dayOk) continue;
    if (previous !== undefined) maxGap = Math.max(maxGap, (t - previous) / 1000);
    previous = t;
  }
  // Fewer than two firings in 15 days (e.g. monthly): too sparse to tell here.
  return maxGap > 0 ? maxGap : undefined;
}

function parseField(
  field: string,
  min: number,
  max: number,
  names: string[] = [],
  nameBase = 0,
): Set<number> | undefined {
  const values = new Set<number>();
  const value = (text: string): number => {
    const index = names.indexOf(text.toUpperCase());
    return index >= 0 ? index + nameBase : Number(text);
  };
  for (const part of field.split(",")) {
    const [range = "", stepText] = part.split("/");
    const step = stepText === undefined ? 1 : Number(stepText);
    let lo: number;
    let hi: number;
    if (range === "*" || range === "?") {
      lo = min;
      hi = max;
    } else if (range.includes("-")) {
      const [a = "", b = ""] = range.split("-");
      lo = value(a);
      hi = value(b);
    } else {
      lo = value(range);
      hi = stepText === undefined ? lo : max;
    }
    if (![lo, hi, step].every(Number.isInteger) || step < 1 || lo < min || hi > max) {
      return undefined;
    }
    for (let v = lo; v <= hi; v += step) values.add(v);
  }
  return values;
}
