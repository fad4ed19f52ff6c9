/**
 * start-sync: starts the step's sync exactly once per (execution, step, attempt), or
 * follows on_conflict when the sync is already running.
 *
 * Idempotency. Polytomic replays the first answer to an Idempotency-Key to every later
 * request with that key, error answers included. So:
 * - a start that got no answer (network error, timeout) is retried with the same key,
 *   here by the client and then by the Task's Retry: the replay says what became of it;
 * - a start answered with a transient error (429, 5xx), or a 409 that this step will wait
 *   out, is tried again with the next key (`key_index` + 1). Which key is next must
 *   outlive the invocation, so start-sync does not loop: it returns a StartPending and the
 *   run-sync machine waits `retry_after_seconds`, then calls it again with that at `$.start`.
 * A 409 is decided from documented facts only, never from its (undocumented) body: the
 * sync's status and current execution, and what this step sent. A running execution created
 * since the step's first start may be the step's own (a request with this key still in
 * flight, from a duplicate invocation); before on_conflict "fail" or "wait" acts on it, the
 * same key is sent again after a wait, as Polytomic's idempotency guide says to ("wait, then
 * retry"): a key in flight then replays its answer, this step's run.
 * A start answered 5xx or 408 may have created a run all the same, and so may one whose
 * key had an unanswered attempt in flight when a 409 came, or one answered 409 while nothing
 * was running (its key may still be in flight): `maybe_started` is set, and a
 * run created since the step's first start, running (the next key's 409) or already ended
 * (the sync's recent runs), is adopted as the step's own. The step's timeout is its whole
 * budget: no wait goes past it, and a start it has run out on is not sent.
 */
import {
  PolytomicConflictError,
  PolytomicError,
  PolytomicNotFoundError,
  PolytomicRateLimitError,
} from "../polytomic/errors";
import { noteRetry } from "../polytomic/retry-scope";
import type { StartPending, StartResult, StepInput } from "./contract";
import type { Deps } from "./deps";
import { HandlerError, invalidInput } from "./errors";
import { deriveKey, startKey } from "./idempotency";
import type { Logger } from "./ports";
import { resolveSync } from "./resolve";
import { getSyncStatus, type RunView, recentRuns, type StartedRun, startRun } from "./runs";
import type { Budget } from "./runtime";
import { isTerminalStatus } from "./status";

/** on_conflict "wait": the waits between starts grow from this... */
export const WAIT_MIN_SECONDS = 5;
/** ...up to this. */
export const WAIT_MAX_SECONDS = 60;
/** Transient answers (429, 5xx, a 409 with nothing running) before the step gives up. */
export const MAX_START_ERRORS = 8;
/** Backoff after a transient answer: 2 s doubling, at most a minute, full jitter. */
const ERROR_BACKOFF_BASE_SECONDS = 2;
const ERROR_BACKOFF_MAX_SECONDS = 60;
/**
 * Clock skew tolerated between the step's first start and Polytomic's created_at when
 * deciding that a running execution was created by one of this step's own starts.
 */
const OWN_RUN_SKEW_MS = 60_000;

export interface StartInput extends StepInput {
  /** start-sync's previous answer, when it was a StartPending. */
  previous?: StartPending;
}

/** The Idempotency-Key of a step's `index`-th start: 0 is the step's own key. */
export function startKeyAt(input: StepInput, index: number): string {
  const attempt = input.attempt ?? 0;
  return index === 0
    ? startKey(input.execution_name, input.step, attempt)
    : deriveKey("start", input.execution_name, input.step, attempt, index);
}

/** A status the API answered that is worth another start with the next key. */
function transientAnswer(err: unknown): PolytomicError | undefined {
  if (!(err instanceof PolytomicError) || err.status === undefined) return undefined;
  return err.status === 408 || err.status === 429 || err.status >= 500 ? err : undefined;
}

