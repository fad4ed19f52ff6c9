/**
 * The run-sync machine synthesized with webhooks, run in the local engine with the real
 * handlers against the simulator: its signed deliveries go through the local receiver and wake
 * to the emulated task tokens (lib/local/event-wait.ts). An event ends a wait early; a check
 * always confirms the end; lost, duplicated, late, reordered, forged and `running` events
 * change no outcome (issue 16.2). Everything on the virtual clock.
 */

import { afterEach, describe, expect, it } from "vitest";
import { StillRunning } from "../../../functions/core/check";
import type { CheckResult } from "../../../functions/core/contract";
import { signBody } from "../../../functions/core/webhook-signature";
import {
  type SynthesizedDefinitions,
  synthesizeDefinitions,
} from "../../../lib/constructs/definitions";
import { RUN_SYNC_STATES as S } from "../../../lib/constructs/run-sync-state-machine";
import { type LocalTask, runLocalExecution } from "../../../lib/local/engine";
import {
  type LocalEventWait,
  MemoryDeliveryStore,
  startLocalEventWait,
} from "../../../lib/local/event-wait";
import { localAppOf, runPipelineDefinitions } from "../../../lib/local/runner";
import { stepInput } from "../../functions/harness";
import { config, handlers, KEY, T0, uuid, type World, world } from "../../reliability/harness";

const SYNC = uuid(2);
const SECRET = "local-webhook-secret-0001";
const pipelines = config(`pipelines:
  nightly:
    steps:
      - { id: push, model_sync: ${SYNC} }
`);

const synthesized = new Map<boolean, SynthesizedDefinitions>();
/** The definitions with or without webhooks, synthesized once each. */
function definitions(webhooks: boolean): SynthesizedDefinitions {
  const known = synthesized.get(webhooks);
  if (known) return known;
  const defs = synthesizeDefinitions(pipelines, { webhooks });
  synthesized.set(webhooks, defs);
  return defs;
}

const input = stepInput({ step: "push", execution_name: "nightly-1", sync: { id: SYNC } });

const open: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

interface StepOptions {
  /** The scenario's `webhooks:` line. */
  webhooks?: string;
  /** Run the machine synthesized with webhooks. @default true */
  eventWait?: boolean;
  /** Something to do while the step runs (a forged delivery, say). */
  meanwhile?: (w: World, ew: LocalEventWait) => Promise<void>;
  /** Simulated ms to let pass after the step ended (late deliveries). @default 0 */
  after?: number;
  /** The run's running time, seconds. @default 300 */
  duration?: number;
  /** register-wait fails after the start (the store unreachable, say). */
  firstRegisterFails?: boolean;
  /** The measured delivery. @default a record that trusts the webhook (`trusted()`) */
  delivery?: MemoryDeliveryStore;
}

/**
 * A delivery record that trusts the webhook: five runs' running events seen, none missed, so
 * the estimated loss is 1/6 (one imagined miss) and a wait's timeout 0.6 of the elapsed time
 * (functions/core/delivery.ts).
 */
async function trusted(): Promise<MemoryDeliveryStore> {
  const store = new MemoryDeliveryStore();
  await store.write("default", { seen: 5, missed: 0, updated_at: new Date(T0).toISOString() });
  return store;
}

