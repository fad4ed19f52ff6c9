/** check-status: one status check of the started run. Input: RunState with `start`. */

import { awsDeps } from "../aws/aws-deps";
import { polytomicFromEnv } from "../aws/polytomic-from-env";
import { checkStatus } from "../core/check";
import type { CheckResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parsePreviousCheck, parseStartedState } from "../core/input";
import { lazyHandler } from "../core/lazy";
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
      (log, budget) => {
        const state = parseStartedState(event);
        const previous = parsePreviousCheck(state.check);
        const input = previous ? { ...state, check: previous } : { ...state, check: undefined };
        return checkStatus(input, deps, log, budget);
      },
      { retries: { carried: retriesOfPreviousChecks } },
    );
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(() => awsDeps({ polytomic: polytomicFromEnv }), makeHandler);
