import { afterEach, describe, expect, it } from "vitest";
import { startKey } from "../../../functions/core/idempotency";
import { makeHandler } from "../../../functions/start-sync";
import { BULK, bulkInput, type Env, env, MODEL, rejection, scenario, stepInput } from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

describe("start-sync", () => {
  it("starts a model sync with its options and a deadline", async () => {
    e = await env(scenario("duration_seconds: 100"));
    const start = makeHandler(e.deps);
    const r = await start(
      stepInput({ options: { identities: ["a@example.com"], test: true }, timeout_seconds: 600 }),
    );
    expect(r).toMatchObject({ sync_id: MODEL, attached: false, status: "created" });
    expect(Date.parse(r.deadline) - Date.parse(r.started_at)).toBe(600_000);
    expect(r.started_at).toBe(new Date(e.clock.now()).toISOString());
    const [run] = e.sim.executions().filter((x) => !x.history);
    expect(run?.id).toBe(r.execution_id);
    expect(run?.options).toMatchObject({ test: true, identities: ["a@example.com"] });
  });

  it("starts a bulk sync with schemas and fetch mode", async () => {
    e = await env(scenario("", "duration_seconds: 100"));
    const r = await makeHandler(e.deps)(
      bulkInput({ options: { schemas: ["Account"], fetch_mode: "full" } }),
    );
    expect(r.sync_id).toBe(BULK);
    const run = e.sim.executions().find((x) => x.id === r.execution_id);
    expect(run?.options).toMatchObject({ fetchMode: "full", requestedSchemas: ["Account"] });
    expect(e.sim.startCount(BULK)).toBe(1);
  });

  it("a retried start does not start a second run", async () => {
    e = await env(scenario("duration_seconds: 100"));
    const start = makeHandler(e.deps);
    const first = await start(stepInput());
    e.clock.advance(5_000);
    const second = await start(stepInput());
    expect(second.execution_id).toBe(first.execution_id);
    expect(second.started_at).toBe(first.started_at);
    expect(e.sim.startCount(MODEL)).toBe(1);
  });

  it("a redriven pipeline (attempt 1) uses another key", () => {
    expect(startKey("x", "s", 1)).not.toBe(startKey("x", "s", 0));
    expect(startKey("x", "s", 0)).toMatch(/^[A-Za-z0-9_-]{8,255}$/);
  });

  describe("409: the sync is already running", () => {
    async function busy(): Promise<string> {
      e = await env(scenario("queue_seconds: 0\nduration_seconds: 120"));
      const other = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "someone-else-1" },
      );
      e.clock.advance(1_000);
      return other.id as string;
    }

    it("attach adopts the running execution", async () => {
      const running = await busy();
      const r = await makeHandler(e.deps)(stepInput({ on_conflict: "attach" }));
      expect(r).toMatchObject({ execution_id: running, attached: true, status: "running" });
      expect(e.sim.startCount(MODEL)).toBe(1);
    });

    it("fail throws Polytomic.Conflict naming the policy", async () => {
      const running = await busy();
      const err = await rejection(makeHandler(e.deps)(stepInput({ on_conflict: "fail" })));
      expect(err.name).toBe("Polytomic.Conflict");
      expect(err.message).toContain(running);
      expect(err.message).toContain('on_conflict is "fail"');
    });

    it("wait polls until idle, then starts", async () => {
      const running = await busy();
      const r = await makeHandler(e.deps)(stepInput({ on_conflict: "wait" }));
      expect(r.attached).toBe(false);
      expect(r.execution_id).not.toBe(running);
      expect(e.sim.startCount(MODEL)).toBe(2);
      const old = e.sim.executions().find((x) => x.id === running);
      expect(old?.status).toBe("completed");
    });

    it("wait throws the retryable Sync.Busy when the budget runs out", async () => {
      const running = await busy();
      const err = await rejection(
        makeHandler(e.deps)(stepInput({ on_conflict: "wait" }), {
          getRemainingTimeInMillis: () => 20_000,
        }),
      );
      expect(err.name).toBe("Sync.Busy");
      expect(err.message).toContain(running);
      expect(e.sim.startCount(MODEL)).toBe(1);
    });
  });

  it("a concurrent duplicate start is the retryable Sync.Busy, not a conflict", async () => {
    e = await env(
      scenario("duration_seconds: 100", "", "faults:\n  - { endpoint: start, delay_seconds: 0.5 }"),
      {
        simSleep: (ms) => new Promise((r) => setTimeout(r, ms)),
      },
    );
    const start = makeHandler(e.deps);
    const results = await Promise.allSettled([
      start(stepInput({ on_conflict: "fail" })),
      new Promise((r) => setTimeout(r, 50)).then(() => start(stepInput({ on_conflict: "fail" }))),
    ]);
    // Whichever arrived first is delayed by the fault; the other meets it in flight.
    const ok = results.filter((r) => r.status === "fulfilled");
    const failed = results.filter((r) => r.status === "rejected");
    expect(ok).toHaveLength(1);
    expect(failed.map((r) => (r.reason as Error).name)).toEqual(["Sync.Busy"]);
    expect(e.sim.startCount(MODEL)).toBe(1);
    // The retry gets the replayed answer.
    const again = await start(stepInput({ on_conflict: "fail" }));
    expect(ok[0]?.value.execution_id).toBe(again.execution_id);
  });

  describe("sync by name", () => {
    it("resolves a unique name", async () => {
      e = await env(scenario());
      const r = await makeHandler(e.deps)(stepInput({ sync: { name: "Contacts to HubSpot" } }));
      expect(r).toMatchObject({ sync_id: MODEL, sync_name: "Contacts to HubSpot" });
      const b = await makeHandler(e.deps)(bulkInput({ sync: { name: "Salesforce to Snowflake" } }));
      expect(b.sync_id).toBe(BULK);
    });

    it("an unknown name is Sync.NotFound", async () => {
      e = await env(scenario());
      const err = await rejection(makeHandler(e.deps)(stepInput({ sync: { name: "Nope" } })));
      expect(err.name).toBe("Sync.NotFound");
      expect(err.message).toContain('"Nope"');
    });

    it("an ambiguous name is Sync.AmbiguousName listing the ids", async () => {
      const twin = "9f1c0d2e-0000-4000-8000-0000000000cc";
      e = await env(`${scenario()}\n  ${twin}:\n    type: model\n    name: Contacts to HubSpot\n`);
      const err = await rejection(
        makeHandler(e.deps)(stepInput({ sync: { name: "Contacts to HubSpot" } })),
      );
      expect(err.name).toBe("Sync.AmbiguousName");
      expect(err.message).toContain(MODEL);
      expect(err.message).toContain(twin);
    });

    it("an unknown id is Sync.NotFound", async () => {
      e = await env(scenario());
      const err = await rejection(
        makeHandler(e.deps)(stepInput({ sync: { id: "9f1c0d2e-0000-4000-8000-0000000000ff" } })),
      );
      expect(err.name).toBe("Sync.NotFound");
    });
  });

  describe("input validation names the field", () => {
    it.each([
      [{ sync_type: "etl" }, /^sync_type: must be "model" or "bulk"/],
      [{ sync: {} }, /^sync: must have exactly one of id or name/],
      [{ sync: { id: "not-a-uuid" } }, /^sync\.id: must be a UUID/],
      [{ options: { schemas: ["A"] } }, /^options\.schemas: unknown field/],
      [{ on_conflict: "retry" }, /^on_conflict: must be one of/],
      [
        { poll: { strategy: "fixed", min_seconds: 60, max_seconds: 10 } },
        /^poll\.max_seconds: must be >= min_seconds/,
      ],
      [{ policy: { max_errors: -1 } }, /^policy\.max_errors: must be an integer >= 0/],
      [{ timeout_seconds: "1h" }, /^timeout_seconds: must be a number/],
      [{ execution_name: "" }, /^execution_name: must be a non-empty string/],
      [{ attempt: 1.5 }, /^attempt: must be an integer/],
    ] as [Record<string, unknown>, RegExp][])("%j", async (patch, message) => {
      e = await env(scenario());
      const err = await rejection(makeHandler(e.deps)({ ...stepInput(), ...patch }));
      expect(err.name).toBe("Input.Invalid");
      expect(err.message).toMatch(message);
      expect(e.sim.startCount(MODEL)).toBe(0);
    });

    it("rejects a non-object input", async () => {
      e = await env(scenario());
      const err = await rejection(makeHandler(e.deps)("hello"));
      expect(err.name).toBe("Input.Invalid");
      expect(err.message).toMatch(/^input: must be an object/);
    });
  });
});
