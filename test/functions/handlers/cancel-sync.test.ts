import { afterEach, describe, expect, it } from "vitest";
import { makeHandler } from "../../../functions/cancel-sync";
import type { StepInput } from "../../../functions/core/contract";
import { makeHandler as startHandler } from "../../../functions/start-sync";
import {
  answering,
  BULK,
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

function stopEvent(input: StepInput, startDate: number, status = "ABORTED") {
  return {
    version: "0",
    source: "aws.states",
    "detail-type": "Step Functions Execution Status Change",
    detail: {
      executionArn: "arn:aws:states:us-east-1:123456789012:execution:run-sync:abc",
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

  describe("EventBridge: a stopped run-sync execution", () => {
    it("cancels the run it started", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const sfnStart = e.clock.now();
      e.clock.advance(2_000);
      const start = started(await startHandler(e.deps)(stepInput()));
      e.clock.advance(60_000);
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), sfnStart));
      expect(r).toEqual({ status: "canceled", canceled: true, already_terminal: false });
      expect(e.sim.executions().find((x) => x.id === start.execution_id)?.status).toBe("canceled");
      // The event names no step itself: the log lines take it from the stopped input.
      const canceled = e.lines
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .find((l) => l.message === "cancel requested");
      expect(canceled).toMatchObject({
        pipeline: stepInput().pipeline,
        step: stepInput().step,
        sfn_execution: stepInput().execution_name,
        execution_id: start.execution_id,
      });
    });

    it("resolves a sync by name", async () => {
      e = await env(scenario("", "duration_seconds: 7200"));
      const sfnStart = e.clock.now();
      const input = bulkInput({ sync: { name: "Salesforce to Snowflake" } });
      started(await startHandler(e.deps)(input));
      const r = await makeHandler(e.deps)(stopEvent(input, sfnStart, "TIMED_OUT"));
      expect(r.canceled).toBe(true);
      expect(e.sim.executions().filter((x) => x.syncId === BULK && !x.history)[0]?.status).toBe(
        "canceled",
      );
    });

    it("leaves alone a run created before the execution started", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const other = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "scheduled-run" },
      );
      e.clock.advance(600_000);
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now()));
      expect(r).toMatchObject({ canceled: false, already_terminal: false });
      expect(e.sim.executions().find((x) => x.id === other.id)?.status).toBe("running");
    });

    it("leaves alone a run created after the execution stopped", async () => {
      e = await env(scenario("duration_seconds: 7200"));
      const sfnStart = e.clock.now();
      const sfnStop = sfnStart + 60_000;
      e.clock.advance(600_000);
      const later = await e.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: "scheduled-later" },
      );
      const event = stopEvent(stepInput(), sfnStart, "FAILED");
      const r = await makeHandler(e.deps)({
        ...event,
        detail: { ...event.detail, stopDate: sfnStop },
      });
      expect(r).toMatchObject({ canceled: false });
      expect(e.sim.executions().find((x) => x.id === later.id)?.status).not.toMatch(/cancel/);
    });

    it("a step that timed out on an unknown sync (id or name): nothing to cancel, not an error", async () => {
      e = await env(scenario("duration_seconds: 10"));
      const unknownId = stepInput({ sync: { id: "9f1c0d2e-0000-4000-8000-0000000000ee" } });
      const unknownName = stepInput({ sync: { name: "No such sync" } });
      for (const input of [unknownId, unknownName]) {
        const r = await makeHandler(e.deps)(stopEvent(input, e.clock.now(), "TIMED_OUT"));
        expect(r).toEqual({ status: "none", canceled: false, already_terminal: true });
      }
    });

    it("nothing running: nothing to cancel; SUCCEEDED and FAILED are ignored", async () => {
      e = await env(scenario("duration_seconds: 10"));
      const r = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now(), "ABORTED"));
      expect(r).toMatchObject({ canceled: false, already_terminal: true });
      expect(e.sim.requests()).toHaveLength(1);
      // A FAILED run-sync cancelled its own run (or never had one): touching "the sync's
      // current run" could stop someone else's.
      for (const status of ["SUCCEEDED", "FAILED"]) {
        const ignored = await makeHandler(e.deps)(stopEvent(stepInput(), e.clock.now(), status));
        expect(ignored).toMatchObject({ canceled: false });
      }
      expect(e.sim.requests()).toHaveLength(1);
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