/** Runs one step of a 5 s queue + 300 s model run; the check-status times, ms after start. */
async function runStep(options: StepOptions = {}) {
  const eventWait = options.eventWait ?? true;
  const w = await world(`api_key: ${KEY}
syncs:
  ${SYNC}: { type: model, name: Contacts, queue_seconds: 5, duration_seconds: ${options.duration ?? 300}, records: 10 }
${options.webhooks ?? ""}`);
  open.push(w);
  const delivery = options.delivery ?? (await trusted());
  const ew = eventWait ? await eventWaitFor(w, delivery) : undefined;
  const h = handlers(w, ew ? { delivery: ew.delivery } : {});
  const defs = definitions(eventWait);
  const checks: Array<{ at: number; status: string }> = [];
  const tasks: Record<string, LocalTask> = {};
  for (const [state, fn] of Object.entries(defs.taskFunctions)) {
    const f = h.functions[fn];
    tasks[state] = async (i, signal) => {
      const out = await f(i, signal).catch((error: unknown) => {
        // Without webhooks, a check of a run still going throws (the retry loop): a check too.
        if (error instanceof StillRunning) {
          checks.push({ at: w.clock.now() - T0, status: error.check.status });
        }
        throw error;
      });
      // The trusted first wait's check reads nothing (check.ts firstTrustedWait): no status call.
      if (fn === "check-status" && !(out as CheckResult).unread) {
        checks.push({ at: w.clock.now() - T0, status: (out as CheckResult).status });
      }
      return out;
    };
  }
  if (ew) {
    let registrations = 0;
    const register = ew.registerWait;
    tasks[S.waitForEvent] = async (i, signal) => {
      if (options.firstRegisterFails && registrations++ === 0) {
        throw Object.assign(new Error("store unreachable"), { name: "S3ServiceException" });
      }
      return register(i, signal);
    };
  }
  const meanwhile = ew && options.meanwhile ? options.meanwhile(w, ew) : Promise.resolve();
  const result = await runLocalExecution(defs.runSync, {
    name: "step-1",
    stateMachineName: "run-sync",
    input,
    clock: w.clock,
    tasks,
    ...(ew ? { tokens: ew.tokens } : {}),
  });
  await meanwhile;
  if (options.after) await w.clock.sleep(options.after);
  const entered = result.events
    .filter((e) => e.type === "StateEntered")
    .map((e) => ("state" in e ? e.state.name : ""));
  return {
    result,
    checks,
    entered,
    wakes: ew?.wakes ?? [],
    deliveries: w.sim.webhooks.deliveries(),
  };
}

/** The local event wait on the world's clock, registered as the organization's webhook. */
async function eventWaitFor(w: World, delivery?: MemoryDeliveryStore): Promise<LocalEventWait> {
  const ew = await startLocalEventWait({
    clock: w.clock,
    deliveries: w.sim.webhooks,
    secret: SECRET,
    ...(delivery ? { delivery } : {}),
  });
  open.push(ew);
  const res = await fetch(`${w.sim.url}/api/webhooks`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    body: JSON.stringify({ endpoint: ew.url, secret: SECRET }),
  });
  expect(res.status).toBe(200);
  return ew;
}

/** The run ends 305 s after the start (5 s queued, 300 s running). */
const RUN_END_MS = 305_000;
/**
 * When a step that trusts the webhook checks a run whose events are all lost: not at the
 * start (the start goes straight to a token wait of 60 s: the sync has no history), then
 * after max(60 s, 0.6 of the running time) (the trusted timeout, 0.1 / the loss of 1/6):
 * 60 s (55 s running), 120 s (115 s), 189 s (184 s), 299 s (294 s), 475 s.
 */
const FALLBACK_CHECKS_MS = [60_000, 120_000, 189_000, 299_000, 475_000];

