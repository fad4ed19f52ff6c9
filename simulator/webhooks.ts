/**
 * The simulator's webhook: the organization's one registration (`/api/webhooks`) and the
 * delivery of signed events to it, as Polytomic's events guide describes: one POST per event,
 * the `Event` envelope as body, an HMAC of the body in `Polytomic-Signature`, up to five
 * retries with exponential backoff on a non-2xx answer, at most once, in no guaranteed order;
 * no event for `interrupted`; nothing queued while the webhook is disabled.
 *
 * Nothing runs by itself: `pump()` derives the events that happened by the clock's now from
 * the executions, and sends the deliveries due by then. The server pumps on a timer when asked
 * (`webhookPumpMs`); tests and the local runner call `pump()` after moving the clock, and
 * `nextDueAt()` says when the next delivery is due. Loss, duplicates, delay, reordering and the
 * signature's algorithm are scenario switches (`webhooks:`), decided by a seeded hash of the
 * event id, so a seed gives the same deliveries whatever the pump timing.
 */
import { createHash } from "node:crypto";
import { SIGNATURE_HEADER } from "../functions/core/webhook-contract";
import { signBody } from "../functions/core/webhook-signature";
import type { Clock } from "./clock";
import { iso, uuidFrom } from "./ids";
import type { WebhooksScenario } from "./scenario";
import { type ExecutionRecord, ORGANIZATION_ID, phaseAt, type SimState } from "./state";

/** A registration as the spec's `Webhook` holds it. */
export interface WebhookRecord {
  id: string;
  endpoint: string;
  secret: string;
  organization_id: string;
  created_at: string;
  disabled: boolean;
}

/** One event as delivered (the spec's `Event`). */
export interface SimEvent {
  id: string;
  type: string;
  created_at: string;
  organization_id: string;
  event: Record<string, unknown>;
}

/** One delivery attempt, for tests and the local runner. */
export interface DeliveryRecord {
  eventId: string;
  type: string;
  executionId: string;
  attempt: number;
  /** Clock time of the attempt. */
  at: number;
  /** HTTP status; 0 when the endpoint could not be reached. */
  status: number;
}

interface Pending {
  event: SimEvent;
  executionId: string;
  dueAt: number;
  attempt: number;
  seq: number;
}

/**
 * The spec's payload schema of each event type. `EventPayload` is a `oneOf` of them without a
 * discriminator and with no required fields, so a payload (a running event's above all) matches
 * several and no payload can satisfy "exactly one": deliveries are checked against their
 * type's schema instead.
 */
export const EVENT_PAYLOAD_SCHEMAS: Record<string, string> = {
  "sync.running": "EventingSyncRunningEvent",
  "sync.completed": "EventingSyncCompletedEvent",
  "sync.completed_with_errors": "EventingSyncCompletedWithErrorsEvent",
  "sync.failed": "EventingSyncFailedEvent",
  "sync.canceled": "EventingSyncCanceledEvent",
  "bulk_sync.running": "EventingBulkSyncRunningEvent",
  "bulk_sync.completed": "EventingBulkSyncCompletedEvent",
  "bulk_sync.completed_with_error": "EventingBulkSyncCompletedWithErrorEvent",
  "bulk_sync.failed": "EventingBulkSyncFailedEvent",
  "bulk_sync.canceled": "EventingBulkSyncCanceledEvent",
};

/** Attempts per delivery: the first and "up to five" retries (events guide). */
const MAX_ATTEMPTS = 6;

/** The organization's webhook, at most one, as the API keeps it. */
export class WebhookRegistry {
  private current: WebhookRecord | undefined;
  private count = 0;

  get(): WebhookRecord | undefined {
    return this.current;
  }

  create(endpoint: string, secret: string, now: number): WebhookRecord {
    this.count += 1;
    this.current = {
      id: uuidFrom(`webhook ${this.count}`),
      endpoint,
      secret,
      organization_id: ORGANIZATION_ID,
      created_at: iso(now),
      disabled: false,
    };
    return this.current;
  }

  delete(): void {
    this.current = undefined;
  }
}

/** The webhook event type for an execution's status, or undefined when none is sent. */
export function eventTypeFor(e: ExecutionRecord, status: string): string | undefined {
  const prefix = e.sync.type === "bulk" ? "bulk_sync" : "sync";
  if (status === "running" || status === "failed" || status === "canceled") {
    return `${prefix}.${status}`;
  }
  const withErrors =
    status === "errors" || e.errors > 0 || e.schemas.some((s) => s.outcome === "failed");
  if (status === "completed" || status === "errors") {
    if (!withErrors) return `${prefix}.completed`;
    return e.sync.type === "bulk" ? "bulk_sync.completed_with_error" : "sync.completed_with_errors";
  }
  return undefined; // interrupted and the non-terminal statuses send nothing
}

/** The `event` payload of an execution's event, as the spec's Eventing* schemas shape it. */
function payloadFor(e: ExecutionRecord, type: string): Record<string, unknown> {
  const base = {
    execution_id: e.id,
    organization_id: ORGANIZATION_ID,
    sync_id: e.sync.id,
    sync_name: e.sync.name,
  };
  if (type === "sync.completed") {
    return {
      ...base,
      status: "completed",
      record_count: e.records,
      error_count: e.errors,
      warning_count: e.warnings,
    };
  }
  if (type === "sync.completed_with_errors") {
    return { ...base, number_of_errors: e.errors, number_of_warnings: e.warnings };
  }
  if (type === "sync.canceled") return { ...base, status: "canceled" };
  if (type.endsWith(".failed")) return { ...base, error: "Simulated failure" };
  return base;
}

