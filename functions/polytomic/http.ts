/**
 * The retrying HTTP core of the client: one `send` runs attempts until a response is
 * accepted, a permanent error arrives, the attempt budget is used up, or the caller's
 * deadline leaves no room for another wait. It knows nothing of Polytomic's paths; client.ts
 * builds the requests and says how to read a 2xx answer.
 *
 * Retried: 408, 429, 5xx, network errors (reset, refused, DNS), per-attempt timeouts, and
 * 2xx answers whose body is not the promised JSON. Retrying a POST is safe because every
 * POST the client sends carries an Idempotency-Key: the server replays the first answer.
 * Not retried: other 4xx (409 included) and redirects.
 */

import { parseRetryAfter, retryDelay } from "./backoff";
import {
  PolytomicBadRequestError,
  PolytomicConflictError,
  PolytomicError,
  type PolytomicErrorOptions,
  PolytomicForbiddenError,
  PolytomicMalformedResponseError,
  PolytomicNotFoundError,
  PolytomicRateLimitError,
  PolytomicServerError,
  PolytomicTimeoutError,
  PolytomicUnauthorizedError,
} from "./errors";
import { redactText, redactUrl, redactValue } from "./redact";
import { noteRetry } from "./retry-scope";
import type { ApiErrorBody } from "./types";

/** What `onRetry` hears before each wait. Holds no secrets. */
export interface RetryInfo {
  /** The attempt that just failed (1 for the first). */
  attempt: number;
  /** How long the client will wait before the next attempt. */
  delayMs: number;
  /** HTTP status of the failed attempt, when there was a response. */
  status?: number;
  /** The error name the failure would have been thrown as (`Polytomic.ServerError`, ...). */
  errorName: string;
  /** `METHOD /path` (API calls) or `GET origin/path` (downloads). */
  request: string;
}

/** Optional sink for debug and warning lines. Data objects never hold secrets. */
export interface ClientLogger {
  debug?(msg: string, data?: object): void;
  warn?(msg: string, data?: object): void;
}

export interface TransportSettings {
  fetch: typeof fetch;
  maxAttempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  requestTimeoutMs: number;
  defaultTimeoutMs: number;
  sleep: (ms: number) => Promise<void>;
  now: () => number;
  random: () => number;
  onRetry?: (info: RetryInfo) => void;
  logger?: ClientLogger;
}

/** Thrown by a 2xx reader when the body is not what the spec promises. */
export class MalformedBody extends Error {
  override name = "MalformedBody";
}

/** One logical request, attempted up to `maxAttempts` times. */
export interface OutgoingRequest<T> {
  method: "GET" | "POST" | "PUT" | "DELETE";
  url: URL;
  /** `METHOD /path`, used in errors and logs (no host for the API, no query string ever). */
  label: string;
  headers: Record<string, string>;
  body?: string;
  /** Strings that must never appear in an error or log (API key, URL query values). */
  secrets: readonly string[];
  /** `manual` for the API (a redirect is a configuration problem), `follow` for downloads. */
  redirect: "manual" | "follow";
  /** Reads a 2xx response; throws `MalformedBody` for a body that is not what was promised. */
  accept: (res: Response) => Promise<T>;
  /** Turns a non-2xx response into the API's error body and a one-line reason. */
  describe: (res: Response) => Promise<{ body?: ApiErrorBody; reason: string }>;
  deadline?: number;
  signal?: AbortSignal;
  /**
   * For a request with an `Idempotency-Key` header, after an answered 408/429/5xx:
   * "rotate" sends the next attempt with `<key>-r<n>` (n answered errors so far), "throw"
   * throws at once. Without it the same request is sent again.
   */
  answeredError?: "rotate" | "throw";
}

/** The Idempotency-Key of the attempt after `n` answered errors: within 255 characters. */
export function rotatedKey(key: string, n: number): string {
  if (n === 0) return key;
  const suffix = `-r${n}`;
  return `${key.slice(0, 255 - suffix.length)}${suffix}`;
}

type FailureKind = "status" | "network" | "timeout" | "malformed" | "redirect";

interface Failure {
  kind: FailureKind;
  retryable: boolean;
  status?: number;
  body?: ApiErrorBody;
  /** Redacted one-line reason. */
  reason: string;
  retryAfterMs?: number;
  cause?: unknown;
}

