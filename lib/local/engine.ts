/**
 * Runs one synthesized state machine definition in aws-local-stepfunctions, the way
 * Step Functions would, with every Task bound to a local function by state name and
 * all time (Wait states, the execution timeout) measured on a `LocalClock`.
 */

import { type AslDefinition, type AslState, allStates } from "../asl/definition";
import {
  assertUniqueStateNames,
  executionInputAsLocal,
  LOCAL_EXECUTION_INPUT_FIELD,
  waitSeconds,
  waitsAsTasks,
  withoutWallClockTimeouts,
} from "./asl";
import {
  ExecutionAbortedError,
  ExecutionError,
  StateMachine,
  statesTimeoutErrorClass,
} from "./local-stepfunctions";
import { type LocalTaskTokens, tokenTask, tokenTasksAsLocal } from "./task-tokens";
import { validateDefinition } from "./validated";
import type { LocalClock } from "./virtual-clock";

/**
 * A Task state's local function. `signal` aborts when the task is given up: its
 * `TimeoutSeconds` passed or the execution stopped (a `.sync` child is stopped then).
 */
export type LocalTask = (input: unknown, signal?: AbortSignal) => Promise<unknown>;

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
  /** For the full jitter of Retry pauses. @default Math.random */
  random?: () => number;
  /**
   * The run's callback tokens, for `.waitForTaskToken` Tasks (lib/local/task-tokens.ts): their
   * local function gets the Lambda payload with the token, and the task then waits for
   * `tokens.succeed`/`fail` or its timeout on the clock.
   * @default - a definition with token Tasks does not run
   */
  tokens?: LocalTaskTokens;
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
  /** States entered (Step Functions also bills each retry: billedTransitions). */
  stateTransitions: number;
  /** Every event the engine reported, in order. */
  events: EventLog[];
}

const REGION = "local-1";
const ACCOUNT = "000000000000";

