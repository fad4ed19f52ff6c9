/**
 * How long the run-sync state machine's Wait state waits before the next status check.
 * A pure function, so it can be tuned with a benchmark.
 *
 * - `fixed`: always `min_seconds`.
 * - `backoff`: `min * 2^(polls-1)`, capped by `max_seconds`.
 * - `adaptive`:
 *   - with an expected duration (median of recent runs) and the run running: far from the
 *     expected end, wait a fraction of the remaining expected time; near it, the floor;
 *     past it, a fraction of the overshoot (so waits grow geometrically from the floor)
 *     capped so detection latency stays within max(15 s, 10% of elapsed);
 *   - otherwise (no history, or still queued): geometric backoff from the floor, capped
 *     by 10% of the elapsed time (at least the floor).
 *
 * The result is always an integer within [min_seconds, max_seconds].
 */
import type { PollSettings } from "./contract";

export interface PollState {
  /** Seconds the run has been running (or, while queued, since the step started it). */
  elapsedSeconds: number;
  /** The run has not started running yet. */
  queued: boolean;
  /** Expected run duration in seconds, when the sync has history. */
  expectedSeconds?: number;
  /** Checks made so far, the current one included (1 on the first check). */
  polls: number;
}

/** Tuning knobs of the adaptive strategy. */
export interface AdaptiveTuning {
  /** Before the expected end: wait this fraction of the remaining expected time. */
  remainingFraction: number;
  /** Past the expected end: wait this fraction of the overshoot. */
  overshootFraction: number;
  /** Never wait more than this share of the elapsed time (past the expected end, or without history)... */
  latencyFraction: number;
  /** ...or, past the expected end, than this many seconds, whichever is larger. */
  latencyFloorSeconds: number;
}

export const DEFAULT_ADAPTIVE_TUNING: AdaptiveTuning = {
  remainingFraction: 0.5,
  overshootFraction: 0.25,
  latencyFraction: 0.1,
  latencyFloorSeconds: 15,
};

function clamp(value: number, lo: number, hi: number): number {
  return Math.min(hi, Math.max(lo, value));
}

function geometric(min: number, polls: number): number {
  // polls is at least 1; cap the exponent so the number stays finite.
  return min * 2 ** Math.min(Math.max(polls - 1, 0), 30);
}

export function nextPollSeconds(
  settings: PollSettings,
  state: PollState,
  tuning: AdaptiveTuning = DEFAULT_ADAPTIVE_TUNING,
): number {
  const min = Math.max(1, Math.ceil(settings.min_seconds));
  const max = Math.max(min, Math.floor(settings.max_seconds));
  const elapsed = Math.max(0, state.elapsedSeconds);
  const bound = (v: number) => clamp(Math.round(v), min, max);

  switch (settings.strategy) {
    case "fixed":
      return min;
    case "backoff":
      return bound(geometric(min, state.polls));
    case "adaptive":
      break;
  }

  const latencyCap = Math.max(tuning.latencyFloorSeconds, tuning.latencyFraction * elapsed);
  const expected = state.expectedSeconds;
  if (state.queued || expected === undefined || !(expected > 0)) {
    return bound(Math.min(geometric(min, state.polls), tuning.latencyFraction * elapsed));
  }
  const remaining = expected - elapsed;
  if (remaining > 0) {
    // Far away: a fraction of what is left (long waits); near: the floor.
    return bound(tuning.remainingFraction * remaining);
  }
  const overshoot = -remaining;
  return bound(Math.min(Math.max(min, tuning.overshootFraction * overshoot), latencyCap));
}
