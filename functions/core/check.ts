/**
 * check-status: reads the run, decides whether it ended and how (status.ts), and says when
 * to look again (polling.ts).
 */
import type { BulkSchemaExecution } from "../polytomic/types";
import type { CheckResult, SchemaResult } from "./contract";
import type { WaitDecision } from "./delivery";
import type { Deps } from "./deps";
import { type StillRunningCause, stillRunningErrorName } from "./error-names";
import { invalidInput, isRetryableName } from "./errors";
import { cleanText, MAX_SCHEMA_MESSAGE, stepErrorMessage } from "./failure-text";
import type { StartedState } from "./input";
import {
  boundByDeadline,
  eventWaitSeconds,
  nextPollSeconds,
  POLL_LOOP_FIELD,
  POLL_STATE_FIELD,
  type PollLoop,
  type PollState,
  pollBucket,
  retriesWhileRunning,
  trustedEventWaitSeconds,
} from "./polling";
import type { Logger } from "./ports";
import type { Redactor } from "./redact";
import { getRun, type RunView, secondsBetween } from "./runs";
import type { Budget } from "./runtime";
import { evaluateTerminal, isFailedSchemaStatus, isQueuedStatus, isTerminalStatus } from "./status";

/** Bulk per-schema results kept in the payload, at most. */
export const MAX_SCHEMA_RESULTS = 25;

/**
 * One status check. In the `retry` loop (polling.ts) an adaptive step's next wait is rounded
 * down to a retrier's interval (POLL_BUCKETS), for `stillRunning` to name.
 */
export async function checkStatus(
  state: StartedState,
  deps: Deps,
  log: Logger,
  budget: Budget,
  loop: PollLoop = "wait",
): Promise<CheckResult> {
  const { start } = state;
  const type = state.sync_type;
  const run = await getRun(deps.polytomic, type, start.sync_id, start.execution_id, {
    deadline: budget.deadline,
  });
  const now = deps.clock.now();
  const previous = state.check;
  const polls = (previous?.polls ?? 0) + 1;
  const terminal = isTerminalStatus(type, run.status);

  const result: CheckResult = {
    status: run.status,
    terminal,
    step_failed: false,
    counts: run.counts,
    next_poll_seconds: 0,
    event_wait_seconds: 0,
    polls,
    timed_out: false,
  };
  const failedSchemas = type === "bulk" ? addSchemas(result, run, deps.redactor) : 0;
  addTimings(result, run);
  if (terminal) addVerdict(result, state, run, failedSchemas, deps.redactor);
  else if (now > Date.parse(start.deadline)) addTimeout(result, state, run);
  Object.assign(result, nextWaits(state, run, now, polls));
  if (retriesWhileRunning(loop, state.poll)) {
    result.next_poll_seconds = pollBucket(result.next_poll_seconds);
  }

  log.info("status checked", {
    status: run.status,
    terminal,
    outcome: result.outcome,
    polls,
    next_poll_seconds: result.next_poll_seconds,
    event_wait_seconds: result.event_wait_seconds,
  });
  return result;
}

/** Bulk: the per-schema results, failed ones first, at most MAX_SCHEMA_RESULTS; returns how many failed. */
function addSchemas(result: CheckResult, run: RunView, redactor: Redactor): number {
  const all = (run.schemas ?? []).map((s) => schemaResult(s, redactor));
  const failed = all.filter((s) => isFailedSchemaStatus(s.status));
  const ordered = [...failed, ...all.filter((s) => !isFailedSchemaStatus(s.status))];
  result.schemas = ordered.slice(0, MAX_SCHEMA_RESULTS);
  if (ordered.length > MAX_SCHEMA_RESULTS)
    result.schemas_omitted = ordered.length - MAX_SCHEMA_RESULTS;
  return failed.length;
}

/** Time queued and running, and when the run completed, when the API says. */
function addTimings(result: CheckResult, run: RunView): void {
  const queue = secondsBetween(run.created_at, run.started_at);
  if (queue !== undefined) result.queue_seconds = queue;
  const runSeconds = secondsBetween(run.started_at, run.completed_at);
  if (runSeconds !== undefined) result.run_seconds = runSeconds;
  if (run.created_at) result.created_at = run.created_at;
  if (run.started_at) result.started_at = run.started_at;
  if (run.completed_at) result.completed_at = run.completed_at;
}

