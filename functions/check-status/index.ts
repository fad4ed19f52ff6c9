/**
 * check-status: one status check of the started run. Input: RunState with `start`. When
 * `start` is a StartPending (no run yet), it checks nothing and sends the machine back
 * to start-sync after `retry_after_seconds`.
 */

import { awsDeps } from "../aws/aws-deps";
import { partnerFromEnv, polytomicFromEnv } from "../aws/polytomic-from-env";
import { checkStatus } from "../core/check";
import type { CheckResult } from "../core/contract";
import type { Deps } from "../core/deps";
import {
  parsePreviousCheck,
  parseStartedState,
  parseStepInput,
  pendingStartOf,
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
  return (event, context) =>
    invoke(
      "check-status",
      deps,
      event,
      context,
      async (log, budget) => {
        const pending = pendingStartOf(event);
        if (pending) {
          parseStepInput(event);
          const polls = parsePreviousCheck((event as { check?: unknown }).check)?.polls ?? 0;
          return startPendingCheck(pending.retry_after_seconds, polls);
        }
        const state = parseStartedState(event);
        const previous = parsePreviousCheck(state.check);
        const input = previous ? { ...state, check: previous } : { ...state, check: undefined };
        return inOrganization(deps, state, (scoped) => checkStatus(input, scoped, log, budget));
      },
      { retries: { carried: retriesOfPreviousChecks } },
    );
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
  () => awsDeps({ polytomic: polytomicFromEnv, partner: partnerFromEnv }),
  makeHandler,
);
