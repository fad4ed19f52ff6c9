/**
 * How long the run-sync state machine waits before the next status check: in its Wait
 * state, or (webhooks off, adaptive) as the interval of the check Task's retry (the retry
 * loop, below).
 * A pure function, so it can be tuned with a benchmark (bench/, `npm run bench`; the
 * method and figures are in docs/performance.md).
 *
 * - `fixed`: always `min_seconds`.
 * - `backoff`: `min * 2^(polls-1)`, capped by `max_seconds`.
 * - `adaptive` (the default): each wait is the latency bound itself,
 *   max(`latencyFloorSeconds`, `latencyFraction` of the elapsed time), within
 *   [`min_seconds`, `max_seconds`]. Elapsed is the run's running time, or, while it is
 *   queued, the time since the step started it.
 *
 * Why no jump ahead on history: a run that ends during a wait of w seconds begun at
 * elapsed e is seen up to w late, and it can end any time after e, however long its
 * earlier runs took. So "every run is seen within max(15 s, 10% of its duration)" holds
 * for a run faster than its history, a heavy-tailed one or a new one only if no wait
 * exceeds max(15 s, 10% of the elapsed time); and waits that are exactly that are the
 * fewest checks the bound allows. The expected duration (the median of recent runs) is
 * therefore not used to skip checks: it cannot skip any that the bound allows to skip.
 * The old jump to 60% of it let runs that got faster be seen up to 30x their bound late.
 *
 * The floor is the largest the bound allows (15 s), so very short runs cost as few
 * checks as the bound permits; a fixed 30 s loop checks them half as often, and cannot
 * see them within 15 s (docs/performance.md says what that costs). `max_seconds` (10
 * minutes by default) only shortens waits; `min_seconds` above 15 s loosens the bound
 * to that many seconds, as the step asked.
 *
 * The one run the bound does not cover: one queued longer than 150 s (10x the floor)
 * that then runs for less than a tenth of its queue time is seen up to 10% of its queue
 * time late. Waits that grow while queued keep a run queued for hours from filling its
 * execution history (lib/config/history.ts), which a queued run's own bound cannot.
 *
 * The result is always an integer within [min_seconds, max_seconds].
 */
import type { PollSettings } from "./contract";

export interface PollState {
  /** Seconds the run has been running (or, while queued, since the step started it). */
  elapsedSeconds: number;
  /** Checks made so far, the current one included (1 on the first check). */
  polls: number;
}

/** Tuning knobs of the adaptive strategy. */
export interface AdaptiveTuning {
  /** Wait at most this share of the elapsed time... */
  latencyFraction: number;
  /** ...or this many seconds, whichever is larger (short runs). */
  latencyFloorSeconds: number;
}

/**
 * The latency bound the benchmark holds every run to, max(15 s, 10% of the run): not
 * tuned on any workload, so it holds on workloads the benchmark never saw.
 */
export const DEFAULT_ADAPTIVE_TUNING: AdaptiveTuning = {
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
  switch (settings.strategy) {
    case "fixed":
      return min;
    case "backoff":
      return clamp(Math.round(geometric(min, state.polls)), min, max);
    case "adaptive":
      // Rounded down: a wait a fraction of a second over the bound breaks it.
      return clamp(
        Math.floor(Math.max(tuning.latencyFloorSeconds, tuning.latencyFraction * elapsed)),
        min,
        max,
      );
  }
}