/** A terminal run: the failure policy's outcome and, for a failed step, why. */
function addVerdict(
  result: CheckResult,
  state: StartedState,
  run: RunView,
  failedSchemas: number,
  redactor: Redactor,
): void {
  const verdict = evaluateTerminal(
    state.sync_type,
    {
      status: run.status,
      counts: run.counts,
      failedSchemas,
      ...(result.run_seconds !== undefined ? { run_seconds: result.run_seconds } : {}),
      ...(run.schemas ? { schemas: run.schemas.map(schemaRecords) } : {}),
    },
    state.policy,
  );
  result.outcome = verdict.outcome;
  result.step_failed = verdict.step_failed;
  if (verdict.error_name) result.error_name = verdict.error_name;
  if (verdict.error_message)
    result.error_message = stepErrorMessage(
      redactor,
      verdict.error_message,
      apiFailureText(run, result.schemas ?? []),
    );
}

/** A run still going when the step's deadline passed. */
function addTimeout(result: CheckResult, state: StartedState, run: RunView): void {
  result.timed_out = true;
  result.outcome = "timed_out";
  result.step_failed = true;
  result.error_name = "Sync.TimedOut";
  result.error_message = `${state.sync_type} sync execution ${state.start.execution_id} was still ${run.status} when the step's timeout of ${state.timeout_seconds}s ran out`;
}

/**
 * Seconds until the next check: polling.ts's interval for the Wait state, and its event
 * fallback for the token wait of a stack with webhooks; neither far past the deadline.
 */
function nextWaits(
  state: StartedState,
  run: Pick<RunView, "status" | "started_at">,
  now: number,
  polls: number,
): Pick<CheckResult, "next_poll_seconds" | "event_wait_seconds"> {
  const poll = pollStateOf(state, run, now, polls);
  // Never sleep far past the deadline: the timeout is noticed within one floor interval.
  const untilDeadline = secondsToDeadline(state, now);
  const bounded = (next: number) => boundByDeadline(state.poll, next, untilDeadline);
  return {
    next_poll_seconds: bounded(nextPollSeconds(state.poll, poll)),
    event_wait_seconds: bounded(eventWaitSeconds(state.poll, poll)),
  };
}

/**
 * With webhooks on, a check that found the run still going waits as the delivery record
 * decides (delivery.ts `decideWait`): `poll`, the token wait (if it is taken at all) times out
 * at polling's own interval; `event`, at the trusted budget. Either way within the deadline.
 */
export function eventWaitFor(
  state: StartedState,
  result: CheckResult,
  now: number,
  decision: WaitDecision,
): number {
  if (decision.wait === "poll") return result.next_poll_seconds;
  const poll = pollStateOf(state, seenRun(result), now, result.polls);
  const trusted = trustedEventWaitSeconds(state.poll, poll, decision.fraction);
  return boundByDeadline(state.poll, trusted, secondsToDeadline(state, now));
}

/** What polling.ts waits by, at `now`, for a run last seen as `run`. */
function pollStateOf(
  state: StartedState,
  run: Pick<RunView, "status" | "started_at">,
  now: number,
  polls: number,
): PollState {
  return { elapsedSeconds: elapsedSeconds(state, run, now), polls };
}

/** Whole seconds left until the step's deadline (negative once it passed). */
function secondsToDeadline(state: StartedState, now: number): number {
  return Math.ceil((Date.parse(state.start.deadline) - now) / 1000);
}

/** The run as a check saw it: its status, and when it started running, if it did. */
function seenRun(check: CheckResult): Pick<RunView, "status" | "started_at"> {
  return { status: check.status, ...(check.started_at ? { started_at: check.started_at } : {}) };
}

/**
 * The elapsed time polling waits by: the run's running time, or, while it is queued (or
 * Polytomic has not said when it started), the time since the step started it.
 */
