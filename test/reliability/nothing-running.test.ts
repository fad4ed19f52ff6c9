/**
 * Guarantee: nothing left running. A step timeout, a pipeline timeout, a stopped execution
 * and a failed sibling each leave every Polytomic execution the pipeline started ended.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  config,
  handlers,
  pass,
  runPipeline,
  stillRunning,
  uuid,
  type World,
  world,
} from "./harness";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const A = uuid(1);
const B = uuid(2);
const scenario = (a: string, b: string) => `syncs:
  ${A}:
    type: bulk
    cancel_seconds: 20
${a}
  ${B}:
    type: model
    cancel_seconds: 20
${b}`;

const PARALLEL = (pipeline: string, a: string, b: string) =>
  config(`pipelines:
  p:
${pipeline}
    steps:
      - id: a
        bulk_sync: ${A}
${a}
      - id: b
        model_sync: ${B}
${b}
`);

const started = () => w?.sim.executions().filter((e) => !e.history).length ?? 0;

describe("nothing left running", () => {
  it("step timeout: the run is cancelled and ends canceled", async () => {
    w = await world(scenario("    duration_seconds: 7200", "    duration_seconds: 60"));
    const result = await runPipeline(w, handlers(w), PARALLEL("", "        timeout: 10m", ""), "p");
    expect(result.steps.map((s) => [s.id, s.status, s.error?.name])).toEqual([
      ["a", "failed", "Sync.TimedOut"],
      ["b", "succeeded", undefined],
    ]);
    await pass(w, 60);
    expect(started()).toBe(2);
    expect(stillRunning(w)).toEqual([]);
    expect(w.sim.executions().find((e) => e.syncId === A)?.status).toBe("canceled");
  });

  it("pipeline timeout: every child is stopped and cancel-sync cancels its run", async () => {
    // a ends after ~20 minutes; b, after it, is still running when the 30 minutes are up.
    w = await world(scenario("    duration_seconds: 1200", "    duration_seconds: 5400"));
    const result = await runPipeline(
      w,
      handlers(w),
      PARALLEL(
        "    timeout: 30m",
        "        timeout: 25m",
        "        timeout: 25m\n        after: [a]",
      ),
      "p",
    );
    expect(result.status).toBe("failed");
    expect(result.error?.name).toBe("States.Timeout");
    expect(result.steps.map((s) => s.status)).toEqual(["succeeded", "failed"]);
    await pass(w, 60);
    expect(started()).toBe(2);
    expect(stillRunning(w)).toEqual([]);
    expect(w.sim.executions().map((e) => e.status)).toEqual(["completed", "canceled"]);
  });

  it("a stopped execution (StopExecution): its running steps' runs are cancelled", async () => {
    w = await world(scenario("    duration_seconds: 7200", "    duration_seconds: 7200"));
    const stop = new AbortController();
    const world_ = w;
    void world_.clock.sleep(15 * 60_000).then(() => stop.abort());
    const result = await runPipeline(w, handlers(w), PARALLEL("", "", ""), "p", {
      signal: stop.signal,
    });
    expect(result.status).toBe("interrupted");
    expect(result.error?.name).toBe("States.ABORTED");
    // cancel-sync waited until Polytomic confirmed each cancellation (20 s each here).
    expect(result.steps.map((s) => [s.id, s.status, s.cancel])).toEqual([
      ["a", "cancelled", { confirmed: true, status: "canceled" }],
      ["b", "cancelled", { confirmed: true, status: "canceled" }],
    ]);
    expect(stillRunning(w)).toEqual([]);
    expect(started()).toBe(2);
  });

  it("a failed sibling: the pipeline waits for the other branch, which ends on its own", async () => {
    w = await world(
      scenario("    duration_seconds: 60\n    outcome: failed", "    duration_seconds: 3600"),
    );
    const result = await runPipeline(w, handlers(w), PARALLEL("", "", ""), "p");
    expect(result.status).toBe("failed");
    expect(result.steps.map((s) => [s.id, s.status])).toEqual([
      ["a", "failed"],
      ["b", "succeeded"],
    ]);
    // Nothing is left for anyone to clean up: the pipeline ended after its last run did.
    expect(stillRunning(w)).toEqual([]);
  });
  it("a step that fails while its run goes on (check-status denied): the machine cancels the run", async () => {
    // The first check is answered 403 (permanent): before failing, the run-sync machine
    // hands its started run to cancel-sync ("Cancel sync after failed check").
    w = await world(
      `${scenario("    duration_seconds: 7200", "    duration_seconds: 60")}
faults:
  - { endpoint: execution, sync: ${A}, status: 403, times: 1 }
`,
    );
    const result = await runPipeline(w, handlers(w), PARALLEL("", "", ""), "p");
    expect(result.steps.map((s) => [s.id, s.status, s.error?.name])).toEqual([
      ["a", "failed", "Polytomic.Forbidden"],
      ["b", "succeeded", undefined],
    ]);
    await pass(w, 60);
    expect(stillRunning(w)).toEqual([]);
    expect(w.sim.executions().find((e) => e.syncId === A)?.status).toBe("canceled");
  });
});
