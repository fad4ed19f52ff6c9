/**
 * Event-driven waiting on a laptop (issue 16.4, local half): the stack's path from Polytomic's
 * event to a resumed step, with local parts where AWS has services:
 *
 *   simulator delivery (signed) -> local receiver (the deployed receiver's logic)
 *     -> the wake rule's filter -> the wake handler -> LocalTaskTokens.succeed
 *
 * and register-wait's handler storing tokens in memory instead of S3. The simulator delivers
 * only when pumped: a pump loop sleeps on the run's clock until the next delivery is due
 * (`nextDueAt`), and is woken each time a step registers a wait (a run started since may send
 * earlier). The token wait itself is emulated by the engine (lib/local/task-tokens.ts).
 */
import { randomBytes, randomUUID } from "node:crypto";
import {
  type DeliveryRecord,
  type DeliveryStore,
  isRunningEvent,
} from "../../functions/core/delivery";
import type { StoredWait, WaitStore, WakeResult } from "../../functions/core/event-wait";
import { JsonLogger } from "../../functions/core/logger";
import { Redactor } from "../../functions/core/redact";
import type { BusEvent } from "../../functions/core/webhook";
import {
  EVENT_SOURCE,
  EVENT_TYPES,
  type SignatureAlgorithm,
} from "../../functions/core/webhook-contract";
import { PolytomicClient } from "../../functions/polytomic/client";
import { makeHandler as registerWaitHandler } from "../../functions/register-wait/index";
import { makeHandler as wakeHandler } from "../../functions/wake/index";
import type { LocalTask } from "./engine";
import { LocalTaskTokens } from "./task-tokens";
import type { LocalClock } from "./virtual-clock";
import { startLocalReceiver } from "./webhook-receiver";

/** The waits, in memory (S3 on AWS: functions/aws/event-wait.ts). */
export class MemoryWaitStore implements WaitStore {
  private readonly waits = new Map<string, Map<string, StoredWait>>();

  async put(executionId: string, wait: StoredWait): Promise<void> {
    const byWaiter = this.waits.get(executionId) ?? new Map<string, StoredWait>();
    byWaiter.set(wait.waiter, { ...wait });
    this.waits.set(executionId, byWaiter);
  }

  async list(executionId: string): Promise<StoredWait[]> {
    return [...(this.waits.get(executionId)?.values() ?? [])].map((w) => ({ ...w }));
  }
}

/**
 * The measured delivery, in memory (S3 on AWS: functions/aws/event-wait.ts S3DeliveryStore).
 * One per local app (`sharedDeliveryStore`), so the runs of a bench learn as a deployment's
 * would; `failing` makes every call reject (a store that cannot be reached: the steps poll).
 */
export class MemoryDeliveryStore implements DeliveryStore {
  private readonly seen = new Set<string>();
  failing = false;

  constructor(
    private readonly records = new Map<string, string>(),
    private readonly parent?: MemoryDeliveryStore,
  ) {}

  /**
   * A store with the same records and marks of its own, for one simulator: a fresh
   * simulator's execution ids repeat those of the last, so marks shared across simulators
   * would see one run's running event as another's (the bench measured a 50%-lossy webhook
   * as trusted that way). On AWS execution ids are unique and the marks one prefix.
   */
  withOwnMarks(): MemoryDeliveryStore {
    return new MemoryDeliveryStore(this.records, this);
  }

  private check(): void {
    if (this.failing || this.parent?.failing) {
      throw Object.assign(new Error("store unreachable"), { name: "S3.Unavailable" });
    }
  }

  async markSeen(executionId: string, eventType: string): Promise<void> {
    this.check();
    if (isRunningEvent(eventType)) this.seen.add(executionId);
  }

  async runningSeen(executionId: string): Promise<boolean> {
    this.check();
    return this.seen.has(executionId);
  }

  async read(organization: string): Promise<DeliveryRecord | undefined> {
    this.check();
    const stored = this.records.get(organization);
    return stored === undefined ? undefined : (JSON.parse(stored) as DeliveryRecord);
  }

  async write(organization: string, record: DeliveryRecord): Promise<void> {
    this.check();
    this.records.set(organization, JSON.stringify(record));
  }
}

const shared = new WeakMap<object, MemoryDeliveryStore>();

/** The delivery record of a local app (any object standing for one deployment). */
export function sharedDeliveryStore(app: object): MemoryDeliveryStore {
  let store = shared.get(app);
  if (!store) {
    store = new MemoryDeliveryStore();
    shared.set(app, store);
  }
  return store;
}

/** What the simulator's webhook dispatcher offers (simulator/webhooks.ts). */
export interface WebhookDeliveries {
  pump(): Promise<unknown>;
  nextDueAt(): number | undefined;
}

export interface LocalEventWaitOptions {
  clock: LocalClock;
  /** The simulator's deliveries (`sim.webhooks`), on the same clock. */
  deliveries: WebhookDeliveries;
  /** The secret the webhook is registered with. */
  secret: string;
  /** @default "hmac-sha256-hex" */
  algorithm?: SignatureAlgorithm;
  /** Where the receiver's and wake's log lines go. @default nowhere */
  log?: (line: string) => void;
  /**
   * The measured delivery (its records shared by the runs of one app; the marks are this
   * simulator's). @default - a fresh one: unknown, poll
   */
  delivery?: MemoryDeliveryStore;
}