type AttemptResult<T> = { ok: true; value: T } | { ok: false; failure: Failure };

const RETRYABLE_STATUS = (status: number) => status === 408 || status === 429 || status >= 500;
/** Statuses whose Retry-After is a minimum wait (RFC 9110 defines it for 429 and 503). */
const HONOURS_RETRY_AFTER = (status: number) => status === 429 || status === 503;

/** The error name a failure is thrown as. */
function errorClassFor(
  failure: Failure,
): new (
  message: string,
  options: PolytomicErrorOptions & { retryAfterSeconds?: number },
) => PolytomicError {
  switch (failure.kind) {
    case "network":
    case "timeout":
      return PolytomicTimeoutError;
    case "malformed":
      return PolytomicMalformedResponseError;
    case "redirect":
      return PolytomicError;
    case "status":
      break;
  }
  const status = failure.status ?? 0;
  if (status === 400 || status === 422) return PolytomicBadRequestError;
  if (status === 401) return PolytomicUnauthorizedError;
  if (status === 403) return PolytomicForbiddenError;
  if (status === 404) return PolytomicNotFoundError;
  if (status === 408) return PolytomicTimeoutError;
  if (status === 409) return PolytomicConflictError;
  if (status === 429) return PolytomicRateLimitError;
  if (status >= 500) return PolytomicServerError;
  return PolytomicError;
}

function errorNameFor(failure: Failure): string {
  const Cls = errorClassFor(failure);
  return new Cls("", {}).name;
}

/** Where one `send` stands between attempts. */
interface SendProgress<T> {
  /** The request as the next attempt sends it (its Idempotency-Key may have rotated). */
  req: OutgoingRequest<T>;
  deadline: number;
  /** The caller's Idempotency-Key, if any: rotated keys derive from it. */
  baseKey: string | undefined;
  attempts: number;
  answeredErrors: number;
  /** Attempts with the current key that got no answer. */
  unanswered: number;
  last?: Failure;
}

const attemptsText = (n: number) => `${n} attempt${n === 1 ? "" : "s"}`;

/** Runs requests with retries, timeouts and the caller's deadline. */
export class HttpTransport {
  constructor(private readonly settings: TransportSettings) {}

  async send<T>(request: OutgoingRequest<T>): Promise<T> {
    const s = this.settings;
    const p: SendProgress<T> = {
      req: request,
      deadline: request.deadline ?? s.now() + s.defaultTimeoutMs,
      baseKey: request.headers["Idempotency-Key"],
      attempts: 0,
      answeredErrors: 0,
      unanswered: 0,
    };
    for (;;) {
      throwIfAborted(p.req.signal);
      const left = p.deadline - s.now();
      if (left <= 0) throw this.deadlinePassed(p);
      p.attempts += 1;
      const timeoutMs = Math.min(s.requestTimeoutMs, left);
      s.logger?.debug?.("polytomic request", {
        request: p.req.label,
        attempt: p.attempts,
        timeoutMs,
      });
      const result = await this.attempt(p.req, timeoutMs, timeoutMs < s.requestTimeoutMs);
      if (result.ok) return result.value;
      p.last = result.failure;
      this.afterFailure(p, result.failure);
      await s.sleep(this.retryDelay(p, result.failure));
    }
  }

  /** The error for a call whose deadline passed before its next attempt. */
  private deadlinePassed(p: SendProgress<unknown>): PolytomicError {
    const failure: Failure = p.last ?? {
      kind: "timeout",
      retryable: true,
      reason: "the call's deadline had already passed; nothing was sent",
    };
    return this.toError(failure, p.req, p.attempts, p.last ? "; the deadline passed" : "");
  }

