/**
 * lib/config/history.ts: the history budget of a step's checks, per loop. Without webhooks an
 * adaptive step's check is a retry of the check Task (3 events) at the retry loop's rounded
 * waits; fixed and backoff steps keep the Wait loop (9); with webhooks every step's check
 * costs 14.
 */
import { describe, expect, it } from "vitest";
import { EVENTS_PER_RETRY, eventsPerState } from "../../bench/history-events";
import type { PollSettings } from "../../functions/core/contract";
import { nextPollSeconds, pollBucket } from "../../functions/core/polling";
import {
  CHECK_EVENT_BUDGET,
  EVENTS_PER_CHECK,
  EVENTS_PER_CHECK_WITH_TOKEN_WAIT,
  EVENTS_PER_RETRIED_CHECK,
  eventsPerCheckOf,
  historyProblems,
  worstCaseChecks,
} from "../../lib/config/history";

const poll = (p: Partial<PollSettings>): PollSettings => ({
  strategy: "adaptive",
  min_seconds: 10,
  max_seconds: 600,
  ...p,
});

const configOf = (p: PollSettings, timeout_seconds: number) =>
  ({ pipelines: [{ name: "p", steps: [{ id: "s", poll: p, timeout_seconds }] }] }) as never;

describe("events per check", () => {
  it("is a retry's 3 for an adaptive step, the Wait loop's 9 for fixed and backoff", () => {
    expect(EVENTS_PER_RETRIED_CHECK).toBe(EVENTS_PER_RETRY);
    expect(EVENTS_PER_CHECK).toBe(eventsPerState("Task", "arn:aws:lambda:x") + 2 + 2);
    expect(eventsPerCheckOf({ poll: poll({}) })).toBe(3);
    expect(eventsPerCheckOf({ poll: poll({ strategy: "fixed" }) })).toBe(9);
    expect(eventsPerCheckOf({ poll: poll({ strategy: "backoff" }) })).toBe(9);
  });
});

describe("historyProblems", () => {
  // Every 3 s for 4 h: 4,800 checks. As retries, 14,400 events; as Wait-loop turns, 43,200.
  const tight = poll({ min_seconds: 3, max_seconds: 3 });

  it("accepts an adaptive step whose checks fit as retries, and refuses it with webhooks", () => {
    expect(historyProblems(configOf(tight, 4 * 3600))).toEqual([]);
    expect(historyProblems(configOf(tight, 4 * 3600), EVENTS_PER_CHECK_WITH_TOKEN_WAIT)).toEqual([
      expect.objectContaining({ step: "s", message: expect.stringContaining("14 history events") }),
    ]);
  });

  it("still refuses a fixed step polling as often (the Wait loop's 9 events)", () => {
    const fixed = { ...tight, strategy: "fixed" as const };
    expect(historyProblems(configOf(fixed, 4 * 3600))).toEqual([
      expect.objectContaining({ message: expect.stringContaining("(9 history events each)") }),
    ]);
  });

  it("refuses an adaptive step whose retries alone would pass the budget", () => {
    const [problem] = historyProblems(configOf(poll({ min_seconds: 1, max_seconds: 1 }), 6 * 3600));
    expect(problem?.message).toContain(`over ${Math.floor(CHECK_EVENT_BUDGET / 3)} status checks`);
  });
});

describe("worstCaseChecks", () => {
  it("counts an adaptive step's waits rounded down to the retry loop's intervals", () => {
    const p = poll({});
    const timeout = 24 * 3600;
    let elapsed = 0;
    let checks = 0;
    while (elapsed < timeout) {
      checks += 1;
      elapsed += pollBucket(nextPollSeconds(p, { elapsedSeconds: elapsed, polls: checks }));
    }
    expect(worstCaseChecks({ poll: p, timeout_seconds: timeout })).toBe(checks + 1);
    // Rounded down, never fewer checks than the unrounded waits (the token wait's count).
    expect(worstCaseChecks({ poll: p, timeout_seconds: timeout })).toBeGreaterThanOrEqual(
      worstCaseChecks({ poll: p, timeout_seconds: timeout }, EVENTS_PER_CHECK_WITH_TOKEN_WAIT),
    );
  });
});