export interface LocalEventWait {
  /** The receiver's endpoint: register it as the organization's webhook. */
  url: string;
  /** The run's callback tokens: give them to the executions (`tokens` of runLocalExecution). */
  tokens: LocalTaskTokens;
  /** register-wait's handler: the local function of the run-sync machine's token Task. */
  registerWait: LocalTask;
  /** What each wake did, in order (events the rule filtered out are not here). */
  wakes: WakeResult[];
  /**
   * The measured delivery: give it to check-status and start-sync (createLocalDeps's
   * `eventWait`). Each use also wakes the pump: a step that polls registers no wait, and its
   * run's events (the running one above all) must still be delivered.
   */
  delivery: DeliveryStore;
  close(): Promise<void>;
}

/** The stack's rule (lib/constructs/event-wait.ts) as a filter: source and detail-type. */
export function matchesWakeRule(event: BusEvent): boolean {
  return (
    event.source === EVENT_SOURCE && (EVENT_TYPES as readonly string[]).includes(event.detailType)
  );
}

/** Starts the receiver and the pump loop; `close()` stops both. */
export async function startLocalEventWait(options: LocalEventWaitOptions): Promise<LocalEventWait> {
  const { clock } = options;
  const store = new MemoryWaitStore();
  const tokens = new LocalTaskTokens();
  const write = options.log ?? (() => {});
  const logger = new JsonLogger({
    redactor: new Redactor(),
    write,
    now: () => new Date(clock.now()),
  });
  const shared = (options.delivery ?? new MemoryDeliveryStore()).withOwnMarks();
  const wake = wakeHandler({ store, tokens, clock, logger, delivery: shared });
  const wakes: WakeResult[] = [];
  const receiver = await startLocalReceiver({
    secret: options.secret,
    clock,
    ...(options.algorithm ? { algorithm: options.algorithm } : {}),
    log: write,
    publish: async (events) => {
      for (const event of events.filter(matchesWakeRule)) {
        wakes.push(await wake({ detail: event.detail }));
      }
    },
  });
  const pump = pumpLoop(clock, options.deliveries);
  const delivery = replanning(shared, pump.replan);
  const register = registerWaitHandler({ store, clock });
  const registerWait: LocalTask = async (payload) => {
    const registered = await register(payload);
    pump.replan();
    return registered;
  };
  return {
    url: receiver.url,
    tokens,
    registerWait,
    wakes,
    delivery,
    close: async () => {
      await pump.stop();
      await receiver.close();
    },
  };
}

/** The store, waking the pump loop at each use (a step started or checked a run). */
function replanning(store: DeliveryStore, replan: () => void): DeliveryStore {
  const woken =
    <A extends unknown[], R>(f: (...args: A) => Promise<R>) =>
    (...args: A): Promise<R> => {
      replan();
      return f(...args);
    };
  return {
    markSeen: woken((id: string, type: string) => store.markSeen(id, type)),
    runningSeen: woken((id: string) => store.runningSeen(id)),
    read: woken((organization: string) => store.read(organization)),
    write: woken((organization: string, record: DeliveryRecord) =>
      store.write(organization, record),
    ),
  };
}

/** What `startSimulatorEventWait` needs of the embedded simulator (`startSimulator`'s answer). */
export interface SimulatorWithWebhooks {
  url: string;
  webhooks: WebhookDeliveries;
}

/**
 * The local event wait for a run against the embedded simulator: started on `clock` with a
 * fresh secret and registered as the organization's webhook (`POST /api/webhooks`), so the
 * scenario's `webhooks:` switches (loss, duplicates, delay, signature) shape what reaches the
 * steps. For `runPipelineLocally`'s and `runPipelineDefinitions`' `eventWait`.
 */
export async function startSimulatorEventWait(
  simulator: SimulatorWithWebhooks,
  options: {
    clock: LocalClock;
    apiKey: string;
    log?: (line: string) => void;
    delivery?: MemoryDeliveryStore;
  },
): Promise<LocalEventWait> {
  const secret = randomBytes(24).toString("hex");
  const eventWait = await startLocalEventWait({
    clock: options.clock,
    deliveries: simulator.webhooks,
    secret,
    ...(options.log ? { log: options.log } : {}),
    ...(options.delivery ? { delivery: options.delivery } : {}),
  });
  try {
    const client = new PolytomicClient({ baseUrl: simulator.url, apiKey: options.apiKey });
    await client.createWebhook(
      { endpoint: eventWait.url, secret },
      { idempotencyKey: randomUUID() },
    );
    return eventWait;
  } catch (error) {
    await eventWait.close();
    throw error;
  }
}

/**
 * Pumps the simulator's deliveries when they are due, sleeping on the clock until then. With
 * nothing due it does not sleep on the clock (a far wake-up would let a virtual clock jump
 * there while the run is idle) but waits for `replan`: only a new run brings new events, and a
 * step registers a wait after starting one.
 */
function pumpLoop(clock: LocalClock, deliveries: WebhookDeliveries) {
  const stop = new AbortController();
  let replan = new AbortController();
  const loop = (async () => {
    while (!stop.signal.aborted) {
      replan = new AbortController();
      const woken = AbortSignal.any([stop.signal, replan.signal]);
      const due = deliveries.nextDueAt();
      if (due === undefined) await aborted(woken);
      else await clock.sleep(Math.max(0, due - clock.now()), woken);
      if (stop.signal.aborted) break;
      if (due !== undefined && clock.now() >= due) await clock.run(() => deliveries.pump());
    }
  })();
  return {
    replan: () => replan.abort(),
    stop: async () => {
      stop.abort();
      await loop;
    },
  };
}

function aborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener("abort", () => resolve(), { once: true });
  });
}
