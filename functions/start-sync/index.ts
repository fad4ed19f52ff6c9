/** start-sync: starts the step's sync (or follows on_conflict). Input: StepInput. */
import type { StartResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseStepInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { type Handler, invoke } from "../core/runtime";
import { startSync } from "../core/start";

export function makeHandler(deps: Deps): Handler<StartResult> {
  return (event, context) =>
    invoke("start-sync", deps, event, context, (log, budget) =>
      startSync(parseStepInput(event), deps, log, budget),
    );
}

export const handler = lazyHandler(
  async () => (await import("../aws/aws-deps")).awsDeps(),
  makeHandler,
);
