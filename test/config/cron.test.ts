import { Cron } from "croner";
import { describe, expect, it } from "vitest";
import {
  cronToEventBridge,
  rateToEventBridge,
  ScheduleExpressionError,
} from "../../lib/config/cron";

describe("cronToEventBridge", () => {
  it.each([
    ["0 2 * * 1-5", "cron(0 2 ? * MON-FRI *)"],
    ["0 2 * * *", "cron(0 2 * * ? *)"],
    ["*/15 * * * *", "cron(0/15 * * * ? *)"],
    ["5/10 * * * *", "cron(5/10 * * * ? *)"],
    ["30 6 1 * *", "cron(30 6 1 * ? *)"],
    ["0 0 1 1 *", "cron(0 0 1 1 ? *)"],
    ["0 9 * * MON-FRI", "cron(0 9 ? * MON-FRI *)"],
    ["0 9 * * mon-fri", "cron(0 9 ? * MON-FRI *)"],
    ["0 0 * JAN,JUL *", "cron(0 0 * 1,7 ? *)"],
    ["0 0 * 3-5/2 *", "cron(0 0 * 3-5/2 ? *)"],
    ["0 8-18/2 * * *", "cron(0 8-18/2 * * ? *)"],
    ["0 0 1-15/3 * *", "cron(0 0 1-15/3 * ? *)"],
    // A one-value range with a step is that value: `5/2` would mean 5, 7, 9 and 11.
    ["0 0 * 5-5/2 *", "cron(0 0 * 5 ? *)"],
    ["7-7/5 0 * * *", "cron(7 0 * * ? *)"],
    ["0,30 9,17 * * *", "cron(0,30 9,17 * * ? *)"],
    // Day of week: 0 and 7 are Sunday; EventBridge numbers from SUN=1, so names are used.
    ["0 12 * * 0", "cron(0 12 ? * SUN *)"],
    ["0 12 * * 7", "cron(0 12 ? * SUN *)"],
    ["0 12 * * 5-7", "cron(0 12 ? * SUN,FRI,SAT *)"],
    ["0 4 * * 6,0", "cron(0 4 ? * SUN,SAT *)"],
    ["0 0 * * */2", "cron(0 0 ? * SUN,TUE,THU,SAT *)"],
    ["0 0 * * 1-5/2", "cron(0 0 ? * MON,WED,FRI *)"],
    ["0 0 * * 0-6", "cron(0 0 ? * * *)"],
    ["0 0 * * 1,2,3,5", "cron(0 0 ? * MON-WED,FRI *)"],
    ["0 0 ? * 1", "cron(0 0 ? * MON *)"],
    ["0 0 1 * ?", "cron(0 0 1 * ? *)"],
    [" 0  2 * * 1-5 ", "cron(0 2 ? * MON-FRI *)"],
  ])("%s -> %s", (cron, expected) => {
    expect(cronToEventBridge(cron)).toBe(expected);
  });

  it.each([
    [
      "0 2 * *",
      'invalid cron "0 2 * *": expected 5 fields (minute hour day-of-month month day-of-week), got 4',
    ],
    ["", 'invalid cron "": expected 5 fields (minute hour day-of-month month day-of-week), got 0'],
    [
      "cron(0 2 * * ? *)",
      'invalid cron "cron(0 2 * * ? *)": expected 5 fields (minute hour day-of-month month day-of-week), got 6 (write standard cron such as "0 2 * * 1-5", not an EventBridge cron(...) expression)',
    ],
    ["60 * * * *", 'invalid cron "60 * * * *": minute "60": 60 is out of range 0-59'],
    ["* 24 * * *", 'invalid cron "* 24 * * *": hour "24": 24 is out of range 0-23'],
    ["0 0 0 * *", 'invalid cron "0 0 0 * *": day-of-month "0": 0 is out of range 1-31'],
    ["0 0 32 * *", 'invalid cron "0 0 32 * *": day-of-month "32": 32 is out of range 1-31'],
    ["0 0 * 13 *", 'invalid cron "0 0 * 13 *": month "13": 13 is out of range 1-12'],
    ["0 0 * 0 *", 'invalid cron "0 0 * 0 *": month "0": 0 is out of range 1-12'],
    ["0 0 * * 8", 'invalid cron "0 0 * * 8": day-of-week "8": 8 is out of range 0-7'],
    [
      "0 0 * FOO *",
      'invalid cron "0 0 * FOO *": month "FOO": "FOO" is neither a number 1-12 nor one of JAN, FEB, MAR, APR, MAY, JUN, JUL, AUG, SEP, OCT, NOV, DEC',
    ],
    [
      "0 0 * * MON-FOO",
      'invalid cron "0 0 * * MON-FOO": day-of-week "MON-FOO": "FOO" is neither a number 0-7 nor one of SUN, MON, TUE, WED, THU, FRI, SAT',
    ],
    ["a * * * *", 'invalid cron "a * * * *": minute "a": "a" is not a number 0-59'],
    [
      "*/0 * * * *",
      'invalid cron "*/0 * * * *": minute "*/0": step "0" must be a whole number of at least 1',
    ],
    [
      "*/61 * * * *",
      'invalid cron "*/61 * * * *": minute "*/61": step 61 is larger than the field\'s range 0-59',
    ],
    ["5-1 * * * *", 'invalid cron "5-1 * * * *": minute "5-1": range "5-1" ends before it starts'],
    ["1,,2 * * * *", 'invalid cron "1,,2 * * * *": minute "1,,2": empty list element'],
    ["1-2-3 * * * *", 'invalid cron "1-2-3 * * * *": minute "1-2-3": "1-2-3" is not a valid range'],
    [
      "0 0 * * 1/2/3",
      'invalid cron "0 0 * * 1/2/3": day-of-week "1/2/3": more than one "/" in "1/2/3"',
    ],
    [
      "0 0 * * 1/2",
      'invalid cron "0 0 * * 1/2": day-of-week "1/2": "1/2" does not say whether it reaches 7 (Sunday again): write a range such as 1-6/2 or 1-7/2',
    ],
    [
      "0 0 1 * 1",
      'invalid cron "0 0 1 * 1": day-of-month "1" and day-of-week "1" are both restricted; standard cron runs when either matches, which EventBridge Scheduler cannot express: set one of them to *',
    ],
  ])("rejects %j", (cron, message) => {
    expect(() => cronToEventBridge(cron)).toThrow(new ScheduleExpressionError(message));
  });
});

