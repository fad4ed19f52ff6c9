import { describe, expect, it } from "vitest";
import type { PollSettings } from "../../../functions/core/contract";
import {
  EVENT_FALLBACK_TUNING,
  eventWaitSeconds,
  nextPollSeconds,
  POLL_BUCKETS,
  type PollState,
  pollBucket,
  RETRY_POLL_MAX_SECONDS,
  retriesWhileRunning,
} from "../../../functions/core/polling";
import { POLL_LIMITS } from "../../../lib/config/schema";

const adaptive: PollSettings = { strategy: "adaptive", min_seconds: 10, max_seconds: 600 };

function state(p: Partial<PollState>): PollState {
  return { elapsedSeconds: 0, polls: 1, ...p };
}

describe("nextPollSeconds", () => {
  it.each([
    // [label, settings, state, expected]
    [
      "fixed ignores everything",
      { strategy: "fixed", min_seconds: 30, max_seconds: 600 },
      state({ polls: 9, elapsedSeconds: 9999 }),
      30,
    ],
    [
      "backoff first poll",
      { strategy: "backoff", min_seconds: 10, max_seconds: 600 },
      state({ polls: 1 }),
      10,
    ],
    [
      "backoff doubles",
      { strategy: "backoff", min_seconds: 10, max_seconds: 600 },
      state({ polls: 4 }),
      80,
    ],
    [
      "backoff capped by max",
      { strategy: "backoff", min_seconds: 10, max_seconds: 600 },
      state({ polls: 20 }),
      600,
    ],
    [
      "backoff huge polls stays finite",
      { strategy: "backoff", min_seconds: 10, max_seconds: 600 },
      state({ polls: 5000 }),
      600,
    ],
    ["adaptive, early: the 15 s floor", adaptive, state({ polls: 3, elapsedSeconds: 30 }), 15],
    ["adaptive, first check: the floor", adaptive, state({ polls: 1, elapsedSeconds: 0 }), 15],
    [
      "adaptive: 10% of elapsed above 150 s",
      adaptive,
      state({ polls: 6, elapsedSeconds: 1000 }),
      100,
    ],
    [
      "adaptive: rounded down, never over the bound",
      adaptive,
      state({ polls: 6, elapsedSeconds: 1559 }),
      155,
    ],
    [
      "adaptive: the number of checks does not matter",
      adaptive,
      state({ polls: 3, elapsedSeconds: 10000 }),
      600,
    ],
    ["adaptive: max caps", adaptive, state({ polls: 30, elapsedSeconds: 100000 }), 600],
    [
      "adaptive, queued: 10% of the time since the step started it",
      adaptive,
      state({ polls: 2, elapsedSeconds: 300 }),
      30,
    ],
    [
      "min above latency bound wins",
      { strategy: "adaptive", min_seconds: 60, max_seconds: 600 },
      state({ elapsedSeconds: 100 }),
      60,
    ],
    [
      "fractional settings become integers",
      { strategy: "fixed", min_seconds: 2.5, max_seconds: 3.7 },
      state({}),
      3,
    ],
    [
      "max below min: min",
      { strategy: "backoff", min_seconds: 30, max_seconds: 10 },
      state({ polls: 5 }),
      30,
    ],
  ] as [string, PollSettings, PollState, number][])("%s", (_label, settings, s, expected) => {
    expect(nextPollSeconds(settings, s)).toBe(expected);
  });

  it("is always an integer within [min, max]", () => {
    for (const strategy of ["adaptive", "backoff", "fixed"] as const) {
      for (let polls = 1; polls < 40; polls++) {
        for (const elapsed of [0, 1, 7, 59, 300, 3601, 86400]) {
          const s = { strategy, min_seconds: 5, max_seconds: 900 };
          const v = nextPollSeconds(s, { elapsedSeconds: elapsed, polls });
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(5);
          expect(v).toBeLessThanOrEqual(900);
        }
      }
    }
  });

  it("never waits longer than the latency bound, max(15 s, 10% of the elapsed time)", () => {
    for (let polls = 1; polls < 60; polls += 7) {
      for (let elapsed = 0; elapsed < 200000; elapsed += elapsed < 400 ? 0.5 : 97) {
        const v = nextPollSeconds(adaptive, state({ polls, elapsedSeconds: elapsed }));
        expect(v).toBeLessThanOrEqual(Math.max(15, 0.1 * elapsed));
      }
    }
  });

  /** Checks a run of `actual` seconds gets (first check at 0), and how late its end is seen. */
  function pollLoop(settings: PollSettings, actual: number) {
    let t = 0;
    for (let polls = 1; ; polls++) {
      if (t >= actual) return { polls, latency: t - actual };
      t += nextPollSeconds(settings, state({ polls, elapsedSeconds: t }));
    }
  }

  it("sees a run of any duration within max(15 s, 10% of it)", () => {
    for (let actual = 1; actual < 40 * 3600; actual += actual < 1000 ? 1 : 211) {
      const { latency } = pollLoop(adaptive, actual);
      expect(latency).toBeLessThanOrEqual(Math.max(15, 0.1 * actual));
    }
  });

  it("checks a short run no more often than the 15 s bound forces", () => {
    // Seeing a run of x s within 15 s takes a check every 15 s: 1 + ceil(x / 15) checks.
    for (let actual = 1; actual <= 150; actual++) {
      expect(pollLoop(adaptive, actual).polls).toBe(1 + Math.ceil(actual / 15));
    }
  });

  it("checks a long run about ln(run / 150 s) / ln(1.1) times past the floor", () => {
    const wide = { ...adaptive, max_seconds: 21600 };
    // 10 checks to 150 s, then 10% growth: a 6 hour run takes 64; a fixed 30 s loop 721.
    expect(pollLoop(wide, 6 * 3600).polls).toBe(64);
    expect(pollLoop({ strategy: "fixed", min_seconds: 30, max_seconds: 30 }, 6 * 3600).polls).toBe(
      721,
    );
  });

  it("uses the tuning it is given", () => {
    const tuning = { latencyFraction: 0.05, latencyFloorSeconds: 20 };
    expect(nextPollSeconds(adaptive, state({ elapsedSeconds: 0 }), tuning)).toBe(20);
    expect(nextPollSeconds(adaptive, state({ elapsedSeconds: 1000 }), tuning)).toBe(50);
  });
});

