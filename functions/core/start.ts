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
import { type DeliveryStore, decideWait, organizationKey, readDelivery } from "./delivery";
import type { Deps } from "./deps";
import { HandlerError, invalidInput } from "./errors";
import { deriveKey, organizationPart, startKey } from "./idempotency";
import { boundByDeadline, firstEventWaitSeconds, firstTrustedWaitSeconds } from "./polling";
import type { Logger } from "./ports";
import { resolveSync } from "./resolve";
import {
  getSyncStatus,
  type RunView,
  recentRuns,
  type StartedRun,
  secondsBetween,
  startRun,
} from "./runs";
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
    ? startKey(input.execution_name, input.step, attempt, input.organization_id)
    : deriveKey(
        "start",
        input.execution_name,
        input.step,
        attempt,
        index,
        ...organizationPart(input.organization_id),
      );
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
  const previous = input.previous;
  const sync = previous
    ? { id: previous.sync_id, ...(previous.sync_name ? { name: previous.sync_name } : {}) }
    : await resolveSync(deps.polytomic, input.sync_type, input.sync, { deadline: budget.deadline });
  const result = await new StartAttempt(input, sync, deps, log, budget).run();
  if (!deps.delivery || !("execution_id" in result) || !result.event_wait_seconds) return result;
  const wait = await firstWait(input, result, deps.delivery, { deps, log, budget });
  return { ...result, event_wait_seconds: wait };
}

/** Recent runs whose duration sizes the first wait. */
const RECENT_RUNS = 5;

/**
 * With webhooks on, the first wait as the delivery record decides (core/delivery.ts): when
 * the webhook is not trusted, 0 (the machine checks at once and polls, as without webhooks);
 * when it is, long enough for a run as long as the median of the sync's last few (one list
 * call; polling.ts `firstTrustedWaitSeconds`), within the step's deadline. A list that fails
 * sizes it as for a sync with no history.
 */
async function firstWait(
  input: StartInput,
  result: StartResult,
  store: DeliveryStore,
  ctx: { deps: Deps; log: Logger; budget: Budget },
): Promise<number> {
  const { deps, log, budget } = ctx;
  const decision = decideWait(await readDelivery(store, organizationKey(input), log));
  if (decision.wait === "poll") return 0;
  const expected = await recentRuns(deps.polytomic, input.sync_type, result.sync_id, RECENT_RUNS, {
    deadline: budget.deadline,
  }).then(typicalRun, (error: unknown) => {
    log.warn("recent runs unreadable: first wait as for a new sync", {
      error: (error as Error).name,
    });
    return undefined;
  });
  const untilDeadline = Math.ceil((Date.parse(result.deadline) - deps.clock.now()) / 1000);
  const wait = firstTrustedWaitSeconds(input.poll, expected, decision.fraction);
  return boundByDeadline(input.poll, wait, untilDeadline);
}

/** The median of the runs' durations, from creation (the step's start) to completion; undefined for none. */
function typicalRun(runs: readonly RunView[]): number | undefined {
  const seconds = runs
    .flatMap((r) => secondsBetween(r.created_at, r.completed_at) ?? [])
    .sort((a, b) => a - b);
  const middle = Math.floor(seconds.length / 2);
  if (seconds.length === 0) return undefined;
  return seconds.length % 2 === 1
    ? seconds[middle]
    : ((seconds[middle - 1] ?? 0) + (seconds[middle] ?? 0)) / 2;
}

/** What the next start will carry over (see StartPending). */
interface Carried {
  errors: number;
  waits: number;
  maybeStarted: boolean;
}

/** One invocation of start-sync for a resolved sync: one start, and what its answer means. */
class StartAttempt {
  private readonly previous: StartPending | undefined;
  private readonly keyIndex: number;
  private readonly carried: Carried;
  private readonly firstTryAt: number;
  /** The step's timeout, counted from its first start: no wait goes past it. */
  private readonly budgetEnd: number;
  /** A run created since then may be one of this step's own starts'. */
  private readonly since: number;
  private readonly what: string;
  private readonly slog: Logger;

  constructor(
    private readonly input: StartInput,
    private readonly sync: { id: string; name?: string },
    private readonly deps: Deps,
    log: Logger,
    private readonly budget: Budget,
  ) {
    const previous = input.previous;
    this.previous = previous;
    this.keyIndex = previous?.key_index ?? 0;
    this.carried = {
      errors: previous?.errors ?? 0,
      waits: previous?.waits ?? 0,
      maybeStarted: previous?.maybe_started === true,
    };
    const now = deps.clock.now();
    this.firstTryAt = previous ? Date.parse(previous.first_try_at) : now;
    if (this.firstTryAt > now + OWN_RUN_SKEW_MS) {
      throw invalidInput("start.first_try_at", `is in the future: ${previous?.first_try_at}`);
    }
    this.budgetEnd = this.firstTryAt + input.timeout_seconds * 1000;
    this.since = this.firstTryAt - OWN_RUN_SKEW_MS;
    this.what = `${input.sync_type} sync ${sync.id}`;
    this.slog = log.child({ sync_id: sync.id });
  }

