/**
 * Callback tokens (`.waitForTaskToken`) on the local runner: the one documented exception to
 * "the synthesized definition runs as is" (DESIGN.md, docs/webhooks.md#offline). The engine
 * (aws-local-stepfunctions) neither issues `$$.Task.Token` nor waits for SendTaskSuccess, and
 * takes `TimeoutSecondsPath` on the wall clock; the runner emulates all three, as Step
 * Functions documents them ("Wait for a Callback with Task Token",
 * docs.aws.amazon.com/step-functions/latest/dg/connect-to-resource.html#connect-wait-token;
 * SendTaskSuccess API reference):
 * - the token is valid from the task's start: a SendTaskSuccess that comes while the
 *   invoked function still runs ends the wait too;
 * - the function failing fails the task with its error (Retry and Catch apply);
 * - SendTaskSuccess's output is the task's result; SendTaskFailure fails it with the given
 *   error and cause;
 * - the timeout (`TimeoutSeconds` or `TimeoutSecondsPath`, from the task's start, on the run's
 *   clock) fails it with `States.Timeout`; a `TimeoutSecondsPath` that is not a positive
 *   integer fails the execution with `States.Runtime`;
 * - once the task ended (for any reason, the execution stopping included) the token is
 *   closed: SendTaskSuccess and SendTaskFailure answer `TaskTimedOut`; a token never issued
 *   answers `InvalidToken`.
 */
import { randomUUID } from "node:crypto";
import type { TaskTokens } from "../../functions/core/event-wait";
import { type AslDefinition, type AslState, allStates } from "../asl/definition";
import { StatesRuntimeError } from "./asl";
import type { LocalTask } from "./engine";
import type { LocalClock } from "./virtual-clock";

/** Resources of Tasks that wait for a token. */
export const WAIT_FOR_TASK_TOKEN = /\.waitForTaskToken$/;

/** Step Functions' default when a Task has no timeout (States Language, Task state). */
const DEFAULT_TIMEOUT_SECONDS = 99_999_999;

/** What the definition's `$$.Task.Token` becomes until the task starts and a token exists. */
const TOKEN_PLACEHOLDER = "local:task-token";
/** The Parameters field that carries the evaluated `TimeoutSecondsPath` to the local task. */
const TIMEOUT_FIELD = "local_timeout_seconds";

function serviceError(name: string, message: string): Error {
  const error = new Error(message);
  error.name = name;
  return error;
}

type Settled = { output: unknown } | { error: Error };

/** The tokens of a local run: issued by token tasks, settled through SendTaskSuccess/Failure. */
export class LocalTaskTokens implements TaskTokens {
  private readonly open = new Map<string, (settled: Settled) => void>();
  private readonly closed = new Set<string>();

  async succeed(token: string, output: unknown): Promise<void> {
    this.settle(token, { output: structuredClone(output) });
  }

  async fail(token: string, error: string, cause: string): Promise<void> {
    this.settle(token, { error: serviceError(error, cause) });
  }

  private settle(token: string, settled: Settled): void {
    const settle = this.open.get(token);
    if (settle) {
      settle(settled);
      return;
    }
    if (this.closed.has(token)) throw serviceError("TaskTimedOut", "Task Timed Out");
    throw serviceError("InvalidToken", "Invalid Token");
  }

  /**
   * One token task: issues a token, starts `invoke` with it, and waits until the token is
   * settled, `timeoutMs` after the start passed on the clock (`timeoutError`), or `signal`
   * aborted (the execution stopped).
   */
  async run(
    clock: LocalClock,
    timeoutMs: number,
    invoke: (token: string) => Promise<unknown>,
    timeoutError: new () => Error,
    signal?: AbortSignal,
  ): Promise<unknown> {
    const token = `local-${randomUUID()}`;
    const done = new AbortController();
    let settled: Settled | undefined;
    this.open.set(token, (s) => {
      settled ??= s;
      done.abort();
    });
    try {
      const deadline = clock.now() + timeoutMs;
      await invoke(token);
      const stop = signal ? AbortSignal.any([done.signal, signal]) : done.signal;
      if (!settled && deadline > clock.now()) await clock.sleep(deadline - clock.now(), stop);
      const end = settled as Settled | undefined; // set by the callback above
      if (!end)
        throw signal?.aborted ? serviceError("States.Aborted", "stopped") : new timeoutError();
      if ("error" in end) throw end.error;
      return end.output;
    } finally {
      this.open.delete(token);
      this.closed.add(token);
    }
  }
}

/**
 * A deep copy in which each token Task's `$$.Task.Token` is a placeholder and its
 * `TimeoutSecondsPath` an extra Parameters field (the engine would time it on the wall
 * clock), with the names of those Tasks. Their state input is only read through Parameters,
 * so the local task sees both values as Step Functions would have evaluated them.
 */
export function tokenTasksAsLocal(definition: AslDefinition): {
  definition: AslDefinition;
  tokenTasks: Set<string>;
} {
  const copy = structuredClone(definition);
  const tokenTasks = new Set<string>();
  for (const [name, state] of allStates(copy)) {
    if (state.Type !== "Task" || !WAIT_FOR_TASK_TOKEN.test(state.Resource ?? "")) continue;
    tokenTasks.add(name);
    const params = replaceTokenPath(state.Parameters ?? {}) as Record<string, unknown>;
    if (typeof state.TimeoutSecondsPath === "string") {
      params[`${TIMEOUT_FIELD}.$`] = state.TimeoutSecondsPath;
      delete state.TimeoutSecondsPath;
    }
    state.Parameters = params;
  }
  return { definition: copy, tokenTasks };
}

function replaceTokenPath(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(replaceTokenPath);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (key.endsWith(".$") && v === "$$.Task.Token") out[key.slice(0, -2)] = TOKEN_PLACEHOLDER;
    else out[key] = replaceTokenPath(v);
  }
  return out;
}

function withToken(value: unknown, token: string): unknown {
  if (value === TOKEN_PLACEHOLDER) return token;
  if (Array.isArray(value)) return value.map((v) => withToken(v, token));
  if (value === null || typeof value !== "object") return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)]));
}

/**
 * The local function of a token Task: the Lambda's `Payload` (with the token) goes to
 * `fn`, as `lambda:invoke` would send it; then the wait. `staticTimeoutSeconds` is the
 * state's own `TimeoutSeconds`, used when it has no `TimeoutSecondsPath`.
 */
export function tokenTask(
  state: AslState,
  fn: LocalTask,
  tokens: LocalTaskTokens,
  clock: LocalClock,
  staticTimeoutSeconds: number | undefined,
  timeoutError: new () => Error,
): LocalTask {
  if (!/^arn:aws:states:::lambda:invoke\.waitForTaskToken$/.test(state.Resource ?? "")) {
    throw new Error(`token Task with ${state.Resource} does not run locally (lambda:invoke only)`);
  }
  return async (input, signal) => {
    const { [TIMEOUT_FIELD]: fromPath, ...params } = input as Record<string, unknown>;
    const seconds = fromPath ?? staticTimeoutSeconds ?? DEFAULT_TIMEOUT_SECONDS;
    if (typeof seconds !== "number" || !Number.isInteger(seconds) || seconds < 1) {
      throw new StatesRuntimeError(`TimeoutSecondsPath is not a positive integer: ${seconds}`);
    }
    return tokens.run(
      clock,
      seconds * 1000,
      (token) => fn((withToken(params, token) as { Payload?: unknown }).Payload, signal),
      timeoutError,
      signal,
    );
  };
}