describe("run-sync with event-driven waiting (local engine, simulator, receiver, wake)", () => {
  it("an event ends the wait early, and the end is confirmed by a check", async () => {
    const polled = await runStep({ eventWait: false });
    const evented = await runStep();
    expect(evented.result.status).toBe("SUCCEEDED");
    expect(evented.result.output).toEqual(polled.result.output);
    // The last check ran when the run ended (the event's time), not at a poll boundary...
    const last = evented.checks.at(-1);
    expect(last).toEqual({ at: RUN_END_MS, status: "completed" });
    expect(polled.checks.at(-1)?.at).toBeGreaterThan(RUN_END_MS);
    // ...and fewer status calls were made than by polling alone: the waits' timeout is the
    // longer event fallback, so the wake saves polls rather than replacing one.
    expect(evented.checks.length).toBeLessThan(polled.checks.length / 2);
    // The running event is marked seen (the measured delivery) and wakes nobody.
    expect(evented.wakes).toEqual([
      { woken: 0, closed: 0, ignored: "event type", marked: true },
      { woken: 1, closed: 0, marked: true },
    ]);
    expect(evented.entered).not.toContain(S.wait);
  });

  it("a step whose event arrives makes exactly one status call: the first check reads nothing and hands the start's wait to the token wait", async () => {
    // A run that ends (5 s queued + 40 s) within the first wait's 60 s.
    const evented = await runStep({ duration: 40 });
    expect(evented.result.status).toBe("SUCCEEDED");
    expect(evented.checks).toEqual([{ at: 45_000, status: "completed" }]);
    // Start, then the check that reads nothing, then one token wait, then the reading check.
    expect(evented.entered.filter((s) => s === S.waitForEvent)).toHaveLength(1);
    expect(evented.entered.indexOf(S.waitForEvent)).toBeGreaterThan(
      evented.entered.indexOf(S.check),
    );
  });

  it("register-wait failing after the start: the step polls after polling's first interval, as the Wait falls back", async () => {
    const failed = await runStep({ firstRegisterFails: true });
    expect(failed.result.status).toBe("SUCCEEDED");
    expect(failed.checks[0]).toEqual({ at: 15_000, status: "running" });
    expect(failed.checks.at(-1)).toEqual({ at: RUN_END_MS, status: "completed" });
  });

  it("with every event lost, each wait of a trusting step times out at its budget and the check confirms the end", async () => {
    const polled = await runStep({ eventWait: false });
    const lost = await runStep({ webhooks: "webhooks: { loss: 1 }" });
    expect(lost.deliveries).toEqual([]);
    expect(lost.wakes).toEqual([]);
    expect(lost.result.status).toBe("SUCCEEDED");
    expect(lost.result.output).toEqual(polled.result.output);
    // Checks at the trusted schedule (max(60 s, 0.6 of the elapsed time), polling.ts), each at
    // the previous one's event_wait_seconds: fewer than polling's, the end seen later.
    expect(lost.checks.map((c) => c.at)).toEqual(FALLBACK_CHECKS_MS);
    expect(lost.checks.length).toBeLessThan(polled.checks.length);
    expect(lost.checks.at(-1)?.status).toBe("completed");
  });

  it("duplicated, delayed and reordered events change no outcome; a late one finds the token closed", async () => {
    const polled = await runStep({ eventWait: false });
    const messy = await runStep({
      webhooks: "webhooks: { duplicates: 1, delay_seconds: 200, reorder_seconds: 30, seed: 5 }",
      after: 120_000,
    });
    expect(messy.result.status).toBe("SUCCEEDED");
    expect(messy.result.output).toEqual(polled.result.output);
    expect(messy.checks.at(-1)?.status).toBe("completed");
    const completed = messy.deliveries.filter((d) => d.type === "sync.completed");
    expect(completed).toHaveLength(2);
    // The receiver forwarded one copy (it drops the duplicate of an id it accepted; on AWS
    // another instance may forward it: test/functions/core/event-wait.test.ts). Delayed past
    // the wait's timeout (475 s, FALLBACK_CHECKS_MS), the copies came after the fallback check
    // had seen the end: the wake found the token closed.
    expect(messy.wakes.filter((r) => r.ignored === undefined)).toEqual([
      { woken: 0, closed: 1, marked: true },
    ]);
    expect(messy.checks.map((c) => c.at)).toEqual(FALLBACK_CHECKS_MS);
  });

  it("deliveries with a forged signature never wake a step: it polls at the event fallback", async () => {
    const polled = await runStep({ eventWait: false });
    const forged = await runStep({ webhooks: "webhooks: { signature: hmac-sha1-hex }" });
    expect(forged.deliveries.length).toBeGreaterThan(0);
    expect(forged.deliveries.every((d) => d.status === 401)).toBe(true);
    expect(forged.wakes).toEqual([]);
    expect(forged.checks.map((c) => c.at)).toEqual(FALLBACK_CHECKS_MS);
    expect(forged.result.output).toEqual(polled.result.output);
  });

  it("an event that lies (a completion while the run is running) only costs a check: the step waits on", async () => {
    const polled = await runStep({ eventWait: false });
    const lied = await runStep({
      webhooks: "webhooks: { loss: 1 }",
      meanwhile: async (w, ew) => {
        await w.clock.sleep(100_000);
        const executionId = w.sim.executions()[0]?.id;
        const body = JSON.stringify({
          id: "forged-event-1",
          type: "sync.completed",
          created_at: new Date(w.clock.now()).toISOString(),
          organization_id: "org",
          event: { execution_id: executionId, sync_id: SYNC },
        });
        await w.clock.run(() =>
          fetch(ew.url, {
            method: "POST",
            headers: { "polytomic-signature": signBody(body, SECRET, "hmac-sha256-hex") },
            body,
          }),
        );
      },
    });
    expect(lied.wakes).toEqual([{ woken: 1, closed: 0, marked: true }]);
    expect(lied.checks).toContainEqual({ at: 100_000, status: "running" });
    expect(lied.result.status).toBe("SUCCEEDED");
    expect(lied.result.output).toEqual(polled.result.output);
    expect(lied.checks.at(-1)?.status).toBe("completed");
  });

  it("a running event does not end the wait: no check at the run's start", async () => {
    const evented = await runStep();
    const running = evented.deliveries.filter((d) => d.type === "sync.running");
    expect(running).toEqual([expect.objectContaining({ at: T0 + 5_000, status: 200 })]);
    expect(evented.checks.map((c) => c.at)).not.toContain(5_000);
    // The running event is marked seen but wakes nobody; the completion wakes the step.
    expect(evented.wakes.map((r) => r.woken)).toEqual([0, 1]);
  });
});

