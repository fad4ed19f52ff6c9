/**
 * cancel-sync: cancels a run. Input: the run-sync state with `start` (step timeout), or an
 * EventBridge "Step Functions Execution Status Change" event of a stopped run-sync execution.
 */
import { cancelSync } from "../core/cancel";
import type { CancelResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseCancelInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<CancelResult> {
  return (event, context) =>
    invoke("cancel-sync", deps, event, context, (log, budget) =>
      cancelSync(parseCancelInput(event), deps, log, budget),
    );
}

export const handler = lazyHandler(
  async () => (await import("../aws/aws-deps")).awsDeps(),
  makeHandler,
);
