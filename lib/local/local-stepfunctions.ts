/**
 * aws-local-stepfunctions, loaded so that Parallel states run every branch at once.
 *
 * The engine runs at most 40 Parallel branches at a time (a hard-coded p-limit), while
 * Step Functions starts every branch of a Parallel state together. A pipeline with more
 * than 40 independent steps would then run in waves locally and not on AWS. The engine's
 * CommonJS build is loaded with its `p-limit` import answered by an unbounded limiter;
 * the real p-limit stays in the module cache for everyone else.
 *
 * The engine's Map state asks the same module for `MaxConcurrency` (40 when unset), and
 * Parallel always for 40: a limit under 40 (a fan-out's max_concurrent_organizations,
 * lib/constructs/fan-out.ts) is the real p-limit's, so the organizations run that many at
 * a time as on AWS; 40 cannot be told from a Parallel's and runs unbounded (Step Functions
 * runs an inline Map at most 40 at once).
 */
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type * as Engine from "aws-local-stepfunctions";

const require = createRequire(import.meta.url);

/** The limit every Parallel state asks for (the engine's constant), and Map's default. */
const ENGINE_DEFAULT_CONCURRENCY = 40;

/** p-limit's interface without the limit: every call starts at once. */
function unboundedLimit() {
  const limit = <T>(fn: (...args: unknown[]) => T | Promise<T>, ...args: unknown[]) =>
    Promise.resolve().then(() => fn(...args));
  return Object.assign(limit, { activeCount: 0, pendingCount: 0, clearQueue: () => {} });
}

function loadEngine(): typeof Engine {
  const enginePath = require.resolve("aws-local-stepfunctions");
  const pLimitPath = require.resolve("p-limit", { paths: [enginePath] });
  const realLimit = require(pLimitPath) as (concurrency: number) => unknown;
  const previous = require.cache[pLimitPath];
  const shim = new (require("node:module") as { Module: new (id: string) => NodeJS.Module }).Module(
    pLimitPath,
  );
  shim.filename = pLimitPath;
  shim.loaded = true;
  shim.exports = (concurrency: number) =>
    concurrency > 0 && concurrency < ENGINE_DEFAULT_CONCURRENCY
      ? realLimit(concurrency)
      : unboundedLimit();
  require.cache[pLimitPath] = shim;
  try {
    return require(enginePath) as typeof Engine;
  } finally {
    if (previous) require.cache[pLimitPath] = previous;
    else delete require.cache[pLimitPath];
  }
}

const engine = loadEngine();

/**
 * The engine's and its asl-validator's versions: what a definition's validation verdict
 * depends on besides the definition and the options (see validated.ts).
 */
export const VALIDATOR_VERSIONS = (() => {
  const enginePath = require.resolve("aws-local-stepfunctions");
  const validatorPath = require.resolve("asl-validator", { paths: [enginePath] });
  return `aws-local-stepfunctions@${packageVersion(enginePath)} asl-validator@${packageVersion(validatorPath)}`;
})();

/** The version in the package.json nearest above a resolved module file. */
function packageVersion(file: string): string {
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, "package.json");
    if (existsSync(manifest)) {
      const { name, version } = JSON.parse(readFileSync(manifest, "utf8")) as Record<
        string,
        string
      >;
      if (name && version) return version;
    }
  }
  return "unknown";
}

export const StateMachine = engine.StateMachine;
export const ExecutionAbortedError = engine.ExecutionAbortedError;
export const ExecutionError = engine.ExecutionError;
export type StateMachine = Engine.StateMachine;

type ErrorClass = new () => Error;
let statesTimeoutError: Promise<ErrorClass> | undefined;

/**
 * The engine's `States.Timeout` error class. Its Retry and Catch tell a timeout apart from
 * `States.TaskFailed` by this class (a Task's `States.TaskFailed` does not match a
 * timeout), so a timeout taken on the local clock must be one. The package does not
 * export it: it is taken, once, from a one-state machine whose Task times out after 1 ms.
 */
export function statesTimeoutErrorClass(): Promise<ErrorClass> {
  statesTimeoutError ??= (async () => {
    const machine = new engine.StateMachine(
      {
        StartAt: "T",
        States: {
          T: {
            Type: "Task",
            Resource: "arn:aws:lambda:local-1:000000000000:function:timeout",
            TimeoutSeconds: 0.001,
            End: true,
          },
        },
      } as never,
      { validationOptions: { noValidate: true } },
    );
    const never = () => new Promise<never>(() => {});
    const run = machine.run({}, { overrides: { taskResourceLocalHandlers: { T: never } } });
    const error = await run.result.then(
      () => undefined,
      (e: unknown) => (e as { cause?: unknown }).cause,
    );
    if (!(error instanceof Error) || error.name !== "States.Timeout") {
      throw new Error("aws-local-stepfunctions: could not obtain its States.Timeout error class");
    }
    return error.constructor as ErrorClass;
  })();
  return statesTimeoutError;
}
