/** check-status: one status check of the started run. Input: RunState with `start`. */

import { awsDeps } from "../aws/aws-deps";
import { polytomicFromEnv } from "../aws/polytomic-from-env";
import { checkStatus } from "../core/check";
import type { CheckResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parsePreviousCheck, parseStartedState } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<CheckResult> {
  return (event, context) =>
    invoke("check-status", deps, event, context, (log, budget) => {
      const state = parseStartedState(event);
      const previous = parsePreviousCheck(state.check);
      const input = previous ? { ...state, check: previous } : { ...state, check: undefined };
      return checkStatus(input, deps, log, budget);
    });
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(() => awsDeps({ polytomic: polytomicFromEnv }), makeHandler);