export async function startSync(
  input: StartInput,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<StartResult | StartPending> {
  const api = deps.polytomic;
  const call = () => ({ deadline: budget.deadline });
  const previous = input.previous;
  const sync = previous
    ? { id: previous.sync_id, ...(previous.sync_name ? { name: previous.sync_name } : {}) }
    : await resolveSync(api, input.sync_type, input.sync, call());
  const keyIndex = previous?.key_index ?? 0;
  const errors = previous?.errors ?? 0;
  const waits = previous?.waits ?? 0;
  const now = deps.clock.now();
  const firstTryAt = previous ? Date.parse(previous.first_try_at) : now;
  const slog = log.child({ sync_id: sync.id });
  const what = `${input.sync_type} sync ${sync.id}`;
  const maybeStarted = previous?.maybe_started === true;
  if (firstTryAt > now + OWN_RUN_SKEW_MS) {
    throw invalidInput("start.first_try_at", `is in the future: ${previous?.first_try_at}`);
  }
  const budgetEnd = firstTryAt + input.timeout_seconds * 1000;

  const started = (
    run: { id: string; status: string },
    attached: boolean,
    startedAt: number,
  ): StartResult => {
    // The step's timeout is its whole budget: time spent waiting to start (a busy sync,
    // transient answers) counts, or the child execution's own timeout (step timeout plus
    // a margin) could end the step before its deadline did.
    const budgetFrom = previous ? Math.min(firstTryAt, startedAt) : startedAt;
    const out: StartResult = {
      sync_id: sync.id,
      execution_id: run.id,
      status: run.status,
      started_at: new Date(startedAt).toISOString(),
      deadline: new Date(budgetFrom + input.timeout_seconds * 1000).toISOString(),
      attached,
    };
    if (sync.name) out.sync_name = sync.name;
    slog.info(attached ? "attached to the running execution" : "sync started", {
      execution_id: run.id,
      status: run.status,
      key_index: keyIndex,
    });
    return out;
  };
  const pending = (
    next: { errors: number; waits: number; maybeStarted: boolean },
    retryAfterSeconds: number,
    reason: string,
  ): StartPending => {
    // Never past the step's own timeout: the next start then gives up at once.
    const left = Math.ceil((budgetEnd - deps.clock.now()) / 1000);
    const out: StartPending = {
      pending: true,
      sync_id: sync.id,
      key_index: keyIndex + 1,
      errors: next.errors,
      waits: next.waits,
      first_try_at: new Date(firstTryAt).toISOString(),
      retry_after_seconds: Math.max(1, Math.min(Math.round(retryAfterSeconds), left)),
      reason,
    };
    if (next.maybeStarted) out.maybe_started = true;
    if (sync.name) out.sync_name = sync.name;
    slog.info("not started yet; trying again later with the next Idempotency-Key", {
      reason,
      retry_after_seconds: out.retry_after_seconds,
      key_index: out.key_index,
    });
    return out;
  };
  const errorBackoff = (n: number, floorSeconds = 0) => {
    const cap = Math.min(ERROR_BACKOFF_MAX_SECONDS, ERROR_BACKOFF_BASE_SECONDS * 2 ** (n - 1));
    return Math.max(floorSeconds, cap / 2 + (Math.random() * cap) / 2);
  };

  if (previous && now >= budgetEnd) {
    throw new HandlerError(
      "Sync.TimedOut",
      `the step's timeout (${input.timeout_seconds} s) passed before ${what} could be started; the last try: ${previous.reason}`,
    );
  }
  // A run created since then may be one of this step's own starts'.
  const since = firstTryAt - OWN_RUN_SKEW_MS;
  if (maybeStarted) {
    // An errored start may have created a run that has ended since: adopt it rather than
    // start another.
    const ended = (await recentRuns(api, input.sync_type, sync.id, 5, call())).find(
      (r) => r.created_at !== undefined && Date.parse(r.created_at) >= since,
    );
    if (ended?.created_at) {
      slog.info("adopting a run that ended since the step's first start", {
        execution_id: ended.id,
      });
      return started(ended, true, Date.parse(ended.created_at));
    }
  }

  let unansweredBefore = false;
  const key = startKeyAt(input, keyIndex);
  try {
    const run = await sendStart(input, sync.id, key, deps, budget);
    // The execution's creation time makes a retried start (same key, replayed answer)
    // report the same started_at and deadline.
    return started(run, false, createdAt(run) ?? deps.clock.now());
  } catch (err) {
    if (err instanceof PolytomicNotFoundError) {
      throw new HandlerError("Sync.NotFound", `${what} was not found`, { cause: err });
    }
    const transient = transientAnswer(err);
    if (transient) {
      const n = errors + 1;
      if (n >= MAX_START_ERRORS) throw err;
      const retryAfter = err instanceof PolytomicRateLimitError ? err.retryAfterSeconds : undefined;
      // The machine retries this call (with the next key): it counts in ApiRetries.
      noteRetry();
      // A 429 is refused before anything happens; a 5xx or 408 may have done its work.
      const mayHaveRun = transient.status !== 429 || transient.unansweredAttempts > 0;
      return pending(
        { errors: n, waits, maybeStarted: maybeStarted || mayHaveRun },
        errorBackoff(n, retryAfter ?? 0),
        `the start was answered ${transient.status}`,
      );
    }
    if (!(err instanceof PolytomicConflictError)) throw err;
    // A 409 after an attempt with this key that got no answer: that attempt may still be
    // in flight and be creating this step's run.
    unansweredBefore = err.unansweredAttempts > 0;
  }

  // 409: the sync is running already, or a request with this key is still in flight (the
  // body, undocumented, is not read).
  const mine = maybeStarted || unansweredBefore;
  let current = await activeRun(deps, input, sync.id, budget);
  if (current && !mine && input.on_conflict !== "attach" && (createdAt(current) ?? 0) >= since) {
    // The run may be this step's own, created by a request with this key still in flight
    // (a duplicate invocation of this step): ask again with the same key before failing or
    // waiting it out, which would fail a step whose run is going or start a second one.
    const replayed = await recheckKey(input, sync.id, key, deps, budget, budgetEnd);
    if (replayed) return started(replayed, false, createdAt(replayed) ?? deps.clock.now());
    current = await activeRun(deps, input, sync.id, budget);
  }
  if (current === undefined) {
    const n = errors + 1;
    if (n >= MAX_START_ERRORS) {
      throw new HandlerError(
        "Sync.Busy",
        `${what} answered 409 ${n} times but showed no running execution`,
      );
    }
    // Nothing running explains the 409 but a request with the key still in flight (it may
    // yet create this step's run) or a run that ended just now: the next start adopts a run
    // created since the step's first start rather than start another.
    return pending(
      { errors: n, waits, maybeStarted: true },
      errorBackoff(n),
      "409 but no execution is running",
    );
  }
  const created = createdAt(current) ?? Number.NaN;
  if (mine && created >= since) {
    // An earlier start of this step got an error (or no answer) but created this run.
    slog.info("adopting a run created since the step's first start", {
      running_execution_id: current.id,
    });
    return started(current, true, created);
  }
  switch (input.on_conflict) {
    case "attach":
      return started(current, true, deps.clock.now());
    case "fail":
      throw new HandlerError(
        "Polytomic.Conflict",
        `${what} is already running (execution ${current.id}, status ${current.status}) and on_conflict is "fail"`,
      );
    case "wait": {
      const waited = Math.round((deps.clock.now() - firstTryAt) / 1000);
      if (waited >= input.timeout_seconds) {
        throw new HandlerError(
          "Polytomic.Conflict",
          `${what} is still running (execution ${current.id}, status ${current.status}) after waiting ${waited} s, the step's timeout (on_conflict is "wait")`,
        );
      }
      const wait = Math.min(WAIT_MAX_SECONDS, WAIT_MIN_SECONDS * 2 ** waits);
      return pending(
        { errors, waits: waits + 1, maybeStarted: mine },
        wait,
        `waiting for the running execution ${current.id} (on_conflict is "wait")`,
      );
    }
  }
}

/**
 * Waits before each re-send of a start answered 409 with the same Idempotency-Key. Polytomic's
 * idempotency guide: a request whose key is still in flight gets 409, "wait, then retry".
 */
export const SAME_KEY_RECHECK_MS = [2_000, 4_000] as const;

/** Sends the step's start with `key`; answered errors are thrown (the caller keys the next). */
function sendStart(
  input: StartInput,
  syncId: string,
  key: string,
  deps: Deps,
  budget: Budget,
): Promise<StartedRun> {
  return startRun(deps.polytomic, input.sync_type, syncId, input.options, {
    deadline: budget.deadline,
    idempotencyKey: key,
    onAnsweredError: "throw",
  });
}

/**
 * Re-sends a start answered 409 with the same key, after each wait of SAME_KEY_RECHECK_MS
 * that fits before the step's end and the invocation's. Whichever reading of the 409 holds,
 * this is safe: if a request with the key was in flight, its answer (this step's run) is
 * replayed; if the 409 was the key's own answer (the sync was busy), it comes back again.
 * Returns the run, or undefined when every re-send was still refused.
 */
async function recheckKey(
  input: StartInput,
  syncId: string,
  key: string,
  deps: Deps,
  budget: Budget,
  stepEnd: number,
): Promise<StartedRun | undefined> {
  for (const wait of SAME_KEY_RECHECK_MS) {
    if (deps.clock.now() + wait >= stepEnd || !budget.fits(wait + RECHECK_CALL_MS)) return;
    await deps.sleep(wait);
    try {
      return await sendStart(input, syncId, key, deps, budget);
    } catch (err) {
      if (!(err instanceof PolytomicConflictError)) return;
    }
  }
  return;
}

/** A run's created_at in epoch ms, when it has a valid one. */
function createdAt(run: { created_at?: string }): number | undefined {
  const t = run.created_at ? Date.parse(run.created_at) : Number.NaN;
  return Number.isNaN(t) ? undefined : t;
}

/** The time left for one call after a recheck's wait. */
const RECHECK_CALL_MS = 10_000;

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
