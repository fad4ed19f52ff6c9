/**
 * Error names thrown by the Lambda handlers: the contract with the state machines'
 * Retry and Catch clauses. CDK code imports these constants; never repeat the strings.
 */

/** Transient trouble: the state machine retries these with backoff and jitter. */
export const RETRYABLE_ERRORS = [
  "Polytomic.RateLimited",
  "Polytomic.ServerError",
  "Polytomic.Timeout",
  "Polytomic.MalformedResponse",
  "Aws.Throttled",
  /** An AWS service answered with a transient fault (5xx, network). */
  "Aws.Unavailable",
  /** on_conflict "wait": the sync was still running when this invocation's time ran out. */
  "Sync.Busy",
] as const;

/** Permanent problems: retrying cannot help; the step fails at once. */
export const PERMANENT_ERRORS = [
  "Polytomic.BadRequest",
  "Polytomic.Unauthorized",
  "Polytomic.Forbidden",
  "Polytomic.NotFound",
  "Polytomic.Conflict",
  "Polytomic.Error",
  "Sync.NotFound",
  "Sync.AmbiguousName",
  /** Partner fan-out (resolve-organizations): a listed organization the partner key does not see. */
  "Organization.NotFound",
  /** Partner fan-out: a listed name that several of the partner's organizations have. */
  "Organization.AmbiguousName",
  /** Partner fan-out: `organizations:` resolved to no organization at all. */
  "Organization.NoneFound",
  "Input.Invalid",
  "Config.MissingSecret",
  "Config.Invalid",
  /** An unexpected error inside a handler (a bug): wrapped so nothing unvetted leaks. */
  "Internal.Error",
] as const;

/** The run finished (or was ended) and the step's policy says it failed. */
export const OUTCOME_ERRORS = [
  "Sync.Failed",
  "Sync.CompletedWithErrors",
  "Sync.WarningsNotAllowed",
  "Sync.SchemaErrors",
  "Sync.Canceled",
  "Sync.Interrupted",
  "Sync.TimedOut",
  "Sync.UnknownStatus",
  /** The run succeeded but is outside the step's `expect:` (too few records, too slow, ...). */
  "Sync.ExpectationFailed",
] as const;

export type RetryableErrorName = (typeof RETRYABLE_ERRORS)[number];
export type PermanentErrorName = (typeof PERMANENT_ERRORS)[number];
export type OutcomeErrorName = (typeof OUTCOME_ERRORS)[number];
export type HandlerErrorName = RetryableErrorName | PermanentErrorName | OutcomeErrorName;

/**
 * Not a failure: a status check that found the run still going, in the run-sync machine's
 * retry loop (functions/core/polling.ts). The "Check status" Task has one retrier per
 * interval, `Polytomic.StillRunning.<N>s`, that checks again after exactly N seconds; the
 * Catch sees one only if a retrier were missing, which a test rules out.
 */
export const STILL_RUNNING_PREFIX = "Polytomic.StillRunning.";

/** The error name that asks for the next check after `seconds` (a POLL_BUCKETS value). */
export function stillRunningErrorName(seconds: number): string {
  return `${STILL_RUNNING_PREFIX}${seconds}s`;
}

/** Whether an error name (a history's failed-task error) is a still-running check. */
export function isStillRunningErrorName(name: unknown): boolean {
  return typeof name === "string" && name.startsWith(STILL_RUNNING_PREFIX);
}

/** The N of `Polytomic.StillRunning.<N>s`: the seconds until the next check; else undefined. */
export function stillRunningSeconds(name: unknown): number | undefined {
  if (!isStillRunningErrorName(name)) return undefined;
  const match = /^(\d+)s$/.exec((name as string).slice(STILL_RUNNING_PREFIX.length));
  return match ? Number(match[1]) : undefined;
}

/**
 * A still-running check's Cause (its error message, JSON): what the execution history keeps
 * of a check that no state's output records, for the run report of a run still going. On
 * AWS the Cause is the Lambda runtime's error JSON, whose `errorMessage` is this text.
 */
export interface StillRunningCause {
  poll: string;
  /** Set when the check could not read the run: the transient error's name (the status is the last one seen). */
  unreadable?: string;
  status: string;
  elapsed_seconds: number;
  next_check_seconds: number;
  created_at?: string;
  started_at?: string;
}

/** A still-running check's Cause read back, either as it is or inside Lambda's error JSON. */
export function parseStillRunningCause(cause: unknown): StillRunningCause | undefined {
  const parse = (text: unknown): unknown => {
    if (typeof text !== "string") return undefined;
    try {
      return JSON.parse(text);
    } catch {
      return undefined;
    }
  };
  let value = parse(cause) as Record<string, unknown> | undefined;
  if (value && typeof value.errorMessage === "string") {
    value = parse(value.errorMessage) as Record<string, unknown> | undefined;
  }
  if (!value || typeof value.status !== "string" || typeof value.poll !== "string")
    return undefined;
  return value as unknown as StillRunningCause;
}
