import { describe, expect, it } from "vitest";
import type { PollSettings } from "../../../functions/core/contract";
import { nextPollSeconds, type PollState } from "../../../functions/core/polling";

const adaptive: PollSettings = { strategy: "adaptive", min_seconds: 10, max_seconds: 600 };

function state(p: Partial<PollState>): PollState {
  return { elapsedSeconds: 0, queued: false, polls: 1, ...p };
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
    ["adaptive, no history, early: floor", adaptive, state({ polls: 3, elapsedSeconds: 30 }), 10],
    [
      "adaptive, no history: 10% of elapsed caps backoff",
      adaptive,
      state({ polls: 6, elapsedSeconds: 1000 }),
      100,
    ],
    [
      "adaptive, no history: geometric below the cap",
      adaptive,
      state({ polls: 3, elapsedSeconds: 10000 }),
      40,
    ],
    ["adaptive, no history: max caps", adaptive, state({ polls: 30, elapsedSeconds: 100000 }), 600],
    [
      "adaptive, far from expected end: straight to 60% of it",
      adaptive,
      state({ elapsedSeconds: 100, expectedSeconds: 1100 }),
      560,
    ],
    [
      "adaptive, far: capped by max",
      adaptive,
      state({ elapsedSeconds: 0, expectedSeconds: 7200 }),
      600,
    ],
    [
      "adaptive, jump nearly done: the latency bound, not a tiny wait",
      adaptive,
      state({ elapsedSeconds: 175, expectedSeconds: 300 }),
      18,
    ],
    [
      "adaptive, near expected end: 10% of elapsed",
      adaptive,
      state({ elapsedSeconds: 295, expectedSeconds: 300 }),
      30,
    ],
    [
      "adaptive, just past the end: 10% of elapsed",
      adaptive,
      state({ elapsedSeconds: 310, expectedSeconds: 300 }),
      31,
    ],
    [
      "adaptive, well past: 10% of elapsed",
      adaptive,
      state({ elapsedSeconds: 400, expectedSeconds: 300 }),
      40,
    ],
    [
      "adaptive, far past: latency bound 10% of elapsed",
      adaptive,
      state({ elapsedSeconds: 3000, expectedSeconds: 300 }),
      300,
    ],
    [
      "adaptive, past, short run: latency floor 10 s",
      adaptive,
      state({ elapsedSeconds: 100, expectedSeconds: 20 }),
      10,
    ],
    [
      "adaptive, queued with history: toward 60% of expected from the step's start",
      adaptive,
      state({ queued: true, polls: 2, elapsedSeconds: 300, expectedSeconds: 1000 }),
      300,
    ],
    [
      "adaptive, queued with history: capped by max",
      adaptive,
      state({ queued: true, polls: 2, elapsedSeconds: 300, expectedSeconds: 3000 }),
      600,
    ],
    [
      "adaptive, queued past the jump: backoff",
      adaptive,
      state({ queued: true, polls: 2, elapsedSeconds: 300, expectedSeconds: 300 }),
      20,
    ],
    [
      "min above latency bound wins",
      { strategy: "adaptive", min_seconds: 60, max_seconds: 600 },
      state({ elapsedSeconds: 100, expectedSeconds: 20 }),
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
          for (const expected of [undefined, 0, 5, 300, 20000]) {
            const s = { strategy, min_seconds: 5, max_seconds: 900 };
            const v = nextPollSeconds(s, {
              elapsedSeconds: elapsed,
              queued: polls % 3 === 0,
              polls,
              ...(expected === undefined ? {} : { expectedSeconds: expected }),
            });
            expect(Number.isInteger(v)).toBe(true);
            expect(v).toBeGreaterThanOrEqual(5);
            expect(v).toBeLessThanOrEqual(900);
          }
        }
      }
    }
  });

  it("keeps detection latency bounded from 60% of the expected duration on", () => {
    for (let elapsed = 180; elapsed < 20000; elapsed += 97) {
      const v = nextPollSeconds(adaptive, state({ elapsedSeconds: elapsed, expectedSeconds: 300 }));
      expect(v).toBeLessThanOrEqual(Math.max(15, Math.ceil(elapsed * 0.1)));
    }
  });

  it("keeps detection latency bounded from the first check without history", () => {
    for (let polls = 1; polls < 60; polls++) {
      for (let elapsed = 0; elapsed < 20000; elapsed += 211) {
        const v = nextPollSeconds(adaptive, state({ polls, elapsedSeconds: elapsed }));
        expect(v).toBeLessThanOrEqual(Math.max(15, Math.ceil(elapsed * 0.1)));
      }
    }
  });

  /** Checks a run of `actual` seconds gets (first check at 0), and how late its end is seen. */
  function pollLoop(settings: PollSettings, actual: number, expected?: number) {
    let t = 0;
    for (let polls = 1; ; polls++) {
      if (t >= actual) return { polls, latency: t - actual };
      const e = expected === undefined ? {} : { expectedSeconds: expected };
      t += nextPollSeconds(settings, state({ polls, elapsedSeconds: t, ...e }));
    }
  }

  it("sees any run that ends after 60% of its expected duration within max(15 s, 10%)", () => {
    const wide = { ...adaptive, max_seconds: 3600 };
    for (const expected of [60, 300, 1800, 7200, 21600]) {
      for (let f = 0.6; f < 3; f += 0.037) {
        const actual = Math.round(expected * f);
        const { latency } = pollLoop(wide, actual, expected);
        expect(latency).toBeLessThanOrEqual(Math.max(15, 0.1 * actual));
      }
    }
  });

  it("checks a run near its expected duration a handful of times, whatever the duration", () => {
    const wide = { ...adaptive, max_seconds: 21600 };
    for (const expected of [300, 3600, 21600]) {
      // From the jump at 60% to 1.1x the expected duration at 10% a check: about 7 checks.
      expect(pollLoop(wide, Math.round(expected * 1.1), expected).polls).toBeLessThanOrEqual(9);
    }
    // A fixed 30 s loop on the 6 hour run, for scale: 793 checks.
    expect(pollLoop({ strategy: "fixed", min_seconds: 30, max_seconds: 30 }, 23760).polls).toBe(
      793,
    );
  });

  it("uses the tuning it is given", () => {
    const tuning = { earliestEndFraction: 0.5, latencyFraction: 0.05, latencyFloorSeconds: 20 };
    expect(
      nextPollSeconds(adaptive, state({ elapsedSeconds: 0, expectedSeconds: 1000 }), tuning),
    ).toBe(500);
    expect(
      nextPollSeconds(adaptive, state({ elapsedSeconds: 1000, expectedSeconds: 1000 }), tuning),
    ).toBe(50);
    expect(
      nextPollSeconds(adaptive, state({ elapsedSeconds: 100, expectedSeconds: 50 }), tuning),
    ).toBe(20);
  });
});