function elapsedSeconds(
  state: StartedState,
  run: Pick<RunView, "status" | "started_at">,
  now: number,
): number {
  const queued = isQueuedStatus(run.status);
  const since = queued || !run.started_at ? state.start.started_at : run.started_at;
  return Math.max(0, (now - Date.parse(since)) / 1000);
}

/**
 * What check-status throws, in the retry loop, for a run still going (not terminal, not
 * timed out, started): named `Polytomic.StillRunning.<N>s` for the "Check status" Task's
 * retrier that checks again after N = `next_poll_seconds` seconds. Its message (the
 * execution history's Cause) says so in a short JSON (StillRunningCause): the run's status,
 * the elapsed time, the next check, and when Polytomic created and started the run (the run
 * report of a run still going reads them); nothing else of the run (no secret can be in it). `check` keeps the
 * whole result for local observers (the local runner's progress); it is not serialized.
 */
export class StillRunning extends Error {
  override readonly name: string;

  constructor(
    readonly check: CheckResult,
    elapsed: number,
    /** The transient error that kept this check from reading the run (see `unreadableRun`). */
    unreadable?: string,
  ) {
    const cause: StillRunningCause = {
      poll: unreadable
        ? `the run could not be read (${unreadable}): not a failure yet; Check status runs again after the retry interval, until the step's deadline`
        : "the run is still going: not a failure; Check status runs again after the retry interval",
      ...(unreadable ? { unreadable } : {}),
      status: check.status,
      elapsed_seconds: Math.round(elapsed),
      next_check_seconds: check.next_poll_seconds,
      ...(check.created_at ? { created_at: check.created_at } : {}),
      ...(check.started_at ? { started_at: check.started_at } : {}),
    };
    super(JSON.stringify(cause));
    this.name = stillRunningErrorName(check.next_poll_seconds);
    // The Lambda runtime puts the stack in the Cause: keep it to the one line that matters.
    this.stack = `${this.name}: ${this.message}`;
  }
}

/**
 * The StillRunning to throw for a check, or undefined when the check's answer goes to the
 * "Run finished?" Choice as it is: an ended or timed-out run, a pending start, the `wait`
 * loop, a step whose strategy keeps the Wait loop (polling.ts retriesWhileRunning), or a
 * check that retried Polytomic calls: its `api_retries` (which publish-metrics counts) can
 * only be carried to the next check through `$.check`, so that check takes the Wait once.
 */
export function stillRunning(
  state: StartedState,
  result: CheckResult,
  loop: PollLoop,
  now: number,
  carriedApiRetries: number,
): StillRunning | undefined {
  if (result.terminal || result.timed_out || result.start_pending) return undefined;
  if (!retriesWhileRunning(loop, state.poll)) return undefined;
  if ((result.api_retries ?? 0) > carriedApiRetries) return undefined;
  return new StillRunning(result, elapsedSeconds(state, seenRun(result), now));
}

/**
 * The retry loop's answer to a check that could not read the run: a transient error
 * (RETRYABLE_ERRORS: Polytomic rate-limited, a 5xx, a timeout, a malformed answer, an AWS
 * throttle) that the client's own retries did not get past. Before the step's deadline it is
 * a StillRunning like any other, the wait what polling would wait from what the last
 * returned check saw, so the run goes on being watched through an outage. Thrown as it is,
 * the Task's transient retrier would take it, and that retrier's attempts count over every
 * check of the state (a retrier's MaxAttempts applies across all its retries within one
 * state, "Handling errors in Step Functions workflows"): a handful of blips in a long step
 * would fail it, and fail it while the API is down, when cancelling its run fails too. Past
 * the deadline (or in the `wait` loop, or for a step that keeps the Wait loop) the error is
 * left as it is: the transient retrier, then the error path, which cancels the run.
 */
export function unreadableRun(
  state: StartedState | undefined,
  error: unknown,
  loop: PollLoop,
  now: number,
): StillRunning | undefined {
  const name = error instanceof Error ? error.name : "";
  if (!state || !isRetryableName(name) || !retriesWhileRunning(loop, state.poll)) return undefined;
  if (now >= Date.parse(state.start.deadline)) return undefined;
  const check = unreadCheck(state, now, (state.check?.polls ?? 0) + 1);
  check.next_poll_seconds = pollBucket(check.next_poll_seconds);
  return new StillRunning(check, elapsedSeconds(state, seenRun(check), now), name);
}

