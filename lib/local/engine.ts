/**
 * Runs one synthesized state machine definition in aws-local-stepfunctions, the way
 * Step Functions would, with every Task bound to a local function by state name and
 * all time (Wait states, the execution timeout) measured on a `LocalClock`.
 */

import {
  type AslDefinition,
  allStates,
  assertUniqueStateNames,
  waitSeconds,
  waitsAsTasks,
  withoutExecutionTimeout,
} from "./asl";
import { ExecutionAbortedError, ExecutionError, StateMachine } from "./local-stepfunctions";
import type { LocalClock } from "./virtual-clock";

export type LocalTask = (input: unknown) => Promise<unknown>;

type Execution = ReturnType<StateMachine["run"]>;
/** An event of the engine's execution log (the package does not export the type). */
export type EventLog = Execution["eventLogs"] extends AsyncGenerator<infer E> ? E : never;

export type ExecutionStatus = "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT";

export interface LocalExecutionOptions {
  /** Execution name (`$$.Execution.Name`). */
  name: string;
  /** State machine name, for the execution ARN in the context object. */
  stateMachineName: string;
  input: unknown;
  clock: LocalClock;
  /** A local function for every Task state, by state name. */
  tasks: Record<string, LocalTask>;
  /** @default - the definition's TimeoutSeconds, if any */
  timeoutSeconds?: number;
  /** `$$.Execution.RedriveCount`. @default 0 */
  redriveCount?: number;
  /** Stops the execution (as StopExecution would): it ends ABORTED. */
  signal?: AbortSignal;
  onEvent?: (event: EventLog) => void;
}

export interface LocalExecutionResult {
  name: string;
  executionArn: string;
  status: ExecutionStatus;
  output?: unknown;
  error?: string;
  cause?: string;
  /** Simulated epoch milliseconds. */
  startedAt: number;
  stoppedAt: number;
  /** States entered: what Step Functions bills as state transitions. */
  stateTransitions: number;
  /** Every event the engine reported, in order. */
  events: EventLog[];
}

const REGION = "local-1";
const ACCOUNT = "000000000000";

export function executionArn(stateMachineName: string, name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:${stateMachineName}:${name}`;
}

export function stateMachineArn(stateMachineName: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`;
}

/**
 * Prepares the definition and the engine's overrides: Wait states become Tasks that
 * pause on the clock, each Task state runs its local function as work in flight on the
 * clock, and the engine's own retry pauses (wall-clock) are set to zero.
 */
function prepare(definition: AslDefinition, options: LocalExecutionOptions) {
  const { definition: prepared, waits } = waitsAsTasks(withoutExecutionTimeout(definition));
  const taskResourceLocalHandlers: Record<string, (input: never) => Promise<never>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of allStates(prepared)) {
    if (state.Retry) retryIntervalOverrides[name] = 0;
    if (state.Type !== "Task") continue;
    const wait = waits.get(name);
    const task = wait
      ? async (input: unknown) => {
          await options.clock.sleep(waitSeconds(wait, input) * 1000, options.signal);
          return input;
        }
      : options.tasks[name];
    if (!task) {
      throw new Error(`no local function for Task state "${name}" (resource ${state.Resource})`);
    }
    taskResourceLocalHandlers[name] = (input: unknown) =>
      options.clock.run(async () => {
        if (options.signal?.aborted) throw new ExecutionAbortedError();
        return task(input);
      }) as Promise<never>;
  }
  return { prepared, waits, overrides: { taskResourceLocalHandlers, retryIntervalOverrides } };
}

export async function runLocalExecution(
  definition: AslDefinition,
  options: LocalExecutionOptions,
): Promise<LocalExecutionResult> {
  assertUniqueStateNames(definition);
  const timeoutSeconds = options.timeoutSeconds ?? definition.TimeoutSeconds;
  const { prepared, waits, overrides } = prepare(definition, options);
  const machine = new StateMachine(prepared as never, {
    validationOptions: { checkArn: false, checkPaths: true },
  });
  const arn = executionArn(options.stateMachineName, options.name);
  const startedAt = options.clock.now();
  const execution = machine.run(options.input as never, {
    overrides: overrides as never,
    context: {
      Execution: {
        Id: arn,
        Name: options.name,
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/local`,
        RedriveCount: options.redriveCount ?? 0,
      },
      StateMachine: {
        Id: stateMachineArn(options.stateMachineName),
        Name: options.stateMachineName,
      },
    },
  });

  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      events.push(event);
      options.onEvent?.(event);
    }
  })();

  let reason: "timeout" | "stopped" | undefined;
  const stopTimer = new AbortController();
  const onStop = () => {
    reason ??= "stopped";
    execution.abort();
  };
  options.signal?.addEventListener("abort", onStop, { once: true });
  if (options.signal?.aborted) onStop();
  if (timeoutSeconds !== undefined) {
    void options.clock.after(timeoutSeconds * 1000, stopTimer.signal).then(() => {
      if (stopTimer.signal.aborted) return;
      reason ??= "timeout";
      execution.abort();
    });
  }

  const base = { name: options.name, executionArn: arn, startedAt, events };
  let result: LocalExecutionResult;
  try {
    const output = await execution.result;
    result = {
      ...base,
      status: "SUCCEEDED",
      output,
      stoppedAt: options.clock.now(),
      stateTransitions: 0,
    };
  } catch (error) {
    const stoppedAt = options.clock.now();
    if (error instanceof ExecutionAbortedError) {
      result = {
        ...base,
        status: reason === "timeout" ? "TIMED_OUT" : "ABORTED",
        error: reason === "timeout" ? "States.Timeout" : undefined,
        stoppedAt,
        stateTransitions: 0,
      };
    } else {
      const inner =
        error instanceof ExecutionError ? (error.cause as Error | undefined) : undefined;
      result = {
        ...base,
        status: "FAILED",
        error: inner?.name ?? (error as Error).name,
        cause: inner?.message ?? (error as Error).message,
        stoppedAt,
        stateTransitions: 0,
      };
    }
  } finally {
    stopTimer.abort();
    options.signal?.removeEventListener("abort", onStop);
  }
  await collecting;
  result.stateTransitions = events.filter((e) => e.type === "StateEntered").length;
  for (const event of events) {
    // Report the pauses as the Wait states they are.
    if ("state" in event && waits.has(event.state.name)) event.state.type = "Wait";
  }
  return result;
}
