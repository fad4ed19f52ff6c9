import * as s3 from "aws-cdk-lib/aws-s3";
import { describe, expect, it } from "vitest";
import type { CheckResult, StartResult, StepInput } from "../../../functions/core/contract";
import { START_SYNC_STATE } from "../../../functions/core/history";
import { parseStartedState } from "../../../functions/core/input";
import {
  RUN_SYNC_TASK_FUNCTIONS,
  RunSyncStateMachine,
} from "../../../lib/constructs/run-sync-state-machine";
import { SyncFunctions } from "../../../lib/constructs/sync-functions";
import { type EventLog, runLocalExecution } from "../../../lib/local/engine";
import { localExecutionHistory } from "../../../lib/local/execution-history";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { definitionOf, FIXTURE_FUNCTIONS_DIR, unbundledStack } from "../helpers";

function runSyncDefinition() {
  const stack = unbundledStack();
  const functions = new SyncFunctions(stack, "Functions", {
    logsBucket: new s3.Bucket(stack, "Logs"),
    functionsDir: FIXTURE_FUNCTIONS_DIR,
  });
  const machine = new RunSyncStateMachine(stack, "RunSync", { functions });
  return definitionOf(stack, machine.stateMachine);
}

const input: StepInput = {
  pipeline: "nightly",
  step: "load",
  execution_name: "exec-1",
  sync_type: "model",
  sync: { id: "9f1c0d2e-0000-4000-8000-000000000001" },
  options: {},
  on_conflict: "attach",
  policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
  poll: { strategy: "fixed", min_seconds: 60, max_seconds: 60 },
  timeout_seconds: 3600,
  attempt: 0,
};

describe("localExecutionHistory", () => {
  it("gives the start state's outputs from a run of the synthesized run-sync machine, as cancel-sync reads them", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 11, 1));
    const start: StartResult = {
      sync_id: "9f1c0d2e-0000-4000-8000-000000000001",
      execution_id: "0b7c0d2e-0000-4000-8000-0000000000aa",
      status: "created",
      started_at: new Date(clock.now()).toISOString(),
      deadline: new Date(clock.now() + 3600_000).toISOString(),
      attached: false,
    };
    const running: CheckResult = {
      status: "running",
      terminal: false,
      step_failed: false,
      counts: { records: 0, errors: 0, warnings: 0 },
      next_poll_seconds: 60,
      event_wait_seconds: 60,
      polls: 1,
      timed_out: false,
    };
    const tasks = Object.fromEntries(
      Object.entries(RUN_SYNC_TASK_FUNCTIONS).map(([state, fn]) => [
        state,
        async () => {
          if (fn === "start-sync") return start;
          if (fn === "check-status") return running;
          throw new Error(`${fn} is not called before the stop`);
        },
      ]),
    );
    const stop = new AbortController();
    void clock.sleep(150_000).then(() => stop.abort());
    const result = await runLocalExecution(runSyncDefinition(), {
      name: "load-abc",
      stateMachineName: "run-sync",
      input,
      clock,
      tasks,
      signal: stop.signal,
    });
    expect(result.status).toBe("ABORTED");

    const executions = new Map<string, readonly EventLog[]>([[result.executionArn, result.events]]);
    const history = localExecutionHistory((arn) => executions.get(arn));
    const outputs = await history.stateOutputs(result.executionArn, START_SYNC_STATE, {});
    expect(outputs).toHaveLength(1);
    // The state's whole output: the step input with start-sync's answer at $.start.
    expect(parseStartedState(outputs[0]).start).toEqual(start);
    // Another state's exits are not the start's.
    const checks = await history.stateOutputs(result.executionArn, "Check status", {});
    expect(checks.length).toBeGreaterThanOrEqual(2);
    expect(checks.every((c) => (c as { check?: unknown }).check !== undefined)).toBe(true);
  });

  it("an execution the lookup does not know: a permanent error naming it", async () => {
    const history = localExecutionHistory(() => undefined);
    await expect(history.stateOutputs("arn:x", START_SYNC_STATE, {})).rejects.toMatchObject({
      name: "Config.Invalid",
      message: expect.stringContaining("arn:x"),
    });
  });
});