/**
 * The retry loop (webhooks off, `adaptive` only): a status check that finds the run still
 * going costs ONE billed state transition, a retry of the "Check status" Task, instead of
 * three (Task, Choice, Wait): check-status throws `Polytomic.StillRunning.<N>s` and the
 * Task's retrier for that name re-invokes it after N seconds (IntervalSeconds N,
 * BackoffRate 1, no jitter: exactly N). Step Functions bills each retry as a transition
 * ("each retry will be charged as an additional state transition",
 * https://aws.amazon.com/step-functions/pricing/).
 *
 * A retrier's interval is fixed in the definition, so the waits polling computes are rounded
 * DOWN to these buckets (never longer: the latency bound holds): every whole second up to
 * 20 s, then about 5% apart (each at least a second over the one before), up to the longest
 * `poll.max` the pipelines file accepts (lib/config/schema.ts POLL_LIMITS.max, 1 h; a test
 * holds the two together). Rounding down by at most ~5% costs at most ~5% more checks.
 * This one list makes both the retriers (lib/constructs/run-sync-state-machine.ts) and
 * check-status's rounding.
 */
export const RETRY_POLL_MAX_SECONDS = 3600;

function pollBuckets(): readonly number[] {
  const buckets: number[] = [];
  for (let s = 1; s <= 20; s++) buckets.push(s);
  let last = 20;
  while (last < RETRY_POLL_MAX_SECONDS) {
    last = Math.min(RETRY_POLL_MAX_SECONDS, Math.max(last + 1, Math.floor(last * 1.05)));
    buckets.push(last);
  }
  return buckets;
}

/** The retry loop's intervals, seconds, ascending (see above). */
export const POLL_BUCKETS: readonly number[] = pollBuckets();

/** The largest bucket not over `seconds` (the smallest, 1 s, for anything below it). */
export function pollBucket(seconds: number): number {
  let found = POLL_BUCKETS[0] ?? 1;
  for (const bucket of POLL_BUCKETS) {
    if (bucket > seconds) break;
    found = bucket;
  }
  return found;
}

/**
 * How the run-sync machine waits between checks. `retry`: the definition has the retriers
 * above and says so in check-status's payload (`RETRY_LOOP_PAYLOAD`); `wait`: the
 * Choice + Wait (or, with webhooks, token wait) loop, for every input without that field.
 */
export type PollLoop = "retry" | "wait";

/** The field of check-status's payload that names the loop, and the state under it. */
export const POLL_LOOP_FIELD = "poll_loop";
export const POLL_STATE_FIELD = "state";

/** Whether a check that found the run still going should be retried rather than waited on. */
export function retriesWhileRunning(loop: PollLoop, settings: PollSettings): boolean {
  // `fixed` and `backoff` keep the Wait loop: backoff counts its checks in `$.check.polls`,
  // which a retry (same input every time) cannot carry; a fixed loop is what a step asked for.
  return loop === "retry" && settings.strategy === "adaptive";
}

/**
 * The timeout of an event wait when no delivery record decides it (a webhooks-on machine whose
 * check-status has no record store; on AWS it always has one, and the trust rule of
 * functions/core/delivery.ts sets `event_wait_seconds`: `trustedEventWaitSeconds` below), and
 * the floor (60 s) of every event wait. Its history: the run-sync machine waits between checks
 * on a task token that Polytomic's run-end event hands back, and this was the wait's timeout. An event is a hint that usually comes, so the timeout is not the
 * latency bound but the price of a lost event: a geometric schedule, max(floor, fraction of the
 * elapsed time), so a run whose end event is lost is seen at most `fraction` of its duration
 * late (or `floor` seconds), with a logarithmic number of checks until then.
 *
 * Chosen on the bench's tuning seeds (`--only events`, bench/events.ts; docs/webhooks.md has
 * the report seeds' figures), against adaptive polling on the same runs:
 * - fraction 0.25: a lost event costs at most a quarter of the run (adaptive polling: a
 *   tenth). 0.5 saved 18% more checks on the base workload and doubled that worst case; the
 *   step's `max_seconds` caps long runs' waits either way, and sets most of the checks.
 * - floor 60 s: 30 s made 19% more checks on the base workload (52% more on runs of
 *   20-60 s) for a lower latency only when an event is lost.
 * With half the events lost, both choices make half of adaptive polling's checks and
 * transitions at a similar mean latency (the events that arrive are seen at once).
 */
