/**
 * cancel-sync: cancels a run and waits (within the invocation's budget) until the cancel
 * took effect. Idempotent: cancelling an ended run, or one the API no longer knows, is
 * "nothing to cancel".
 */
import { PolytomicConflictError, PolytomicNotFoundError } from "../polytomic/errors";
import { CANCEL_ON_STATUSES, type CancelResult, type StepInput, type SyncType } from "./contract";
import type { Deps } from "./deps";
import { HandlerError } from "./errors";
import { exportLogs } from "./export";
import { type ExecutionHistory, PUBLISH_STATES, START_SYNC_STATE } from "./history";
import { deriveKey } from "./idempotency";
import { type CancelInput, parseStartedState, pendingStartOf, type StartedState } from "./input";
import type { Logger } from "./ports";
import { publishMetrics } from "./publish";
import { cancelRun, getRun } from "./runs";
import { type Budget, stepFields } from "./runtime";
import { isSpecTerminalStatus, isTerminalStatus } from "./status";

const POLL_MIN_MS = 1_000;
const POLL_MAX_MS = 10_000;
const STOPPED: ReadonlySet<string> = new Set(CANCEL_ON_STATUSES);

export async function cancelSync(
  input: CancelInput,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<CancelResult> {
  return input.kind === "run"
    ? cancelStarted(input.state, deps, log, budget)
    : cancelAfterStop(input, deps, log, budget);
}

/** Timeout path: cancel the execution start-sync started (or attached to). */
async function cancelStarted(
  state: StartedState,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<CancelResult> {
  return cancelExecution(
    state,
    state.sync_type,
    state.start.sync_id,
    state.start.execution_id,
    deps,
    log,
    budget,
  );
}

/**
 * EventBridge path: a run-sync execution ended ABORTED, TIMED_OUT or FAILED, possibly
 * without its own cleanup running (stopped, timed out, or failed past its Catch: the
 * 25,000-event history limit, a States.Runtime error), so a Polytomic run it started may
 * still be going. Which runs it started is read from its own history: every exit of the
 * start state whose `$.start` is a StartResult (a StartPending started nothing). Only
 * those runs are cancelled, never "the sync's current run", which may be someone else's.
 * A run it adopted (on_conflict "attach") was never its own to start and others may
 * depend on it: left alone. A start that timed out before answering leaves no id in the
 * history; that run is not cancelled here (it ends at its own pace).
 */
async function cancelAfterStop(
  input: Extract<CancelInput, { kind: "event" }>,
  deps: Deps,
  eventLog: Logger,
  budget: Budget,
): Promise<CancelResult> {
  const step: StepInput = input.input;
  // The event's own fields do not name the step: log it from the stopped execution's input.
  const log = eventLog.child({ ...stepFields(step), run_sync_execution: input.execution });
  if (!STOPPED.has(input.status)) {
    log.info("execution did not stop abnormally; nothing to cancel", { sfn_status: input.status });
    return NOTHING;
  }
  if (!deps.executionHistory) {
    throw new HandlerError(
      "Config.Invalid",
      "cancel-sync cannot read execution histories, so it cannot tell which run the execution started: nothing was cancelled",
    );
  }
  const outputs = await deps.executionHistory.stateOutputs(input.execution, START_SYNC_STATE, {
    deadline: budget.deadline,
  });
  const runs = startedRuns(outputs, log);
  if (runs.length === 0) {
    log.info("the execution started no run; nothing to cancel", { sfn_status: input.status });
    return NOTHING;
  }
  const cleanUp = !(await publishedItself(input.execution, deps, budget));
  let result: CancelResult = NOTHING;
  for (const state of runs) {
    const run = state.start;
    if (run.attached) {
      log.info("the execution adopted a run it did not start; leaving it alone", {
        sync_id: run.sync_id,
        execution_id: run.execution_id,
      });
      continue;
    }
    result = await cancelExecution(
      step,
      step.sync_type,
      run.sync_id,
      run.execution_id,
      deps,
      log,
      budget,
    );
    if (cleanUp) result = { ...result, ...(await exportAndPublish(state, deps, log, budget)) };
  }
  return result;
}

/**
 * Whether the stopped execution published its step's metrics itself (it failed through its
 * own Fail states, after exporting the logs): then the logs and metrics are not done twice.
 */
async function publishedItself(execution: string, deps: Deps, budget: Budget): Promise<boolean> {
  for (const state of PUBLISH_STATES) {
    const outputs = await (deps.executionHistory as ExecutionHistory).stateOutputs(
      execution,
      state,
      { deadline: budget.deadline },
    );
    if (outputs.length > 0) return true;
  }
  return false;
}

/**
 * What the stopped execution never got to do for its run: export its logs and publish its
 * metrics (a failed step, as the machine's own failure path publishes), both best effort.
 */
async function exportAndPublish(
  state: StartedState,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<Pick<CancelResult, "logs" | "metrics_published">> {
  const logs = await exportLogs(state, deps.config.logTypes, deps, log, budget);
  const metrics = await publishMetrics({ ...state, logs }, deps, log);
  return { logs: logs.keys, metrics_published: metrics.published };
}

const NOTHING: CancelResult = { status: "none", canceled: false, already_terminal: true };

/**
 * The distinct runs start-sync answered with, from the start state's outputs, oldest
 * first: each with the state it was started in (the step's input and `start`).
 */
function startedRuns(outputs: readonly unknown[], log: Logger): StartedState[] {
  const runs = new Map<string, StartedState>();
  for (const output of outputs) {
    if (pendingStartOf(output)) continue;
    let state: StartedState;
    try {
      state = parseStartedState(output);
    } catch (err) {
      log.warn("a start state output without a readable run; skipped", {
        error: (err as Error).message,
      });
      continue;
    }
    if (!runs.has(state.start.execution_id)) runs.set(state.start.execution_id, state);
  }
  return [...runs.values()];
}

async function cancelExecution(
  step: StepInput,
  type: SyncType,
  syncId: string,
  executionId: string,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<CancelResult> {
  const api = deps.polytomic;
  const clog = log.child({ sync_id: syncId, execution_id: executionId });
  const call = () => ({ deadline: budget.deadline });
  let run: { status: string };
  try {
    run = await getRun(api, type, syncId, executionId, call());
  } catch (err) {
    if (err instanceof PolytomicNotFoundError) {
      clog.info("execution not found; nothing to cancel");
      return { status: "not_found", canceled: false, already_terminal: false };
    }
    throw err;
  }
  if (isSpecTerminalStatus(type, run.status)) {
    clog.info("execution already ended; nothing to cancel", { status: run.status });
    return { status: run.status, canceled: false, already_terminal: true };
  }

  const idempotencyKey = deriveKey(
    "cancel",
    step.execution_name,
    step.step,
    step.attempt ?? 0,
    executionId,
  );
  try {
    await cancelRun(api, type, syncId, executionId, { ...call(), idempotencyKey });
    clog.info("cancel requested", { status: run.status });
  } catch (err) {
    if (err instanceof PolytomicNotFoundError) {
      return { status: "not_found", canceled: false, already_terminal: false };
    }
    // 409: already canceling or just ended; the status read below tells which.
    if (!(err instanceof PolytomicConflictError)) throw err;
  }

  let wait = POLL_MIN_MS;
  for (;;) {
    run = await getRun(api, type, syncId, executionId, call());
    if (isTerminalStatus(type, run.status) || !budget.fits(wait + 2_000)) break;
    await deps.sleep(wait);
    wait = Math.min(POLL_MAX_MS, wait * 2);
  }
  const canceled = run.status === "canceled";
  clog.info(canceled ? "execution canceled" : "cancel not (yet) effective", { status: run.status });
  return { status: run.status, canceled, already_terminal: false };
}