describe("eventWaitSeconds (the token wait's timeout with webhooks on)", () => {
  it.each([
    // [elapsed seconds, expected]: max(60 s, 25% of elapsed), capped by max_seconds
    [0, 60],
    [200, 60],
    [400, 100],
    [1000, 250],
    [2399, 599],
    [10_000, 600],
  ])("adaptive, %d s elapsed: %d s", (elapsedSeconds, expected) => {
    expect(eventWaitSeconds(adaptive, state({ elapsedSeconds }))).toBe(expected);
  });

  it("is never shorter than the poll interval, so polling's history budget still bounds it", () => {
    for (let elapsedSeconds = 0; elapsedSeconds < 20_000; elapsedSeconds += 37) {
      for (const settings of [
        adaptive,
        { ...adaptive, min_seconds: 120 },
        { ...adaptive, max_seconds: 30 },
        { strategy: "fixed", min_seconds: 30, max_seconds: 30 } as const,
        { strategy: "backoff", min_seconds: 10, max_seconds: 600 } as const,
      ] satisfies PollSettings[]) {
        const s = state({ elapsedSeconds, polls: 3 });
        const wait = eventWaitSeconds(settings, s);
        expect(wait).toBeGreaterThanOrEqual(nextPollSeconds(settings, s));
        expect(wait).toBeLessThanOrEqual(Math.max(settings.min_seconds, settings.max_seconds));
        expect(Number.isInteger(wait)).toBe(true);
      }
    }
  });

  it("is longer than adaptive polling's interval: a lost event costs bounded latency, not checks", () => {
    const s = state({ elapsedSeconds: 300 });
    expect(nextPollSeconds(adaptive, s)).toBe(30);
    expect(eventWaitSeconds(adaptive, s)).toBe(75);
    expect(EVENT_FALLBACK_TUNING.latencyFraction).toBeGreaterThan(0.1);
  });

  it("keeps a fixed or backoff step's own schedule", () => {
    const fixed: PollSettings = { strategy: "fixed", min_seconds: 30, max_seconds: 30 };
    expect(eventWaitSeconds(fixed, state({ elapsedSeconds: 5000 }))).toBe(30);
    const backoff: PollSettings = { strategy: "backoff", min_seconds: 10, max_seconds: 600 };
    expect(eventWaitSeconds(backoff, state({ polls: 3 }))).toBe(40);
  });
});

describe("the retry loop's intervals (POLL_BUCKETS)", () => {
  it("are every second up to 20 s, then at most ~5% apart, up to the longest poll.max", () => {
    expect(POLL_BUCKETS.slice(0, 20)).toEqual(Array.from({ length: 20 }, (_, k) => k + 1));
    for (let k = 20; k < POLL_BUCKETS.length; k++) {
      const [prev, next] = [POLL_BUCKETS[k - 1] as number, POLL_BUCKETS[k] as number];
      expect(Number.isInteger(next)).toBe(true);
      expect(next).toBeGreaterThan(prev);
      // Rounding down to `prev` a wait just under `next` loses at most ~5% of it.
      expect(next / prev).toBeLessThanOrEqual(1.05 + 1 / prev);
    }
    // Every wait the pipelines file allows has a bucket (lib/config/schema.ts holds poll.max).
    expect(POLL_BUCKETS.at(-1)).toBe(RETRY_POLL_MAX_SECONDS);
    expect(RETRY_POLL_MAX_SECONDS).toBe(POLL_LIMITS.max);
  });

  it.each([
    [0.4, 1],
    [1, 1],
    [15, 15],
    [20.9, 20],
    [21, 21],
    [600, 597],
    [3600, 3600],
    [99999, 3600],
  ])("pollBucket(%s) is %s: the largest interval not over it", (seconds, expected) => {
    expect(pollBucket(seconds)).toBe(expected);
    expect(POLL_BUCKETS).toContain(pollBucket(seconds));
  });

  it("only adaptive steps are retried while running, and only in the retry loop", () => {
    expect(retriesWhileRunning("retry", adaptive)).toBe(true);
    expect(retriesWhileRunning("wait", adaptive)).toBe(false);
    expect(retriesWhileRunning("retry", { ...adaptive, strategy: "fixed" })).toBe(false);
    expect(retriesWhileRunning("retry", { ...adaptive, strategy: "backoff" })).toBe(false);
  });
});