export const EVENT_FALLBACK_TUNING: AdaptiveTuning = {
  latencyFraction: 0.25,
  latencyFloorSeconds: 60,
};

/**
 * The timeout of an event wait: the geometric fallback above, never shorter than the interval
 * polling alone would wait (so a step's history budget, lib/config/history.ts, computed with
 * polling's intervals, still bounds it), within the step's [min_seconds, max_seconds]. A
 * `fixed` or `backoff` step keeps its own interval: it asked for that schedule.
 */
export function eventWaitSeconds(
  settings: PollSettings,
  state: PollState,
  tuning: AdaptiveTuning = EVENT_FALLBACK_TUNING,
): number {
  const polling = nextPollSeconds(settings, state);
  if (settings.strategy !== "adaptive") return polling;
  return Math.max(polling, nextPollSeconds(settings, state, tuning));
}

/**
 * A wait never far past the step's deadline: at most one second beyond it (so the check
 * after it sees the deadline passed), never under `min_seconds`; past the deadline the
 * wait is left as is (check-status has already reported the timeout).
 */
export function boundByDeadline(
  settings: PollSettings,
  next: number,
  untilDeadlineSeconds: number,
): number {
  if (untilDeadlineSeconds <= 0) return next;
  return Math.max(Math.ceil(settings.min_seconds), Math.min(next, untilDeadlineSeconds + 1));
}

/**
 * The token wait straight after start-sync, with webhooks on (no check has run yet: the
 * start's answer already says the run exists). The fallback's first interval, as for a run
 * that has just been created (elapsed 0): so an event lost at once is seen after `floor`
 * seconds (60 by default), as it would be after a first check.
 */
export function firstEventWaitSeconds(settings: PollSettings): number {
  return eventWaitSeconds(settings, { elapsedSeconds: 0, polls: 0 });
}

/**
 * The timeout of an event wait once the webhook is trusted (functions/core/delivery.ts
 * `decideWait`): `fraction` of the elapsed time (0.1 / the estimated loss, so a lost event
 * costs in expectation what polling's latency bound costs), at least the fallback's floor
 * (60 s) and polling's own interval. NOT capped by `max_seconds`: under webhooks `poll.max`
 * bounds polling's interval (the retry loop's, when the webhook is not trusted), while the
 * event wait is bounded by this budget and the step's deadline (`boundByDeadline`). A
 * `fixed` or `backoff` step keeps its own interval.
 */
export function trustedEventWaitSeconds(
  settings: PollSettings,
  state: PollState,
  fraction: number,
): number {
  const polling = nextPollSeconds(settings, state);
  if (settings.strategy !== "adaptive") return polling;
  const budget = Math.max(
    EVENT_FALLBACK_TUNING.latencyFloorSeconds,
    fraction * Math.max(0, state.elapsedSeconds),
  );
  return Math.max(polling, Math.floor(budget));
}

/**
 * The first wait, straight after the start, once the webhook is trusted: long enough for a
 * run as long as the sync's typical one (`expectedSeconds`, the median of its recent runs,
 * from creation to end) to end inside it, so a run whose end event arrives needs ONE status
 * call, plus half the `fraction` of it: a lost end event is then seen about
 * fraction / 2 of the run late, so its expected cost p * fraction / 2 is polling's 5% (the
 * whole fraction, or the longest recent run, doubled the 10%-loss latency on the bench's
 * tuning seed). A run longer than that is checked at the timeout, then waits as above. With
 * no history, the floor.
 */
export function firstTrustedWaitSeconds(
  settings: PollSettings,
  expectedSeconds: number | undefined,
  fraction: number,
): number {
  if (settings.strategy !== "adaptive") return firstEventWaitSeconds(settings);
  const expected = expectedSeconds === undefined ? 0 : (1 + fraction / 2) * expectedSeconds;
  return Math.max(firstEventWaitSeconds(settings), Math.ceil(expected));
}
