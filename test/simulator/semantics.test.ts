import { afterEach, describe, expect, it } from "vitest";
import { parseScenario, startSimulator } from "../../simulator";
import { BULK, type Harness, harness, MODEL, scenario, T } from "./helpers";

let h: Harness;
afterEach(async () => {
  await h?.sim.close();
});

const model = `/api/syncs/${MODEL}`;
const bulk = `/api/bulk/syncs/${BULK}`;

describe("auth", () => {
  it("401 for a wrong key and a missing header; 200 for the scenario key", async () => {
    h = await harness(scenario("", ""));
    const wrong = await h.call("GET", `${model}/status`, T.modelStatus, {
      headers: { authorization: "Bearer nope" },
    });
    expect(wrong.status).toBe(401);
    expect(wrong.body).toMatchObject({ key: "unauthorized", status: 401 });
    expect(wrong.body.message).not.toContain("nope");
    const missing = await fetch(`${h.sim.url}${model}/status`);
    expect(missing.status).toBe(401);
    expect((await h.call("GET", `${model}/status`, T.modelStatus)).status).toBe(200);
  });

  it("accepts any non-empty token when the scenario has no api_key", async () => {
    const sim = await startSimulator({ scenario: parseScenario(`syncs: {}`) });
    try {
      expect(
        (await fetch(`${sim.url}/api/bulk/syncs`, { headers: { authorization: "Bearer x" } }))
          .status,
      ).toBe(200);
      expect(
        (await fetch(`${sim.url}/api/bulk/syncs`, { headers: { authorization: "Bearer " } }))
          .status,
      ).toBe(401);
    } finally {
      await sim.close();
    }
  });
});

describe("errors", () => {
  it("404 for unknown syncs, executions, paths and non-uuid ids; 405 for a wrong method", async () => {
    h = await harness(scenario("", ""));
    const other = "9f1c0d2e-0000-4000-8000-00000000dead";
    expect((await h.call("GET", `/api/syncs/${other}/status`, T.modelStatus)).status).toBe(404);
    // A bulk sync id on a model endpoint is unknown there.
    expect(
      (await h.call("POST", `/api/syncs/${BULK}/executions`, T.modelStart, { body: {} })).status,
    ).toBe(404);
    expect((await h.call("GET", `${model}/executions/${other}`, T.modelExecution)).status).toBe(
      404,
    );
    expect((await h.call("GET", `/api/syncs/not-a-uuid/status`, T.modelStatus)).status).toBe(404);
    const unknown = await fetch(`${h.sim.url}/api/nothing/here`, {
      headers: { authorization: "Bearer sim-key" },
    });
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ key: "not_found", status: 404 });
    const method = await fetch(`${h.sim.url}${model}/status`, {
      method: "DELETE",
      headers: { authorization: "Bearer sim-key" },
    });
    expect(method.status).toBe(405);
    expect(await method.json()).toMatchObject({ status: 405 });
    expect(h.sim.requests().map((r) => r.status)).toEqual([404, 404, 404, 404, 404, 405]);
  });

  it("400 naming the field for bodies and parameters that break the spec", async () => {
    h = await harness(scenario("", ""));
    const body = await h.call("POST", `${model}/executions`, T.modelStart, {
      body: { identities: "x" },
    });
    expect(body.status).toBe(400);
    expect(body.body.message).toContain("body.identities");
    const json = await h.call("POST", `${model}/executions`, T.modelStart, { rawBody: "{nope" });
    expect(json.status).toBe(400);
    const query = await h.call("GET", `${bulk}/executions?limit=ten`, T.bulkList);
    expect(query.status).toBe(400);
    expect(query.body.message).toContain("limit");
    const unknownQuery = await h.call("GET", `${bulk}/executions?only_completed=true`, T.bulkList);
    expect(unknownQuery.status).toBe(400);
    expect(h.sim.startCount(MODEL)).toBe(0);
  });

  it("409 when the sync already has an execution in progress", async () => {
    h = await harness(scenario("duration_seconds: 10", "duration_seconds: 10"));
    const first = await h.call("POST", `${model}/executions`, T.modelStart, { body: {} });
    const second = await h.call("POST", `${model}/executions`, T.modelStart, { body: {} });
    expect(second.status).toBe(409);
    expect(second.body.message).toContain(first.body.data.id);
    await h.call("POST", `${bulk}/executions`, T.bulkStart, { body: {} });
    expect((await h.call("POST", `${bulk}/executions`, T.bulkStart, { body: {} })).status).toBe(
      409,
    );
    h.clock.advance(60_000);
    expect((await h.call("POST", `${model}/executions`, T.modelStart, { body: {} })).status).toBe(
      200,
    );
    expect(h.sim.startCount(MODEL)).toBe(2);
    expect(h.sim.startCount(BULK)).toBe(1);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first response without starting again", async () => {
    h = await harness(scenario("duration_seconds: 10", ""));
    const headers = { "idempotency-key": "run-2025-01-01_nightly" };
    const first = await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    h.clock.advance(60_000);
    const replay = await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual(first.body);
    expect(h.sim.startCount(MODEL)).toBe(1);
    const other = await h.call("POST", `${model}/executions`, T.modelStart, {
      body: { test: true },
      headers,
    });
    expect(other.status).toBe(400);
    expect(h.sim.startCount(MODEL)).toBe(1);
  });

  it("replays an error answer too, as Polytomic documents; a fault only when recorded", async () => {
    h = await harness(
      scenario(
        "duration_seconds: 10",
        "",
        "faults:\n  - { endpoint: start, status: 503, times: 1 }\n  - { endpoint: start, status: 500, recorded: true, times: 1 }",
      ),
    );
    const start = (key: string) =>
      h.call("POST", `${model}/executions`, T.modelStart, {
        body: {},
        headers: { "idempotency-key": key },
      });
    // A fault in front of the API is not recorded: the retry is handled afresh...
    expect((await start("gateway-fault-1")).status).toBe(503);
    // ...but a recorded one is answered again, and so is a 409 for a busy sync.
    expect((await start("recorded-fault-1")).status).toBe(500);
    expect((await start("recorded-fault-1")).status).toBe(500);
    expect((await start("gateway-fault-1")).status).toBe(200);
    const busy = await start("while-busy-1");
    expect(busy.status).toBe(409);
    h.clock.advance(60_000);
    expect((await start("while-busy-1")).status).toBe(409);
    expect((await start("after-busy-1")).status).toBe(200);
    expect(h.sim.startCount(MODEL)).toBe(2);
    // A request the spec checks refuse is answered, and replayed, the same way.
    const badStart = () =>
      h.call("POST", `${model}/executions`, T.modelStart, {
        body: { resync: "yes" },
        headers: { "idempotency-key": "spec-refused-1" },
      });
    expect((await badStart()).status).toBe(400);
    expect((await badStart()).status).toBe(400);
    expect(h.sim.requests().filter((r) => r.status === 400)).toHaveLength(2);
  });

  it("rejects malformed keys", async () => {
    h = await harness(scenario("", ""));
    for (const key of ["short", "has space in it", "x".repeat(256)]) {
      const res = await h.call("POST", `${model}/executions`, T.modelStart, {
        body: {},
        headers: { "idempotency-key": key },
      });
      expect(res.status).toBe(400);
      expect(res.body.message).toContain("Idempotency-Key");
    }
    expect(h.sim.startCount(MODEL)).toBe(0);
  });

  it("answers 409 to a concurrent duplicate while the first is still being handled", async () => {
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    let sleeping: () => void = () => {};
    const asleep = new Promise<void>((r) => {
      sleeping = r;
    });
    h = await harness(scenario("", "", "faults:\n  - { endpoint: start, delay_seconds: 30 }"), {
      sleep: () => {
        sleeping();
        return gate;
      },
    });
    const headers = { "idempotency-key": "concurrent-key-1" };
    const slow = h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    await asleep;
    const dup = await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    expect(dup.status).toBe(409);
    release();
    const first = await slow;
    expect(first.status).toBe(200);
    expect(h.sim.startCount(MODEL)).toBe(1);
    const replay = await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    expect(replay.body).toEqual(first.body);
  });
});

