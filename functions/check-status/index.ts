/**
 * check-status: one status check of the started run. Input: RunState with `start`, or, from
 * the machine's retry loop, `{ poll_loop: "retry", state: RunState }`
 * (functions/core/check.ts checkInvocation). When `start` is a StartPending (no run yet), it
 * checks nothing and sends the machine back to start-sync after `retry_after_seconds`. In
 * the retry loop, a run still going is not returned but thrown as `StillRunning`, which the
 * Task's retrier for its name turns into the next check (functions/core/polling.ts).
 * With webhooks (WAITS_BUCKET set, deps.delivery) the webhook's measured delivery decides
 * whether a run still going is thrown (poll) or answered to the token wait, and a terminal
 * check records whether the run's running event came (functions/core/delivery.ts).
 */

import { awsDeps } from "../aws/aws-deps";
import { withDeliveryFromEnv } from "../aws/event-wait";
import { partnerFromEnv, polytomicFromEnv } from "../aws/polytomic-from-env";
import {
  checkInvocation,
  checkStatus,
  eventWaitFor,
  firstTrustedWait,
  stillRunning,
  unreadableRun,
} from "../core/check";
import type { CheckResult } from "../core/contract";
import {
  type DeliveryStore,
  decideWait,
  organizationKey,
  readDelivery,
  recordRunEnd,
} from "../core/delivery";
import type { Deps } from "../core/deps";
import {
  parsePreviousCheck,
  parseStartedState,
  parseStepInput,
  pendingStartOf,
  type StartedState,
} from "../core/input";
import { lazyHandler } from "../core/lazy";
import { inOrganization } from "../core/organization";
import { type Handler, invoke } from "../core/runtime";

/** Retries of the run's earlier checks, carried in `$.check` from one check to the next. */
function retriesOfPreviousChecks(event: unknown): number {
  const previous = (event as { check?: { api_retries?: unknown } } | null)?.check?.api_retries;
  return typeof previous === "number" && Number.isFinite(previous) && previous > 0 ? previous : 0;
}

export function makeHandler(deps: Deps): Handler<CheckResult> {
  return async (event, context) => {
    const { state: input, loop } = checkInvocation(event);
    let started: StartedState | undefined;
    const result = await invoke(
      "check-status",
      deps,
      input,
      context,
      async (log, budget) => {
        const pending = pendingStartOf(input);
        if (pending) {
          parseStepInput(input);
          const polls = parsePreviousCheck((input as { check?: unknown }).check)?.polls ?? 0;
          return startPendingCheck(pending.retry_after_seconds, polls);
        }
        const state = parseStartedState(input);
        const previous = parsePreviousCheck(state.check);
        const current = previous ? { ...state, check: previous } : { ...state, check: undefined };
        started = current;
        const first = deps.delivery && firstTrustedWait(current, deps.clock.now());
        if (first) return first;
        return inOrganization(deps, state, (scoped) =>
          checkStatus(current, scoped, log, budget, loop),
        );
      },
      { retries: { carried: retriesOfPreviousChecks } },
    ).catch((error: unknown) => {
      // A transient error in the retry loop: check again later, as for a run still going.
      throw unreadableRun(started, error, loop, deps.clock.now()) ?? error;
    });
    if (result.unread) return result; // the trusted first wait: straight to the token wait
    const carried = retriesOfPreviousChecks(input);
    const still = started && stillRunning(started, result, loop, deps.clock.now(), carried);
    if (started && deps.delivery && (await waitsOnEvent(deps.delivery, started, result, deps))) {
      return result;
    }
    if (still) throw still;
    return result;
  };
}

/**
 * With webhooks on (docs/webhooks.md "Trusting the webhook"): a terminal check folds what it
 * learned of delivery into the organization's record; a check of a run still going reads the
 * record and decides. True when the step is to wait on the event (the answer goes to the
 * token wait); false when it polls (the retry loop's StillRunning, as without webhooks).
 */
async function waitsOnEvent(
  store: DeliveryStore,
  state: StartedState,
  result: CheckResult,
  deps: Deps,
): Promise<boolean> {
  const now = deps.clock.now();
  const organization = organizationKey(state);
  if (result.terminal) {
    const end = {
      organization,
      execution_id: state.start.execution_id,
      run_started_at: result.started_at,
    };
    await recordRunEnd(store, end, now, deps.logger);
    return false;
  }
  if (result.timed_out || result.start_pending) return false;
  const decision = decideWait(await readDelivery(store, organization, deps.logger));
  result.event_wait_seconds = eventWaitFor(state, result, now, decision);
  return decision.wait === "event";
}

/** What check-status answers while no run was started: nothing checked, start again later. */
function startPendingCheck(retryAfterSeconds: number, polls: number): CheckResult {
  return {
    status: "not_started",
    terminal: false,
    step_failed: false,
    counts: { records: 0, errors: 0, warnings: 0 },
    next_poll_seconds: retryAfterSeconds,
    event_wait_seconds: retryAfterSeconds,
    polls,
    timed_out: false,
    start_pending: true,
  };
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(
  () => withDeliveryFromEnv(awsDeps({ polytomic: polytomicFromEnv, partner: partnerFromEnv })),
  makeHandler,
);
