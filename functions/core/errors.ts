/**
 * The one error class the handlers throw to Step Functions. Its `name` is part of the
 * contract (error-names.ts); `cause` keeps the original error for logs and debugging.
 */
import type { HandlerErrorName } from "./error-names";
import { OUTCOME_ERRORS, PERMANENT_ERRORS, RETRYABLE_ERRORS } from "./error-names";

const KNOWN_NAMES: ReadonlySet<string> = new Set<string>([
  ...RETRYABLE_ERRORS,
  ...PERMANENT_ERRORS,
  ...OUTCOME_ERRORS,
]);

/** Whether `name` is one of the contract's error names. */
export function isHandlerErrorName(name: string): name is HandlerErrorName {
  return KNOWN_NAMES.has(name);
}

/** Whether the state machine retries an error with this name. */
export function isRetryableName(name: string): boolean {
  return (RETRYABLE_ERRORS as readonly string[]).includes(name);
}

export class HandlerError extends Error {
  override readonly name: HandlerErrorName;

  constructor(name: HandlerErrorName, message: string, options?: { cause?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = name;
  }
}

/** `Input.Invalid` naming the offending field: `sync_type: must be "model" or "bulk"`. */
export function invalidInput(field: string, problem: string): HandlerError {
  return new HandlerError("Input.Invalid", `${field}: ${problem}`);
}