  async run(): Promise<StartResult | StartPending> {
    const previous = this.previous;
    if (previous && this.deps.clock.now() >= this.budgetEnd) {
      throw new HandlerError(
        "Sync.TimedOut",
        `the step's timeout (${this.input.timeout_seconds} s) passed before ${this.what} could be started; the last try: ${previous.reason}`,
      );
    }
    if (this.carried.maybeStarted) {
      const ended = await this.endedOwnRun();
      if (ended) return ended;
    }
    const key = startKeyAt(this.input, this.keyIndex);
    try {
      const run = await sendStart(this.input, this.sync.id, key, this.deps, this.budget);
      // The execution's creation time makes a retried start (same key, replayed answer)
      // report the same started_at and deadline.
      return this.started(run, false, createdAt(run) ?? this.deps.clock.now());
    } catch (err) {
      return this.onStartError(err, key);
    }
  }

  /** An errored start may have created a run that has ended since: adopt it, start no other. */
  private async endedOwnRun(): Promise<StartResult | undefined> {
    const { polytomic } = this.deps;
    const recent = await recentRuns(polytomic, this.input.sync_type, this.sync.id, 5, {
      deadline: this.budget.deadline,
    });
    const ended = recent.find(
      (r) => r.created_at !== undefined && Date.parse(r.created_at) >= this.since,
    );
    if (!ended?.created_at) return undefined;
    this.slog.info("adopting a run that ended since the step's first start", {
      execution_id: ended.id,
    });
    return this.started(ended, true, Date.parse(ended.created_at));
  }

  /** A start answered with an error: not found, transient, or 409 (anything else is thrown). */
  private async onStartError(err: unknown, key: string): Promise<StartResult | StartPending> {
    if (err instanceof PolytomicNotFoundError) {
      throw new HandlerError("Sync.NotFound", `${this.what} was not found`, { cause: err });
    }
    const transient = transientAnswer(err);
    if (transient) return this.onTransient(transient);
    if (!(err instanceof PolytomicConflictError)) throw err;
    // A 409 after an attempt with this key that got no answer: that attempt may still be
    // in flight and be creating this step's run.
    return this.onConflict(key, err.unansweredAttempts > 0);
  }

  /** 429, 408 or 5xx: the machine calls again later with the next key. */
  private onTransient(transient: PolytomicError): StartPending {
    const n = this.carried.errors + 1;
    if (n >= MAX_START_ERRORS) throw transient;
    const retryAfter =
      transient instanceof PolytomicRateLimitError ? transient.retryAfterSeconds : undefined;
    // The machine retries this call (with the next key): it counts in ApiRetries.
    noteRetry();
    // A 429 is refused before anything happens; a 5xx or 408 may have done its work.
    const mayHaveRun = transient.status !== 429 || transient.unansweredAttempts > 0;
    return this.pending(
      { ...this.carried, errors: n, maybeStarted: this.carried.maybeStarted || mayHaveRun },
      errorBackoff(n, retryAfter ?? 0),
      `the start was answered ${transient.status}`,
    );
  }

  /**
   * 409: the sync is running already, or a request with this key is still in flight (the
   * body, undocumented, is not read).
   */
  private async onConflict(
    key: string,
    unansweredBefore: boolean,
  ): Promise<StartResult | StartPending> {
    const { input, deps, budget } = this;
    const mine = this.carried.maybeStarted || unansweredBefore;
    let current = await activeRun(deps, input, this.sync.id, budget);
    if (
      current &&
      !mine &&
      input.on_conflict !== "attach" &&
      (createdAt(current) ?? 0) >= this.since
    ) {
      // The run may be this step's own, created by a request with this key still in flight
      // (a duplicate invocation of this step): ask again with the same key before failing or
      // waiting it out, which would fail a step whose run is going or start a second one.
      const replayed = await recheckKey(input, this.sync.id, key, deps, budget, this.budgetEnd);
      if (replayed) return this.started(replayed, false, createdAt(replayed) ?? deps.clock.now());
      current = await activeRun(deps, input, this.sync.id, budget);
    }
    if (current === undefined) return this.nothingRunning();
    const created = createdAt(current) ?? Number.NaN;
    if (mine && created >= this.since) {
      // An earlier start of this step got an error (or no answer) but created this run.
      this.slog.info("adopting a run created since the step's first start", {
        running_execution_id: current.id,
      });
      return this.started(current, true, created);
    }
    return this.onRunning(current, mine);
  }

