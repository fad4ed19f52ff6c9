/**
 * The port cancel-sync reads a run-sync execution's own history through, to learn which
 * Polytomic runs that execution started: the documented record of what it did
 * (states:GetExecutionHistory on AWS; the local engine's event log in local runs).
 * Types and constants only: the CDK code imports the state name from here.
 */

/** The run-sync state whose output carries start-sync's answer at `$.start`. */
export const START_SYNC_STATE = "Start sync";

/**
 * The run-sync states that publish a step's metrics, after its logs were exported: an
 * execution that left one of them published for itself.
 */
export const PUBLISH_STATES = ["Publish metrics", "Publish failure metrics"] as const;

export interface ExecutionHistory {
  /**
   * The output (the state's whole JSON output, parsed) of every exit from `state` in the
   * execution's history, oldest first; none when the state never ended. Throws a
   * HandlerError when the history cannot be read (retryable when AWS was throttled or
   * unavailable).
   */
  stateOutputs(
    executionArn: string,
    state: string,
    options: { deadline?: number },
  ): Promise<unknown[]>;
}
