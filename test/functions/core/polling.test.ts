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
      "adaptive, far from expected end: half the remaining",
      adaptive,
      state({ elapsedSeconds: 100, expectedSeconds: 1100 }),
      500,
    ],
    [
      "adaptive, far: capped by max",
      adaptive,
      state({ elapsedSeconds: 0, expectedSeconds: 7200 }),
      600,
    ],
    [
      "adaptive, near expected end: floor",
      adaptive,
      state({ elapsedSeconds: 295, expectedSeconds: 300 }),
      10,
    ],
    [
      "adaptive, just past the end: floor",
      adaptive,
      state({ elapsedSeconds: 310, expectedSeconds: 300 }),
      10,
    ],
    [
      "adaptive, well past: fraction of overshoot",
      adaptive,
      state({ elapsedSeconds: 400, expectedSeconds: 300 }),
      25,
    ],
    [
      "adaptive, far past: latency bound 10% of elapsed",
      adaptive,
      state({ elapsedSeconds: 3000, expectedSeconds: 300 }),
      300,
    ],
    [
      "adaptive, past, short run: latency floor 15 s",
      adaptive,
      state({ elapsedSeconds: 100, expectedSeconds: 20 }),
      15,
    ],
    [
      "adaptive, queued ignores expected",
      adaptive,
      state({ queued: true, polls: 2, elapsedSeconds: 300, expectedSeconds: 3000 }),
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

  it("keeps detection latency bounded past the expected end", () => {
    for (let elapsed = 301; elapsed < 20000; elapsed += 97) {
      const v = nextPollSeconds(adaptive, state({ elapsedSeconds: elapsed, expectedSeconds: 300 }));
      expect(v).toBeLessThanOrEqual(Math.max(15, Math.ceil(elapsed * 0.1)));
    }
  });
});
