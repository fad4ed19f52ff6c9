/**
 * Event-driven waiting (issue 16.2). Between two checks of a run, the run-sync machine waits
 * on a task token instead of a Wait state: register-wait stores the token under the Polytomic
 * execution id, and wake, subscribed to the webhook receiver's bus, hands it back to Step
 * Functions (SendTaskSuccess) when an event says that execution ended. The wait's timeout is
 * the one check-status (or start-sync) chose from the webhook's measured delivery
 * (functions/core/delivery.ts), so a lost event costs, in expectation, what polling costs.
 * wake also marks every event it receives seen for its execution: the delivery's measure.
 *
 * An event is only a hint: the wake ends the wait early and carries nothing into the machine
 * (its result is discarded); check-status then reads the execution, and only that read decides
 * the step. So a forged event (one that got past the signature, or was put on the bus by
 * someone allowed to) costs one status call, a duplicate or late one finds a closed token
 * (`TaskTimedOut`, ignored), and a lost one the poll interval. Consumers of the bus must be
 * idempotent (docs/webhooks.md): this one is, by construction.
 */
import type { DeliveryStore } from "./delivery";
import { invalidInput } from "./errors";
import type { Clock, Logger } from "./ports";
import { EVENT_TYPES, type EventDetail, WAKE_EVENT_TYPES } from "./webhook-contract";

/**
 * How long past its own timeout a stored token is kept (the store's TTL). The step has moved
 * on by then; the margin only covers clock skew between Lambda and the store.
 */
export const WAIT_RECORD_GRACE_SECONDS = 3600;

/** register-wait's input: the run-sync machine's Payload of the token task. */
export interface WaitRegistration {
  /** The Polytomic execution the step waits for. */
  execution_id: string;
  /** The waiting run-sync execution's ARN (`$$.Execution.Id`): one record per waiter. */
  waiter: string;
  /** `$$.Task.Token`: a secret of sorts (whoever holds it and may call SendTaskSuccess resumes the wait). Never logged. */
  token: string;
  /** The wait's timeout: check-status's `event_wait_seconds`. */
  wait_seconds: number;
}

/** A stored wait. */
export interface StoredWait {
  waiter: string;
  token: string;
  /** Epoch seconds after which the wait has certainly timed out. */
  expires_at: number;
}

/** Where waits are kept, by Polytomic execution id (several steps may attach to one run). */
export interface WaitStore {
  /** Stores (or replaces) the waiter's record under the execution id. */
  put(executionId: string, wait: StoredWait): Promise<void>;
  /** Every waiter's record under the execution id. */
  list(executionId: string): Promise<StoredWait[]>;
}

/** Step Functions' callback API. */
export interface TaskTokens {
  /** SendTaskSuccess; rejects with the service's error name (`TaskTimedOut`, `InvalidToken`, ...). */
  succeed(token: string, output: unknown): Promise<void>;
}

/**
 * SendTaskSuccess errors that mean the wait is over already (it timed out, an earlier event
 * woke it, or its execution ended): the event is late, and harmless.
 */
export const CLOSED_TOKEN_ERRORS: readonly string[] = [
  "TaskTimedOut",
  "InvalidToken",
  "TaskDoesNotExist",
];

function text(input: Record<string, unknown>, field: string): string {
  const v = input[field];
  if (typeof v !== "string" || v === "") throw invalidInput(field, "must be a non-empty string");
  return v;
}

export function parseRegistration(input: unknown): WaitRegistration {
  if (input === null || typeof input !== "object") throw invalidInput("input", "must be an object");
  const o = input as Record<string, unknown>;
  const seconds = o.wait_seconds;
  if (typeof seconds !== "number" || !Number.isFinite(seconds) || seconds < 0) {
    throw invalidInput("wait_seconds", "must be a non-negative number");
  }
  return {
    execution_id: text(o, "execution_id"),
    waiter: text(o, "waiter"),
    token: text(o, "token"),
    wait_seconds: seconds,
  };
}

export interface RegisterWaitDeps {
  store: WaitStore;
  clock: Clock;
}

/** Stores the token; the wait itself is the Task's (its timeout is the poll interval). */
export async function registerWait(
  input: unknown,
  deps: RegisterWaitDeps,
): Promise<{ registered: true; expires_at: number }> {
  const r = parseRegistration(input);
  const expires_at =
    Math.ceil(deps.clock.now() / 1000) + Math.ceil(r.wait_seconds) + WAIT_RECORD_GRACE_SECONDS;
  await deps.store.put(r.execution_id, { waiter: r.waiter, token: r.token, expires_at });
  return { registered: true, expires_at };
}

export interface WakeDeps {
  store: WaitStore;
  tokens: TaskTokens;
  clock: Clock;
  logger: Logger;
  /** Where each received event is marked (functions/core/delivery.ts). @default - not marked */
  delivery?: DeliveryStore;
}

export interface WakeResult {
  /** Waits resumed. */
  woken: number;
  /** Tokens already closed (late or duplicate events). */
  closed: number;
  /** Why nothing was looked up, when nothing was. */
  ignored?: "event type" | "no execution id";
  /** Whether the event was marked seen for its execution (the measured delivery). */
  marked?: boolean;
}

/**
 * Resumes every step waiting for the event's execution. The output handed to the wait is
 * discarded by the machine (ResultPath null): nothing of the event decides anything.
 * Other SendTaskSuccess errors are thrown, so EventBridge's retries of the invocation apply.
 */
export async function wakeWaiters(detail: EventDetail, deps: WakeDeps): Promise<WakeResult> {
  const executionId = detail.execution_id;
  const known = (EVENT_TYPES as readonly string[]).includes(detail.type);
  const marked = known && executionId ? await markSeen(executionId, detail.type, deps) : undefined;
  const mark = marked === undefined ? {} : { marked };
  if (!WAKE_EVENT_TYPES.includes(detail.type))
    return { woken: 0, closed: 0, ignored: "event type", ...mark };
  if (!executionId) return { woken: 0, closed: 0, ignored: "no execution id" };
  const now = deps.clock.now() / 1000;
  const result: WakeResult = { woken: 0, closed: 0, ...mark };
  for (const wait of await deps.store.list(executionId)) {
    if (wait.expires_at < now) continue;
    try {
      await deps.tokens.succeed(wait.token, { event_id: detail.id, event_type: detail.type });
      result.woken++;
    } catch (error) {
      if (!CLOSED_TOKEN_ERRORS.includes((error as Error).name)) throw error;
      result.closed++;
    }
  }
  deps.logger.info("waits woken", {
    event_id: detail.id,
    event_type: detail.type,
    execution_id: executionId,
    woken: result.woken,
    closed: result.closed,
  });
  return result;
}

/**
 * Marks an execution's event as received, running ones included (the measured delivery,
 * functions/core/delivery.ts). A failure is logged, not thrown: waking the waiters matters
 * more, and a missing mark only makes the webhook look lossier (more polling).
 */
async function markSeen(
  executionId: string,
  eventType: string,
  deps: WakeDeps,
): Promise<boolean | undefined> {
  if (!deps.delivery) return undefined;
  try {
    await deps.delivery.markSeen(executionId, eventType);
    return true;
  } catch (error) {
    deps.logger.warn("event not marked seen", {
      execution_id: executionId,
      error: (error as Error).name,
    });
    return false;
  }
}
