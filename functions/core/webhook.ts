/**
 * Receiving Polytomic's event deliveries (guide "Events"; spec `Event`, `/api/webhooks`):
 * verify the signature over the raw body, reject stale deliveries, and put each accepted event
 * on the stack's EventBridge bus, where the orchestrator and anything else can subscribe
 * (an organization has one webhook, so this receiver must not keep the events to itself).
 *
 * Answers, knowing Polytomic retries a non-2xx answer up to five times:
 * - 401 for a missing or wrong signature, 400 for a body that is not an event or is stale
 *   (created longer ago than `maxAgeMs`, or further than `maxSkewMs` in the future): a retry
 *   cannot fix either, and neither reaches the bus;
 * - 200 for a duplicate this instance already accepted, without putting it on the bus again;
 * - 500 when the bus refused the event, so Polytomic retries;
 * - 200 for an event put on the bus.
 * Duplicates reaching another instance are put on the bus again: consumers must be idempotent
 * on `detail.id` (the event id). Replays older than `maxAgeMs` are rejected as stale; within
 * it a replay carries the same signed event, which idempotent consumers ignore.
 */
import { gunzipSync } from "node:zlib";
import type { Clock, Logger } from "./ports";
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_SKEW_SECONDS,
  EVENT_SOURCE,
  type EventDetail,
  SIGNATURE_ALGORITHMS,
  SIGNATURE_HEADER,
  type SignatureAlgorithm,
} from "./webhook-contract";
import { METRIC_NAMESPACE, WEBHOOK_METRICS, WEBHOOK_OUTCOME_DIMENSION } from "./webhook-metrics";
import { verifySignature } from "./webhook-signature";

export { EVENT_SOURCE, EVENT_TYPES, type EventDetail } from "./webhook-contract";

/** A gzip body may not inflate past this (a Function URL takes 6 MB requests). */
const MAX_INFLATED_BYTES = 16 * 1024 * 1024;

/** EventBridge refuses an entry over 256 KB; past this the payload is left out (ids kept). */
const MAX_DETAIL_BYTES = 200_000;

/** One event as put on the bus: `detail-type` is the Polytomic event type. */
export interface BusEvent {
  source: string;
  detailType: string;
  time: Date;
  detail: EventDetail;
}

export interface WebhookConfig {
  algorithm: SignatureAlgorithm;
  /** Older deliveries are stale. */
  maxAgeMs: number;
  /** Deliveries created further ahead of the receiver's clock are rejected too. */
  maxSkewMs: number;
}

export const DEFAULT_WEBHOOK_WINDOW = {
  maxAgeMs: DEFAULT_MAX_AGE_SECONDS * 1000,
  maxSkewMs: DEFAULT_MAX_SKEW_SECONDS * 1000,
} as const;

export interface WebhookDeps {
  /** The webhook secret (Secrets Manager on AWS). */
  secret(): Promise<string>;
  /** Puts events on the bus; rejects when any entry was refused. */
  publish(events: BusEvent[]): Promise<void>;
  clock: Clock;
  logger: Logger;
  config: WebhookConfig;
  /** Event ids this instance accepted recently. */
  seen: RecentIds;
  /** Receives the metric line (CloudWatch embedded metric format) of each delivery. @default stdout */
  metric?: (line: string) => void;
}

export interface WebhookRequest {
  /** The raw body bytes, exactly as delivered. */
  body: Buffer;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
}

export type DeliveryOutcome = "accepted" | "duplicate" | "rejected" | "failed";

export interface WebhookResponse {
  statusCode: number;
  body: string;
  outcome: DeliveryOutcome;
}

/** Event ids seen within a window, forgotten after it (bounded memory per instance). */
export class RecentIds {
  private readonly ids = new Map<string, number>();

  constructor(
    private readonly windowMs: number,
    private readonly max = 10_000,
  ) {}

  /** Whether `id` was added within the window before `now`. */
  has(id: string, now: number): boolean {
    const at = this.ids.get(id);
    return at !== undefined && now - at <= this.windowMs;
  }

  add(id: string, now: number): void {
    this.ids.set(id, now);
    for (const [key, at] of this.ids) {
      if (this.ids.size <= this.max && now - at <= this.windowMs) break;
      this.ids.delete(key);
    }
  }
}

type Parsed = { detail: EventDetail; createdAt: number } | { problem: string };

const str = (v: unknown): string | undefined =>
  typeof v === "string" && v.trim() !== "" ? v : undefined;

/** The event a verified body carries, or what is wrong with it. */
export function parseEvent(body: Buffer): Parsed {
  let data: unknown;
  try {
    data = JSON.parse(body.toString("utf8"));
  } catch {
    return { problem: "body is not JSON" };
  }
  if (typeof data !== "object" || data === null || Array.isArray(data)) {
    return { problem: "body is not a JSON object" };
  }
  const e = data as Record<string, unknown>;
  const id = str(e.id);
  const type = str(e.type);
  const created = str(e.created_at);
  const createdAt = created === undefined ? Number.NaN : Date.parse(created);
  if (id === undefined || type === undefined) return { problem: "event without id or type" };
  if (created === undefined || Number.isNaN(createdAt)) {
    return { problem: "event without a valid created_at" };
  }
  const payload =
    typeof e.event === "object" && e.event !== null && !Array.isArray(e.event)
      ? (e.event as Record<string, unknown>)
      : undefined;
  const detail: EventDetail = { id, type, created_at: created };
  const org = str(e.organization_id) ?? str(payload?.organization_id);
  if (org !== undefined) detail.organization_id = org;
  const executionId = str(payload?.execution_id);
  const syncId = str(payload?.sync_id);
  if (executionId !== undefined) detail.execution_id = executionId;
  if (syncId !== undefined) detail.sync_id = syncId;
  if (payload !== undefined) detail.event = payload;
  return { detail: fitDetail(detail), createdAt };
}

