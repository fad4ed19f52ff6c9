/** start-sync: starts the step's sync (or follows on_conflict). Input: StepInput. */

import { awsDeps } from "../aws/aws-deps";
import { polytomicFromEnv } from "../aws/polytomic-from-env";
import type { StartResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseStepInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { type Handler, invoke, NO_CARRIED_RETRIES } from "../core/runtime";
import { startSync } from "../core/start";

export function makeHandler(deps: Deps): Handler<StartResult> {
  return (event, context) =>
    invoke(
      "start-sync",
      deps,
      event,
      context,
      (log, budget) => startSync(parseStepInput(event), deps, log, budget),
      { retries: NO_CARRIED_RETRIES },
    );
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(() => awsDeps({ polytomic: polytomicFromEnv }), makeHandler);
