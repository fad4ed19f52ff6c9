/**
 * Checks on what callers hand the client, made before anything is sent. A failed check is a
 * bug or misconfiguration in the caller, so it gets its own error name, `Input.Invalid`
 * (permanent for the state machines), rather than pretending the API said 400.
 */
import { PolytomicError } from "./errors";

/**
 * The caller gave the client something it cannot send (an Idempotency-Key of the wrong
 * format, an empty id, a URL that does not parse). Nothing was sent: `attempts` is 0.
 */
export class PolytomicInputError extends PolytomicError {
  override name = "Input.Invalid";

  constructor(message: string, request?: string) {
    super(message, { attempts: 0, ...(request === undefined ? {} : { request }) });
  }
}

/** The format Polytomic accepts for `Idempotency-Key`. */
export const IDEMPOTENCY_KEY_PATTERN = /^[A-Za-z0-9_-]{8,255}$/;

/** Throws `Input.Invalid` unless `key` is 8-255 characters of [A-Za-z0-9_-]. */
export function checkIdempotencyKey(key: unknown, request: string): string {
  if (typeof key !== "string" || !IDEMPOTENCY_KEY_PATTERN.test(key)) {
    const what =
      typeof key !== "string"
        ? `is missing (got ${key === null ? "null" : typeof key})`
        : `has ${key.length} characters${/[^A-Za-z0-9_-]/.test(key) ? " including characters outside [A-Za-z0-9_-]" : ""}`;
    throw new PolytomicInputError(
      `${request}: idempotencyKey ${what}; it must be 8-255 characters of [A-Za-z0-9_-]`,
      request,
    );
  }
  return key;
}

/** Throws `Input.Invalid` unless `value` is a non-empty string (a path parameter). */
export function checkPathParam(name: string, value: unknown, request: string): string {
  if (typeof value !== "string" || value.trim() === "") {
    throw new PolytomicInputError(
      `${request}: ${name} must be a non-empty string (got ${value === "" ? "an empty string" : typeof value})`,
      request,
    );
  }
  return value;
}
