/**
 * ExecutionHistory on AWS: states:GetExecutionHistory, every page, oldest first, with
 * execution data (a state's exit carries its output). The output of an exit is the
 * state's whole output; a `TaskStateExited` (or any `*StateExited`) event names its
 * state in `stateExitedEventDetails.name`.
 * (API_GetExecutionHistory; HistoryEvent.stateExitedEventDetails: name, output.)
 */
import { SFNClient } from "@aws-sdk/client-sfn";
import { HandlerError } from "../core/errors";
import type { ExecutionHistory } from "../core/history";
import { awsHandlerError } from "./aws-errors";
import { readHistory } from "./sfn-history";

export class SfnExecutionHistory implements ExecutionHistory {
  constructor(private readonly client: SFNClient) {}

  async stateOutputs(executionArn: string, state: string): Promise<unknown[]> {
    const outputs: unknown[] = [];
    for (const event of await this.events(executionArn)) {
      const exited = event.stateExitedEventDetails;
      if (exited?.name !== state || exited.output === undefined) continue;
      outputs.push(parseOutput(exited.output, executionArn, state));
    }
    return outputs;
  }

  /** Every event, every page (no bound: an execution has at most 25,000). */
  private async events(executionArn: string) {
    try {
      return (await readHistory(this.client, executionArn)).events;
    } catch (err) {
      throw awsHandlerError(err, `reading the history of execution ${executionArn}`);
    }
  }
}

function parseOutput(output: string, executionArn: string, state: string): unknown {
  try {
    return JSON.parse(output);
  } catch {
    throw new HandlerError(
      "Internal.Error",
      `execution ${executionArn}: the output of state "${state}" in its history is not JSON`,
    );
  }
}

let shared: SFNClient | undefined;

/** The adapter for cancel-sync (one client per container, created when first needed). */
export function executionHistoryFromEnv(): ExecutionHistory {
  shared ??= new SFNClient({});
  return new SfnExecutionHistory(shared);
}
