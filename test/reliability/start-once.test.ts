/**
 * Guarantee: a retried start never starts a second run.
 * Proof: the simulator's startCount per sync, and the execution ids the steps report.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  config,
  type Handlers,
  handlers,
  logRecords,
  runPipeline,
  runStep,
  stepInput,
  uuid,
  type World,
  world,
} from "./harness";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const SYNC = uuid(1);
const scenario = (faults = "") => `syncs:
  ${SYNC}:
    type: model
    queue_seconds: 5
    duration_seconds: 120
${faults}`;

const ONE_STEP = config(`pipelines:
  nightly:
    steps:
      - id: push
        model_sync: ${SYNC}
`);

async function rejectionOf(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

describe("a retried start never starts a second run", () => {
  it("the client times out after Polytomic accepted the start; its retry gets the same run (engine)", async () => {
    // The start is answered after 0.5 simulated seconds, which never pass while the request is
    // in flight (time stands still then): the client gives up after 2 s of real time, waits
    // ~1 s, retries. 2 s leaves an ordinary request room on a loaded machine.
    w = await world(scenario("faults:\n  - { endpoint: start, delay_seconds: 0.5 }"));
    const h = handlers(w, {
      client: { requestTimeoutMs: 2_000, random: () => 0.99, retry: { baseDelayMs: 1000 } },
    });
    const result = await runPipeline(w, h, ONE_STEP, "nightly");
    expect(result.status).toBe("succeeded");
    expect(w.sim.startCount(SYNC)).toBe(1);
    const runs = w.sim.executions().filter((e) => !e.history);
    expect(runs).toHaveLength(1);
    expect(result.steps[0]?.execution_id).toBe(runs[0]?.id);
    const retries = logRecords(h.lines).filter(
      (l) => l.message === "polytomic request failed; retrying",
    );
    expect(retries).toHaveLength(1);
    expect(JSON.stringify(retries[0])).toContain("no response within 2000 ms");
    const starts = w.sim.requests().filter((r) => r.endpoint === "start");
    expect(starts.map((r) => r.faulted)).toEqual([true, false]);
  });

  it("the Lambda is invoked again (same input) while and after its first invocation timed out", async () => {
    w = await world(scenario("faults:\n  - { endpoint: start, delay_seconds: 5 }"));
    const world_ = w;
    // One attempt per invocation: the invocation fails as a Lambda timeout would.
    const h: Handlers = handlers(w, {
      // The first start hangs (its delay never passes while it is in flight) for 2 s of real
      // time: the duplicate, 20 ms later, always meets its key in flight.
      client: { requestTimeoutMs: 2_000, retry: { maxAttempts: 1 } },
    });
    const input = stepInput({ execution_name: "nightly-2026-01-05", step: "push" });
    const start = h.functions["start-sync"];
    const [first, concurrent] = await world_.clock.run(() =>
      Promise.allSettled([
        start(input),
        // A duplicate delivery while the first is still in flight at Polytomic.
        new Promise((r) => setTimeout(r, 20)).then(() => start(input)),
      ]),
    );
    expect(first.status === "rejected" && (first.reason as Error).name).toBe("Polytomic.Timeout");
    // Its 409 (the key in flight; the body is undocumented and not read) with nothing
    // running yet: not started, and whatever run that key creates is the step's own.
    expect(concurrent.status === "fulfilled" && concurrent.value).toMatchObject({
      pending: true,
      maybe_started: true,
    });
    expect(w.sim.startCount(SYNC)).toBe(0); // still being processed
    await world_.clock.sleep(10_000);
    expect(w.sim.startCount(SYNC)).toBe(1); // Polytomic accepted the first start
    const retried = (await world_.clock.run(() => start(input))) as { execution_id: string };
    const again = (await world_.clock.run(() => start(input))) as { execution_id: string };
    expect(retried.execution_id).toBe(w.sim.executions().at(-1)?.id);
    expect(again.execution_id).toBe(retried.execution_id);
    expect(w.sim.startCount(SYNC)).toBe(1);
  });

  it("duplicate schedule delivery: two executions of one pipeline at once share one run", async () => {
    w = await world(scenario());
    const h = handlers(w);
    const [a, b] = await Promise.all([
      runPipeline(w, h, ONE_STEP, "nightly", { executionName: "nightly-delivery-1" }),
      runPipeline(w, h, ONE_STEP, "nightly", { executionName: "nightly-delivery-2" }),
    ]);
    expect([a.status, b.status]).toEqual(["succeeded", "succeeded"]);
    expect(w.sim.startCount(SYNC)).toBe(1);
    expect(a.steps[0]?.execution_id).toBe(b.steps[0]?.execution_id);
    const attached = logRecords(h.lines).filter(
      (l) => l.message === "attached to the running execution",
    );
    expect(attached).toHaveLength(1);
  });

  it("redrive: attempt N replays its run, attempt N+1 starts a new one (run-sync machine)", async () => {
    w = await world(scenario());
    const h = handlers(w);
    const input = stepInput({ execution_name: "nightly-2026-01-05", attempt: 0 });
    const first = await runStep(w, h, input, { name: "push-attempt-0" });
    expect(first.status).toBe("SUCCEEDED");
    // The same attempt again (a retried child, a re-delivered start): the same run, replayed.
    const replay = await runStep(w, h, input, { name: "push-attempt-0-again" });
    expect(replay.status).toBe("SUCCEEDED");
    expect(w.sim.startCount(SYNC)).toBe(1);
    expect((replay.output as { execution_id: string }).execution_id).toBe(
      (first.output as { execution_id: string }).execution_id,
    );
    // The pipeline redriven: $$.Execution.RedriveCount 1 reaches the step as attempt 1.
    const redriven = await runStep(w, h, { ...input, attempt: 1 }, { name: "push-attempt-1" });
    expect(redriven.status).toBe("SUCCEEDED");
    expect(w.sim.startCount(SYNC)).toBe(2);
    expect((redriven.output as { execution_id: string }).execution_id).not.toBe(
      (first.output as { execution_id: string }).execution_id,
    );
  });

  it("the start request itself is never sent twice without its Idempotency-Key", async () => {
    // 503 then a reset on start: the client retries both, the simulator sees 3 starts and
    // runs one; the Idempotency-Key is what makes a retry safe.
    w = await world(
      scenario(
        "faults:\n  - { endpoint: start, status: 503, times: 1 }\n  - { endpoint: start, reset: true, times: 1 }",
      ),
    );
    const result = await runPipeline(w, handlers(w), ONE_STEP, "nightly");
    expect(result.status).toBe("succeeded");
    expect(w.sim.requests().filter((r) => r.endpoint === "start")).toHaveLength(3);
    expect(w.sim.startCount(SYNC)).toBe(1);
  });

  it("a 500 Polytomic recorded for the step's key: the machine starts again with the next key, one run", async () => {
    // The API replays a key's first answer, errors included: retrying the same key would
    // get the 500 for good. start-sync answers a StartPending; the machine waits and starts
    // again with key 1; the Task's own retry of that invocation would send key 1 again.
    w = await world(
      scenario(
        "faults:\n  - { endpoint: start, status: 500, recorded: true, times: 1 }\n  - { endpoint: start, status: 429, retry_after_seconds: 20, recorded: true, times: 1 }",
      ),
    );
    const result = await runPipeline(w, handlers(w), ONE_STEP, "nightly");
    expect(result.status).toBe("succeeded");
    expect(
      w.sim
        .requests()
        .filter((r) => r.endpoint === "start")
        .map((r) => r.status),
    ).toEqual([500, 429, 200]);
    expect(w.sim.startCount(SYNC)).toBe(1);
    expect(result.steps[0]?.execution_id).toBe(w.sim.executions().find((e) => !e.history)?.id);
  });

  it("on_conflict wait: the machine waits the other run out and starts one run of its own", async () => {
    w = await world(scenario());
    const h = handlers(w);
    const other = await w.clock.run(() =>
      h.deps.polytomic.startModelSync(
        SYNC,
        { resync: false, test: false },
        { idempotencyKey: "someone-elses-run" },
      ),
    );
    const waitConfig = config(`pipelines:
  nightly:
    steps:
      - id: push
        model_sync: ${SYNC}
        on_conflict: wait
`);
    const result = await runPipeline(w, h, waitConfig, "nightly");
    expect(result.status).toBe("succeeded");
    expect(w.sim.startCount(SYNC)).toBe(2);
    expect(result.steps[0]?.execution_id).not.toBe(other.id);
    const runs = w.sim.executions().filter((e) => !e.history);
    const ours = runs.find((e) => e.id === result.steps[0]?.execution_id);
    const theirs = runs.find((e) => e.id === other.id);
    // Ours was created only after theirs had ended.
    expect(ours?.createdAt).toBeGreaterThanOrEqual(theirs?.completedAt ?? Number.NaN);
  });

  it("an error before the start is sent leaves nothing started (bad input)", async () => {
    w = await world(scenario());
    const h = handlers(w);
    const err = await rejectionOf(
      w.clock.run(() => h.functions["start-sync"]({ ...stepInput(), execution_name: 42 })),
    );
    expect(err.name).toBe("Input.Invalid");
    expect(w.sim.requests()).toEqual([]);
  });
});
