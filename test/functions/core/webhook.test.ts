import { createHmac } from "node:crypto";
import { gzipSync } from "node:zlib";
import { describe, expect, it, vi } from "vitest";
import type { Logger } from "../../../functions/core/ports";
import {
  type BusEvent,
  parseEvent,
  RecentIds,
  receiveDelivery,
  type WebhookDeps,
} from "../../../functions/core/webhook";
import {
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
} from "../../../functions/core/webhook-contract";
import { signBody, verifySignature } from "../../../functions/core/webhook-signature";

vi.mock("node:crypto", async (importOriginal) => {
  const real = await importOriginal<typeof import("node:crypto")>();
  return { ...real, timingSafeEqual: vi.fn(real.timingSafeEqual) };
});
const crypto = await import("node:crypto");

const SECRET = "whsec-test-0123456789";
const NOW = Date.UTC(2025, 0, 1, 12);
const EXECUTION = "11111111-1111-4111-8111-111111111111";
const SYNC = "22222222-2222-4222-8222-222222222222";

function delivery(overrides: Record<string, unknown> = {}): Buffer {
  return Buffer.from(
    JSON.stringify({
      id: "33333333-3333-4333-8333-333333333333",
      type: "bulk_sync.completed",
      created_at: new Date(NOW - 1000).toISOString(),
      organization_id: "44444444-4444-4444-8444-444444444444",
      event: { execution_id: EXECUTION, sync_id: SYNC, sync_name: "Salesforce" },
      ...overrides,
    }),
  );
}

const quiet: Logger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
  child: () => quiet,
};

function deps(published: BusEvent[], overrides: Partial<WebhookDeps> = {}): WebhookDeps {
  return {
    secret: async () => SECRET,
    publish: async (events) => {
      published.push(...events);
    },
    clock: { now: () => NOW },
    logger: quiet,
    config: { algorithm: "hmac-sha256-hex", maxAgeMs: 900_000, maxSkewMs: 300_000 },
    seen: new RecentIds(1_200_000),
    metric: () => {},
    ...overrides,
  };
}

const signed = (body: Buffer, algorithm: SignatureAlgorithm = "hmac-sha256-hex") => ({
  body,
  headers: { "polytomic-signature": signBody(body, SECRET, algorithm) },
});

describe("webhook signature", () => {
  const body = delivery();

  it("is the HMAC of the raw body in each configured hash and encoding", () => {
    expect(signBody(body, SECRET, "hmac-sha256-hex")).toBe(
      createHmac("sha256", SECRET).update(body).digest("hex"),
    );
    expect(signBody(body, SECRET, "hmac-sha256-base64")).toBe(
      createHmac("sha256", SECRET).update(body).digest("base64"),
    );
    expect(signBody(body, SECRET, "hmac-sha512-hex")).toBe(
      createHmac("sha512", SECRET).update(body).digest("hex"),
    );
  });

  it.each(SIGNATURE_ALGORITHMS)("%s: a valid signature verifies", (algorithm) => {
    expect(verifySignature(body, signBody(body, SECRET, algorithm), SECRET, algorithm)).toBe(true);
  });

  it("a tampered body, a wrong secret, a wrong algorithm or no header do not", () => {
    const sig = signBody(body, SECRET, "hmac-sha256-hex");
    const tampered = Buffer.from(body.toString().replace("completed", "failed"));
    expect(verifySignature(tampered, sig, SECRET, "hmac-sha256-hex")).toBe(false);
    expect(verifySignature(body, sig, "another-secret", "hmac-sha256-hex")).toBe(false);
    expect(verifySignature(body, sig, SECRET, "hmac-sha512-hex")).toBe(false);
    const b64 = signBody(body, SECRET, "hmac-sha256-base64");
    expect(verifySignature(body, b64, SECRET, "hmac-sha256-hex")).toBe(false);
    expect(verifySignature(body, undefined, SECRET, "hmac-sha256-hex")).toBe(false);
    expect(verifySignature(body, "", SECRET, "hmac-sha256-hex")).toBe(false);
    expect(verifySignature(body, sig, "", "hmac-sha256-hex")).toBe(false);
  });

  it("accepts a sha256= prefix and one match among several signatures (plausible readings)", () => {
    const sig = signBody(body, SECRET, "hmac-sha256-hex");
    expect(verifySignature(body, `sha256=${sig}`, SECRET, "hmac-sha256-hex")).toBe(true);
    expect(verifySignature(body, `deadbeef, ${sig}`, SECRET, "hmac-sha256-hex")).toBe(true);
    expect(verifySignature(body, `sha512=${sig}`, SECRET, "hmac-sha256-hex")).toBe(false);
  });

  it("compares the digests with timingSafeEqual", () => {
    const compare = vi.mocked(crypto.timingSafeEqual);
    compare.mockClear();
    const sig = signBody(body, SECRET, "hmac-sha256-hex");
    expect(verifySignature(body, sig, SECRET, "hmac-sha256-hex")).toBe(true);
    expect(compare).toHaveBeenCalledTimes(1);
    const flipped = `${sig.slice(0, -1)}${sig.endsWith("0") ? "1" : "0"}`;
    expect(verifySignature(body, flipped, SECRET, "hmac-sha256-hex")).toBe(false);
    expect(compare).toHaveBeenCalledTimes(2);
  });
});

