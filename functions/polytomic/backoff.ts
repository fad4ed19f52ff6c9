/**
 * Retry timing: exponential backoff with full jitter, and `Retry-After` parsing. Pure
 * functions, so the numbers can be tested without any HTTP.
 */

export interface BackoffOptions {
  /** Cap of the first retry's delay. */
  baseDelayMs: number;
  /** No jittered delay exceeds this (a server's Retry-After still may). */
  maxDelayMs: number;
  /** A number in [0, 1). */
  random: () => number;
}

/**
 * Full-jitter delay before retry number `retry` (0 for the first retry):
 * `random() * min(maxDelayMs, baseDelayMs * 2^retry)`, so the delay lies in
 * `[0, min(maxDelayMs, baseDelayMs * 2^retry))`.
 */
export function fullJitterDelay(retry: number, options: BackoffOptions): number {
  const exp = options.baseDelayMs * 2 ** Math.max(0, retry);
  const cap = Math.min(options.maxDelayMs, Number.isFinite(exp) ? exp : options.maxDelayMs);
  const r = Math.min(Math.max(options.random(), 0), 1);
  return Math.floor(r * cap);
}

/**
 * Milliseconds a `Retry-After` header asks to wait: delta-seconds (`"120"`, decimals
 * tolerated) or an HTTP date (`"Wed, 21 Oct 2015 07:28:00 GMT"`, measured from `nowMs`;
 * a past date means 0). Returns undefined for a missing or unparseable value.
 */
export function parseRetryAfter(
  value: string | null | undefined,
  nowMs: number,
): number | undefined {
  if (value === null || value === undefined) return undefined;
  const text = value.trim();
  if (text === "") return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  // HTTP dates always name a weekday or month; refuse bare numbers and other odd text.
  if (!/[a-z]/i.test(text)) return undefined;
  const at = Date.parse(text);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - nowMs);
}

/**
 * The delay before the next attempt: the jittered backoff, raised to the server's
 * `Retry-After` when it gave one.
 */
export function retryDelay(
  retry: number,
  retryAfterMs: number | undefined,
  options: BackoffOptions,
): number {
  const jitter = fullJitterDelay(retry, options);
  return retryAfterMs === undefined ? jitter : Math.max(jitter, retryAfterMs);
}
