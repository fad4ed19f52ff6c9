/**
 * start-sync: starts the step's sync exactly once per (execution, step, attempt), or
 * follows on_conflict when the sync is already running.
 */
import { PolytomicConflictError, PolytomicNotFoundError } from "../polytomic/errors";
import type { StartResult, StepInput } from "./contract";
import type { Deps } from "./deps";
import { HandlerError } from "./errors";
import { startKey } from "./idempotency";
import type { Logger } from "./ports";
import { resolveSync } from "./resolve";
import { getSyncStatus, type RunView, startRun } from "./runs";
import type { Budget } from "./runtime";
import { isTerminalStatus } from "./status";

/** on_conflict "wait": sleeps between status checks grow from this... */
const WAIT_MIN_MS = 5_000;
/** ...up to this. */
const WAIT_MAX_MS = 60_000;
/** Start attempts before giving up on a sync that keeps getting busy again. */
const MAX_START_ATTEMPTS = 5;

export async function startSync(
  input: StepInput,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<StartResult> {
  const api = deps.polytomic;
  const call = () => ({ deadline: budget.deadline });
  const sync = await resolveSync(api, input.sync_type, input.sync, call());
  const slog = log.child({ sync_id: sync.id });
  const idempotencyKey = startKey(input.execution_name, input.step, input.attempt ?? 0);

  const result = (
    run: { id: string; status: string },
    attached: boolean,
    startedAt: number,
  ): StartResult => {
    const out: StartResult = {
      sync_id: sync.id,
      execution_id: run.id,
      status: run.status,
      started_at: new Date(startedAt).toISOString(),
      deadline: new Date(startedAt + input.timeout_seconds * 1000).toISOString(),
      attached,
    };
    if (sync.name) out.sync_name = sync.name;
    slog.info(attached ? "attached to the running execution" : "sync started", {
      execution_id: run.id,
      status: run.status,
    });
    return out;
  };

  let waitMs = WAIT_MIN_MS;
  let emptyConflicts = 0;
  for (;;) {
    try {
      const run = await startRun(api, input.sync_type, sync.id, input.options, {
        ...call(),
        idempotencyKey,
      });
      // The execution's creation time makes a retried start (same key, replayed answer)
      // report the same started_at and deadline.
      const created = run.created_at ? Date.parse(run.created_at) : Number.NaN;
      return result(run, false, Number.isNaN(created) ? deps.clock.now() : created);
    } catch (err) {
      if (err instanceof PolytomicNotFoundError) {
        throw new HandlerError(
          "Sync.NotFound",
          `${input.sync_type} sync ${sync.id} was not found`,
          {
            cause: err,
          },
        );
      }
      if (!(err instanceof PolytomicConflictError)) throw err;
      if (err.body?.key === "idempotency_conflict") {
        // A duplicate of this very start (same key) is still being processed: retry later
        // and get its replayed answer, rather than mistaking our own run for someone else's.
        throw new HandlerError(
          "Sync.Busy",
          `a start of ${input.sync_type} sync ${sync.id} with the same Idempotency-Key is still in progress`,
          { cause: err },
        );
      }
    }

    // 409: the sync is running already (or a duplicate of this very request is in flight).
    const current = await activeRun(deps, input, sync.id, budget);
    if (current === undefined) {
      emptyConflicts += 1;
      if (emptyConflicts >= MAX_START_ATTEMPTS) {
        throw new HandlerError(
          "Sync.Busy",
          `${input.sync_type} sync ${sync.id} answered 409 ${emptyConflicts} times but shows no running execution`,
        );
      }
      slog.info("409 but no execution is running any more; starting again");
      continue;
    }
    switch (input.on_conflict) {
      case "attach":
        return result(current, true, deps.clock.now());
      case "fail":
        throw new HandlerError(
          "Polytomic.Conflict",
          `${input.sync_type} sync ${sync.id} is already running (execution ${current.id}, status ${current.status}) and on_conflict is "fail"`,
        );
      case "wait": {
        slog.info("sync is busy; waiting for it to finish", {
          running_execution_id: current.id,
          wait_ms: waitMs,
        });
        if (!budget.fits(waitMs + 2_000)) {
          throw new HandlerError(
            "Sync.Busy",
            `${input.sync_type} sync ${sync.id} is still running (execution ${current.id}); on_conflict is "wait", trying again later`,
          );
        }
        await deps.sleep(waitMs);
        waitMs = Math.min(WAIT_MAX_MS, waitMs * 2);
        break;
      }
    }
  }
}

/** The sync's non-terminal current execution, if any. */
async function activeRun(
  deps: Deps,
  input: StepInput,
  syncId: string,
  budget: Budget,
): Promise<RunView | undefined> {
  const { current } = await getSyncStatus(deps.polytomic, input.sync_type, syncId, {
    deadline: budget.deadline,
  });
  if (!current || isTerminalStatus(input.sync_type, current.status)) return undefined;
  return current;
}
