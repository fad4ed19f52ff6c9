/** Classifies AWS SDK errors into contract names (Aws.Throttled / Aws.Unavailable). */

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