describe("parseEvent", () => {
  it("puts the ids a rule matches on at the top of the detail, with the payload", () => {
    const parsed = parseEvent(delivery());
    expect(parsed).toMatchObject({
      detail: {
        type: "bulk_sync.completed",
        execution_id: EXECUTION,
        sync_id: SYNC,
        event: { sync_name: "Salesforce" },
      },
    });
  });

  it("refuses what is not an event", () => {
    expect(parseEvent(Buffer.from("nope"))).toEqual({ problem: "body is not JSON" });
    expect(parseEvent(Buffer.from("[]"))).toEqual({ problem: "body is not a JSON object" });
    expect(parseEvent(delivery({ id: undefined }))).toHaveProperty("problem");
    expect(parseEvent(delivery({ created_at: "yesterday" }))).toHaveProperty("problem");
  });

  it("leaves out a payload too large for EventBridge, keeping the ids", () => {
    const big = delivery({
      event: { execution_id: EXECUTION, sync_id: SYNC, total_records: ["x".repeat(300_000)] },
    });
    const parsed = parseEvent(big);
    expect(parsed).toMatchObject({ detail: { execution_id: EXECUTION, event_omitted: true } });
    expect(parsed).not.toHaveProperty("detail.event");
  });
});

describe("receiveDelivery", () => {
  it("puts a verified event on the bus and answers 200", async () => {
    const bus: BusEvent[] = [];
    const res = await receiveDelivery(signed(delivery()), deps(bus));
    expect(res).toMatchObject({ statusCode: 200, outcome: "accepted" });
    expect(bus).toEqual([
      expect.objectContaining({
        source: "polytomic",
        detailType: "bulk_sync.completed",
        detail: expect.objectContaining({ execution_id: EXECUTION, sync_id: SYNC }),
      }),
    ]);
  });

  it("answers 401 to a missing or wrong signature, and forwards nothing", async () => {
    const bus: BusEvent[] = [];
    const d = deps(bus);
    expect((await receiveDelivery({ body: delivery(), headers: {} }, d)).statusCode).toBe(401);
    const wrong = { body: delivery(), headers: { "polytomic-signature": "00".repeat(32) } };
    expect((await receiveDelivery(wrong, d)).statusCode).toBe(401);
    const other = deps(bus, { config: { ...d.config, algorithm: "hmac-sha256-base64" } });
    const wrongAlgorithm = await receiveDelivery(signed(delivery()), other);
    expect(wrongAlgorithm.statusCode).toBe(401);
    // The log line tells which algorithm Polytomic really uses, without accepting it.
    expect(JSON.parse(wrongAlgorithm.body).reason).toContain("but matches hmac-sha256-hex");
    expect(JSON.parse((await receiveDelivery(wrong, d)).body).reason).toBe(
      "signature does not match",
    );
    expect(bus).toEqual([]);
  });

  it("takes a gzip body signed before or after compression, and nothing else", async () => {
    const bus: BusEvent[] = [];
    const plain = delivery();
    const zipped = gzipSync(plain);
    const headers = (bytes: Buffer) => ({
      "content-encoding": "gzip",
      "polytomic-signature": signBody(bytes, SECRET, "hmac-sha256-hex"),
    });
    const wire = { body: zipped, headers: headers(zipped) };
    const inner = { body: zipped, headers: headers(plain) };
    expect(await receiveDelivery(wire, deps(bus))).toMatchObject({ statusCode: 200 });
    expect(await receiveDelivery(inner, deps(bus))).toMatchObject({ statusCode: 200 });
    const notGzip = { body: plain, headers: headers(plain) };
    expect(await receiveDelivery(notGzip, deps(bus))).toMatchObject({ statusCode: 400 });
    const forged = { body: zipped, headers: headers(Buffer.from("other")) };
    expect(await receiveDelivery(forged, deps(bus))).toMatchObject({ statusCode: 401 });
    expect(bus.map((e) => e.detail.execution_id)).toEqual([EXECUTION, EXECUTION]);
  });

  it("answers 400 to a stale delivery, or one from the future past the skew", async () => {
    const bus: BusEvent[] = [];
    const old = delivery({ created_at: new Date(NOW - 900_001).toISOString() });
    const ahead = delivery({ created_at: new Date(NOW + 300_001).toISOString() });
    const edge = delivery({ created_at: new Date(NOW - 900_000).toISOString() });
    expect(await receiveDelivery(signed(old), deps(bus))).toMatchObject({ statusCode: 400 });
    expect(await receiveDelivery(signed(ahead), deps(bus))).toMatchObject({ statusCode: 400 });
    expect(bus).toEqual([]);
    expect(await receiveDelivery(signed(edge), deps(bus))).toMatchObject({ statusCode: 200 });
  });

  it("answers 200 to a replay it already accepted without forwarding it again", async () => {
    const bus: BusEvent[] = [];
    const d = deps(bus);
    expect((await receiveDelivery(signed(delivery()), d)).outcome).toBe("accepted");
    expect(await receiveDelivery(signed(delivery()), d)).toMatchObject({
      statusCode: 200,
      outcome: "duplicate",
    });
    expect(bus).toHaveLength(1);
  });

  it("answers 500 when the bus refuses, so Polytomic retries, and a retry is then accepted", async () => {
    const bus: BusEvent[] = [];
    let refuse = true;
    const d = deps(bus, {
      publish: async (events) => {
        if (refuse) throw new Error("throttled");
        bus.push(...events);
      },
    });
    expect(await receiveDelivery(signed(delivery()), d)).toMatchObject({ statusCode: 500 });
    refuse = false;
    expect(await receiveDelivery(signed(delivery()), d)).toMatchObject({ outcome: "accepted" });
    expect(bus).toHaveLength(1);
  });

  it("counts each outcome in an embedded-metric line", async () => {
    const lines: string[] = [];
    await receiveDelivery(
      { body: delivery(), headers: {} },
      deps([], { metric: (l) => lines.push(l) }),
    );
    expect(JSON.parse(lines[0] ?? "{}")).toMatchObject({
      Outcome: "rejected",
      WebhookDeliveries: 1,
      _aws: { CloudWatchMetrics: [{ Namespace: "PolytomicOrchestrator" }] },
    });
  });
});

describe("RecentIds", () => {
  it("forgets ids after the window and past its size", () => {
    const ids = new RecentIds(1000, 2);
    ids.add("a", 0);
    expect(ids.has("a", 1000)).toBe(true);
    expect(ids.has("a", 1001)).toBe(false);
    ids.add("b", 1);
    ids.add("c", 2);
    expect(ids.has("a", 2)).toBe(false);
    expect(ids.has("c", 2)).toBe(true);
  });
});
