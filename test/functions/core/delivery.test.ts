/**
 * The measured delivery's rule (functions/core/delivery.ts): unknown or lossy polls, trusted
 * waits with a timeout of 0.1 / p of the elapsed time; the decayed record notices a webhook
 * that broke or was fixed; a store that fails never fails a step.
 */
import { describe, expect, it } from "vitest";
import {
  DELIVERY_GRACE_SECONDS,
  type DeliveryRecord,
  decideWait,
  estimatedLoss,
  foldObservation,
  observationOf,
  readDelivery,
  recordRunEnd,
} from "../../../functions/core/delivery";
import { JsonLogger } from "../../../functions/core/logger";
import { firstTrustedWaitSeconds, trustedEventWaitSeconds } from "../../../functions/core/polling";
import { Redactor } from "../../../functions/core/redact";
import { MemoryDeliveryStore } from "../../../lib/local/event-wait";

const NOW = Date.UTC(2026, 11, 1, 12);

function fold(observations: Array<"seen" | "missed">, from?: DeliveryRecord): DeliveryRecord {
  let record = from;
  for (const o of observations) record = foldObservation(record, o, NOW);
  if (!record) throw new Error("no observations");
  return record;
}

function logs() {
  const lines: string[] = [];
  const logger = new JsonLogger({ redactor: new Redactor(), write: (l) => lines.push(l) });
  return { lines, logger };
}

describe("decideWait", () => {
  it("polls while delivery is unknown: no record, or fewer than four seen runs", () => {
    expect(decideWait(undefined)).toEqual({ wait: "poll" });
    expect(estimatedLoss(undefined)).toBe(1);
    expect(decideWait(fold(["seen", "seen", "seen"]))).toEqual({ wait: "poll" });
  });

  it("trusts after four seen runs, with the timeout fraction 0.1 / p", () => {
    const record = fold(["seen", "seen", "seen", "seen"]);
    const loss = estimatedLoss(record);
    expect(loss).toBeCloseTo(0.239, 3);
    const decision = decideWait(record);
    expect(decision.wait === "event" && decision.fraction).toBeCloseTo(0.1 / loss);
  });

  it("never estimates the loss under 13% (so the timeout fraction is at most 0.77)", () => {
    const long = fold(Array(200).fill("seen"));
    expect(estimatedLoss(long)).toBeGreaterThan(0.13);
    const decision = decideWait(long);
    expect(decision.wait === "event" && decision.fraction).toBeLessThan(0.77);
  });

  it("polls above 25% estimated loss", () => {
    expect(decideWait({ seen: 7, missed: 2, updated_at: "" })).toEqual({ wait: "poll" }); // 30%
    expect(decideWait({ seen: 6, missed: 1, updated_at: "" }).wait).toBe("event"); // 25%
  });

  it("a trusted webhook that loses one running event polls one run; two in a row, longer; fixed after a long outage, trusted again after a dozen seen runs", () => {
    const good = fold(Array(30).fill("seen"));
    const once = fold(["missed"], good);
    expect(decideWait(once).wait).toBe("poll");
    expect(decideWait(fold(["seen"], once)).wait).toBe("event");
    const twice = fold(["missed", "missed"], good);
    expect(decideWait(fold(["seen", "seen"], twice)).wait).toBe("poll");
    const broken = fold(Array(30).fill("missed"), good);
    expect(decideWait(fold(Array(12).fill("seen"), broken)).wait).toBe("poll");
    expect(decideWait(fold(Array(13).fill("seen"), broken)).wait).toBe("event");
  });

  it("a webhook that loses half its events is not trusted even after four seen runs in a row", () => {
    const lossy = fold(["missed", "missed", "missed", "missed", "seen", "seen", "seen", "seen"]);
    expect(estimatedLoss(lossy)).toBeGreaterThan(0.4);
    expect(decideWait(lossy).wait).toBe("poll");
  });
});

describe("observationOf", () => {
  const started = (secondsAgo: number) => new Date(NOW - secondsAgo * 1000).toISOString();

  it("a seen running event always counts", () => {
    expect(observationOf(true, undefined, NOW)).toBe("seen");
    expect(observationOf(true, started(1), NOW)).toBe("seen");
  });

  it("a missing one counts only for a run that started long enough ago for its event to arrive", () => {
    expect(observationOf(false, started(DELIVERY_GRACE_SECONDS), NOW)).toBe("missed");
    expect(observationOf(false, started(DELIVERY_GRACE_SECONDS - 1), NOW)).toBeUndefined();
    // A run that never ran (failed or cancelled while queued) sends no running event.
    expect(observationOf(false, undefined, NOW)).toBeUndefined();
  });
});

describe("the record in a store", () => {
  const ended = { organization: "default", execution_id: "run-1" };

  it("folds a run's end: the running event seen or missed", async () => {
    const store = new MemoryDeliveryStore();
    const { logger } = logs();
    await store.markSeen("run-1", "sync.running");
    await store.markSeen("run-2", "sync.completed"); // an end event says nothing of delivery
    await recordRunEnd(
      store,
      { ...ended, run_started_at: new Date(NOW).toISOString() },
      NOW,
      logger,
    );
    const old = new Date(NOW - 3600_000).toISOString();
    await recordRunEnd(
      store,
      { ...ended, execution_id: "run-2", run_started_at: old },
      NOW,
      logger,
    );
    expect(await store.read("default")).toMatchObject({ seen: 0.85, missed: 1 });
    expect(await store.read("other-org")).toBeUndefined();
  });

  it("a store that fails is logged and read as no record (poll), never thrown", async () => {
    const store = new MemoryDeliveryStore();
    store.failing = true;
    const { lines, logger } = logs();
    await expect(recordRunEnd(store, ended, NOW, logger)).resolves.toBeUndefined();
    expect(await readDelivery(store, "default", logger)).toBeUndefined();
    expect(decideWait(await readDelivery(store, "default", logger))).toEqual({ wait: "poll" });
    expect(lines.join("\n")).toContain("S3.Unavailable");
  });
});

describe("the trusted timeouts (polling.ts)", () => {
  const adaptive = { strategy: "adaptive" as const, min_seconds: 10, max_seconds: 600 };

  it("a fraction of the elapsed time, at least 60 s, not capped by poll.max", () => {
    expect(trustedEventWaitSeconds(adaptive, { elapsedSeconds: 10, polls: 1 }, 2)).toBe(60);
    expect(trustedEventWaitSeconds(adaptive, { elapsedSeconds: 1000, polls: 3 }, 2)).toBe(2000);
    expect(trustedEventWaitSeconds(adaptive, { elapsedSeconds: 1000, polls: 3 }, 0.4)).toBe(400);
  });

  it("a fixed or backoff step keeps its own interval", () => {
    const fixed = { strategy: "fixed" as const, min_seconds: 30, max_seconds: 600 };
    expect(trustedEventWaitSeconds(fixed, { elapsedSeconds: 1000, polls: 3 }, 2)).toBe(30);
  });

  it("the first wait covers the sync's typical run plus half the fraction of it, or the floor", () => {
    expect(firstTrustedWaitSeconds(adaptive, 300, 0.6)).toBe(390);
    expect(firstTrustedWaitSeconds(adaptive, 300, 0.4)).toBe(360);
    expect(firstTrustedWaitSeconds(adaptive, 10, 2)).toBe(60);
    expect(firstTrustedWaitSeconds(adaptive, undefined, 2)).toBe(60);
  });
});
