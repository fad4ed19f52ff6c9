/**
 * Small, dependency-free helpers over Amazon States Language definitions, used to
 * prepare a synthesized definition for the local engine.
 */

import { type AslDefinition, type AslState, allStates } from "../asl/definition";

/** State names must be unique across a definition for name-keyed local overrides. */
export function assertUniqueStateNames(definition: AslDefinition): void {
  const seen = new Set<string>();
  for (const [name] of allStates(definition)) {
    if (seen.has(name)) {
      throw new Error(`state name "${name}" is used twice; local overrides are keyed by name`);
    }
    seen.add(name);
  }
}

/**
 * The longest `TimeoutSeconds` the engine can hold: it times each Task with one Node
 * timer, and a timer holds at most 2^31-1 ms (about 24.8 days; a longer one fires at once).
 */
export const ENGINE_TIMER_MAX_SECONDS = 2_147_483;

/**
 * A deep copy without timeouts measured on the wall clock, and each Task's own timeout
 * by state name. The local runner enforces the execution's and every Task's timeout on
 * its own clock (which may be virtual) instead. A Task without `TimeoutSeconds` has none,
 * as on Step Functions (the engine's default of 60 seconds is not Step Functions').
 * @throws for timeouts the runner cannot take on its clock (paths, heartbeats)
 */
export function withoutWallClockTimeouts(definition: AslDefinition): {
  definition: AslDefinition;
  taskTimeouts: Map<string, number>;
} {
  const copy = structuredClone(definition);
  delete copy.TimeoutSeconds;
  const taskTimeouts = new Map<string, number>();
  for (const [name, state] of allStates(copy)) {
    if (state.Type !== "Task") continue;
    for (const field of ["TimeoutSecondsPath", "HeartbeatSeconds", "HeartbeatSecondsPath"]) {
      if (field in state) throw new Error(`Task state "${name}": ${field} does not run locally`);
    }
    if (typeof state.TimeoutSeconds === "number") taskTimeouts.set(name, state.TimeoutSeconds);
    state.TimeoutSeconds = ENGINE_TIMER_MAX_SECONDS;
  }
  return { definition: copy, taskTimeouts };
}

/**
 * Reads a dotted JSONPath (`$.a.b`, `$['a'].b`) from a value. Only the forms Wait
 * states use here are supported; anything else throws rather than guess.
 */
export function readPath(value: unknown, path: string): unknown {
  if (path === "$") return value;
  if (!path.startsWith("$")) throw new Error(`unsupported JSONPath "${path}"`);
  const parts: string[] = [];
  const re = /\.([A-Za-z0-9_-]+)|\['([^']+)'\]|\["([^"]+)"\]/y;
  re.lastIndex = 1;
  while (re.lastIndex < path.length) {
    const m = re.exec(path);
    if (!m) throw new Error(`unsupported JSONPath "${path}"`);
    parts.push((m[1] ?? m[2] ?? m[3]) as string);
  }
  let current: unknown = value;
  for (const part of parts) {
    if (current === null || typeof current !== "object") return undefined;
    current = (current as Record<string, unknown>)[part];
  }
  return current;
}

/** Resource given to Wait states turned into Tasks by `waitsAsTasks`. */
export const LOCAL_WAIT_RESOURCE = "arn:aws:states:::local:wait";

/**
 * A deep copy in which every Wait state is a Task state of the same name (and the same
 * InputPath, OutputPath and Next), so that the local runner can take the pause on its own
 * clock. Returns the original Wait states by name.
 */
export function waitsAsTasks(definition: AslDefinition): {
  definition: AslDefinition;
  waits: Map<string, AslState>;
} {
  const copy = structuredClone(definition);
  const waits = new Map<string, AslState>();
  const visit = (d: AslDefinition) => {
    for (const [name, state] of Object.entries(d.States)) {
      if (state.Type === "Wait") {
        waits.set(name, state);
        const { Seconds, SecondsPath, Timestamp, TimestampPath, Type, ...rest } = state;
        // No ResultPath: the default replaces the input with the result (the input itself).
        d.States[name] = { ...rest, Type: "Task", Resource: LOCAL_WAIT_RESOURCE };
      }
      for (const branch of state.Branches ?? []) visit(branch);
      const inner = state.ItemProcessor ?? state.Iterator;
      if (inner) visit(inner);
    }
  };
  visit(copy);
  return { definition: copy, waits };
}

/**
 * `States.Runtime`, as Step Functions fails an execution whose state cannot read its
 * input: no Retry or Catch matches it (the engine reads these two flags).
 */
export class StatesRuntimeError extends Error {
  override name = "States.Runtime";
  readonly isRetryable = false;
  readonly isCatchable = false;
}

/** Seconds a Wait state waits for the given input. */
export function waitSeconds(wait: AslState, input: unknown): number {
  if (typeof wait.Seconds === "number") return wait.Seconds;
  if (typeof wait.SecondsPath === "string") {
    const seconds = readPath(input, wait.SecondsPath);
    if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
      throw new StatesRuntimeError(
        `Wait SecondsPath ${wait.SecondsPath} is not a non-negative number`,
      );
    }
    return seconds;
  }
  throw new Error("only Seconds and SecondsPath Wait states run locally (not Timestamp)");
}

/**
 * Where the local engine reads the execution's input from: `$$.Execution.Input` of the
 * definition, rewritten (executionInputAsLocal) and set in the context by the engine.
 */
export const LOCAL_EXECUTION_INPUT_FIELD = "LocalInput";

/**
 * A copy in which `$$.Execution.Input` reads `$$.Execution.LocalInput`. On Step Functions
 * the context object's `Execution.Input` is the execution's input in every state; the
 * engine sets it to each Parallel branch's (and Map iteration's) own input instead, so a
 * per-organization machine's steps inside a Parallel would lose their organization
 * (lib/constructs/fan-out.ts). The engine keeps the rest of the context object as given,
 * so the input set there under another name stays the execution's.
 */
export function executionInputAsLocal(definition: AslDefinition): AslDefinition {
  const text = JSON.stringify(definition);
  if (!text.includes("$$.Execution.Input")) return definition;
  return JSON.parse(
    text.replace(/\$\$\.Execution\.Input\b/g, () => `$$.Execution.${LOCAL_EXECUTION_INPUT_FIELD}`),
  ) as AslDefinition;
}
