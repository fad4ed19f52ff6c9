import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { afterEach, describe, expect, it } from "vitest";
import type { SignatureAlgorithm } from "../../functions/core/webhook-contract";
import { verifySignature } from "../../functions/core/webhook-signature";
import { validateSchema } from "../../simulator/spec";
import { EVENT_PAYLOAD_SCHEMAS } from "../../simulator/webhooks";
import { BULK, type Harness, harness, MODEL, scenario } from "./helpers";

const SECRET = "sim-webhook-secret";
const HOOKS = "/api/webhooks";
const HOOK = "/api/webhooks/{id}";

interface Received {
  body: Buffer;
  signature: string | undefined;
  event: { id: string; type: string; created_at: string; event: Record<string, string> };
}

/** A local HTTP receiver recording each delivery; `answer` picks the status. */
async function receiver(answer: (n: number) => number = () => 200) {
  const received: Received[] = [];
  const server: Server = createServer((req: IncomingMessage, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const signature = req.headers["polytomic-signature"] as string | undefined;
      received.push({ body, signature, event: JSON.parse(body.toString()) });
      res.writeHead(answer(received.length));
      res.end();
    });
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
  return {
    url,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

let h: Harness;
let rx: Awaited<ReturnType<typeof receiver>> | undefined;
afterEach(async () => {
  await h?.sim.close();
  await rx?.close();
  rx = undefined;
});

async function register(url: string) {
  const res = await h.call("POST", HOOKS, HOOKS, { body: { endpoint: url, secret: SECRET } });
  expect(res.status).toBe(200);
  return res.body.data.id as string;
}

const start = (id: string, type: "model" | "bulk") =>
  h.call(
    "POST",
    type === "model" ? `/api/syncs/${id}/executions` : `/api/bulk/syncs/${id}/executions`,
    type === "model" ? "/api/syncs/{id}/executions" : "/api/bulk/syncs/{id}/executions",
    { body: {} },
  );

describe("simulator /api/webhooks", () => {
  it("keeps one webhook per organization: a second create is 422, update replaces it", async () => {
    h = await harness(scenario("", ""));
    expect((await h.call("GET", HOOKS, HOOKS)).body).toEqual({ data: [] });
    const id = await register("https://example.com/a");
    const second = await h.call("POST", HOOKS, HOOKS, {
      body: { endpoint: "https://example.com/b", secret: "x" },
    });
    expect(second.status).toBe(422);
    const put = await h.call("PUT", `${HOOKS}/${id}`, HOOK, {
      body: { endpoint: "https://example.com/b", secret: "y" },
    });
    expect(put.body.data).toMatchObject({ id, endpoint: "https://example.com/b" });
    const off = await h.call("POST", `${HOOKS}/${id}/disable`, `${HOOK}/disable`);
    expect(off.body.data.disabled).toBe(true);
    expect((await h.call("DELETE", `${HOOKS}/${id}`, HOOK)).status).toBe(200);
    expect((await h.call("GET", `${HOOKS}/${id}`, HOOK)).status).toBe(404);
  });
});

describe("simulator webhook delivery", () => {
  it("signs each event of a run and sends it as the spec's Event when it happens", async () => {
    h = await harness(scenario("queue_seconds: 5\nduration_seconds: 100", "outcome: errors"));
    rx = await receiver();
    await register(rx.url);
    const model = (await start(MODEL, "model")).body.data.id as string;
    await h.sim.webhooks.pump();
    expect(rx.received).toEqual([]);
    h.clock.advance(5_000);
    await h.sim.webhooks.pump();
    expect(rx.received.map((r) => r.event.type)).toEqual(["sync.running"]);
    h.clock.advance(100_000);
    await h.sim.webhooks.pump();
    expect(rx.received.map((r) => r.event.type)).toEqual(["sync.running", "sync.completed"]);
    for (const r of rx.received) {
      const { event: payload, ...envelope } = r.event;
      expect(validateSchema("Event", envelope)).toEqual([]);
      const schema = EVENT_PAYLOAD_SCHEMAS[r.event.type] ?? "missing";
      expect(validateSchema(schema, payload)).toEqual([]);
      expect(verifySignature(r.body, r.signature, SECRET, "hmac-sha256-hex")).toBe(true);
      expect(r.event.event).toMatchObject({ execution_id: model, sync_id: MODEL });
    }
    await start(BULK, "bulk");
    h.clock.advance(3_600_000);
    await h.sim.webhooks.pump();
    const bulk = rx.received.slice(2);
    expect(bulk.map((r) => r.event.type)).toEqual([
      "bulk_sync.running",
      "bulk_sync.completed_with_error",
    ]);
    for (const r of bulk) {
      expect(validateSchema(EVENT_PAYLOAD_SCHEMAS[r.event.type] ?? "", r.event.event)).toEqual([]);
    }
  });

  it("sends nothing for an interrupted run's end, nor while the webhook is disabled", async () => {
    h = await harness(scenario("outcome: interrupted\nduration_seconds: 10", ""));
    rx = await receiver();
    const id = await register(rx.url);
    await start(MODEL, "model");
    h.clock.advance(60_000);
    await h.sim.webhooks.pump();
    expect(rx.received.map((r) => r.event.type)).toEqual(["sync.running"]);
    await h.call("POST", `${HOOKS}/${id}/disable`, `${HOOK}/disable`);
    await start(MODEL, "model");
    h.clock.advance(5_000);
    await h.sim.webhooks.pump();
    await h.call("POST", `${HOOKS}/${id}/enable`, `${HOOK}/enable`);
    h.clock.advance(60_000);
    await h.sim.webhooks.pump();
    expect(rx.received).toHaveLength(1);
  });

  it("retries a non-2xx answer five times with exponential backoff on the clock", async () => {
    h = await harness(scenario("duration_seconds: 10", ""));
    rx = await receiver(() => 503);
    await register(rx.url);
    await start(MODEL, "model");
    for (let i = 0; i < 12; i++) {
      const next = h.sim.webhooks.nextDueAt();
      if (next === undefined) break;
      h.clock.set(Math.max(next, h.clock.now()));
      await h.sim.webhooks.pump();
    }
    const running = h.sim.webhooks.deliveries().filter((d) => d.type === "sync.running");
    expect(running.map((d) => d.attempt)).toEqual([1, 2, 3, 4, 5, 6]);
    const gaps = running.slice(1).map((d, i) => d.at - (running[i]?.at ?? 0));
    expect(gaps).toEqual([10_000, 20_000, 40_000, 80_000, 160_000]);
  });

  it("a pump goes as of the clock when called; one called while another runs goes after it", async () => {
    h = await harness(scenario("queue_seconds: 5\nduration_seconds: 10", ""));
    rx = await receiver();
    await register(rx.url);
    await start(MODEL, "model");
    h.clock.advance(5_000);
    const first = h.sim.webhooks.pump();
    h.clock.advance(10_000);
    const second = h.sim.webhooks.pump();
    expect((await first).map((d) => d.type)).toEqual(["sync.running"]);
    expect((await second).map((d) => d.type)).toEqual(["sync.completed"]);
  });

  it("signs with the scenario's algorithm", async () => {
    const algorithm: SignatureAlgorithm = "hmac-sha256-base64";
    h = await harness(scenario("", "", `webhooks:\n  signature: ${algorithm}`));
    rx = await receiver();
    await register(rx.url);
    await start(MODEL, "model");
    h.clock.advance(5_000);
    await h.sim.webhooks.pump();
    const [first] = rx.received;
    expect(first && verifySignature(first.body, first.signature, SECRET, algorithm)).toBe(true);
    expect(first && verifySignature(first.body, first.signature, SECRET, "hmac-sha256-hex")).toBe(
      false,
    );
  });
});

describe("simulator webhook loss, duplicates and reordering", () => {
  const RUNS = 20;
  const controls = (seed: number) =>
    `webhooks:\n  loss: 0.3\n  duplicates: 0.3\n  delay_seconds: 5\n  reorder_seconds: 120\n  seed: ${seed}`;

  /** RUNS model runs of 30 s, one after the other; the events as the receiver got them. */
  async function deliveries(seed: number) {
    h = await harness(scenario("duration_seconds: 30", "", controls(seed)));
    rx = await receiver();
    await register(rx.url);
    for (let i = 0; i < RUNS; i++) {
      await start(MODEL, "model");
      h.clock.advance(40_000);
    }
    h.clock.advance(600_000);
    await h.sim.webhooks.pump();
    const got = rx.received.map((r) => `${r.event.id} ${r.event.created_at}`);
    await h.sim.close();
    await rx.close();
    rx = undefined;
    return got;
  }

  it("loses, duplicates and reorders events, the same way for the same seed", async () => {
    const got = await deliveries(7);
    const unique = new Set(got);
    const sent = RUNS * 2;
    expect(unique.size).toBeLessThan(sent); // some were lost
    expect(got.length).toBeGreaterThan(unique.size); // some came twice
    const times = got.map((g) => g.split(" ")[1] ?? "");
    expect(times).not.toEqual([...times].sort()); // some overtook earlier ones
    expect(await deliveries(7)).toEqual(got);
    expect(await deliveries(8)).not.toEqual(got);
  });
});
