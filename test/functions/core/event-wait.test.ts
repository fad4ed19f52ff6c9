/**
 * The core of event-driven waiting (functions/core/event-wait.ts): what register-wait stores,
 * and which events wake which waits. The whole path runs in test/lib/local/event-wait.test.ts.
 */
import { describe, expect, it } from "vitest";
import { registerWait, type TaskTokens, wakeWaiters } from "../../../functions/core/event-wait";
import { JsonLogger } from "../../../functions/core/logger";
import { Redactor } from "../../../functions/core/redact";
import type { EventDetail } from "../../../functions/core/webhook-contract";
import { WAKE_EVENT_TYPES } from "../../../functions/core/webhook-contract";
import { MemoryWaitStore } from "../../../lib/local/event-wait";
import { LocalTaskTokens } from "../../../lib/local/task-tokens";

const NOW = Date.UTC(2026, 0, 1);
const clock = { now: () => NOW };

function setUp(tokens: TaskTokens = new LocalTaskTokens()) {
  const lines: string[] = [];
  const store = new MemoryWaitStore();
  const logger = new JsonLogger({ redactor: new Redactor(), write: (l) => lines.push(l) });
  return { store, lines, deps: { store, tokens, clock, logger } };
}

const event = (type: string, execution_id?: string): EventDetail => ({
  id: "ev-1",
  type,
  created_at: new Date(NOW).toISOString(),
  ...(execution_id ? { execution_id } : {}),
});

/** Tokens that record what they were sent, or fail with `error`. */
function recording(error?: string) {
  const sent: Array<{ token: string; output: unknown }> = [];
  const tokens: TaskTokens = {
    succeed: async (token, output) => {
      if (error) {
        const e = new Error(error);
        e.name = error;
        throw e;
      }
      sent.push({ token, output });
    },
  };
  return { sent, tokens };
}

describe("registerWait", () => {
  it("stores the token under the execution id, one record per waiter, expiring after the wait and a grace", async () => {
    const { store, deps } = setUp();
    const base = { execution_id: "run-1", waiter: "arn:exec:a", token: "t1", wait_seconds: 60 };
    const out = await registerWait(base, deps);
    expect(out.expires_at).toBe(NOW / 1000 + 60 + 3600);
    await registerWait({ ...base, token: "t2" }, deps); // the waiter's next wait replaces it
    await registerWait({ ...base, waiter: "arn:exec:b", token: "t3" }, deps);
    const tokens = (await store.list("run-1")).map((w) => w.token).sort();
    expect(tokens).toEqual(["t2", "t3"]);
  });

  it("refuses an input without execution id, token or a usable wait", async () => {
    const { deps } = setUp();
    const ok = { execution_id: "run-1", waiter: "w", token: "t", wait_seconds: 10 };
    for (const bad of [
      { ...ok, execution_id: "" },
      { ...ok, token: undefined },
      { ...ok, wait_seconds: -1 },
      null,
    ]) {
      await expect(registerWait(bad, deps)).rejects.toMatchObject({ name: "Input.Invalid" });
    }
  });
});

describe("wakeWaiters", () => {
  it("resumes every live wait of the event's execution with the event's id and type only", async () => {
    const { sent, tokens } = recording();
    const { deps } = setUp(tokens);
    for (const [waiter, token] of [
      ["a", "t1"],
      ["b", "t2"],
    ] as const) {
      await registerWait({ execution_id: "run-1", waiter, token, wait_seconds: 60 }, deps);
    }
    await registerWait({ execution_id: "run-2", waiter: "c", token: "t3", wait_seconds: 60 }, deps);
    const result = await wakeWaiters(event("bulk_sync.completed_with_error", "run-1"), deps);
    expect(result).toEqual({ woken: 2, closed: 0 });
    expect(sent.map((s) => s.token).sort()).toEqual(["t1", "t2"]);
    expect(sent[0]?.output).toEqual({
      event_id: "ev-1",
      event_type: "bulk_sync.completed_with_error",
    });
  });

  it("ignores running events and events without an execution id", async () => {
    const { sent, tokens } = recording();
    const { deps } = setUp(tokens);
    await registerWait({ execution_id: "run-1", waiter: "a", token: "t", wait_seconds: 60 }, deps);
    expect(await wakeWaiters(event("sync.running", "run-1"), deps)).toMatchObject({
      ignored: "event type",
    });
    expect(await wakeWaiters(event("sync.completed"), deps)).toMatchObject({
      ignored: "no execution id",
    });
    expect(sent).toEqual([]);
    expect(WAKE_EVENT_TYPES).not.toContain("bulk_sync.running");
    expect(WAKE_EVENT_TYPES).toContain("sync.canceled");
  });

  it("counts a closed token (a duplicate or late event) as harmless, and skips expired records", async () => {
    const { deps } = setUp(recording("TaskTimedOut").tokens);
    await registerWait({ execution_id: "run-1", waiter: "a", token: "t", wait_seconds: 60 }, deps);
    expect(await wakeWaiters(event("sync.failed", "run-1"), deps)).toEqual({ woken: 0, closed: 1 });
    const later = { ...deps, clock: { now: () => NOW + (60 + 3600 + 1) * 1000 } };
    expect(await wakeWaiters(event("sync.failed", "run-1"), later)).toEqual({
      woken: 0,
      closed: 0,
    });
  });

  it("a second wake of the same event after the first resumed the wait finds the token closed", async () => {
    const tokens = new LocalTaskTokens();
    const { deps, store } = setUp(tokens);
    const { VirtualClock } = await import("../../../lib/local/virtual-clock");
    const vclock = new VirtualClock(NOW);
    const waiting = tokens.run(
      vclock,
      60_000,
      (token) =>
        registerWait({ execution_id: "run-1", waiter: "a", token, wait_seconds: 60 }, deps),
      Error,
    );
    // Until the wait is stored, in microtasks only: a macrotask turn would let the idle
    // virtual clock run past the wait's 60 s (it moves on after a few setImmediate turns).
    for (let turn = 0; turn < 1000 && (await store.list("run-1")).length === 0; turn++) {
      await Promise.resolve();
    }
    expect(await wakeWaiters(event("sync.completed", "run-1"), deps)).toEqual({
      woken: 1,
      closed: 0,
    });
    await waiting;
    expect(await wakeWaiters(event("sync.completed", "run-1"), deps)).toEqual({
      woken: 0,
      closed: 1,
    });
  });

  it("rethrows other errors (EventBridge retries the invocation) and never logs a token", async () => {
    const { deps, lines } = setUp(recording("ThrottlingException").tokens);
    await registerWait(
      { execution_id: "run-1", waiter: "a", token: "secret-token-value", wait_seconds: 60 },
      deps,
    );
    await expect(wakeWaiters(event("sync.completed", "run-1"), deps)).rejects.toMatchObject({
      name: "ThrottlingException",
    });
    const ok = setUp(recording().tokens);
    await registerWait(
      { execution_id: "run-1", waiter: "a", token: "secret-token-value", wait_seconds: 60 },
      ok.deps,
    );
    await wakeWaiters(event("sync.completed", "run-1"), ok.deps);
    expect(ok.lines.length).toBeGreaterThan(0);
    expect([...lines, ...ok.lines].join("\n")).not.toContain("secret-token-value");
  });
});
