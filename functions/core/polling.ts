/**
 * How long the run-sync state machine's Wait state waits before the next status check.
 * A pure function, so it can be tuned with a benchmark (bench/, `npm run bench`; the
 * method and figures are in docs/performance.md).
 *
 * - `fixed`: always `min_seconds`.
 * - `backoff`: `min * 2^(polls-1)`, capped by `max_seconds`.
 * - `adaptive` (the default):
 *   - with an expected duration E (median of the sync's recent runs): a run almost never
 *     ends before `earliestEndFraction * E`, so the first waits go straight there (one
 *     check instead of dozens); from then on, each wait is the latency bound itself,
 *     max(`latencyFloorSeconds`, `latencyFraction` of the elapsed time), so waits grow
 *     geometrically (10% a check) through the likely end and past it, and a run that
 *     ends is seen within that bound. This holds while queued too (the queue only
 *     delays the end), measured from when the step started the run;
 *   - without history: geometric backoff from the floor, capped by `latencyFraction` of
 *     the elapsed time (at least the floor), so the bound holds from the first check.
 *
 * Detection latency is therefore at most max(15 s, 10% of the elapsed run time) except
 * for a run that ends before `earliestEndFraction` of its expected duration (rare: the
 * benchmark's workload, with a 20% spread, has none).
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
  /**
   * With history, the first checks wait until this share of the expected duration: the
   * earliest the run is likely to end. Lower is safer against early finishes and costs
   * a few more checks.
   */
  earliestEndFraction: number;
  /** From there on (and without history), wait at most this share of the elapsed time... */
  latencyFraction: number;
  /** ...or this many seconds, whichever is larger (short runs). */
  latencyFloorSeconds: number;
}

/**
 * Tuned on the benchmark's polling workload (200 runs of 1 minute to 6 hours, 20% spread,
 * 5% outliers at 2-3x): about a tenth of the state transitions of a fixed 30 s loop with
 * mean detection latency under 5% of the run time. See docs/performance.md.
 */
export const DEFAULT_ADAPTIVE_TUNING: AdaptiveTuning = {
  earliestEndFraction: 0.6,
  latencyFraction: 0.1,
  latencyFloorSeconds: 10,
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

  // Without history, or queued past the jump: backoff within the latency bound.
  const backoff = Math.min(geometric(min, state.polls), tuning.latencyFraction * elapsed);
  const expected = state.expectedSeconds;
  if (expected === undefined || !(expected > 0)) return bound(backoff);
  const untilLikelyEnd = tuning.earliestEndFraction * expected - elapsed;
  const latencyCap = Math.max(tuning.latencyFloorSeconds, tuning.latencyFraction * elapsed);
  // Queued, the run has not begun: nothing can end before the jump, and after it the
  // backoff watches for the start.
  return bound(Math.max(untilLikelyEnd, state.queued ? backoff : latencyCap));
}