  /**
   * Throws what must not be retried (a permanent failure, an answered error under "throw",
   * the last attempt); otherwise rotates the Idempotency-Key after an answered error.
   */
  private afterFailure(p: SendProgress<unknown>, failure: Failure): void {
    const { baseKey } = p;
    if (!failure.retryable) throw this.toError(failure, p.req, p.attempts, "", p.unanswered);
    if (failure.kind === "status" && baseKey !== undefined && p.req.answeredError) {
      if (p.req.answeredError === "throw") {
        const note = "; not retried with the same Idempotency-Key";
        throw this.toError(failure, p.req, p.attempts, note, p.unanswered);
      }
      p.answeredErrors += 1;
      p.unanswered = 0;
      p.req = {
        ...p.req,
        headers: { ...p.req.headers, "Idempotency-Key": rotatedKey(baseKey, p.answeredErrors) },
      };
    }
    if (failure.kind === "network" || failure.kind === "timeout") p.unanswered += 1;
    if (p.attempts >= this.settings.maxAttempts) {
      const note = `; gave up after ${attemptsText(p.attempts)}`;
      throw this.toError(failure, p.req, p.attempts, note);
    }
  }

  /** The wait before the next attempt (told to onRetry and the logger); throws past the deadline. */
  private retryDelay(p: SendProgress<unknown>, failure: Failure): number {
    const s = this.settings;
    const retryAfter =
      failure.status !== undefined && HONOURS_RETRY_AFTER(failure.status)
        ? failure.retryAfterMs
        : undefined;
    const delayMs = retryDelay(p.attempts - 1, retryAfter, {
      baseDelayMs: s.baseDelayMs,
      maxDelayMs: s.maxDelayMs,
      random: s.random,
    });
    if (s.now() + delayMs >= p.deadline) {
      const note = `; gave up after ${attemptsText(p.attempts)}: the next retry (in ${delayMs} ms) would pass the call's deadline`;
      throw this.toError(failure, p.req, p.attempts, note);
    }
    const info: RetryInfo = {
      attempt: p.attempts,
      delayMs,
      errorName: errorNameFor(failure),
      request: p.req.label,
      ...(failure.status === undefined ? {} : { status: failure.status }),
    };
    noteRetry();
    s.onRetry?.(info);
    s.logger?.warn?.("polytomic request failed; retrying", { ...info, reason: failure.reason });
    return delayMs;
  }

  /** One attempt: never throws except for the caller's own abort. */
  private async attempt<T>(
    req: OutgoingRequest<T>,
    timeoutMs: number,
    cappedByDeadline: boolean,
  ): Promise<AttemptResult<T>> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), timeoutMs);
    const signal = req.signal
      ? AbortSignal.any([controller.signal, req.signal])
      : controller.signal;
    const timedOut = (): Failure => ({
      kind: "timeout",
      retryable: true,
      reason: `no response within ${timeoutMs} ms${cappedByDeadline ? " (the time left before the call's deadline)" : ""}`,
    });
    /** A failure while waiting: the caller's abort is thrown, our timeout is a timeout. */
    const failed = (other: () => Failure): AttemptResult<T> => {
      throwIfAborted(req.signal);
      return { ok: false, failure: controller.signal.aborted ? timedOut() : other() };
    };
    try {
      let res: Response;
      try {
        res = await this.settings.fetch(req.url, {
          method: req.method,
          headers: req.headers,
          redirect: req.redirect,
          signal,
          ...(req.body === undefined ? {} : { body: req.body }),
        });
      } catch (err) {
        return failed(() => this.networkFailure(err, req));
      }
      if (res.status >= 200 && res.status < 300) {
        try {
          return { ok: true, value: await req.accept(res) };
        } catch (err) {
          return failed(() => this.unreadableSuccess(err, res.status, req));
        }
      }
      if (res.status >= 300 && res.status < 400) {
        return { ok: false, failure: await redirectFailure(res, req) };
      }
      return { ok: false, failure: await this.statusFailure(res, req) };
    } finally {
      clearTimeout(timer);
    }
  }

  /** A 2xx whose body could not be read: malformed (retried) or a broken connection. */
  private unreadableSuccess(err: unknown, status: number, req: OutgoingRequest<unknown>): Failure {
    if (!(err instanceof MalformedBody)) return this.networkFailure(err, req);
    return {
      kind: "malformed",
      retryable: true,
      status,
      reason: `the ${status} response is not the JSON the API promises (${redactText(err.message, req.secrets)})`,
    };
  }

  /** A 4xx or 5xx: the API's error body and reason, redacted, and its Retry-After. */
  private async statusFailure(res: Response, req: OutgoingRequest<unknown>): Promise<Failure> {
    let described: { body?: ApiErrorBody; reason: string };
    try {
      described = await req.describe(res);
    } catch {
      described = { reason: `HTTP ${res.status}` };
    }
    const retryAfterMs = parseRetryAfter(res.headers.get("retry-after"), this.settings.now());
    return {
      kind: "status",
      retryable: RETRYABLE_STATUS(res.status),
      status: res.status,
      reason: redactText(described.reason, req.secrets),
      ...(described.body === undefined ? {} : { body: scrubBody(described.body, req.secrets) }),
      ...(retryAfterMs === undefined ? {} : { retryAfterMs }),
    };
  }

  private networkFailure(err: unknown, req: OutgoingRequest<unknown>): Failure {
    return {
      kind: "network",
      retryable: true,
      reason: `network error: ${redactText(describeNetworkError(err), req.secrets)}`,
      cause: sanitizeCause(err, req.secrets),
    };
  }

  private toError(
    failure: Failure,
    req: OutgoingRequest<unknown>,
    attempts: number,
    note: string,
    unansweredAttempts = 0,
  ): PolytomicError {
    const Cls = errorClassFor(failure);
    const statusPart = failure.status === undefined ? "" : ` (${failure.status})`;
    const message = redactText(`${req.label}: ${failure.reason}${statusPart}${note}`, req.secrets);
    return new Cls(message, {
      request: req.label,
      attempts,
      ...(unansweredAttempts > 0 ? { unansweredAttempts } : {}),
      ...(failure.status === undefined ? {} : { status: failure.status }),
      ...(failure.body === undefined ? {} : { body: failure.body }),
      ...(failure.cause === undefined ? {} : { cause: failure.cause }),
      ...(failure.retryAfterMs === undefined
        ? {}
        : { retryAfterSeconds: Math.ceil(failure.retryAfterMs / 1000) }),
    });
  }
}

