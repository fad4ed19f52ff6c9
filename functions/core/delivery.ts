/**
 * Measured delivery (issue 16, docs/webhooks.md "Trusting the webhook"): with webhooks on, each
 * decision to wait for an event rather than poll is made from how well the organization's
 * webhook has delivered lately, so a webhook that loses events degrades to polling by itself
 * and one that delivers costs almost nothing.
 *
 * - wake marks every event it receives for an execution (`markSeen`), the `*.running` ones
 *   included (they wake nobody).
 * - At a run's terminal check, check-status asks whether that execution's RUNNING event was
 *   seen (`observationOf`): sent when the run started, so long delivered by then. The end
 *   event is not judged: it may rightly arrive after a poll saw the end, and, worse, a step
 *   that trusts the webhook checks mostly when an end event came, so counting end events
 *   would count its own evidence (the bench measured a 50%-lossy webhook as trusted that way). The observation
 *   is folded into a decayed count of seen/missed (`foldObservation`), one record per
 *   organization.
 * - Every decision reads that record (`decideWait`): unknown (fewer than four seen runs) or
 *   lossy (estimated loss over TRUST_MAX_LOSS) polls, exactly as without webhooks; otherwise the step waits on the event, with a timeout sized so that the expected
 *   extra latency of a lost event is no worse than polling's.
 *
 * The record is an estimate: two steps ending at once may each read it, fold their
 * observation and write it back, and one observation is lost. A decision on a stale or lost
 * record is still safe, because an event is only a hint: a wait's timeout checks anyway.
 * Every read or write of the store that fails falls back to polling (and is logged), never
 * failing a step.
 */
import type { Logger } from "./ports";

/** Where the marks and records are kept (S3 on AWS, functions/aws/event-wait.ts; memory locally). */
export interface DeliveryStore {
  /** Notes that an event of this Polytomic execution, of this type, was received. */
  markSeen(executionId: string, eventType: string): Promise<void>;
  /** Whether this execution's running event (`sync.running`, `bulk_sync.running`) was received. */
  runningSeen(executionId: string): Promise<boolean>;
  /** The organization's record, or undefined when there is none yet. */
  read(organization: string): Promise<DeliveryRecord | undefined>;
  write(organization: string, record: DeliveryRecord): Promise<void>;
}

/** One organization's delivery record. */
export interface DeliveryRecord {
  /** Decayed count of runs whose running event was received... */
  seen: number;
  /** ...and of runs whose running event never came. */
  missed: number;
  updated_at: string;
}

/**
 * Each observation weighs 1 and the past is multiplied by this: the record follows about the
 * last seven runs (its weight tends to 1 / (1 - 0.85) = 6.7).
 */
export const DELIVERY_DECAY = 0.85;

/**
 * The estimate starts pessimistic and stays cautious: one imagined lost event is added to
 * the counts, loss = (missed + 1) / (seen + missed + 1). A fresh record is 100% loss (poll);
 * four seen runs in a row bring it to 24% (trusted); however long a webhook has delivered,
 * it never falls below 1 / 7.7 = 13%, which caps a wait's timeout at 0.77 of the elapsed
 * time (below). Why the imagined miss: a raw share of a few runs is often 0 by luck (a 50%
 * lossy webhook shows four seen runs in a row one time in sixteen), and 0.1 / 0 would make
 * the timeout unbounded; the bench measured exactly that before (a lost event of a
 * seven-hour run seen fourteen hours late).
 */
export const PRIOR_MISSES = 1;

/**
 * Above this estimated loss the step polls. The threshold is where a token wait stops being
 * cheaper than the retry loop: a token wait costs 3 transitions a check (Check, Choice, wait)
 * against the retry's 1, and with the timeout fraction f = 0.1 / p (below) its checks grow by
 * (1 + f) a time against polling's 1.1, so it makes fewer transitions only while
 * 3 / ln(1 + f) < 1 / ln(1.1), f > 0.33, p < 0.3. 0.25 keeps a margin. With the decay and the
 * imagined miss, a trusted webhook that loses one running event is polled for one run, two in
 * a row distrust it for longer, and one fixed after a long outage is trusted again after
 * about a dozen seen runs.
 */
export const TRUST_MAX_LOSS = 0.25;

