/**
 * The client's error hierarchy. Every error keeps the HTTP status (when there was a
 * response) and the API's `{key, message, status}` body, and has a stable `name`
 * that the Lambda handlers pass through to Step Functions for Retry and Catch.
 *
 * No message or field ever carries the API key or a signed URL's query string.
 */
import type { ApiErrorBody } from "./types";

export interface PolytomicErrorOptions {
  /** HTTP status, when a response was received. */
  status?: number;
  /** The API's error body, when it sent one. */
  body?: ApiErrorBody;
  /** `METHOD /path` of the request (no query string, no host). */
  request?: string;
  /** How many attempts were made before this error was thrown. */
  attempts?: number;
  /**
   * Earlier attempts with the same Idempotency-Key that got no answer (network error,
   * timeout): they may still be in flight at the API, or have done their work.
   */
  unansweredAttempts?: number;
  cause?: unknown;
}

export class PolytomicError extends Error {
  override name = "Polytomic.Error";
  readonly status: number | undefined;
  readonly body: ApiErrorBody | undefined;
  readonly request: string | undefined;
  readonly attempts: number;
  /** See PolytomicErrorOptions.unansweredAttempts. */
  readonly unansweredAttempts: number;
  /** Whether retrying the same call later may succeed. */
  readonly retryable: boolean = false;

  constructor(message: string, options: PolytomicErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
    this.body = options.body;
    this.request = options.request;
    this.attempts = options.attempts ?? 1;
    this.unansweredAttempts = options.unansweredAttempts ?? 0;
  }
}

/** 400: the request was rejected as invalid (bad start options, for example). */
export class PolytomicBadRequestError extends PolytomicError {
  override name = "Polytomic.BadRequest";
}
/** 401: the API key is missing, wrong or revoked. */
export class PolytomicUnauthorizedError extends PolytomicError {
  override name = "Polytomic.Unauthorized";
}
/** 403: the key is valid but may not do this. */
export class PolytomicForbiddenError extends PolytomicError {
  override name = "Polytomic.Forbidden";
}
/** 404: unknown sync, execution or job. */
export class PolytomicNotFoundError extends PolytomicError {
  override name = "Polytomic.NotFound";
}
/** 409: the sync is already running, or a concurrent request used the same Idempotency-Key. */
export class PolytomicConflictError extends PolytomicError {
  override name = "Polytomic.Conflict";
}
/** 429 after the retry budget or deadline ran out. */
export class PolytomicRateLimitError extends PolytomicError {
  override name = "Polytomic.RateLimited";
  override readonly retryable = true;
  /** Seconds the server asked to wait, when it said. */
  readonly retryAfterSeconds: number | undefined;
  constructor(message: string, options: PolytomicErrorOptions & { retryAfterSeconds?: number }) {
    super(message, options);
    this.retryAfterSeconds = options.retryAfterSeconds;
  }
}
/** 5xx after the retry budget or deadline ran out. */
export class PolytomicServerError extends PolytomicError {
  override name = "Polytomic.ServerError";
  override readonly retryable = true;
}
/** The request timed out, the connection failed, or the caller's deadline left no time. */
export class PolytomicTimeoutError extends PolytomicError {
  override name = "Polytomic.Timeout";
  override readonly retryable = true;
}
/** A 2xx response whose body is not the JSON the spec promises. */
export class PolytomicMalformedResponseError extends PolytomicError {
  override name = "Polytomic.MalformedResponse";
  override readonly retryable = true;
}
