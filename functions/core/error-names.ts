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
