/**
 * The webhook receiver's contract, shared by the receiver (functions/core/webhook.ts), the
 * simulator that signs deliveries, and the CDK construct that configures and documents it.
 * Constants and types only, so CDK code may import it.
 */

/**
 * How `Polytomic-Signature` may be computed. Polytomic's events guide says only that it is an
 * HMAC of the request body with the webhook's secret ("HMAC validation"); the hash and the
 * encoding are not documented, so they are configurable.
 */
export const SIGNATURE_ALGORITHMS = [
  "hmac-sha256-hex",
  "hmac-sha256-base64",
  "hmac-sha512-hex",
  "hmac-sha1-hex",
] as const;
export type SignatureAlgorithm = (typeof SIGNATURE_ALGORITHMS)[number];

/**
 * Assumed, not documented: SHA-256 in hex is the most common webhook HMAC. Change it with the
 * stack's `webhookSignatureAlgorithm` once a real delivery shows otherwise (docs/webhooks.md).
 */
export const DEFAULT_SIGNATURE_ALGORITHM: SignatureAlgorithm = "hmac-sha256-hex";

/** The signature header, lower case as Node and Lambda Function URLs hand headers over. */
export const SIGNATURE_HEADER = "polytomic-signature";

export function isSignatureAlgorithm(value: string): value is SignatureAlgorithm {
  return (SIGNATURE_ALGORITHMS as readonly string[]).includes(value);
}

/** The event types of the events guide; others are still forwarded (Polytomic may add some). */
export const EVENT_TYPES = [
  "sync.running",
  "sync.completed",
  "sync.completed_with_errors",
  "sync.failed",
  "sync.canceled",
  "bulk_sync.running",
  "bulk_sync.completed",
  "bulk_sync.completed_with_error",
  "bulk_sync.failed",
  "bulk_sync.canceled",
] as const;

/**
 * The event types that end a step's token wait (functions/core/event-wait.ts): every type of
 * the events guide but the `running` ones, which say nothing a check could act on. Polytomic
 * sends nothing for `interrupted`: such a run is seen at the wait's timeout. The stack's rule
 * matches this list and wake checks it again.
 */
export const WAKE_EVENT_TYPES: readonly string[] = EVENT_TYPES.filter(
  (t) => !t.endsWith(".running"),
);

/**
 * The EventBridge `source` of every event the receiver forwards; its `detail-type` is the
 * Polytomic event type, and its `detail` an `EventDetail`.
 */
export const EVENT_SOURCE = "polytomic";

/** A forwarded event's `detail`: the ids a rule matches on, and Polytomic's payload. */
export interface EventDetail {
  /** The Polytomic event id: consumers deduplicate on it. */
  id: string;
  type: string;
  created_at: string;
  organization_id?: string;
  execution_id?: string;
  sync_id?: string;
  /** The delivery's `event` object as Polytomic sent it (left out when too large). */
  event?: Record<string, unknown>;
  event_omitted?: true;
}

/** The receiver's defaults: older deliveries are stale; so are those this far in the future. */
export const DEFAULT_MAX_AGE_SECONDS = 900;
export const DEFAULT_MAX_SKEW_SECONDS = 300;
