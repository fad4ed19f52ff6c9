/** Classifies AWS SDK errors into contract names (Aws.Throttled / Aws.Unavailable). */
import { HandlerError } from "../core/errors";

const THROTTLING = new Set([
  "ThrottlingException",
  "Throttling",
  "ThrottledException",
  "TooManyRequestsException",
  "RequestLimitExceeded",
  "RequestThrottled",
  "RequestThrottledException",
  "SlowDown",
  "LimitExceededException",
]);

interface SdkErrorLike {
  name?: string;
  $fault?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function isThrottling(err: unknown): boolean {
  const e = err as SdkErrorLike | undefined;
  return (
    typeof e === "object" &&
    e !== null &&
    ((e.name !== undefined && THROTTLING.has(e.name)) || e.$metadata?.httpStatusCode === 429)
  );
}

/** Server-side or network trouble that a later attempt may not see. */
export function isTransient(err: unknown): boolean {
  const e = err as SdkErrorLike | undefined;
  if (typeof e !== "object" || e === null) return false;
  if (isThrottling(e)) return true;
  const status = e.$metadata?.httpStatusCode;
  return (
    e.$fault === "server" ||
    (status !== undefined && status >= 500) ||
    e.$retryable !== undefined ||
    ["TimeoutError", "NetworkingError", "ECONNRESET", "ETIMEDOUT"].includes(e.name ?? "")
  );
}

/**
 * An AWS SDK error as a contract error: `Aws.Throttled` or `Aws.Unavailable` (retryable)
 * when a later attempt may succeed, else `permanent` (the caller's name for it). The
 * message says what was being done and the SDK error's name, never its payload.
 */
export function awsHandlerError(
  err: unknown,
  doing: string,
  permanent: "Config.Invalid" | "Internal.Error" = "Config.Invalid",
): HandlerError {
  const name = (err as { name?: string } | undefined)?.name ?? "Error";
  if (isThrottling(err))
    return new HandlerError("Aws.Throttled", `${doing} was throttled`, { cause: err });
  if (isTransient(err)) {
    return new HandlerError("Aws.Unavailable", `${doing} failed: ${name}`, { cause: err });
  }
  return new HandlerError(permanent, `${doing} failed: ${name}`, { cause: err });
}