/** Polling's latency budget: a share of the elapsed time (polling.ts DEFAULT_ADAPTIVE_TUNING). */
const POLLING_LATENCY_FRACTION = 0.1;

/**
 * A run that started less than this before its terminal check and whose running event was
 * not seen is not counted: its event may still be on its way (Polytomic retries with
 * backoff, EventBridge and wake add seconds). A seen one always counts.
 */
export const DELIVERY_GRACE_SECONDS = 30;

/** Whether an event type is a run's running event, the one delivery is judged by. */
export function isRunningEvent(eventType: string): boolean {
  return eventType.endsWith(".running");
}

/** The record's key for a step: its partner organization, or "default" (the API key's own). */
export function organizationKey(input: { organization_id?: string | undefined }): string {
  return input.organization_id ?? "default";
}

/** The estimated share of events lost (PRIOR_MISSES): 1 without a record. */
export function estimatedLoss(record: DeliveryRecord | undefined): number {
  const seen = record?.seen ?? 0;
  const missed = record?.missed ?? 0;
  return (missed + PRIOR_MISSES) / (seen + missed + PRIOR_MISSES);
}

/** Poll (the retry loop), or wait on the event with a timeout of `fraction` of the elapsed time. */
export type WaitDecision = { wait: "poll" } | { wait: "event"; fraction: number };

/**
 * The rule. A lost event is seen at the wait's timeout, about `fraction` of the elapsed time
 * after the run's end at worst, so its expected extra latency is about p * fraction / 2 of
 * the run; polling's is 0.1 / 2. Equal when fraction = 0.1 / p: with p at most 0.25 that is
 * at least 0.4, and with p at its least (13%) 0.77.
 */
export function decideWait(record: DeliveryRecord | undefined): WaitDecision {
  const loss = estimatedLoss(record);
  if (loss > TRUST_MAX_LOSS) return { wait: "poll" };
  return { wait: "event", fraction: POLLING_LATENCY_FRACTION / loss };
}

/** What a terminal check learned of delivery: undefined when it cannot tell. */
export function observationOf(
  seen: boolean,
  runStartedAt: string | undefined,
  now: number,
): "seen" | "missed" | undefined {
  if (seen) return "seen";
  // A run that never ran (failed or cancelled while queued) sends no running event.
  if (!runStartedAt) return undefined;
  const since = (now - Date.parse(runStartedAt)) / 1000;
  return since >= DELIVERY_GRACE_SECONDS ? "missed" : undefined;
}

/** The record with one observation folded in (the past decayed); as it was for none. */
export function foldObservation(
  record: DeliveryRecord | undefined,
  observation: "seen" | "missed",
  now: number,
): DeliveryRecord {
  return {
    seen: (record?.seen ?? 0) * DELIVERY_DECAY + (observation === "seen" ? 1 : 0),
    missed: (record?.missed ?? 0) * DELIVERY_DECAY + (observation === "missed" ? 1 : 0),
    updated_at: new Date(now).toISOString(),
  };
}

/** The record, or undefined when it cannot be read (logged: the step then polls). */
export async function readDelivery(
  store: DeliveryStore,
  organization: string,
  log: Logger,
): Promise<DeliveryRecord | undefined> {
  try {
    return await store.read(organization);
  } catch (error) {
    log.warn("delivery record unreadable: polling", { error: (error as Error).name });
    return undefined;
  }
}

/** What a terminal check folds in. */
export interface RunEnd {
  organization: string;
  execution_id: string;
  /** When Polytomic says the run started running (no running event without it). */
  run_started_at?: string | undefined;
}

/**
 * Folds a terminal check's observation into the organization's record. Best effort: a
 * failure is logged and the record left as it was (the step's outcome is already decided).
 */
export async function recordRunEnd(
  store: DeliveryStore,
  end: RunEnd,
  now: number,
  log: Logger,
): Promise<void> {
  try {
    const seen = await store.runningSeen(end.execution_id);
    const observation = observationOf(seen, end.run_started_at, now);
    if (!observation) {
      log.info("delivery not observed: the run started too recently or never ran");
      return;
    }
    const next = foldObservation(await store.read(end.organization), observation, now);
    await store.write(end.organization, next);
    log.info("delivery observed", { observation, loss: estimatedLoss(next) });
  } catch (error) {
    log.warn("delivery record not updated", { error: (error as Error).name });
  }
}