/** A small deterministic generator (mulberry32), so a failure names a reproducible cron. */
function random(seed: number): (n: number) => number {
  let state = seed;
  return (n) => {
    state = (state + 0x6d2b79f5) | 0;
    let t = Math.imul(state ^ (state >>> 15), 1 | state);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) % n) as number;
  };
}

const DAY_NAMES = ["SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"];

/** A random field of `min`-`max`: stars, values, ranges, steps and names, in lists. */
function randomField(pick: (n: number) => number, min: number, max: number, names?: string[]) {
  const value = () => {
    const v = min + pick(max - min + 1);
    return names && pick(3) === 0 ? (names[v % names.length] as string) : String(v);
  };
  const element = () => {
    const a = min + pick(max - min + 1);
    const b = a + pick(max - a + 1);
    const step = 1 + pick(Math.max(1, Math.floor((max - min) / 2)));
    // Day-of-week has no `a/step`: it is rejected as ambiguous (see the table above).
    const forms = [`*`, `*/${step}`, value(), `${a}-${b}`, `${a}-${b}/${step}`, `${a}/${step}`];
    return forms[pick(names === DAY_NAMES ? 5 : 6)];
  };
  return Array.from({ length: 1 + pick(3) }, element).join(",");
}

function randomCron(pick: (n: number) => number): string {
  const dayField = pick(3);
  const dom = dayField === 1 ? randomField(pick, 1, 31) : ["*", "?"][pick(2)];
  const dow = dayField === 2 ? randomField(pick, 0, 7, DAY_NAMES) : ["*", "?"][pick(2)];
  return [
    randomField(pick, 0, 59),
    randomField(pick, 0, 23),
    dom,
    randomField(pick, 1, 12),
    dow,
  ].join(" ");
}

/**
 * The next firings by croner (an independent parser): `?` is read as `*` (croner reads it
 * as "the current value"), and EventBridge's day-of-week numbering (SUN = 1) by croner's
 * Quartz mode. Both readings accept `5/15` (from 5, every 15) only with sloppyRanges.
 */
function firings(fields: string, eventBridge: boolean): string[] {
  return new Cron(fields.replaceAll("?", "*"), {
    mode: "5-part",
    sloppyRanges: true,
    alternativeWeekdays: eventBridge,
    timezone: "UTC",
  })
    .nextRuns(40, new Date(Date.UTC(2024, 0, 1)))
    .map((d) => d.toISOString());
}

describe("cronToEventBridge against croner", () => {
  it("fires at the same times as the standard cron it converts, for 300 random crons", () => {
    const pick = random(12);
    let compared = 0;
    for (let i = 0; i < 300; i++) {
      const cron = randomCron(pick);
      const converted = cronToEventBridge(cron);
      const [, fields = "", year] = /^cron\((.*) (\S+)\)$/.exec(converted) ?? [];
      expect(year, converted).toBe("*");
      expect(firings(fields, true), `${cron} -> ${converted}`).toEqual(firings(cron, false));
      compared++;
    }
    expect(compared).toBe(300);
  });
});

describe("rateToEventBridge", () => {
  it.each([
    ["5 minutes", "rate(5 minutes)"],
    ["1 minute", "rate(1 minute)"],
    ["1 minutes", "rate(1 minute)"],
    ["2 hours", "rate(2 hours)"],
    ["1 hour", "rate(1 hour)"],
    ["1 hours", "rate(1 hour)"],
    ["2 day", "rate(2 days)"],
    ["1 day", "rate(1 day)"],
    ["rate(5 minutes)", "rate(5 minutes)"],
    ["rate(1 hours)", "rate(1 hour)"],
    ["RATE(10 Minutes)", "rate(10 minutes)"],
    ["  rate( 3 days )  ", "rate(3 days)"],
  ])("%s -> %s", (rate, expected) => {
    expect(rateToEventBridge(rate)).toBe(expected);
  });

  it.each([
    ["0 minutes", 'invalid rate "0 minutes": "0" is not a whole number of at least 1'],
    ["1.5 hours", 'invalid rate "1.5 hours": "1.5" is not a whole number of at least 1'],
    ["five minutes", 'invalid rate "five minutes": "five" is not a whole number of at least 1'],
    ["5 weeks", 'invalid rate "5 weeks": unknown unit "weeks" (use minutes, hours or days)'],
    [
      "5",
      'invalid rate "5": expected a number and a unit, such as "5 minutes", "1 hour" or "2 days"',
    ],
  ])("rejects %j", (rate, message) => {
    expect(() => rateToEventBridge(rate)).toThrow(new ScheduleExpressionError(message));
  });
});