export function executionArn(stateMachineName: string, name: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:execution:${stateMachineName}:${name}`;
}

/**
 * Billed state transitions of one execution: states entered plus Task retries ("each
 * retry will be charged as an additional state transition",
 * https://aws.amazon.com/step-functions/pricing/), both counted from the engine's events.
 * The run-sync machine's retry loop polls by retries (functions/core/polling.ts).
 */
export function billedTransitions(execution: {
  stateTransitions: number;
  events: readonly { type: string }[];
}): number {
  return (
    execution.stateTransitions + execution.events.filter((e) => e.type === "StateRetried").length
  );
}

export function stateMachineArn(stateMachineName: string): string {
  return `arn:aws:states:${REGION}:${ACCOUNT}:stateMachine:${stateMachineName}`;
}

interface Retrier {
  ErrorEquals: string[];
  IntervalSeconds?: number;
  MaxAttempts?: number;
  BackoffRate?: number;
  MaxDelaySeconds?: number;
  JitterStrategy?: "FULL" | "NONE";
}

/**
 * A Task state's Retry pauses, taken on the clock. The engine decides to retry exactly as
 * mirrored here (first retrier whose ErrorEquals matches, while it has attempts left),
 * but pauses on the wall clock, so its pause is set to zero and this one is taken before
 * the retried call instead: IntervalSeconds × BackoffRate^n, capped by MaxDelaySeconds,
 * with full jitter when asked.
 */
class RetryPauses {
  private readonly attempts: number[];
  private pauseMs = 0;

  constructor(
    private readonly retriers: readonly Retrier[],
    private readonly random: () => number = Math.random,
  ) {
    this.attempts = retriers.map(() => 0);
  }

  takePause(): number {
    const pause = this.pauseMs;
    this.pauseMs = 0;
    return pause;
  }

  succeeded(): void {
    this.attempts.fill(0);
  }

  failed(error: unknown): void {
    const name = error instanceof Error ? error.name : "";
    const index = this.retriers.findIndex((r) =>
      r.ErrorEquals.some(
        (e) =>
          e === name ||
          e === "States.ALL" ||
          (e === "States.TaskFailed" && name !== "States.Timeout"),
      ),
    );
    const retrier = this.retriers[index];
    const attempt = this.attempts[index];
    if (!retrier || attempt === undefined || attempt >= (retrier.MaxAttempts ?? 3)) {
      this.succeeded(); // not retried: the next entry into the state starts afresh
      return;
    }
    this.attempts[index] = attempt + 1;
    const interval = (retrier.IntervalSeconds ?? 1) * (retrier.BackoffRate ?? 2) ** attempt;
    const capped = Math.min(interval, retrier.MaxDelaySeconds ?? Number.POSITIVE_INFINITY);
    const seconds = retrier.JitterStrategy === "FULL" ? this.random() * capped : capped;
    this.pauseMs = Math.round(seconds * 1000);
  }
}

/**
 * Prepares the definition and the engine's overrides: Wait states become Tasks that
 * pause on the clock, each Task state runs its local function as work in flight on the
 * clock, and Retry pauses and Task timeouts are taken on the clock too (the engine's own
 * are wall-clock).
 */
async function prepare(definition: AslDefinition, options: LocalExecutionOptions) {
  const { prepared, waits, taskTimeouts, tokenTasks } = localDefinition(definition);
  const timeoutError = await statesTimeoutErrorClass();
  const taskResourceLocalHandlers: Record<string, (input: never) => Promise<never>> = {};
  const retryIntervalOverrides: Record<string, number> = {};
  for (const [name, state] of allStates(prepared)) {
    if (state.Retry) retryIntervalOverrides[name] = 0;
    if (state.Type !== "Task") continue;
    let task = localTask(name, state, waits.get(name), options);
    let timeoutMs = (taskTimeouts.get(name) ?? Number.POSITIVE_INFINITY) * 1000;
    if (tokenTasks.has(name)) {
      if (!options.tokens)
        throw new Error(`Task state "${name}" waits for a task token: give the run its tokens`);
      task = tokenTask(
        state,
        task,
        options.tokens,
        options.clock,
        taskTimeouts.get(name),
        timeoutError,
      );
      timeoutMs = Number.POSITIVE_INFINITY; // the token task takes its own timeout
    }
    const retries = new RetryPauses((state.Retry ?? []) as Retrier[], options.random);
    taskResourceLocalHandlers[name] = (input: unknown) =>
      options.clock.run(async () => {
        const pause = retries.takePause();
        if (pause > 0) await options.clock.sleep(pause, options.signal);
        if (options.signal?.aborted) throw new ExecutionAbortedError();
        try {
          const output = await withTimeout(task, input, timeoutMs, timeoutError, options);
          retries.succeeded();
          return output;
        } catch (error) {
          retries.failed(error);
          throw error;
        }
      }) as Promise<never>;
  }
  return { prepared, waits, overrides: { taskResourceLocalHandlers, retryIntervalOverrides } };
}

interface LocalDefinition {
  /** The definition as the engine runs it: Waits as Tasks, no wall-clock timeouts. */
  prepared: AslDefinition;
  waits: Map<string, AslState>;
  taskTimeouts: Map<string, number>;
  /** Tasks that wait for a callback token (emulated: lib/local/task-tokens.ts). */
  tokenTasks: Set<string>;
}

/** Each definition, prepared and validated once: a run starts one execution per step. */
const localDefinitions = new WeakMap<AslDefinition, LocalDefinition>();

/**
 * The definition prepared for the engine, validated (asl-validator, through the engine)
 * the first time only: validation compiles a JSON Schema each time, which was most of
 * the CPU a local run spent (and a pass is remembered across runs: validated.ts).
 */
function localDefinition(definition: AslDefinition): LocalDefinition {
  const known = localDefinitions.get(definition);
  if (known) return known;
  assertUniqueStateNames(definition);
  const { definition: withWaits, waits } = waitsAsTasks(executionInputAsLocal(definition));
  const { definition: withTokens, tokenTasks } = tokenTasksAsLocal(withWaits);
  const { definition: prepared, taskTimeouts } = withoutWallClockTimeouts(withTokens);
  validateDefinition(prepared);
  const local = { prepared, waits, taskTimeouts, tokenTasks };
  localDefinitions.set(definition, local);
  return local;
}

/** The local function of a Task state: a Wait state's pause, or the one given by name. */
function localTask(
  name: string,
  state: AslState,
  wait: AslState | undefined,
  options: LocalExecutionOptions,
): LocalTask {
  if (wait) {
    return async (input, signal) => {
      await options.clock.sleep(waitSeconds(wait, input) * 1000, signal);
      return input;
    };
  }
  const task = options.tasks[name];
  if (!task) {
    throw new Error(`no local function for Task state "${name}" (resource ${state.Resource})`);
  }
  return task;
}

/**
 * Runs one invocation of a Task, given up with the engine's `States.Timeout` once
 * `timeoutMs` passed on the clock. Its signal aborts when it is given up or the
 * execution stops, so that a `.sync` child stops with it.
 */
async function withTimeout(
  task: LocalTask,
  input: unknown,
  timeoutMs: number,
  timeoutError: new () => Error,
  options: LocalExecutionOptions,
): Promise<unknown> {
  const given = new AbortController();
  const signal = options.signal ? AbortSignal.any([given.signal, options.signal]) : given.signal;
  const timer = new AbortController();
  try {
    const work = task(input, signal);
    if (timeoutMs === Number.POSITIVE_INFINITY) return await work;
    const expiry = options.clock.after(timeoutMs, timer.signal).then(() => {
      if (!timer.signal.aborted) throw new timeoutError();
    });
    return await Promise.race([work, expiry]);
  } finally {
    timer.abort();
    given.abort();
  }
}

export async function runLocalExecution(
  definition: AslDefinition,
  options: LocalExecutionOptions,
): Promise<LocalExecutionResult> {
  // Preparing may wait on a real timer (the 1 ms run statesTimeoutErrorClass takes once):
  // it is work in flight, or a virtual clock with a sleeper could move on meanwhile.
  const { prepared, waits, overrides } = await options.clock.run(() =>
    prepare(definition, options),
  );
  const arn = executionArn(options.stateMachineName, options.name);
  const startedAt = options.clock.now();
  const execution = startEngine(prepared, overrides, arn, options);
  const events: EventLog[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      // The engine stamps events with the wall clock; a history's times are the run's clock
      // (the virtual clock stands still while work is in flight, so this is the event's time).
      event.timestamp = options.clock.now();
      events.push(event);
      options.onEvent?.(event);
    }
  })();
  const stops = armStops(execution, options.timeoutSeconds ?? definition.TimeoutSeconds, options);
  let end: ExecutionEnd;
  try {
    end = { status: "SUCCEEDED", output: await execution.result };
  } catch (error) {
    end = failedEnd(error, stops.reason());
  } finally {
    stops.dispose();
  }
  const stoppedAt = options.clock.now();
  await collecting;
  for (const event of events) {
    // Report the pauses as the Wait states they are.
    if ("state" in event && waits.has(event.state.name)) event.state.type = "Wait";
  }
  return {
    name: options.name,
    executionArn: arn,
    startedAt,
    events,
    ...end,
    stoppedAt,
    stateTransitions: events.filter((e) => e.type === "StateEntered").length,
  };
}

/** How an execution ended: its status and output, or its error and cause. */
type ExecutionEnd = Pick<LocalExecutionResult, "status" | "output" | "error" | "cause">;

/** Starts the prepared definition in the engine, with the context object Step Functions gives. */
function startEngine(
  prepared: AslDefinition,
  overrides: unknown,
  arn: string,
  options: LocalExecutionOptions,
): Execution {
  const machine = new StateMachine(prepared as never, {
    validationOptions: { noValidate: true }, // validated once by localDefinition
  });
  return machine.run(options.input as never, {
    overrides: overrides as never,
    context: {
      Execution: {
        Id: arn,
        Name: options.name,
        RoleArn: `arn:aws:iam::${ACCOUNT}:role/local`,
        RedriveCount: options.redriveCount ?? 0,
        [LOCAL_EXECUTION_INPUT_FIELD]: options.input,
      },
      StateMachine: {
        Id: stateMachineArn(options.stateMachineName),
        Name: options.stateMachineName,
      },
    },
  });
}

/**
 * Stops the execution when `options.signal` aborts (StopExecution) or its timeout passes on
 * the clock; `reason()` tells which came first.
 */
function armStops(
  execution: Execution,
  timeoutSeconds: number | undefined,
  options: LocalExecutionOptions,
): { reason: () => "timeout" | "stopped" | undefined; dispose: () => void } {
  let reason: "timeout" | "stopped" | undefined;
  const timer = new AbortController();
  const onStop = () => {
    reason ??= "stopped";
    execution.abort();
  };
  options.signal?.addEventListener("abort", onStop, { once: true });
  if (options.signal?.aborted) onStop();
  if (timeoutSeconds !== undefined) {
    void options.clock.after(timeoutSeconds * 1000, timer.signal).then(() => {
      if (timer.signal.aborted) return;
      reason ??= "timeout";
      execution.abort();
    });
  }
  return {
    reason: () => reason,
    dispose: () => {
      timer.abort();
      options.signal?.removeEventListener("abort", onStop);
    },
  };
}

/** The end of an execution the engine rejected: stopped, timed out, or failed with an error. */
function failedEnd(error: unknown, reason: "timeout" | "stopped" | undefined): ExecutionEnd {
  if (error instanceof ExecutionAbortedError) {
    return reason === "timeout"
      ? { status: "TIMED_OUT", error: "States.Timeout" }
      : { status: "ABORTED" };
  }
  const inner = error instanceof ExecutionError ? (error.cause as Error | undefined) : undefined;
  return {
    status: "FAILED",
    error: inner?.name ?? (error as Error).name,
    cause: inner?.message ?? (error as Error).message,
  };
}
