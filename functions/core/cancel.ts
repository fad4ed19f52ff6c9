/**
 * cancel-sync: cancels a run and waits (within the invocation's budget) until the cancel
 * took effect. Idempotent: cancelling an ended run, or one the API no longer knows, is
 * "nothing to cancel".
 */
import { PolytomicConflictError, PolytomicNotFoundError } from "../polytomic/errors";
import { CANCEL_ON_STATUSES, type CancelResult, type StepInput, type SyncType } from "./contract";
import type { Deps } from "./deps";
import { deriveKey } from "./idempotency";
import type { CancelInput, StartedState } from "./input";
import type { Logger } from "./ports";
import { resolveSync } from "./resolve";
import { cancelRun, getRun, getSyncStatus } from "./runs";
import { type Budget, stepFields } from "./runtime";
import { isSpecTerminalStatus, isTerminalStatus } from "./status";

const POLL_MIN_MS = 1_000;
const POLL_MAX_MS = 10_000;
/**
 * Clock skew tolerated between Step Functions' startDate and Polytomic's created_at when
 * deciding whether a running execution may have been started by the stopped run-sync.
 */
export const START_SKEW_MS = 60_000;

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
 * EventBridge path: a run-sync execution stopped (aborted, timed out, failed) without its
 * own cleanup running, so the Polytomic run it started may still be going. The event names
 * the sync but not the Polytomic execution, so we read the sync's current execution and
 * cancel it only when it was created at or after the run-sync execution started (minus a
 * small clock skew): an execution created earlier cannot have been started by that
 * run-sync (it was someone else's, or a schedule's, which we must not touch). With
 * on_conflict "attach" the run-sync may have adopted an older execution; we still leave
 * that one alone, because it was never ours to start and others may depend on it.
 * Likewise an execution created after the run-sync stopped (plus the skew) is someone
 * else's (a schedule's, a rerun's) and is left alone.
 */
async function cancelAfterStop(
  input: Extract<CancelInput, { kind: "event" }>,
  deps: Deps,
  eventLog: Logger,
  budget: Budget,
): Promise<CancelResult> {
  const step: StepInput = input.input;
  // The event's own fields do not name the step: log it from the stopped execution's input.
  const log = eventLog.child(stepFields(step));
  if (!STOPPED.has(input.status)) {
    log.info("execution did not stop abnormally; nothing to cancel", { sfn_status: input.status });
    return { status: "none", canceled: false, already_terminal: true };
  }
  let sync: { id: string };
  let status: Awaited<ReturnType<typeof getSyncStatus>>;
  try {
    sync = await resolveSync(deps.polytomic, step.sync_type, step.sync, {
      deadline: budget.deadline,
    });
    status = await getSyncStatus(deps.polytomic, step.sync_type, sync.id, {
      deadline: budget.deadline,
    });
  } catch (err) {
    // A sync that does not exist (the usual reason such a step failed) runs nothing.
    if (err instanceof PolytomicNotFoundError || (err as Error).name === "Sync.NotFound") {
      log.info("the sync does not exist; nothing to cancel");
      return { status: "none", canceled: false, already_terminal: true };
    }
    throw err;
  }
  const { current, last } = status;
  // An unknown status is not taken as ended here: cancelling a run that did end is harmless.
  if (!current || isSpecTerminalStatus(step.sync_type, current.status)) {
    log.info("no running execution; nothing to cancel", { sync_id: sync.id });
    return {
      status: current?.status ?? last?.status ?? "none",
      canceled: false,
      already_terminal: true,
    };
  }
  const created = current.created_at ? Date.parse(current.created_at) : Number.NaN;
  const tooLate = input.stopDate !== undefined && created > input.stopDate + START_SKEW_MS;
  if (Number.isNaN(created) || created < input.startDate - START_SKEW_MS || tooLate) {
    log.info(
      "the running execution was not started by the stopped run-sync execution; leaving it alone",
      {
        sync_id: sync.id,
        execution_id: current.id,
      },
    );
    return { status: current.status, canceled: false, already_terminal: false };
  }
  return cancelExecution(step, step.sync_type, sync.id, current.id, deps, log, budget);
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
