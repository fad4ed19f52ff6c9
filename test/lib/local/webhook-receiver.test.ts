/**
 * The simulator's deliveries through the receiver's own logic (lib/local/webhook-receiver.ts):
 * what the simulator signs, the receiver verifies, and every event that got through reaches
 * the bus once, with the ids the task-token waiting will match on.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { BusEvent } from "../../../functions/core/webhook";
import { type LocalReceiver, startLocalReceiver } from "../../../lib/local/webhook-receiver";
import {
  ManualClock,
  parseScenario,
  type RunningSimulator,
  startSimulator,
} from "../../../simulator";

const MODEL = "9f1c0d2e-0000-4000-8000-000000000002";
const SECRET = "local-webhook-secret";

let sim: RunningSimulator | undefined;
let receiver: LocalReceiver | undefined;
afterEach(async () => {
  await sim?.close();
  await receiver?.close();
});

async function setUp(webhooks: string, secret = SECRET) {
  const clock = new ManualClock();
  sim = await startSimulator({
    scenario: parseScenario(
      `api_key: k\nsyncs:\n  ${MODEL}: { type: model, duration_seconds: 30 }\n${webhooks}`,
      "test.yaml",
    ),
    clock,
  });
  const bus: BusEvent[] = [];
  receiver = await startLocalReceiver({ secret, clock, publish: (e) => void bus.push(...e) });
  const register = await fetch(`${sim.url}/api/webhooks`, {
    method: "POST",
    headers: { authorization: "Bearer k", "content-type": "application/json" },
    body: JSON.stringify({ endpoint: receiver.url, secret: SECRET }),
  });
  expect(register.status).toBe(200);
  return { clock, bus, sim };
}

async function runs(s: RunningSimulator, clock: ManualClock, count: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await fetch(`${s.url}/api/syncs/${MODEL}/executions`, {
      method: "POST",
      headers: { authorization: "Bearer k", "content-type": "application/json" },
      body: "{}",
    });
    ids.push(((await res.json()) as { data: { id: string } }).data.id);
    clock.advance(60_000);
    await s.webhooks.pump();
  }
  return ids;
}

describe("simulator deliveries through the local receiver", () => {
  it("puts each run's running and completed events on the bus with its execution and sync ids", async () => {
    const { clock, bus, sim: s } = await setUp("");
    const [id] = await runs(s, clock, 1);
    expect(bus.map((e) => [e.detailType, e.detail.execution_id, e.detail.sync_id])).toEqual([
      ["sync.running", id, MODEL],
      ["sync.completed", id, MODEL],
    ]);
    expect(s.webhooks.deliveries().every((d) => d.status === 200)).toBe(true);
  });

  it("under loss, duplicates and reordering: each delivered event on the bus exactly once", async () => {
    const {
      clock,
      bus,
      sim: s,
    } = await setUp("webhooks: { loss: 0.25, duplicates: 0.5, reorder_seconds: 90, seed: 3 }");
    await runs(s, clock, 12);
    clock.advance(600_000);
    await s.webhooks.pump();
    const delivered = s.webhooks.deliveries();
    const unique = new Set(delivered.map((d) => d.eventId));
    expect(delivered.length).toBeGreaterThan(unique.size); // duplicates were sent
    expect(unique.size).toBeLessThan(24); // some were lost
    expect(bus.map((e) => e.detail.id).sort()).toEqual([...unique].sort()); // each once
    expect(delivered.filter((d) => d.status !== 200)).toEqual([]);
  });

  it("rejects deliveries signed with another secret, which Polytomic then retries", async () => {
    const { clock, bus, sim: s } = await setUp("", "not-the-registered-secret");
    await runs(s, clock, 1);
    expect(bus).toEqual([]);
    expect(s.webhooks.deliveries().map((d) => d.status)).toEqual([401, 401]);
    expect(s.webhooks.nextDueAt()).toBeDefined();
  });
});