function fitDetail(detail: EventDetail): EventDetail {
  if (Buffer.byteLength(JSON.stringify(detail)) <= MAX_DETAIL_BYTES) return detail;
  const { event: _dropped, ...ids } = detail;
  return { ...ids, event_omitted: true };
}

/** Why a delivery created at `createdAt` is not fresh at `now`, or undefined when it is. */
export function staleness(createdAt: number, now: number, config: WebhookConfig) {
  if (now - createdAt > config.maxAgeMs) return "stale: created too long ago";
  if (createdAt - now > config.maxSkewMs) return "stale: created in the future";
  return undefined;
}

/**
 * The bytes a signature may cover, the JSON body last; undefined for a body that says it is
 * gzip-encoded and is not. A gzip body (`Content-Encoding: gzip`: Polytomic sends its sync
 * webhooks so; its events guide does not say) may be signed before or after compression:
 * either reading is accepted.
 */
function signable(request: WebhookRequest): Buffer[] | undefined {
  const gzip = /^\s*gzip\s*$/i.test(request.headers["content-encoding"] ?? "");
  if (!gzip) return [request.body];
  try {
    return [request.body, gunzipSync(request.body, { maxOutputLength: MAX_INFLATED_BYTES })];
  } catch {
    return undefined;
  }
}

/**
 * Why a signature did not verify, naming another algorithm it does verify under: the hash and
 * encoding are not documented, so the first real delivery tells which one Polytomic uses
 * (docs/webhooks.md). Such a delivery is still rejected.
 */
function mismatch(
  bytes: Buffer[],
  header: string,
  secret: string,
  configured: SignatureAlgorithm,
): string {
  const other = SIGNATURE_ALGORITHMS.find(
    (a) => a !== configured && bytes.some((b) => verifySignature(b, header, secret, a)),
  );
  return other === undefined
    ? "signature does not match"
    : `signature does not match ${configured} but matches ${other}: set webhookSignatureAlgorithm to ${other} if Polytomic signs that way`;
}

/** Handles one delivery; never throws (a failure is a 500 answer). */
export async function receiveDelivery(
  request: WebhookRequest,
  deps: WebhookDeps,
): Promise<WebhookResponse> {
  const answer = respond(deps);
  const header = request.headers[SIGNATURE_HEADER];
  if (!header) return answer(401, "rejected", "missing Polytomic-Signature");
  let secret: string;
  try {
    secret = await deps.secret();
  } catch (err) {
    deps.logger.error("cannot read the webhook secret", { error: (err as Error).name });
    return answer(500, "failed", "receiver misconfigured");
  }
  const { algorithm } = deps.config;
  const bytes = signable(request);
  if (bytes === undefined) return answer(400, "rejected", "body is not gzip as it says");
  if (!bytes.some((b) => verifySignature(b, header, secret, algorithm))) {
    return answer(401, "rejected", mismatch(bytes, header, secret, algorithm));
  }
  const parsed = parseEvent(bytes.at(-1) ?? request.body);
  if ("problem" in parsed) return answer(400, "rejected", parsed.problem);
  const { detail, createdAt } = parsed;
  const ids = { event_id: detail.id, event_type: detail.type };
  const now = deps.clock.now();
  const stale = staleness(createdAt, now, deps.config);
  if (stale) return answer(400, "rejected", stale, ids);
  if (deps.seen.has(detail.id, now)) return answer(200, "duplicate", "already accepted", ids);
  try {
    await deps.publish([
      { source: EVENT_SOURCE, detailType: detail.type, time: new Date(createdAt), detail },
    ]);
  } catch (err) {
    deps.logger.error("the bus refused the event", { ...ids, error: (err as Error).name });
    return answer(500, "failed", "could not forward the event", ids);
  }
  deps.seen.add(detail.id, now);
  return answer(200, "accepted", "accepted", ids);
}

function respond(deps: WebhookDeps) {
  const write = deps.metric ?? ((line: string) => process.stdout.write(`${line}\n`));
  return (
    statusCode: number,
    outcome: DeliveryOutcome,
    reason: string,
    fields: Record<string, string> = {},
  ): WebhookResponse => {
    const level = outcome === "rejected" || outcome === "failed" ? "warn" : "info";
    deps.logger[level](`webhook delivery ${outcome}: ${reason}`, {
      ...fields,
      status: statusCode,
    });
    write(webhookMetricLine(outcome, deps.clock.now()));
    return { statusCode, body: JSON.stringify({ outcome, reason }), outcome };
  };
}

/** The CloudWatch embedded-metric-format line counting one delivery with `outcome`. */
export function webhookMetricLine(outcome: DeliveryOutcome, nowMs: number): string {
  const { name, unit } = WEBHOOK_METRICS.deliveries;
  return JSON.stringify({
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [[WEBHOOK_OUTCOME_DIMENSION]],
          Metrics: [{ Name: name, Unit: unit }],
        },
      ],
    },
    [WEBHOOK_OUTCOME_DIMENSION]: outcome,
    [name]: 1,
  });
}
