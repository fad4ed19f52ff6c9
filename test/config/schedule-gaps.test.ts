import { Cron, CronDate, CronPattern } from "croner";
import { describe, expect, it } from "vitest";
import { cronGaps, scheduleGaps } from "../../lib/config/schedule-gaps";

const HOUR = 3600;

describe("cronGaps", () => {
  it.each([
    // Spring forward, 10 March 2024: 02:00-02:59 do not exist and are skipped.
    ["0 2 * * *", "America/New_York", 24 * HOUR, 47 * HOUR],
    // 01:00 EST then 03:00 EDT: one hour apart on the day clocks go forward.
    ["0 1,3 * * *", "America/New_York", 1 * HOUR, 23 * HOUR],
    // 01:30 exists twice on 3 November 2024 and fires once: 23 h in spring, 25 h in autumn.
    ["30 1 * * *", "America/New_York", 23 * HOUR, 25 * HOUR],
    // Lord Howe Island moves its clocks by half an hour.
    ["30 2 * * *", "Australia/Lord_Howe", 23.5 * HOUR, 24.5 * HOUR],
    ["0 2 * * *", "UTC", 24 * HOUR, 24 * HOUR],
  ])("%s in %s: %i s at the shortest, %i s at the longest", (cron, zone, shortest, longest) => {
    expect(cronGaps(cron, zone)).toEqual({ shortest, longest });
  });

  it("takes either occurrence of a repeated time: the longest gap is the worse reading", () => {
    // 3 November 2024, New York: 01:00 occurs at 05:00Z (EDT) and 06:00Z (EST). If the
    // second one fires, 2 November 03:00 EDT (07:00Z) to it is 23 h; otherwise at most 22 h.
    expect(cronGaps("0 1,3 * * *", "America/New_York")?.longest).toBe(23 * HOUR);
    // If the first one fires, 3 November 01:00 EDT (05:00Z) to 23:00 EST (04:00Z) is 23 h.
    expect(cronGaps("0 1,23 * * *", "America/New_York")?.longest).toBe(23 * HOUR);
  });

  it("is undefined for a cron that never fires", () => {
    expect(cronGaps("0 2 30 2 *", "Europe/Paris")).toBeUndefined();
  });

  it("reads rates as fixed durations", () => {
    expect(
      scheduleGaps({ rate: "1 day", timezone: "America/New_York", expression: "rate(1 day)" }),
    ).toEqual({ shortest: 86_400, longest: 86_400 });
  });
});

/**
 * Independent oracle: croner's firings in the zone, filtered to EventBridge Scheduler's
 * documented DST rules. croner runs a fixed-time job skipped by spring-forward at the first
 * time after the gap (Scheduler skips it: dropped, as its wall clock matches no cron time),
 * and an interval job twice on a repeated time (Scheduler fires once: one is dropped).
 */
function schedulerFirings(cron: string, zone: string, once: "first" | "second"): number[] {
  const pattern = new CronPattern(cron, undefined, { mode: "5-part" });
  const stopAt = new Date(Date.UTC(2025, 0, 1));
  const runs = new Cron(cron, { mode: "5-part", timezone: zone, stopAt }).nextRuns(
    20_000,
    new Date(Date.UTC(2024, 0, 1)),
  );
  const wall = (run: Date) => {
    const local = new CronDate(run, zone);
    const matches = pattern.hour[local.hour] === 1 && pattern.minute[local.minute] === 1;
    const at = Date.UTC(local.year, local.month, local.day, local.hour, local.minute);
    return { run: run.getTime(), at, matches };
  };
  const walls = runs.map(wall).filter((w) => w.matches);
  const ordered = once === "first" ? walls : [...walls].reverse();
  const kept: typeof walls = [];
  for (const w of ordered) {
    const previous = kept.at(-1);
    if (previous === undefined || (once === "first" ? w.at > previous.at : w.at < previous.at)) {
      kept.push(w);
    }
  }
  return kept.map((w) => w.run).sort((a, b) => a - b);
}

function gapsOf(firings: readonly number[]): { shortest: number; longest: number } {
  const gaps = firings.slice(1).map((t, i) => (t - (firings[i] as number)) / 1000);
  return { shortest: Math.min(...gaps), longest: Math.max(...gaps) };
}

describe("cronGaps against croner", () => {
  it.each([
    ["0 2 * * *", "America/New_York"],
    ["30 1 * * *", "America/New_York"],
    ["0 1,3 * * *", "America/New_York"],
    ["0 1,23 * * *", "America/New_York"],
    ["*/30 0-3 * * *", "America/New_York"],
    ["15 1,2 * * MON-FRI", "Europe/London"],
    ["0 */6 * * *", "Europe/Berlin"],
    ["30 2 * * *", "Australia/Sydney"],
    ["45 1-3 * * 0", "Australia/Lord_Howe"],
    ["*/15 9-17 * * MON-FRI", "UTC"],
  ])("%s in %s matches croner's firings over 2024, under either reading", (cron, zone) => {
    const [first, second] = (["first", "second"] as const).map((once) =>
      gapsOf(schedulerFirings(cron, zone, once)),
    ) as [{ shortest: number; longest: number }, { shortest: number; longest: number }];
    expect(cronGaps(cron, zone)).toEqual({
      shortest: Math.min(first.shortest, second.shortest),
      longest: Math.max(first.longest, second.longest),
    });
  });
});
