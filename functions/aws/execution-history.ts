/**
 * ExecutionHistory on AWS: states:GetExecutionHistory, every page, oldest first, with
 * execution data (a state's exit carries its output). The output of an exit is the
 * state's whole output; a `TaskStateExited` (or any `*StateExited`) event names its
 * state in `stateExitedEventDetails.name`.
 * (API_GetExecutionHistory; HistoryEvent.stateExitedEventDetails: name, output.)
 */
import { GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import { HandlerError } from "../core/errors";
import type { ExecutionHistory } from "../core/history";
import { awsHandlerError } from "./aws-errors";

/** The most events one GetExecutionHistory page returns. */
const PAGE_SIZE = 1000;

export class SfnExecutionHistory implements ExecutionHistory {
  constructor(private readonly client: SFNClient) {}

  async stateOutputs(executionArn: string, state: string): Promise<unknown[]> {
    const outputs: unknown[] = [];
    let nextToken: string | undefined;
    do {
      const page = await this.page(executionArn, nextToken);
      for (const event of page.events ?? []) {
        const exited = event.stateExitedEventDetails;
        if (exited?.name !== state || exited.output === undefined) continue;
        outputs.push(parseOutput(exited.output, executionArn, state));
      }
      nextToken = page.nextToken;
    } while (nextToken);
    return outputs;
  }

  private async page(executionArn: string, nextToken: string | undefined) {
    try {
      return await this.client.send(
        new GetExecutionHistoryCommand({
          executionArn,
          maxResults: PAGE_SIZE,
          includeExecutionData: true,
          ...(nextToken ? { nextToken } : {}),
        }),
      );
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
