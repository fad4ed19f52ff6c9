/**
 * How many events an execution's history would hold on AWS, from the local engine's
 * event log. The local engine reports states entered and exited, retries and branch or
 * iteration starts, not the service's history events, so this models them per state
 * type after the event types of the Step Functions HistoryEvent reference
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_HistoryEvent.html):
 *
 * - the execution: ExecutionStarted + ExecutionSucceeded | Failed | Aborted | TimedOut = 2;
 * - a Lambda Task: TaskStateEntered, LambdaFunctionScheduled, LambdaFunctionStarted,
 *   LambdaFunctionSucceeded (or ...Failed), TaskStateExited = 5; each retry adds
 *   LambdaFunctionScheduled, LambdaFunctionStarted, LambdaFunctionFailed = 3;
 * - a service-integration Task (`startExecution.sync:2`): TaskStateEntered, TaskScheduled,
 *   TaskStarted, TaskSubmitted, TaskSucceeded (or TaskFailed), TaskStateExited = 6;
 *   each retry adds TaskScheduled, TaskStarted, TaskFailed = 3;
 * - Wait, Choice, Pass, Succeed, Fail: <Type>StateEntered + <Type>StateExited = 2
 *   (a Fail state's second event is the ExecutionFailed already counted above in practice,
 *   so 2 is an upper bound);
 * - Parallel: ParallelStateEntered, ParallelStateStarted, ParallelStateSucceeded,
 *   ParallelStateExited = 4, plus its branches' states;
 * - Map: MapStateEntered, MapStateStarted, MapStateSucceeded, MapStateExited = 4, plus
 *   MapIterationStarted + MapIterationSucceeded per iteration and the iterations' states.
 *
 * The 25,000-event quota counts these events.
 */
import { type AslDefinition, allStates } from "../lib/asl/definition";
import type { EventLog } from "../lib/local/engine";

const LAMBDA_RESOURCE = /^arn:aws:(lambda:|states:::lambda:invoke)/;

/** Events per state entered, by state type (and, for Task, by integration). */
export function eventsPerState(type: string, resource: string | undefined): number {
  switch (type) {
    case "Task":
      return resource !== undefined && LAMBDA_RESOURCE.test(resource) ? 5 : 6;
    case "Parallel":
    case "Map":
      return 4;
    default:
      // Wait, Choice, Pass, Succeed, Fail.
      return 2;
  }
}

/** Events each retry of a Task adds (scheduled, started, failed). */
export const EVENTS_PER_RETRY = 3;
/** ExecutionStarted and the execution's end event. */
export const EXECUTION_EVENTS = 2;
/** MapIterationStarted and MapIterationSucceeded. */
export const EVENTS_PER_MAP_ITERATION = 2;

/** The modelled history length of one execution of `definition`, from its event log. */
export function historyEvents(definition: AslDefinition, events: readonly EventLog[]): number {
  const resources = new Map<string, string | undefined>();
  const types = new Map<string, string>();
  for (const [name, state] of allStates(definition)) {
    resources.set(name, state.Resource);
    types.set(name, state.Type);
  }
  let total = EXECUTION_EVENTS;
  for (const event of events) {
    if (event.type === "StateEntered") {
      // The engine reports local Waits as Tasks; the definition says what the state is.
      const type = types.get(event.state.name) ?? event.state.type;
      total += eventsPerState(type, resources.get(event.state.name));
    } else if (event.type === "StateRetried") {
      total += EVENTS_PER_RETRY;
    } else if (event.type === "MapIterationStarted") {
      total += EVENTS_PER_MAP_ITERATION;
    }
  }
  return total;
}