describe("a pipeline with event-driven waiting (runPipelineDefinitions)", () => {
  it("runs its steps' token waits and ends when the event says, a check confirming it", async () => {
    const w = await world(`api_key: ${KEY}
syncs:
  ${SYNC}: { type: model, name: Contacts, queue_seconds: 5, duration_seconds: 300, records: 10 }
`);
    open.push(w);
    const ew = await eventWaitFor(w, await trusted());
    const result = await runPipelineDefinitions({
      app: localAppOf(definitions(true)),
      config: pipelines,
      pipeline: "nightly",
      functions: handlers(w, { delivery: ew.delivery }).functions,
      clock: w.clock,
      executionName: "nightly-1",
      histories: w.histories,
      eventWait: { tokens: ew.tokens, registerWait: ew.registerWait, delivery: ew.delivery },
    });
    expect(result.status).toBe("succeeded");
    expect(result.steps.map((s) => s.status)).toEqual(["succeeded"]);
    expect(ew.wakes.map((r) => r.woken)).toEqual([0, 1]);
    const child = result.executions.find((e) => e.name !== "nightly-1");
    const entered = (child?.events ?? []).flatMap((e) =>
      e.type === "StateEntered" && "state" in e ? [e.state.name] : [],
    );
    expect(entered).toContain(S.waitForEvent);
    // The child ended right after the run did: the wake, not a poll, ended its last wait.
    expect((child?.stoppedAt ?? 0) - T0).toBe(RUN_END_MS);
  });
});

/**
 * Steps of the same sync run one after another on one world, with one delivery record, as a
 * deployment's steps would: each a 5 s queue + 300 s run. `before(i, w)` runs before step i.
 */
async function runSteps(
  count: number,
  options: {
    webhooks?: string;
    eventWait?: boolean;
    delivery?: MemoryDeliveryStore;
    before?: (index: number, w: World) => Promise<void>;
  } = {},
) {
  const eventWait = options.eventWait ?? true;
  const w = await world(`api_key: ${KEY}
syncs:
  ${SYNC}: { type: model, name: Contacts, queue_seconds: 5, duration_seconds: 300, records: 10 }
${options.webhooks ?? ""}`);
  open.push(w);
  const delivery = options.delivery ?? new MemoryDeliveryStore();
  const ew = eventWait ? await eventWaitFor(w, delivery) : undefined;
  const h = handlers(w, ew ? { delivery: ew.delivery } : {});
  const defs = definitions(eventWait);
  const runs: Array<{ status: string; checks: number[] }> = [];
  for (let i = 0; i < count; i++) {
    await options.before?.(i, w);
    const began = w.clock.now();
    const checks: number[] = [];
    const tasks: Record<string, LocalTask> = {};
    for (const [state, fn] of Object.entries(defs.taskFunctions)) {
      const f = h.functions[fn];
      tasks[state] = async (input, signal) => {
        const at = w.clock.now() - began;
        const out = await f(input, signal).catch((error: unknown) => {
          if (fn === "check-status") checks.push(at); // a retry-loop check (StillRunning)
          throw error;
        });
        // The trusted first wait's check reads nothing: not a status call.
        if (fn === "check-status" && !(out as CheckResult).unread) checks.push(at);
        return out;
      };
    }
    if (ew) tasks[S.waitForEvent] = ew.registerWait;
    const result = await runLocalExecution(defs.runSync, {
      name: `step-${i}`,
      stateMachineName: "run-sync",
      input: { ...input, execution_name: `nightly-${i}` },
      clock: w.clock,
      tasks,
      ...(ew ? { tokens: ew.tokens } : {}),
    });
    runs.push({ status: result.status, checks });
    await w.clock.sleep(60_000); // a minute between steps: the last events are delivered
  }
  return { runs, delivery };
}

