/**
 * start-sync: starts the step's sync (or follows on_conflict). Input: StepInput, with
 * start-sync's previous StartPending at `start` when it is called again. Output: a
 * StartResult, or a StartPending when no run could be started yet.
 */

import { awsDeps } from "../aws/aws-deps";
import { withDeliveryFromEnv } from "../aws/event-wait";
import { partnerFromEnv, polytomicFromEnv } from "../aws/polytomic-from-env";
import type { StartPending, StartResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseStartInput, pendingStartOf } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { inOrganization } from "../core/organization";
import { type Handler, invoke } from "../core/runtime";
import { startSync } from "../core/start";

export function makeHandler(deps: Deps): Handler<StartResult | StartPending> {
  return (event, context) =>
    invoke(
      "start-sync",
      deps,
      event,
      context,
      (log, budget) => {
        const input = parseStartInput(event);
        return inOrganization(deps, input, (scoped) => startSync(input, scoped, log, budget));
      },
      // Retries of the earlier starts that only got as far as a StartPending count too.
      { retries: { carried: (e) => pendingStartOf(e)?.api_retries ?? 0 } },
    );
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(
  () => withDeliveryFromEnv(awsDeps({ polytomic: polytomicFromEnv, partner: partnerFromEnv })),
  makeHandler,
);
