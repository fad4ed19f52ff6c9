import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, describe, expect, it } from "vitest";
import { makeHandler } from "../../../functions/cancel-sync";
import type { StartPending, StepInput } from "../../../functions/core/contract";
import {
  type ExecutionHistory,
  PUBLISH_STATES,
  START_SYNC_STATE,
} from "../../../functions/core/history";
import { makeHandler as startHandler } from "../../../functions/start-sync";
import {
  answering,
  bulkInput,
  type Env,
  env,
  MODEL,
  rejection,
  scenario,
  started,
  stepInput,
} from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const ARN = "arn:aws:states:us-east-1:123456789012:execution:run-sync:abc";

function stopEvent(input: StepInput, startDate: number, status = "ABORTED") {
  return {
    version: "0",
    source: "aws.states",
    "detail-type": "Step Functions Execution Status Change",
    detail: {
      executionArn: ARN,
      status,
      startDate,
      input: JSON.stringify(input),
    },
  };
}

describe("cancel-sync", () => {
  it("timeout path: cancels the started run and waits for canceled", async () => {
    e = await env(scenario("duration_seconds: 7200\ncancel_seconds: 5"));
    const start = started(await startHandler(e.deps)(stepInput()));
    e.clock.advance(60_000);
    const r = await makeHandler(e.deps)({ ...stepInput(), start });
    expect(r).toEqual({ status: "canceled", canceled: true, already_terminal: false });
    const run = e.sim.executions().find((x) => x.id === start.execution_id);
    expect(run?.status).toBe("canceled");
    // Idempotent: a second call finds nothing to cancel.
    const again = await makeHandler(e.deps)({ ...stepInput(), start });
    expect(again).toEqual({ status: "canceled", canceled: false, already_terminal: true });
  });

  it("bulk: returns the last status seen when the budget runs out", async () => {
    e = await env(scenario("", "duration_seconds: 7200\ncancel_seconds: 600"));
    const start = started(await startHandler(e.deps)(bulkInput()));
    const r = await makeHandler(e.deps)(
      { ...bulkInput(), start },
      { getRemainingTimeInMillis: () => 30_000 },
    );
    expect(r).toEqual({ status: "canceling", canceled: false, already_terminal: false });
  });

  it("an ended run is already terminal", async () => {
    e = await env(scenario("duration_seconds: 10"));
    const start = started(await startHandler(e.deps)(stepInput()));
    e.clock.advance(3_600_000);
    const r = await makeHandler(e.deps)({ ...stepInput(), start });
    expect(r).toEqual({ status: "completed", canceled: false, already_terminal: true });
  });

  it("a status outside the spec is not taken as ended: the cancel is still sent", async () => {
    // The first read answers a status the spec does not know; the cancel goes out anyway.
    let odd = true;
    e = await env(scenario("duration_seconds: 7200\ncancel_seconds: 5"), {
      wrap: answering("getModelExecution", async (real, ...args) => {
        const r = await real(...args);
        if (!odd) return r;
        odd = false;
        return { ...r, status: "archived" as never }; // a status the spec does not have
      }),
    });
    const start = started(await startHandler(e.deps)(stepInput()));
    e.clock.advance(60_000);
    const r = await makeHandler(e.deps)({ ...stepInput(), start });
    expect(r).toEqual({ status: "canceled", canceled: true, already_terminal: false });
    expect(e.sim.requests().filter((q) => q.path.endsWith("/cancel"))).toHaveLength(1);
  });

  it("an execution the API does not know is nothing to cancel", async () => {
    e = await env(scenario("duration_seconds: 10"));
    const start = started(await startHandler(e.deps)(stepInput()));
    const r = await makeHandler(e.deps)({
      ...stepInput(),
      start: { ...start, execution_id: "9f1c0d2e-0000-4000-8000-0000000000ee" },
    });
    expect(r).toMatchObject({ status: "not_found", canceled: false });
  });

  describe("EventBridge: a run-sync execution that ended ABORTED, TIMED_OUT or FAILED", () => {
    /** The run-sync execution's history as cancel-sync reads it: its start state's outputs. */
    /** A history with these start-state outputs, and a publish state's exit when `published`. */
    function history(
      outputs: unknown[],
      published = false,
    ): ExecutionHistory & { reads: string[] } {
      const reads: string[] = [];
      return {
        reads,
        async stateOutputs(executionArn, state) {
          reads.push(executionArn);
          if (state === START_SYNC_STATE) return outputs;
          return published && state === PUBLISH_STATES[1] ? [{}] : [];
        },
      };
    }

    it("cancels the run its history says it started", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const sfnStart = e.clock.now();
      e.clock.advance(2_000);
      const start = started(await startHandler(e.deps)(stepInput()));
      e.deps.executionHistory = history([{ ...stepInput(), start }]);
      e.clock.advance(60_000);
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), sfnStart));
      expect(r).toMatchObject({ status: "canceled", canceled: true, already_terminal: false });
      expect(e.sim.executions().find((x) => x.id === start.execution_id)?.status).toBe("canceled");
      // The execution stopped before exporting and publishing: cancel-sync does both.
      expect(r.logs?.length).toBeGreaterThan(0);
      expect(r.metrics_published).toBe(true);
      expect([...e.s3Objects.keys()].sort()).toEqual([...(r.logs ?? [])].sort());
      const data = e.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData;
      expect(data?.find((m) => m.MetricName === "StepFailed")?.Value).toBe(1);
      // The event names no step itself: the log lines take it from the stopped input.
      const canceled = e.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.message === "cancel requested");
      expect(canceled).toMatchObject({
        pipeline: stepInput().pipeline,
        step: stepInput().step,
        sfn_execution: stepInput().execution_name,
        run_sync_execution: ARN,
        execution_id: start.execution_id,
      });
    });

    it("FAILED past its Catch (history limit, States.Runtime): still cancels its run", async () => {
      e = await env(scenario("", "duration_seconds: 7200"));
      const start = started(await startHandler(e.deps)(bulkInput()));
      const reader = history([{ ...bulkInput(), start }]);
      e.deps.executionHistory = reader;
      const r = await makeHandler(e.deps)(stopEvent(bulkInput(), e.clock.now(), "FAILED"));
      expect(r.canceled).toBe(true);
      expect(new Set(reader.reads)).toEqual(new Set([ARN]));
      expect(e.sim.executions().find((x) => x.id === start.execution_id)?.status).toBe("canceled");
    });

    it("never cancels a run it did not start, even one created while it ran", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const sfnStart = e.clock.now();
      e.clock.advance(5_000);
      // Someone else's run of the same sync, started after the execution began: the old
      // "current run created since the start" rule would have cancelled it.
      const other = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "someone-else" },
      );
      // The execution itself only got a StartPending answer (a 503: it started nothing),
      // or never got past its start at all.
      const pending: StartPending = {
        pending: true,
        sync_id: MODEL,
        key_index: 1,
        errors: 1,
        waits: 0,
        first_try_at: new Date(sfnStart).toISOString(),
        retry_after_seconds: 5,
        reason: "503 Service Unavailable",
      };
      for (const outputs of [[{ ...stepInput(), start: pending }], []]) {
        e.deps.executionHistory = history(outputs);
        for (const status of ["ABORTED", "TIMED_OUT", "FAILED"]) {
          const r = await makeHandler(e.deps)(stopEvent(stepInput(), sfnStart, status));
          expect(r).toEqual({ status: "none", canceled: false, already_terminal: true });
        }
      }
      expect(e.sim.executions().find((x) => x.id === other.id)?.status).not.toMatch(/cancel/);
      expect(e.sim.requests().filter((q) => q.path.endsWith("/cancel"))).toHaveLength(0);
    });

    it("leaves alone a run it adopted (on_conflict: attach), which it never started", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const start = started(await startHandler(e.deps)(stepInput()));
      e.deps.executionHistory = history([{ ...stepInput(), start: { ...start, attached: true } }]);
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now()));
      expect(r).toMatchObject({ canceled: false });
      expect(e.sim.executions().find((x) => x.id === start.execution_id)?.status).not.toMatch(
        /cancel/,
      );
    });

    it("a run that already ended: nothing to cancel; SUCCEEDED is ignored without a read", async () => {
      e = await env(scenario("duration_seconds: 10"));
      const start = started(await startHandler(e.deps)(stepInput()));
      const reader = history([{ ...stepInput(), start }]);
      e.deps.executionHistory = reader;
      e.clock.advance(3_600_000);
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now(), "FAILED"));
      expect(r).toMatchObject({ status: "completed", canceled: false, already_terminal: true });
      const reads = reader.reads.length;
      const ignored = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now(), "SUCCEEDED"));
      expect(ignored).toMatchObject({ canceled: false });
      expect(reader.reads).toHaveLength(reads);
      expect(e.sim.requests().filter((q) => q.path.endsWith("/cancel"))).toHaveLength(0);
    });

    it("an execution that published for itself: no second export, no second count", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const start = started(await startHandler(e.deps)(stepInput()));
      e.deps.executionHistory = history([{ ...stepInput(), start }], true);
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now(), "FAILED"));
      expect(r).toEqual({ status: "canceled", canceled: true, already_terminal: false });
      expect(e.s3Objects.size).toBe(0);
      expect(e.cloudwatch.commandCalls(PutMetricDataCommand)).toHaveLength(0);
    });

    it("cannot read histories: fails loudly (Config.Invalid) and cancels nothing", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const start = started(await startHandler(e.deps)(stepInput()));
      delete e.deps.executionHistory;
      const err = await rejection(makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now())));
      expect(err.name).toBe("Config.Invalid");
      expect(e.sim.executions().find((x) => x.id === start.execution_id)?.status).not.toMatch(
        /cancel/,
      );
    });

    it("a bad detail.input names the field", async () => {
      e = await env(scenario());
      const err = await rejection(
        makeHandler(e.deps)(
          stopEvent({ ...stepInput(), sync_type: "x" } as unknown as StepInput, 0),
        ),
      );
      expect(err.name).toBe("Input.Invalid");
      expect(err.message).toMatch(/^detail\.input\.sync_type:/);
    });
  });

  it("the run-sync shape without start is invalid", async () => {
    e = await env(scenario());
    const err = await rejection(makeHandler(e.deps)(stepInput()));
    expect(err).toMatchObject({ name: "Input.Invalid" });
    expect(err.message).toMatch(/^start: must be an object/);
  });
});