/** Posts to one of the simulator's webhook operations (disable, enable). */
async function webhookOperation(w: World, operation: "disable" | "enable"): Promise<void> {
  const list = await fetch(`${w.sim.url}/api/webhooks`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  const hooks = (await list.json()) as { data: Array<{ id: string }> };
  const id = hooks.data[0]?.id;
  const res = await fetch(`${w.sim.url}/api/webhooks/${id}/${operation}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}` },
  });
  expect(res.status).toBeLessThan(300);
}

describe("measured delivery: events when they are delivered, polling when they are not", () => {
  it("with no loss, the first four steps poll exactly as without webhooks, and the next makes ONE status call", async () => {
    const polled = await runSteps(5, { eventWait: false });
    const evented = await runSteps(5);
    expect(evented.runs.map((r) => r.status)).toEqual(Array(5).fill("SUCCEEDED"));
    // Unknown delivery (a fresh deployment): the retry loop, check for check.
    expect(evented.runs.slice(0, 4).map((r) => r.checks)).toEqual(
      polled.runs.slice(0, 4).map((r) => r.checks),
    );
    // Four running events seen: trusted. The first wait covers the sync's recent runs
    // (305 s, one list call), the end event ends it: one check, when the run ended.
    expect(evented.runs[4]?.checks).toEqual([RUN_END_MS]);
    expect(await evented.delivery.read("default")).toMatchObject({ missed: 0 });
  });

  it("with every event lost, every step polls exactly as without webhooks", async () => {
    const polled = await runSteps(5, { eventWait: false });
    const lost = await runSteps(5, { webhooks: "webhooks: { loss: 1 }" });
    expect(lost.runs.map((r) => r.status)).toEqual(Array(5).fill("SUCCEEDED"));
    expect(lost.runs.map((r) => r.checks)).toEqual(polled.runs.map((r) => r.checks));
    expect(await lost.delivery.read("default")).toMatchObject({ seen: 0 });
  });

  it("a store that cannot be reached: every step polls exactly as without webhooks, none fails", async () => {
    const polled = await runSteps(2, { eventWait: false });
    const delivery = await trusted();
    delivery.failing = true;
    const failing = await runSteps(2, { delivery });
    expect(failing.runs.map((r) => r.status)).toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(failing.runs.map((r) => r.checks)).toEqual(polled.runs.map((r) => r.checks));
  });

  it("a webhook that breaks is distrusted (polling), and trusted again once it delivers", async () => {
    const polled = await runSteps(1, { eventWait: false });
    const pollingChecks = polled.runs[0]?.checks;
    // Steps 0-3 learn, 4 trusts; broken for 5-7; fixed from 8 on.
    const { runs } = await runSteps(30, {
      before: async (i, w) => {
        if (i === 5) await webhookOperation(w, "disable");
        if (i === 8) await webhookOperation(w, "enable");
      },
    });
    expect(runs.every((r) => r.status === "SUCCEEDED")).toBe(true);
    const oneCall = (r?: { checks: number[] }) => r?.checks.length === 1;
    expect(oneCall(runs[4])).toBe(true);
    // Broken: the trusting step 5 waits out its budget (its events lost); the record then
    // says lossy, and steps poll again, as without webhooks.
    expect(runs[5]?.checks.at(-1)).toBeGreaterThan(RUN_END_MS + 60_000);
    expect(runs[6]?.checks).toEqual(pollingChecks);
    expect(runs[7]?.checks).toEqual(pollingChecks);
    // Fixed: polling while the misses decay, then one call again.
    expect(runs[8]?.checks).toEqual(pollingChecks);
    const recovered = runs.findIndex((r, i) => i > 8 && oneCall(r));
    expect(recovered).toBeGreaterThan(8);
    expect(runs.slice(9, recovered).every((r) => r.checks.length === pollingChecks?.length)).toBe(
      true,
    );
    expect(runs.slice(recovered).every(oneCall)).toBe(true);
  });
});
