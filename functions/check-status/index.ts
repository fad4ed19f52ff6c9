/** check-status: one status check of the started run. Input: RunState with `start`. */
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

export const handler = lazyHandler(
  async () => (await import("../aws/aws-deps")).awsDeps(),
  makeHandler,
);