/** A 3xx: never followed for the API (the base URL is wrong). */
async function redirectFailure(res: Response, req: OutgoingRequest<unknown>): Promise<Failure> {
  await discard(res);
  const location = res.headers.get("location");
  let target = "";
  if (location) {
    try {
      target = ` to ${redactUrl(new URL(location, req.url))}`;
    } catch {
      target = " (to an unparseable location)";
    }
  }
  return {
    kind: "redirect",
    retryable: false,
    status: res.status,
    reason: `unexpected redirect${target}; check the base URL (it must be the API's own https origin)`,
  };
}

function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) {
    throw signal.reason ?? new DOMException("The operation was aborted.", "AbortError");
  }
}

/** Reads and drops a body so the connection can be reused. */
export async function discard(res: Response): Promise<void> {
  try {
    await res.body?.cancel();
  } catch {
    // nothing to do: the body is gone either way
  }
}

/** `ECONNRESET`, `ENOTFOUND example.com`, ... from undici's `fetch failed` chain. */
function describeNetworkError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; depth < 4 && current instanceof Error; depth++) {
    const code = (current as { code?: unknown }).code;
    if (typeof code === "string") {
      parts.push(current.message.includes(code) ? current.message : `${code} ${current.message}`);
      break;
    }
    if (current.message && current.message !== "fetch failed") parts.push(current.message);
    current = current.cause;
  }
  const text = parts.join(": ") || (err instanceof Error ? err.message : String(err));
  return text.split("\n")[0] ?? text;
}

/**
 * A copy of a network error's chain with secrets removed, so `error.cause` can be logged:
 * keeps names, messages and codes, nothing else.
 */
function sanitizeCause(err: unknown, secrets: readonly string[], depth = 0): Error | undefined {
  if (!(err instanceof Error) || depth > 3) return undefined;
  const inner = sanitizeCause(err.cause, secrets, depth + 1);
  const copy = new Error(
    redactText(err.message, secrets),
    inner === undefined ? undefined : { cause: inner },
  );
  copy.name = err.name;
  const code = (err as { code?: unknown }).code;
  if (typeof code === "string") Object.assign(copy, { code });
  copy.stack = `${copy.name}: ${copy.message}`;
  return copy;
}

/** The API's error body with secrets removed from its text and secret-named fields. */
function scrubBody(body: ApiErrorBody, secrets: readonly string[]): ApiErrorBody {
  return redactValue(body, secrets) as ApiErrorBody;
}
