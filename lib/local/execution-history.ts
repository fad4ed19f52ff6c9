/**
 * ExecutionHistory for local runs: the engine's event log of an execution stands in for
 * states:GetExecutionHistory. A `StateExited` event carries the state's name and its
 * output, as a `*StateExited` event's `stateExitedEventDetails` does on AWS.
 */
import { HandlerError } from "../../functions/core/errors";
import type { ExecutionHistory } from "../../functions/core/history";
import type { EventLog } from "./engine";

/** `lookup` gives an ended (or running) execution's events by ARN, undefined if unknown. */
export function localExecutionHistory(
  lookup: (executionArn: string) => readonly EventLog[] | undefined,
): ExecutionHistory {
  return {
    async stateOutputs(executionArn, state) {
      const events = lookup(executionArn);
      if (!events) {
        throw new HandlerError(
          "Config.Invalid",
          `reading the history of execution ${executionArn} failed: ExecutionDoesNotExist`,
        );
      }
      const outputs: unknown[] = [];
      for (const event of events) {
        if (event.type === "StateExited" && event.state.name === state) {
          outputs.push(event.state.output);
        }
      }
      return outputs;
    },
  };
}