describe("cancel", () => {
  it("moves a running model execution through canceling to canceled", async () => {
    h = await harness(
      scenario("queue_seconds: 0\nduration_seconds: 100\ncancel_seconds: 5\nrecords: 1000", ""),
    );
    const start = await h.call("POST", `${model}/executions`, T.modelStart, { body: {} });
    const id = start.body.data.id as string;
    h.clock.advance(50_000);
    const headers = { "idempotency-key": "cancel-key-0001" };
    const cancel = await h.call("POST", `${model}/executions/${id}/cancel`, T.modelCancel, {
      headers,
    });
    expect(cancel.status).toBe(200);
    expect(cancel.body.data.message).toContain("Cancellation");
    h.clock.advance(1000);
    expect(
      (await h.call("GET", `${model}/executions/${id}`, T.modelExecution)).body.data.status,
    ).toBe("canceling");
    h.clock.advance(4000);
    const done = (await h.call("GET", `${model}/executions/${id}`, T.modelExecution)).body.data;
    expect(done).toMatchObject({ status: "canceled", counts: { total: 500 } });
    expect(done.completed_at).toBe(new Date(Date.UTC(2025, 0, 1, 0, 0, 55)).toISOString());
    // Same key: replayed, not an error about the terminal state.
    expect(
      (await h.call("POST", `${model}/executions/${id}/cancel`, T.modelCancel, { headers })).status,
    ).toBe(200);
    const again = await h.call("POST", `${model}/executions/${id}/cancel`, T.modelCancel);
    expect(again.status).toBe(400);
    expect(again.body.message).toContain("already canceled");
  });

  it("cancels a bulk execution and marks its schemas canceled; refuses a finished one", async () => {
    h = await harness(scenario("", "duration_seconds: 100\nschemas: [{ name: Account }]"));
    const start = await h.call("POST", `${bulk}/executions`, T.bulkStart, { body: {} });
    const id = start.body.data.id as string;
    h.clock.advance(10_000);
    expect((await h.call("POST", `${bulk}/executions/${id}/cancel`, T.bulkCancel)).status).toBe(
      200,
    );
    h.clock.advance(2000);
    const got = (await h.call("GET", `${bulk}/executions/${id}`, T.bulkExecution)).body.data;
    expect(got.status).toBe("canceled");
    expect(got.schemas[0].status).toBe("canceled");
    const late = await h.call("POST", `${bulk}/executions/${id}/cancel`, T.bulkCancel);
    expect(late.status).toBe(400);
    expect(h.sim.executions().filter((e) => !e.terminal)).toEqual([]);
  });
});