  /**
   * A 409 with nothing running: only a request with the key still in flight (it may yet
   * create this step's run) or a run that ended just now explains it. The next start adopts
   * a run created since the step's first start rather than start another.
   */
  private nothingRunning(): StartPending {
    const n = this.carried.errors + 1;
    if (n >= MAX_START_ERRORS) {
      throw new HandlerError(
        "Sync.Busy",
        `${this.what} answered 409 ${n} times but showed no running execution`,
      );
    }
    return this.pending(
      { ...this.carried, errors: n, maybeStarted: true },
      errorBackoff(n),
      "409 but no execution is running",
    );
  }

  /** Another run of the sync is going: on_conflict decides. */
  private onRunning(current: RunView, mine: boolean): StartResult | StartPending {
    const running = `(execution ${current.id}, status ${current.status})`;
    switch (this.input.on_conflict) {
      case "attach":
        return this.started(current, true, this.deps.clock.now());
      case "fail":
        throw new HandlerError(
          "Polytomic.Conflict",
          `${this.what} is already running ${running} and on_conflict is "fail"`,
        );
      case "wait": {
        const waited = Math.round((this.deps.clock.now() - this.firstTryAt) / 1000);
        if (waited >= this.input.timeout_seconds) {
          throw new HandlerError(
            "Polytomic.Conflict",
            `${this.what} is still running ${running} after waiting ${waited} s, the step's timeout (on_conflict is "wait")`,
          );
        }
        const { waits } = this.carried;
        return this.pending(
          { ...this.carried, waits: waits + 1, maybeStarted: mine },
          Math.min(WAIT_MAX_SECONDS, WAIT_MIN_SECONDS * 2 ** waits),
          `waiting for the running execution ${current.id} (on_conflict is "wait")`,
        );
      }
    }
  }

  private started(
    run: { id: string; status: string },
    attached: boolean,
    startedAt: number,
  ): StartResult {
    // The step's timeout is its whole budget: time spent waiting to start (a busy sync,
    // transient answers) counts, or the child execution's own timeout (step timeout plus
    // a margin) could end the step before its deadline did.
    const budgetFrom = this.previous ? Math.min(this.firstTryAt, startedAt) : startedAt;
    const out: StartResult = {
      sync_id: this.sync.id,
      execution_id: run.id,
      status: run.status,
      started_at: new Date(startedAt).toISOString(),
      deadline: new Date(budgetFrom + this.input.timeout_seconds * 1000).toISOString(),
      attached,
      event_wait_seconds: this.firstEventWait(run.status, budgetFrom),
    };
    if (this.sync.name) out.sync_name = this.sync.name;
    this.slog.info(attached ? "attached to the running execution" : "sync started", {
      execution_id: run.id,
      status: run.status,
      key_index: this.keyIndex,
    });
    return out;
  }

  /** The first token wait's timeout (StartResult.event_wait_seconds): 0 for an ended run. */
  private firstEventWait(status: string, budgetFrom: number): number {
    if (isTerminalStatus(this.input.sync_type, status)) return 0;
    const deadline = budgetFrom + this.input.timeout_seconds * 1000;
    const untilDeadline = Math.ceil((deadline - this.deps.clock.now()) / 1000);
    return boundByDeadline(this.input.poll, firstEventWaitSeconds(this.input.poll), untilDeadline);
  }

  private pending(next: Carried, retryAfterSeconds: number, reason: string): StartPending {
    // Never past the step's own timeout: the next start then gives up at once.
    const left = Math.ceil((this.budgetEnd - this.deps.clock.now()) / 1000);
    const out: StartPending = {
      pending: true,
      sync_id: this.sync.id,
      key_index: this.keyIndex + 1,
      errors: next.errors,
      waits: next.waits,
      first_try_at: new Date(this.firstTryAt).toISOString(),
      retry_after_seconds: Math.max(1, Math.min(Math.round(retryAfterSeconds), left)),
      reason,
    };
    if (next.maybeStarted) out.maybe_started = true;
    if (this.sync.name) out.sync_name = this.sync.name;
    this.slog.info("not started yet; trying again later with the next Idempotency-Key", {
      reason,
      retry_after_seconds: out.retry_after_seconds,
      key_index: out.key_index,
    });
    return out;
  }
}

/** The wait after the `n`th transient answer: 2 s doubling up to a minute, full jitter. */
function errorBackoff(n: number, floorSeconds = 0): number {
  const cap = Math.min(ERROR_BACKOFF_MAX_SECONDS, ERROR_BACKOFF_BASE_SECONDS * 2 ** (n - 1));
  return Math.max(floorSeconds, cap / 2 + (Math.random() * cap) / 2);
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
