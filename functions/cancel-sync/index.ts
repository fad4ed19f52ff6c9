/**
 * cancel-sync: cancels a run. Input: the run-sync state with `start` (step timeout), or an
 * EventBridge "Step Functions Execution Status Change" event of a run-sync execution that
 * ended ABORTED, TIMED_OUT or FAILED (the runs it started are read from its history).
 */

import { awsDeps } from "../aws/aws-deps";
import { cloudWatchFromEnv } from "../aws/cloudwatch";
import { executionHistoryFromEnv } from "../aws/execution-history";
import { partnerFromEnv, polytomicFromEnv } from "../aws/polytomic-from-env";
import { s3SinkFromEnv } from "../aws/s3-sink";
import { cancelSync } from "../core/cancel";
import type { CancelResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseCancelInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { inOrganization } from "../core/organization";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<CancelResult> {
  return (event, context) =>
    invoke("cancel-sync", deps, event, context, (log, budget) => {
      const input = parseCancelInput(event);
      const step = input.kind === "run" ? input.state : input.input;
      return inOrganization(deps, step, (scoped) => cancelSync(input, scoped, log, budget));
    });
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(
  () =>
    awsDeps({
      polytomic: polytomicFromEnv,
      partner: partnerFromEnv,
      executionHistory: executionHistoryFromEnv,
      // After a stopped execution: the run's logs and metrics it never got to.
      logs: s3SinkFromEnv,
      metrics: cloudWatchFromEnv,
    }),
  makeHandler,
);
