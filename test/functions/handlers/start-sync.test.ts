import { afterEach, describe, expect, it } from "vitest";
import { isStartPending, type StartPending } from "../../../functions/core/contract";
import { startKey } from "../../../functions/core/idempotency";
import { MAX_START_ERRORS, SAME_KEY_RECHECK_MS, startKeyAt } from "../../../functions/core/start";
import { PolytomicConflictError } from "../../../functions/polytomic/errors";
import { makeHandler } from "../../../functions/start-sync";
import { MemoryDeliveryStore } from "../../../lib/local/event-wait";
import { bulkSyncEntries, heldSleep } from "../../simulator/helpers";
import {
  answering,
  BULK,
  bulkInput,
  type Env,
  env,
  MODEL,
  pendingStart,
  rejection,
  scenario,
  started,
  startStep,
  stepInput,
} from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

describe("start-sync", () => {
  it("starts a model sync with its options and a deadline", async () => {
    e = await env(scenario("duration_seconds: 100"));
    const start = makeHandler(e.deps);
    const r = started(
      await start(
        stepInput({ options: { identities: ["a@example.com"], test: true }, timeout_seconds: 600 }),
      ),
    );
    expect(r).toMatchObject({ sync_id: MODEL, attached: false, status: "created" });
    expect(Date.parse(r.deadline) - Date.parse(r.started_at)).toBe(600_000);
    expect(r.started_at).toBe(new Date(e.clock.now()).toISOString());
    const [run] = e.sim.executions().filter((x) => !x.history);
    expect(run?.id).toBe(r.execution_id);
    expect(run?.options).toMatchObject({ test: true, identities: ["a@example.com"] });
  });

  it("answers the first token wait's timeout: the event fallback's floor, within the deadline", async () => {
    e = await env(scenario("duration_seconds: 100"));
    const start = makeHandler(e.deps);
    // polling.ts's EVENT_FALLBACK_TUNING floor (60 s) for a run just created.
    expect(started(await start(stepInput())).event_wait_seconds).toBe(60);
    // A step with 20 s left waits at most 1 s past its deadline (as check-status does).
    const short = started(await start(stepInput({ execution_name: "short", timeout_seconds: 20 })));
    expect(short.event_wait_seconds).toBe(21);
  });

  it("with webhooks, answers no first wait (check at once, poll) while the webhook is not trusted", async () => {
    e = await env(scenario("duration_seconds: 100"));
    const delivery = new MemoryDeliveryStore();
    const start = makeHandler({ ...e.deps, delivery });
    expect(started(await start(stepInput())).event_wait_seconds).toBe(0);
    // Three seen runs are not enough (loss estimate 28%).
    await delivery.write("default", { seen: 2.58, missed: 0, updated_at: "" });
    expect(started(await start(stepInput({ execution_name: "b" }))).event_wait_seconds).toBe(0);
    // An unreachable store is no record: poll.
    delivery.failing = true;
    expect(started(await start(stepInput({ execution_name: "c" }))).event_wait_seconds).toBe(0);
  });

  it("with webhooks, once trusted, waits for the sync's median recent run plus half the timeout fraction of it (one list call)", async () => {
    e = await env(scenario("duration_seconds: 100\nhistory_seconds: [200, 400, 300]"));
    const delivery = new MemoryDeliveryStore();
    await delivery.write("default", { seen: 5, missed: 0, updated_at: "" }); // loss 1/6
    const start = makeHandler({ ...e.deps, delivery });
    // Median 302 s from creation to end (the 300 s run after its 2 s queue) x (1 + 0.6 / 2).
    expect(started(await start(stepInput())).event_wait_seconds).toBe(Math.ceil(302 * 1.3));
  });

  it("with webhooks, once trusted, a failed list of recent runs sizes the first wait as for a new sync", async () => {
    e = await env(scenario("duration_seconds: 100\nhistory_seconds: [200, 400, 300]"), {
      wrap: answering("listModelExecutions", async () => {
        throw Object.assign(new Error("down"), { name: "Polytomic.ServerError" });
      }),
    });
    const delivery = new MemoryDeliveryStore();
    await delivery.write("default", { seen: 5, missed: 0, updated_at: "" });
    const start = makeHandler({ ...e.deps, delivery });
    expect(started(await start(stepInput())).event_wait_seconds).toBe(60);
  });

  it("starts a bulk sync with schemas and fetch mode", async () => {
    e = await env(scenario("", "duration_seconds: 100"));
    const r = started(
      await makeHandler(e.deps)(
        bulkInput({ options: { schemas: ["Account"], fetch_mode: "full" } }),
      ),
    );
    expect(r.sync_id).toBe(BULK);
    const run = e.sim.executions().find((x) => x.id === r.execution_id);
    expect(run?.options).toMatchObject({ fetchMode: "full", requestedSchemas: ["Account"] });
    expect(e.sim.startCount(BULK)).toBe(1);
  });

  it("a retried start does not start a second run", async () => {
    e = await env(scenario("duration_seconds: 100"));
    const start = makeHandler(e.deps);
    const first = started(await start(stepInput()));
    e.clock.advance(5_000);
    const second = started(await start(stepInput()));
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
      // Started well before the step's first try (past the 60 s of clock skew tolerated):
      // plainly not this step's own run.
      e.clock.advance(61_000);
      return other.id as string;
    }

    it("attach adopts the running execution", async () => {
      const running = await busy();
      const r = started(await makeHandler(e.deps)(stepInput({ on_conflict: "attach" })));
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

    it("wait: a StartPending at once, then a start with the next key once the sync is idle", async () => {
      const running = await busy();
      const { start, pending } = await startStep(e, stepInput({ on_conflict: "wait" }));
      expect(start.attached).toBe(false);
      expect(start.execution_id).not.toBe(running);
      expect(e.sim.startCount(MODEL)).toBe(2);
      expect(e.sim.executions().find((x) => x.id === running)?.status).toBe("completed");
      // Each 409 moved on to the next key (the API replays a key's 409 for good), and the
      // waits grew from 5 s.
      expect(pending.length).toBeGreaterThan(1);
      expect(pending.map((p) => p.key_index)).toEqual(pending.map((_, i) => i + 1));
      expect(pending[0]).toMatchObject({ retry_after_seconds: 5, waits: 1, errors: 0 });
      expect(pending[1]).toMatchObject({ retry_after_seconds: 10, waits: 2 });
      expect(pending[0]?.reason).toContain(running);
      // The wait counts against the step's timeout: the deadline runs from the first try.
      const firstTry = Date.parse(pending[0]?.first_try_at ?? "");
      expect(Date.parse(start.started_at)).toBeGreaterThan(firstTry);
      expect(Date.parse(start.deadline)).toBe(firstTry + 3600 * 1000);
    });

    it("wait gives up with Sync.TimedOut once the step's timeout has passed, sending nothing", async () => {
      const running = await busy();
      const input = stepInput({ on_conflict: "wait", timeout_seconds: 30 });
      const first = await makeHandler(e.deps)(input);
      expect(isStartPending(first)).toBe(true);
      e.clock.advance(31_000);
      const sent = e.sim.requests().length;
      const err = await rejection(makeHandler(e.deps)({ ...input, start: first }));
      expect(err.name).toBe("Sync.TimedOut");
      expect(err.message).toContain(running);
      expect(err.message).toContain("the step's timeout (30 s) passed");
      expect(e.sim.requests()).toHaveLength(sent);
      expect(e.sim.startCount(MODEL)).toBe(1);
    });

    it("wait never asks for a wait past the step's timeout", async () => {
      await busy();
      const input = stepInput({ on_conflict: "wait", timeout_seconds: 8 });
      const first = (await makeHandler(e.deps)(input)) as StartPending;
      expect(first.retry_after_seconds).toBe(5);
      e.clock.advance(5_000);
      const second = (await makeHandler(e.deps)({ ...input, start: first })) as StartPending;
      // 10 s would be next, but only 3 s of the step's 8 are left.
      expect(second.retry_after_seconds).toBe(3);
    });

    it("a 409 while an unanswered attempt with the key may be in flight: the run it created is adopted", async () => {
      e = await env(scenario("queue_seconds: 0\nduration_seconds: 120"), {
        // As if the first attempt timed out at the client but went on at the API, and the
        // retry met the sync busy with the run that attempt created.
        wrap: answering("startModelSync", async (real, syncId, body) => {
          const created = await real(syncId, body, { idempotencyKey: "in-flight-attempt" });
          throw new PolytomicConflictError(`sync is running execution ${created.id}`, {
            status: 409,
            body: { key: "conflict", message: "sync is running", status: 409 },
            unansweredAttempts: 1,
          });
        }),
      });
      const r = started(await makeHandler(e.deps)(stepInput({ on_conflict: "fail" })));
      expect(r.attached).toBe(true);
      expect(e.sim.startCount(MODEL)).toBe(1);
    });
  });

  describe("a start answered with a transient error", () => {
    it("a 429 creates nothing: a run that appears later is someone else's (on_conflict: fail)", async () => {
      e = await env(
        scenario(
          "queue_seconds: 0\nduration_seconds: 100",
          "",
          "faults:\n  - { endpoint: start, status: 429, retry_after_seconds: 1, times: 1 }",
        ),
      );
      const input = stepInput({ on_conflict: "fail" });
      const first = (await makeHandler(e.deps)(input)) as StartPending;
      expect(first).toMatchObject({ pending: true, errors: 1 });
      expect(first.maybe_started).toBeUndefined();
      const theirs = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "someone-else-429" },
      );
      e.clock.advance(first.retry_after_seconds * 1000);
      const err = await rejection(makeHandler(e.deps)({ ...input, start: first }));
      expect(err.name).toBe("Polytomic.Conflict");
      expect(err.message).toContain(theirs.id as string);
    });

    it.each([
      ["completed", "terminal"],
      ["failed", "terminal"],
      ["failed", "completed"],
    ])(
      "a 5xx'd start whose run has ended (%s) since: adopted, no second start, whatever only_completed means (%s)",
      async (outcome, reading) => {
        e = await env(
          scenario(
            `queue_seconds: 0\nduration_seconds: 30\noutcome: ${outcome}`,
            "",
            `assumptions:\n  only_completed: ${reading}\nfaults:\n  - { endpoint: start, status: 500, times: 1 }`,
          ),
        );
        const first = (await makeHandler(e.deps)(stepInput())) as StartPending;
        expect(first).toMatchObject({ pending: true, maybe_started: true });
        // As if the 500'd start had created a run, which ran to its end before the next try.
        const ours = await e.client.startModelSync(
          MODEL,
          { resync: false, test: false },
          { idempotencyKey: "created-despite-500" },
        );
        e.clock.advance(120_000);
        const r = started(await makeHandler(e.deps)({ ...stepInput(), start: first }));
        expect(r).toMatchObject({ execution_id: ours.id, attached: true, status: outcome });
        // Ended already: no token wait for an event that has been sent, the check comes at once.
        expect(r.event_wait_seconds).toBe(0);
        expect(e.sim.startCount(MODEL)).toBe(1);
      },
    );

    it("a Retry-After longer than the step's timeout is cut to the time left", async () => {
      e = await env(
        scenario(
          "duration_seconds: 100",
          "",
          "faults:\n  - { endpoint: start, status: 429, retry_after_seconds: 7200, times: 1 }",
        ),
      );
      const first = (await makeHandler(e.deps)(
        stepInput({ timeout_seconds: 600 }),
      )) as StartPending;
      expect(first.retry_after_seconds).toBe(600);
    });

    it.each([
      [{ first_try_at: "2999-01-01T00:00:00Z" }, /^start\.first_try_at: is in the future/],
      [
        { sync_id: "9f1c0d2e-0000-4000-8000-0000000000ff" },
        /^start\.sync_id: must be the step's sync/,
      ],
      [{ retry_after_seconds: 100_000 }, /^start\.retry_after_seconds: must be at most 86400/],
      [{ retry_after_seconds: 1.5 }, /^start\.retry_after_seconds/],
    ])("a StartPending with %j is bad input, named", async (change, message) => {
      e = await env(scenario("duration_seconds: 100"));
      const pending = { ...pendingStart(e.clock.now()), ...change };
      const err = await rejection(makeHandler(e.deps)({ ...stepInput(), start: pending }));
      expect(err.name).toBe("Input.Invalid");
      expect(err.message).toMatch(message);
      expect(e.sim.requests()).toEqual([]);
    });

    it("a 500 the API recorded for the key: the next start sends the next key, one run", async () => {
      e = await env(
        scenario(
          "duration_seconds: 100",
          "",
          "faults:\n  - { endpoint: start, status: 500, recorded: true, times: 1 }",
        ),
      );
      const first = (await makeHandler(e.deps)(stepInput())) as StartPending;
      expect(first).toMatchObject({ pending: true, key_index: 1, errors: 1, waits: 0 });
      expect(first.reason).toContain("500");
      // The same key would get the 500 again: the client did not retry it.
      expect(e.sim.requests().filter((r) => r.endpoint === "start")).toHaveLength(1);
      const { start } = await startStep(e, { ...stepInput(), start: first } as never);
      expect(start.attached).toBe(false);
      expect(e.sim.startCount(MODEL)).toBe(1);
      // The start tried again counts as a retried call (the ApiRetries metric).
      expect(first.api_retries).toBe(1);
      expect(start.api_retries).toBe(1);
      // A retried invocation with the same state replays the same start.
      const again = started(await makeHandler(e.deps)({ ...stepInput(), start: first }));
      expect(again.execution_id).toBe(start.execution_id);
      expect(e.sim.startCount(MODEL)).toBe(1);
      // Key 0 is the step's own key; the next ones differ from it and from each other.
      expect(startKeyAt(stepInput(), 0)).toBe(startKey("exec-2025-01-01", "push_hubspot", 0));
      expect(new Set([0, 1, 2].map((i) => startKeyAt(stepInput(), i))).size).toBe(3);
    });

    it("a 429 waits at least its Retry-After", async () => {
      e = await env(
        scenario(
          "duration_seconds: 100",
          "",
          "faults:\n  - { endpoint: start, status: 429, retry_after_seconds: 30, times: 1 }",
        ),
      );
      const first = (await makeHandler(e.deps)(stepInput())) as StartPending;
      expect(first).toMatchObject({ pending: true, key_index: 1 });
      expect(first.retry_after_seconds).toBeGreaterThanOrEqual(30);
      const { start } = await startStep(e, { ...stepInput(), start: first } as never);
      expect(e.sim.startCount(MODEL)).toBe(1);
      expect(start.execution_id).toBeTruthy();
    });

    it(`gives up after ${MAX_START_ERRORS} transient answers with the retryable error`, async () => {
      e = await env(
        scenario(
          "duration_seconds: 100",
          "",
          "faults:\n  - { endpoint: start, status: 503, times: 50 }",
        ),
      );
      const err = await rejection(startStep(e, stepInput()));
      expect(err.name).toBe("Polytomic.ServerError");
      expect(e.sim.requests().filter((r) => r.endpoint === "start")).toHaveLength(MAX_START_ERRORS);
      expect(e.sim.startCount(MODEL)).toBe(0);
    });

    it("a run that appeared since the step's first start is adopted as its own, whatever on_conflict says", async () => {
      e = await env(
        scenario(
          "queue_seconds: 0\nduration_seconds: 100",
          "",
          "faults:\n  - { endpoint: start, status: 502, times: 1 }",
        ),
      );
      const input = stepInput({ on_conflict: "fail" });
      const first = (await makeHandler(e.deps)(input)) as StartPending;
      expect(first.pending).toBe(true);
      // As if the 502'd start had created a run after all.
      const ours = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "created-despite-502" },
      );
      e.clock.advance(first.retry_after_seconds * 1000);
      const r = started(await makeHandler(e.deps)({ ...input, start: first }));
      expect(r).toMatchObject({ execution_id: ours.id, attached: true });
      expect(e.sim.startCount(MODEL)).toBe(1);
    });
  });

  describe("a 409 is never read by its body (Polytomic does not document it)", () => {
    it.each(["idempotency_conflict", "conflict"])(
      "a duplicate invocation meeting its twin's start in flight (409 key %s): one run, adopted, no failure",
      async (key) => {
        const gate = heldSleep();
        e = await env(
          scenario(
            "queue_seconds: 0\nduration_seconds: 100",
            "",
            `assumptions:\n  in_flight_409_key: ${key}\nfaults:\n  - { endpoint: start, delay_seconds: 1 }`,
          ),
          // The twin's request stays in flight (before it creates its run) until released.
          { simSleep: gate.sleep },
        );
        const start = makeHandler(e.deps);
        const input = stepInput({ on_conflict: "fail" });
        const twin = start(input);
        await gate.inFlight;
        const first = await start(input);
        // Nothing is running yet: the 409 can only be the key in flight, which may still
        // create this step's run.
        expect(first).toMatchObject({ pending: true, maybe_started: true });
        gate.release();
        const theirs = started(await twin);
        e.clock.advance((first as StartPending).retry_after_seconds * 1000);
        const r = started(await start({ ...input, start: first as StartPending }));
        expect(r).toMatchObject({ execution_id: theirs.execution_id, attached: true });
        expect(e.sim.startCount(MODEL)).toBe(1);
      },
    );

    it("a run created by the same key still unanswered: the key is sent again and its run replayed, not failed", async () => {
      let calls = 0;
      e = await env(scenario("queue_seconds: 0\nduration_seconds: 100"), {
        // As if a duplicate invocation's request with this key had created the run and not
        // answered yet: the first send meets it in flight (409, a body no one documents).
        wrap: answering("startModelSync", async (real, syncId, body, options) => {
          calls += 1;
          if (calls > 1) return real(syncId, body, options);
          await real(syncId, body, options);
          throw new PolytomicConflictError("in flight", {
            status: 409,
            body: { key: "conflict", message: "conflict", status: 409 },
            unansweredAttempts: 0,
          });
        }),
      });
      const at = e.clock.now();
      const r = started(await makeHandler(e.deps)(stepInput({ on_conflict: "fail" })));
      expect(r.execution_id).toBe(e.sim.executions().find((x) => !x.history)?.id);
      expect(e.sim.startCount(MODEL)).toBe(1);
      // The same key again after the first of the waits Polytomic's guide asks for.
      expect(calls).toBe(2);
      expect(e.clock.now() - at).toBe(SAME_KEY_RECHECK_MS[0]);
    });

    it("a sync busy with someone else's run since the step's first try: the same key is asked again, then on_conflict fails", async () => {
      e = await env(scenario("queue_seconds: 0\nduration_seconds: 100"));
      const theirs = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "someone-else-2" },
      );
      const err = await rejection(makeHandler(e.deps)(stepInput({ on_conflict: "fail" })));
      expect(err.name).toBe("Polytomic.Conflict");
      expect(err.message).toContain(theirs.id as string);
      expect(e.sim.requests().filter((x) => x.endpoint === "start")).toHaveLength(
        2 + SAME_KEY_RECHECK_MS.length,
      );
    });
  });

  describe("sync by name", () => {
    it("resolves a unique name", async () => {
      e = await env(scenario());
      const r = await makeHandler(e.deps)(stepInput({ sync: { name: "Contacts to HubSpot" } }));
      expect(r).toMatchObject({ sync_id: MODEL, sync_name: "Contacts to HubSpot" });
      const b = await makeHandler(e.deps)(bulkInput({ sync: { name: "Salesforce to Snowflake" } }));
      expect(b.sync_id).toBe(BULK);
    });

    it("finds a bulk sync named beyond the list's first page (50 a page)", async () => {
      e = await env(`${scenario()}\n${bulkSyncEntries(60, 700)}`);
      // The list is ordered by updated_at descending: the scenario's last sync comes last.
      const r = await makeHandler(e.deps)(bulkInput({ sync: { name: "Bulk 59" } }));
      expect(r.sync_id).toBe("9f1c0d2e-0000-4000-8000-000000000759");
      const lists = e.sim.requests().filter((x) => x.path === "/api/bulk/syncs");
      expect(lists).toHaveLength(2);
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