/** A number in [0, 1) from the seed, an event id and what is being decided. */
function roll(seed: number, eventId: string, what: string): number {
  const digest = createHash("sha256").update(`${seed}\n${eventId}\n${what}`).digest();
  return digest.readUInt32BE(0) / 0x1_0000_0000;
}

export class WebhookDispatcher {
  private readonly emitted = new Set<string>();
  private readonly pending: Pending[] = [];
  private readonly log: DeliveryRecord[] = [];
  private seq = 0;
  /** The last pass: passes run one after another, each as of the clock when it was asked. */
  private tail: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly state: SimState,
    private readonly clock: Clock,
    private readonly config: WebhooksScenario,
    private readonly post: (
      url: string,
      body: string,
      headers: Record<string, string>,
    ) => Promise<number> = httpPost,
  ) {}

  /** Every delivery attempt so far. */
  deliveries(): DeliveryRecord[] {
    return this.log.map((d) => ({ ...d }));
  }

  /**
   * Clock time of the next delivery due, or of the next event a run will send (its delay not
   * counted, so never late); undefined when nothing is waiting.
   */
  nextDueAt(): number | undefined {
    const now = this.clock.now();
    this.collect(now);
    const times = this.pending.map((p) => p.dueAt);
    if (this.state.webhooks.get()) {
      for (const e of this.state.executions) {
        if (e.history || e.sync.organization_id !== undefined) continue; // another organization's
        for (const [status, at] of transitions(e, Number.MAX_SAFE_INTEGER)) {
          if (at > now && !this.emitted.has(`${e.id} ${status}`)) times.push(at);
        }
      }
    }
    return times.length === 0 ? undefined : Math.min(...times);
  }

  /**
   * Derives new events and sends every delivery due by now; resolves with those attempts.
   * "Now" is the clock when pump is called; a pump called while one runs goes after it.
   */
  pump(): Promise<DeliveryRecord[]> {
    const now = this.clock.now();
    const pass = this.tail.then(() => this.deliverDue(now));
    this.tail = pass.catch(() => undefined);
    return pass;
  }

  private async deliverDue(now: number): Promise<DeliveryRecord[]> {
    this.collect(now);
    const due = this.pending
      .filter((p) => p.dueAt <= now)
      .sort((a, b) => a.dueAt - b.dueAt || a.seq - b.seq);
    const sent: DeliveryRecord[] = [];
    for (const p of due) {
      this.pending.splice(this.pending.indexOf(p), 1);
      const record = await this.attempt(p, now);
      if (record) sent.push(record);
    }
    return sent;
  }

  /** One POST; a non-2xx answer is retried with exponential backoff (clock time). */
  private async attempt(p: Pending, now: number): Promise<DeliveryRecord | undefined> {
    const hook = this.state.webhooks.get();
    if (!hook || hook.disabled) return undefined; // nothing is queued for a disabled webhook
    const body = JSON.stringify(p.event);
    const signature = signBody(body, hook.secret, this.config.signature);
    const status = await this.post(hook.endpoint, body, {
      "content-type": "application/json",
      [SIGNATURE_HEADER]: signature,
    });
    const record: DeliveryRecord = {
      eventId: p.event.id,
      type: p.event.type,
      executionId: p.executionId,
      attempt: p.attempt,
      at: now,
      status,
    };
    this.log.push(record);
    if ((status < 200 || status > 299) && p.attempt < MAX_ATTEMPTS) {
      const backoff = this.config.retry_backoff_seconds * 1000 * 2 ** (p.attempt - 1);
      this.pending.push({ ...p, attempt: p.attempt + 1, dueAt: now + backoff, seq: this.seq++ });
    }
    return record;
  }

  /**
   * Schedules the events that happened by `now` and were not seen yet; those from before the
   * registration, or while it is disabled, are never sent.
   */
  private collect(now: number): void {
    const hook = this.state.webhooks.get();
    if (!hook) return;
    const since = Date.parse(hook.created_at);
    for (const e of this.state.executions) {
      if (e.history || e.sync.organization_id !== undefined) continue; // another organization's
      for (const [status, at] of transitions(e, now)) {
        const type = eventTypeFor(e, status);
        const key = `${e.id} ${status}`;
        if (type === undefined || at < since || this.emitted.has(key)) continue;
        this.emitted.add(key);
        if (!hook.disabled) this.schedule(this.makeEvent(e, type, at), e.id, at);
      }
    }
  }

  private makeEvent(e: ExecutionRecord, type: string, at: number): SimEvent {
    return {
      id: uuidFrom(`event ${e.id} ${type}`),
      type,
      created_at: iso(at),
      organization_id: ORGANIZATION_ID,
      event: payloadFor(e, type),
    };
  }

  private schedule(event: SimEvent, executionId: string, at: number): void {
    const c = this.config;
    if (roll(c.seed, event.id, "loss") < c.loss) return;
    const copies = roll(c.seed, event.id, "duplicate") < c.duplicates ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      const jitter = roll(c.seed, event.id, `reorder ${copy}`) * c.reorder_seconds * 1000;
      const dueAt = at + c.delay_seconds * 1000 + Math.round(jitter);
      this.pending.push({ event, executionId, dueAt, attempt: 1, seq: this.seq++ });
    }
  }
}

/** The statuses an execution has been through by `now` that send events, with their times. */
function transitions(e: ExecutionRecord, now: number): [string, number][] {
  const p = phaseAt(e, now);
  const out: [string, number][] = [];
  if (p.startedAt !== null && p.startedAt <= now) out.push(["running", p.startedAt]);
  if (p.terminal && p.completedAt !== null) out.push([p.status, p.completedAt]);
  return out;
}

/** POSTs `body`; the status, or 0 when the endpoint cannot be reached. */
async function httpPost(url: string, body: string, headers: Record<string, string>) {
  try {
    const res = await fetch(url, { method: "POST", body, headers });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
