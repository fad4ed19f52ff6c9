import { afterEach, describe, expect, it } from "vitest";
import { BULK, type Harness, harness, MODEL, scenario, T } from "./helpers";

let h: Harness;
afterEach(async () => {
  await h?.sim.close();
});

const model = `/api/syncs/${MODEL}`;
const auth = { authorization: "Bearer sim-key" };

describe("faults", () => {
  it("429 with Retry-After for `times` starts, which start nothing; then the real answer", async () => {
    h = await harness(
      scenario(
        "",
        "",
        "faults:\n  - { endpoint: start, status: 429, retry_after_seconds: 1.5, times: 2 }",
      ),
    );
    for (let i = 0; i < 2; i++) {
      const res = await h.call("POST", `${model}/executions`, T.modelStart, { body: {} });
      expect(res.status).toBe(429);
      expect(res.headers.get("retry-after")).toBe("2");
      expect(res.body).toMatchObject({ status: 429 });
    }
    expect(h.sim.startCount(MODEL)).toBe(0);
    expect(h.sim.executions().filter((e) => !e.history)).toEqual([]);
    expect((await h.call("POST", `${model}/executions`, T.modelStart, { body: {} })).status).toBe(
      200,
    );
    expect(h.sim.requests().map((r) => [r.status, r.faulted])).toEqual([
      [429, true],
      [429, true],
      [200, false],
    ]);
  });

  it("a faulted request does not consume its Idempotency-Key", async () => {
    h = await harness(scenario("", "", "faults:\n  - { endpoint: start, status: 503 }"));
    const headers = { "idempotency-key": "retry-after-503" };
    expect(
      (await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers })).status,
    ).toBe(503);
    expect(
      (await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers })).status,
    ).toBe(200);
    expect(h.sim.startCount(MODEL)).toBe(1);
  });

  it("`any` hits the next API request of any endpoint, once; faults apply in order", async () => {
    h = await harness(
      scenario(
        "",
        "",
        `faults:
  - { endpoint: any, status: 503, times: 1 }
  - { endpoint: status, status: 500, times: 1 }`,
      ),
    );
    expect((await h.call("GET", `/api/bulk/syncs/${BULK}/status`, T.bulkStatus)).status).toBe(503);
    expect((await h.call("GET", `${model}/status`, T.modelStatus)).status).toBe(500);
    expect((await h.call("GET", `${model}/status`, T.modelStatus)).status).toBe(200);
  });

  it("`sync` limits a fault to one sync", async () => {
    h = await harness(
      scenario("", "", `faults:\n  - { endpoint: status, status: 502, sync: ${BULK} }`),
    );
    expect((await h.call("GET", `${model}/status`, T.modelStatus)).status).toBe(200);
    expect((await h.call("GET", `/api/bulk/syncs/${BULK}/status`, T.bulkStatus)).status).toBe(502);
  });

  it("malformed answers 200 with a body that is not JSON", async () => {
    h = await harness(scenario("", "", "faults:\n  - { endpoint: syncs, malformed: true }"));
    const res = await fetch(`${h.sim.url}/api/syncs`, { headers: auth });
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(() => JSON.parse(text)).toThrow();
    expect((await fetch(`${h.sim.url}/api/syncs`, { headers: auth })).status).toBe(200);
  });

  it("delay sleeps through the injected sleep before the real answer", async () => {
    const slept: number[] = [];
    h = await harness(scenario("", "", "faults:\n  - { endpoint: status, delay_seconds: 20 }"), {
      sleep: async (ms) => {
        slept.push(ms);
      },
    });
    expect((await h.call("GET", `${model}/status`, T.modelStatus)).status).toBe(200);
    expect((await h.call("GET", `${model}/status`, T.modelStatus)).status).toBe(200);
    expect(slept).toEqual([20_000]);
  });

  it("reset drops the connection", async () => {
    h = await harness(scenario("", "", "faults:\n  - { endpoint: executions, reset: true }"));
    await expect(fetch(`${h.sim.url}${model}/executions`, { headers: auth })).rejects.toThrow();
    expect((await h.call("GET", `${model}/executions`, T.modelList)).status).toBe(200);
    expect(h.sim.requests()[0]).toMatchObject({ status: 0, endpoint: "executions", faulted: true });
  });

  it("download faults hit signed-URL files only", async () => {
    h = await harness(
      scenario("duration_seconds: 1", "", "faults:\n  - { endpoint: download, status: 500 }"),
    );
    const start = await h.call("POST", `${model}/executions`, T.modelStart, { body: {} });
    h.clock.advance(10_000);
    const logs = await h.call(
      "GET",
      `${model}/executions/${start.body.data.id}/records`,
      T.modelLogs,
    );
    expect((await fetch(logs.body.data.urls[0])).status).toBe(500);
    expect((await fetch(logs.body.data.urls[0])).status).toBe(200);
  });
});
