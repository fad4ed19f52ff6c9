/**
 * Retry, deadline and error-mapping behaviour against simulator faults. The client's clock
 * and sleep are the simulator's ManualClock, so waits are recorded, not spent.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  PolytomicBadRequestError,
  PolytomicConflictError,
  PolytomicError,
  PolytomicForbiddenError,
  PolytomicMalformedResponseError,
  PolytomicNotFoundError,
  PolytomicRateLimitError,
  PolytomicServerError,
  PolytomicTimeoutError,
  PolytomicUnauthorizedError,
} from "../../functions/polytomic/errors";
import { rotatedKey } from "../../functions/polytomic/http";
import { BULK, closeAll, idem, KEY, MODEL, rejection, setup, syncs, UNKNOWN } from "./helpers";

afterEach(closeAll);

const faults = (...lines: string[]) => `faults:\n${lines.map((l) => `  - ${l}`).join("\n")}`;

describe("retries", () => {
  it("honours Retry-After on 429 as the minimum wait, then succeeds", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: status, status: 429, retry_after_seconds: 3, times: 2 }")),
    );
    const status = await t.client.getModelSyncStatus(MODEL);
    expect(status.next_execution_time).toBeNull();
    expect(t.slept).toEqual([3000, 3000]);
    expect(t.requests("status").map((r) => r.status)).toEqual([429, 429, 200]);
    expect(t.retries).toEqual([
      {
        attempt: 1,
        delayMs: 3000,
        status: 429,
        errorName: "Polytomic.RateLimited",
        request: `GET /api/syncs/${MODEL}/status`,
      },
      {
        attempt: 2,
        delayMs: 3000,
        status: 429,
        errorName: "Polytomic.RateLimited",
        request: `GET /api/syncs/${MODEL}/status`,
      },
    ]);
  });

  it("uses the jittered backoff when it is longer than Retry-After", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: status, status: 503, retry_after_seconds: 0, times: 1 }")),
      { random: () => 0.999, retry: { baseDelayMs: 4000 } },
    );
    await t.client.getBulkSyncStatus(BULK);
    expect(t.slept).toEqual([3996]);
  });

  it.each([500, 502, 503, 504, 408])(
    "retries %i with exponential full-jitter backoff, then succeeds",
    async (status) => {
      const t = await setup(
        syncs("", "", faults(`{ endpoint: any, status: ${status}, times: 3 }`)),
      );
      const sync = await t.client.getBulkSync(BULK);
      expect(sync.id).toBe(BULK);
      // random 0.5 of min(20000, 500 * 2^n)
      expect(t.slept).toEqual([250, 500, 1000]);
      expect(t.requests().map((r) => r.status)).toEqual([status, status, status, 200]);
    },
  );

  it("retries a reset connection", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: executions, reset: true, times: 1 }")));
    const page = await t.client.listModelExecutions(MODEL);
    expect(page.data).toEqual([]);
    expect(t.retries[0]).toMatchObject({ attempt: 1, errorName: "Polytomic.Timeout" });
    expect(t.retries[0]?.status).toBeUndefined();
  });

  it("throws ServerError with attempts when the budget runs out", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: status, status: 503, times: 50 }")));
    const err = await rejection(t.client.getModelSyncStatus(MODEL));
    expect(err).toBeInstanceOf(PolytomicServerError);
    const e = err as PolytomicServerError;
    expect(e).toMatchObject({
      name: "Polytomic.ServerError",
      status: 503,
      attempts: 5,
      retryable: true,
      request: `GET /api/syncs/${MODEL}/status`,
      body: { key: "server_error", status: 503 },
    });
    expect(e.message).toBe(
      `GET /api/syncs/${MODEL}/status: simulated 503 (scenario fault) (503); gave up after 5 attempts`,
    );
    expect(t.slept).toEqual([250, 500, 1000, 2000]);
    expect(t.requests("status")).toHaveLength(5);
  });

  it("throws RateLimited with retryAfterSeconds when the budget runs out", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: syncs, status: 429, retry_after_seconds: 2, times: 50 }")),
      { retry: { maxAttempts: 3 } },
    );
    const err = await rejection(t.client.listBulkSyncs());
    expect(err).toBeInstanceOf(PolytomicRateLimitError);
    expect(err).toMatchObject({ status: 429, attempts: 3, retryAfterSeconds: 2 });
    expect(t.slept).toEqual([2000, 2000]);
  });

  it("caps jittered waits at maxDelayMs", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: status, status: 500, times: 50 }")), {
      random: () => 0.999_999,
      retry: { maxAttempts: 8, baseDelayMs: 1000, maxDelayMs: 5000 },
      defaultTimeoutMs: 3_600_000,
    });
    await rejection(t.client.getModelSyncStatus(MODEL));
    expect(t.slept).toHaveLength(7);
    expect(Math.max(...t.slept)).toBeLessThan(5000);
    expect(t.slept.slice(3)).toEqual([4999, 4999, 4999, 4999]);
  });
});

describe("deadline", () => {
  it("never sleeps past the caller's deadline and throws the last error", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: status, status: 502, times: 50 }")), {
      random: () => 0.9,
      retry: { maxAttempts: 20 },
    });
    const start = t.clock.now();
    const deadline = start + 4_000;
    const err = await rejection(t.client.getModelSyncStatus(MODEL, { deadline }));
    expect(err).toBeInstanceOf(PolytomicServerError);
    // 0.9 * 500, 0.9 * 1000, 0.9 * 2000 = 450 + 900 + 1800 = 3150; the next (3600) would end past it.
    expect(t.slept).toEqual([450, 900, 1800]);
    expect(t.clock.now()).toBeLessThan(deadline);
    expect((err as PolytomicError).attempts).toBe(4);
    expect(err.message).toContain("the next retry (in 3600 ms) would pass the call's deadline");
    expect(t.requests("status")).toHaveLength(4);
  });

  it("does not wait for a Retry-After that ends past the deadline", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: start, status: 429, retry_after_seconds: 60, times: 1 }")),
    );
    const err = await rejection(
      t.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: idem(), deadline: t.clock.now() + 30_000 },
      ),
    );
    expect(err).toBeInstanceOf(PolytomicRateLimitError);
    expect(err).toMatchObject({ attempts: 1, retryAfterSeconds: 60 });
    expect(t.slept).toEqual([]);
    expect(t.sim.startCount(MODEL)).toBe(0);
  });

  it("uses defaultTimeoutMs as the budget when the caller gives no deadline", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: status, status: 500, times: 50 }")), {
      random: () => 0.9,
      retry: { maxAttempts: 50 },
      defaultTimeoutMs: 10_000,
    });
    const start = t.clock.now();
    await rejection(t.client.getBulkSyncStatus(BULK));
    const total = t.slept.reduce((a, b) => a + b, 0);
    expect(total).toBeLessThan(10_000);
    expect(t.clock.now() - start).toBe(total);
    expect(t.slept).toEqual([450, 900, 1800, 3600]);
  });

  it("sends nothing when the deadline has already passed", async () => {
    const t = await setup(syncs());
    const err = await rejection(t.client.getModelSync(MODEL, { deadline: t.clock.now() - 1 }));
    expect(err).toBeInstanceOf(PolytomicTimeoutError);
    expect(err).toMatchObject({ attempts: 0 });
    expect(err.message).toContain("deadline had already passed; nothing was sent");
    expect(t.requests()).toEqual([]);
  });
});

describe("not retried", () => {
  it("404 for an unknown sync", async () => {
    const t = await setup(syncs());
    const err = await rejection(t.client.getModelSyncStatus(UNKNOWN));
    expect(err).toBeInstanceOf(PolytomicNotFoundError);
    expect(err).toMatchObject({
      name: "Polytomic.NotFound",
      status: 404,
      attempts: 1,
      retryable: false,
    });
    expect(String(err)).toBe(
      `Polytomic.NotFound: GET /api/syncs/${UNKNOWN}/status: sync ${UNKNOWN} not found (404)`,
    );
    expect(t.requests()).toHaveLength(1);
    expect(t.slept).toEqual([]);
  });

  it("401 for a wrong API key (proves the Bearer key is sent)", async () => {
    const t = await setup(syncs());
    await expect(t.client.getModelSync(MODEL)).resolves.toMatchObject({ id: MODEL });
    const wrong = t.makeClient({ apiKey: "some-other-key-123" });
    const err = await rejection(wrong.getModelSync(MODEL));
    expect(err).toBeInstanceOf(PolytomicUnauthorizedError);
    expect(err).toMatchObject({ status: 401, attempts: 1, body: { key: "unauthorized" } });
    expect(err.message).toContain("check the Polytomic API key");
    expect(t.requests().map((r) => r.status)).toEqual([200, 401]);
  });

  it("403", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: cancel, status: 403, times: 5 }")));
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    const err = await rejection(
      t.client.cancelBulkExecution(BULK, started.id as string, { idempotencyKey: idem() }),
    );
    expect(err).toBeInstanceOf(PolytomicForbiddenError);
    expect(err).toMatchObject({ status: 403, attempts: 1 });
    expect(t.requests("cancel")).toHaveLength(1);
  });

  it("409 when the sync is already running", async () => {
    const t = await setup(syncs("duration_seconds: 600"));
    const first = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    const err = await rejection(
      t.client.startModelSync(MODEL, { resync: false, test: false }, { idempotencyKey: idem() }),
    );
    expect(err).toBeInstanceOf(PolytomicConflictError);
    expect(err).toMatchObject({ name: "Polytomic.Conflict", status: 409, attempts: 1 });
    expect(err.message).toContain(first.id as string);
    expect(t.requests("start").map((r) => r.status)).toEqual([200, 409]);
    expect(t.sim.startCount(MODEL)).toBe(1);
  });

  it("400 for an invalid start request", async () => {
    const t = await setup(syncs("", "schemas:\n  - { name: Account }"));
    const err = await rejection(
      t.client.startBulkSync(BULK, { schemas: ["Nope"] }, { idempotencyKey: idem() }),
    );
    expect(err).toBeInstanceOf(PolytomicBadRequestError);
    expect(err).toMatchObject({ status: 400, attempts: 1 });
    expect(err.message).toContain('unknown schema "Nope"');
    expect(t.requests("start")).toHaveLength(1);
  });
});

describe("Idempotency-Key", () => {
  it("replays the first start: same execution id, one start", async () => {
    const t = await setup(syncs("duration_seconds: 600"));
    const key = idem("replay");
    const a = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: key },
    );
    const b = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: key },
    );
    expect(b.id).toBe(a.id);
    expect(t.sim.startCount(MODEL)).toBe(1);
  });

  it("makes a start retried after a 5xx start exactly one execution", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: start, status: 500, times: 2 }")));
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    expect(started.id).toEqual(expect.any(String));
    expect(t.requests("start").map((r) => r.status)).toEqual([500, 500, 200]);
    expect(t.sim.startCount(BULK)).toBe(1);
  });

  it("retries a 5xx the API recorded for the key with a derived key: one execution", async () => {
    // Polytomic replays the first answer to a key, errors included: the same key would get
    // the 500 back on every retry.
    const t = await setup(
      syncs("", "", faults("{ endpoint: start, status: 500, recorded: true, times: 2 }")),
    );
    const key = idem("recorded");
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: key });
    expect(t.requests("start").map((r) => r.status)).toEqual([500, 500, 200]);
    expect(t.sim.startCount(BULK)).toBe(1);
    // The original key still answers its recorded 500; the derived one replays the start.
    const again = await rejection(
      t.client.startBulkSync(BULK, {}, { idempotencyKey: key, onAnsweredError: "throw" }),
    );
    expect(again.name).toBe("Polytomic.ServerError");
    const replay = await t.client.startBulkSync(BULK, {}, { idempotencyKey: rotatedKey(key, 2) });
    expect(replay.id).toBe(started.id);
    expect(t.sim.startCount(BULK)).toBe(1);
  });

  it('onAnsweredError "throw": an answered 503 is thrown at once, a reset is still retried', async () => {
    const t = await setup(
      syncs(
        "",
        "",
        faults(
          "{ endpoint: start, reset: true, times: 1 }",
          "{ endpoint: start, status: 503, times: 1 }",
        ),
      ),
    );
    const err = await rejection(
      t.client.startBulkSync(BULK, {}, { idempotencyKey: idem(), onAnsweredError: "throw" }),
    );
    expect(err).toBeInstanceOf(PolytomicServerError);
    expect(err.message).toContain("not retried with the same Idempotency-Key");
    expect(t.requests("start").map((r) => r.status)).toEqual([0, 503]);
    expect(t.sim.startCount(BULK)).toBe(0);
  });

  it("derived keys stay within the API's 255 characters", () => {
    expect(rotatedKey("k".repeat(255), 12)).toHaveLength(255);
    expect(rotatedKey("po-abc12345", 0)).toBe("po-abc12345");
    expect(rotatedKey("po-abc12345", 3)).toBe("po-abc12345-r3");
  });

  it("rejects a malformed key before sending", async () => {
    const t = await setup(syncs());
    for (const key of ["short", "has space in it", "x".repeat(256), ""]) {
      const err = await rejection(
        t.client.startModelSync(MODEL, { resync: false, test: false }, { idempotencyKey: key }),
      );
      expect(err.name).toBe("Input.Invalid");
      expect(err).toBeInstanceOf(PolytomicError);
      expect(err).toMatchObject({ attempts: 0 });
      expect(err.message).toContain("8-255 characters of [A-Za-z0-9_-]");
    }
    const missing = await rejection(
      // @ts-expect-error: idempotencyKey is required
      t.client.cancelModelExecution(MODEL, "00000000-0000-4000-8000-000000000000", {}),
    );
    expect(missing.message).toContain("idempotencyKey is missing");
    expect(t.requests()).toEqual([]);
  });
});

describe("malformed responses", () => {
  it("retries a malformed 2xx body, then succeeds", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: execution, malformed: true, times: 1 }")),
    );
    const started = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    const got = await t.client.getModelExecution(MODEL, started.id as string);
    expect(got.id).toBe(started.id);
    expect(t.retries[0]).toMatchObject({ status: 200, errorName: "Polytomic.MalformedResponse" });
  });

  it("retries a malformed start answer safely (one execution)", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: start, malformed: true, times: 1 }")));
    await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    expect(t.sim.startCount(MODEL)).toBe(1);
  });

  it("throws MalformedResponse when every attempt is malformed", async () => {
    const t = await setup(syncs("", "", faults("{ endpoint: job, malformed: true, times: 9 }")), {
      retry: { maxAttempts: 2 },
    });
    const err = await rejection(
      t.client.getJob("exportlogs", "00000000-0000-4000-8000-000000000000"),
    );
    expect(err).toBeInstanceOf(PolytomicMalformedResponseError);
    expect(err).toMatchObject({ status: 200, attempts: 2, retryable: true });
    expect(err.message).toContain("is not the JSON the API promises (not valid JSON)");
  });
});

describe("per-attempt timeout", () => {
  it("abandons a slow attempt and retries", async () => {
    // The simulator holds the first answer 3 s (delay_seconds 300, scaled 1/100); the retry
    // (an ordinary local request) has 1 s, room enough on a loaded machine.
    const t = await setup(
      syncs("", "", faults("{ endpoint: status, delay_seconds: 300, times: 1 }")),
      {
        requestTimeoutMs: 1_000,
      },
    );
    const status = await t.client.getBulkSyncStatus(BULK);
    expect(status.next_execution_time).toBeNull();
    expect(t.retries).toHaveLength(1);
    expect(t.retries[0]).toMatchObject({ attempt: 1, errorName: "Polytomic.Timeout" });
  });

  it("throws Timeout when every attempt is too slow", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: syncs, delay_seconds: 15, times: 5 }")),
      {
        requestTimeoutMs: 40,
        retry: { maxAttempts: 2 },
      },
    );
    const err = await rejection(t.client.getModelSync(MODEL));
    expect(err).toBeInstanceOf(PolytomicTimeoutError);
    expect(err).toMatchObject({ attempts: 2, status: undefined });
    expect(err.message).toBe(
      `GET /api/syncs/${MODEL}: no response within 40 ms; gave up after 2 attempts`,
    );
  });

  it("caps the attempt's timeout at the time left before the deadline", async () => {
    const t = await setup(
      syncs("", "", faults("{ endpoint: status, delay_seconds: 20, times: 5 }")),
    );
    const err = await rejection(
      t.client.getModelSyncStatus(MODEL, { deadline: t.clock.now() + 60 }),
    );
    expect(err).toBeInstanceOf(PolytomicTimeoutError);
    expect(err.message).toContain(
      "no response within 60 ms (the time left before the call's deadline)",
    );
    expect(err).toMatchObject({ attempts: 1 });
    expect(t.slept).toEqual([]);
  });
});

describe("caller abort", () => {
  it("stops at once with the caller's reason and sends nothing", async () => {
    const t = await setup(syncs());
    const controller = new AbortController();
    controller.abort(new Error("shutting down"));
    const err = await rejection(t.client.getModelSync(MODEL, { signal: controller.signal }));
    expect(err.message).toBe("shutting down");
    expect(t.requests()).toEqual([]);
  });
});

it("calls an apiKey provider once per call, so a rotated key is used", async () => {
  const t = await setup(syncs());
  const keys = ["stale-key-1234", KEY];
  let calls = 0;
  const client = t.makeClient({ apiKey: async () => keys[Math.min(calls++, 1)] as string });
  await expect(client.getModelSync(MODEL)).rejects.toBeInstanceOf(PolytomicUnauthorizedError);
  await expect(client.getModelSync(MODEL)).resolves.toMatchObject({ id: MODEL });
  expect(calls).toBe(2);
});