/**
 * A check that read nothing: the run still going as the last check saw it (or as the start
 * answered), with polling's waits from `now`.
 */
function unreadCheck(state: StartedState, now: number, polls: number): CheckResult {
  const seen = state.check;
  const run = { status: seen?.status ?? state.start.status, started_at: seen?.started_at };
  return {
    status: run.status,
    terminal: false,
    step_failed: false,
    counts: seen?.counts ?? { records: 0, errors: 0, warnings: 0 },
    ...nextWaits(state, run, now, polls),
    polls,
    timed_out: false,
    ...(seen?.created_at ? { created_at: seen.created_at } : {}),
    ...(seen?.started_at ? { started_at: seen.started_at } : {}),
  };
}

/**
 * With webhooks trusted, the first check after the start (no `$.check` yet) when start-sync
 * answered an `event_wait_seconds` (the sync's expected duration, core/start.ts): it reads
 * nothing, since the start's answer just said the run exists, and answers that wait for the
 * token wait, whose end (the run's end event, or the timeout) leads to a check that reads
 * the run. So the start goes to "Check status" as without webhooks, and a step whose webhook
 * is not trusted (start-sync answered 0) pays no state for webhooks; a trusted one whose end
 * event arrives makes one status call. Undefined otherwise.
 */
export function firstTrustedWait(state: StartedState, now: number): CheckResult | undefined {
  const wait = state.start.event_wait_seconds ?? 0;
  if (state.check || !(wait > 0)) return undefined;
  return { ...unreadCheck(state, now, 0), event_wait_seconds: wait, unread: true };
}

/**
 * check-status's input, unwrapped: the run-sync state as it is (the `wait` loop), or, from
 * the retry loop's Task, `{ poll_loop: "retry", state: <the state> }` (the payload
 * lib/constructs/run-sync-state-machine.ts sets on the Task that has the retriers: the one
 * definition says both, so the two cannot disagree). Any other `poll_loop` is refused.
 */
export function checkInvocation(event: unknown): { state: unknown; loop: PollLoop } {
  if (typeof event !== "object" || event === null || !(POLL_LOOP_FIELD in event)) {
    return { state: event, loop: "wait" };
  }
  const wrapped = event as Record<string, unknown>;
  if (wrapped[POLL_LOOP_FIELD] !== "retry") {
    throw invalidInput(
      POLL_LOOP_FIELD,
      `must be "retry", got ${JSON.stringify(wrapped[POLL_LOOP_FIELD])}`,
    );
  }
  return { state: wrapped[POLL_STATE_FIELD], loop: "retry" };
}

/** A bulk schema's name and records, as `expect` matches them (every schema, none left out). */
function schemaRecords(s: BulkSchemaExecution): { schema: string; records: number } {
  return { schema: s.schema ?? s.output_name ?? "unknown", records: s.record_count ?? 0 };
}

/** A bulk schema's result; a failed schema keeps Polytomic's `status_message`. */
function schemaResult(s: BulkSchemaExecution, redactor: Redactor): SchemaResult {
  const { schema, records } = schemaRecords(s);
  const out: SchemaResult = {
    schema,
    status: s.status ?? "unknown",
    records,
    errors: s.error_count ?? 0,
  };
  const message =
    typeof s.status_message === "string"
      ? cleanText(redactor, s.status_message, MAX_SCHEMA_MESSAGE)
      : "";
  if (message !== "" && isFailedSchemaStatus(out.status)) out.message = message;
  return out;
}

/**
 * Polytomic's failure text for a run that failed the step: the run's own (model
 * `errors[]`, bulk `status_message`), then each failed schema's, named.
 */
function apiFailureText(run: RunView, schemas: readonly SchemaResult[]): string[] {
  const named = schemas.flatMap((s) => (s.message ? [`${s.schema}: ${s.message}`] : []));
  return [...run.messages, ...named];
}
