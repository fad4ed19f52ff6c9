import { describe, expect, it } from "vitest";
import type { PipelinesConfig, StepConfig } from "../../../lib/config/model";
import type { LocalApp } from "../../../lib/local/runner";
import { runPipelineDefinitions } from "../../../lib/local/runner";
import { VirtualClock } from "../../../lib/local/virtual-clock";

const CHILD = "arn:aws:states:::states:startExecution.sync:2";
const FN = "arn:aws:lambda:local-1:000000000000:function:f";

/** A tiny run-sync machine: start, poll every 10 minutes, fail or succeed. */
const app: LocalApp = {
  runSync: {
    stateMachineName: "run-sync",
    taskFunctions: { Start: "start-sync", Check: "check-status", Cancel: "cancel-sync" },
    definition: {
      StartAt: "Start",
      States: {
        Start: { Type: "Task", Resource: FN, ResultPath: "$.start", Next: "Check" },
        Check: { Type: "Task", Resource: FN, ResultPath: "$.check", Next: "Done?" },
        "Done?": {
          Type: "Choice",
          Choices: [
            { Variable: "$.check.timed_out", BooleanEquals: true, Next: "Cancel" },
            { Variable: "$.check.terminal", BooleanEquals: true, Next: "Failed?" },
          ],
          Default: "Wait",
        },
        Wait: { Type: "Wait", SecondsPath: "$.check.next_poll_seconds", Next: "Check" },
        Cancel: { Type: "Task", Resource: FN, ResultPath: "$.cancel", Next: "TimedOut" },
        TimedOut: { Type: "Fail", Error: "Sync.TimedOut", Cause: "step timeout" },
        "Failed?": {
          Type: "Choice",
          Choices: [{ Variable: "$.check.step_failed", BooleanEquals: true, Next: "Failed" }],
          Default: "Result",
        },
        Failed: {
          Type: "Fail",
          ErrorPath: "$.check.error_name",
          CausePath: "$.check.error_message",
        },
        Result: {
          Type: "Pass",
          Parameters: {
            "step.$": "$.step",
            status: "succeeded",
            "outcome.$": "$.check.outcome",
            "counts.$": "$.check.counts",
            logs: [],
          },
          End: true,
        },
      },
    },
  },
  pipelines: {
    demo: {
      stateMachineName: "pipeline-demo",
      definition: {
        StartAt: "Fan out",
        States: {
          "Fan out": {
            Type: "Parallel",
            ResultPath: "$.branches",
            Branches: [
              {
                StartAt: "Run a",
                States: {
                  "Run a": {
                    Type: "Task",
                    Resource: CHILD,
                    Parameters: {
                      "Name.$": "States.Format('{}-a', $$.Execution.Name)",
                      Input: { step: "a" },
                    },
                    Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.error", Next: "Skip b" }],
                    Next: "Run b",
                  },
                  "Run b": {
                    Type: "Task",
                    Resource: CHILD,
                    Parameters: {
                      "Name.$": "States.Format('{}-b', $$.Execution.Name)",
                      Input: { step: "b" },
                    },
                    End: true,
                  },
                  "Skip b": {
                    Type: "Pass",
                    Result: { b: { status: "skipped" } },
                    ResultPath: "$.results",
                    Next: "A failed",
                  },
                  "A failed": { Type: "Pass", End: true },
                },
              },
              {
                StartAt: "Run c",
                States: {
                  "Run c": {
                    Type: "Task",
                    Resource: CHILD,
                    Parameters: {
                      "Name.$": "States.Format('{}-c', $$.Execution.Name)",
                      Input: { step: "c" },
                    },
                    End: true,
                  },
                },
              },
            ],
            Next: "Any failed?",
          },
          "Any failed?": {
            Type: "Choice",
            Choices: [
              { Variable: "$.branches[0].error", IsPresent: true, Next: "Pipeline failed" },
            ],
            Default: "Pipeline succeeded",
          },
          "Pipeline failed": { Type: "Fail", Error: "Pipeline.StepFailed", Cause: "a failed" },
          "Pipeline succeeded": { Type: "Succeed" },
        },
      },
    },
  },
};

function step(id: string, timeout = 3600): StepConfig {
  return {
    id,
    sync_type: "model",
    sync: { id: `00000000-0000-4000-8000-00000000000${id.charCodeAt(0) - 96}` },
    options: {},
    after: [],
    run_after: "success",
    on_conflict: "attach",
    policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
    poll: { strategy: "fixed", min_seconds: 600, max_seconds: 600 },
    timeout_seconds: timeout,
  };
}

const config: PipelinesConfig = {
  source: "/tmp/pipelines.yaml",
  pipelines: [
    { name: "demo", timeout_seconds: 86_400, notify: [], steps: [step("a"), step("b"), step("c")] },
  ],
};

function fakeFunctions(
  clock: VirtualClock,
  endsAfter: Record<string, number>,
  canceled: unknown[],
) {
  const t0 = clock.now();
  return {
    "start-sync": async (input: unknown) => ({
      execution_id: `exec-${(input as { step: string }).step}`,
      sync_id: "s",
    }),
    "check-status": async (input: unknown) => {
      const id = (input as { step: string }).step;
      const terminal = clock.now() - t0 >= (endsAfter[id] ?? 0) * 1000;
      return {
        status: terminal ? (id === "a" ? "failed" : "completed") : "running",
        terminal,
        timed_out: false,
        step_failed: terminal && id === "a",
        outcome: terminal ? (id === "a" ? "failed" : "succeeded") : undefined,
        error_name: "Sync.Failed",
        error_message: "a failed in Polytomic",
        counts: { records: 10, errors: 0, warnings: 0 },
        next_poll_seconds: 600,
        polls: 1,
      };
    },
    "export-logs": async () => ({ exported: true, keys: [] }),
    "publish-metrics": async () => ({ published: true, metric_count: 0 }),
    "cancel-sync": async (input: unknown) => {
      canceled.push(input);
      return {};
    },
  };
}

describe("runPipelineDefinitions", () => {
  it("stops running children when the pipeline is stopped, and tells cancel-sync", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 22));
    const canceled: Array<{ detail: { status: string; name: string; input: string } }> = [];
    const stop = new AbortController();
    void clock.sleep(1800_000).then(() => stop.abort());
    const result = await runPipelineDefinitions({
      app,
      histories: new Map(),
      config,
      pipeline: "demo",
      clock,
      executionName: "demo-2",
      signal: stop.signal,
      functions: fakeFunctions(clock, { a: 3600, b: 600, c: 7200 }, canceled as unknown[]),
    });
    expect(result.status).toBe("interrupted");
    expect(result.error?.name).toBe("States.ABORTED");
    expect(result.steps.map((s) => [s.id, s.status, s.outcome])).toEqual([
      ["a", "cancelled", "cancelled"],
      ["b", "not_started", "not_started"],
      ["c", "cancelled", "cancelled"],
    ]);
    expect(canceled.map((e) => [e.detail.name, e.detail.status]).sort()).toEqual([
      ["demo-2-a", "ABORTED"],
      ["demo-2-c", "ABORTED"],
    ]);
    expect(JSON.parse(canceled[0]?.detail.input ?? "{}")).toHaveProperty("step");
    expect(Date.parse(result.finished_at) - Date.UTC(2026, 10, 22)).toBe(1800_000);
  });

  it("runs children on one clock, reports each step, and skips the dependents of a failure", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 22));
    const t0 = clock.now();
    const endsAfter: Record<string, number> = { a: 3600, b: 600, c: 7200 };
    const canceled: unknown[] = [];
    const events: string[] = [];
    const result = await runPipelineDefinitions({
      app,
      histories: new Map(),
      config,
      pipeline: "demo",
      clock,
      executionName: "demo-1",
      onEvent: (e) =>
        events.push(
          e.type === "step" ? `${e.progress.step}:${e.progress.state}` : `pipeline:${e.status}`,
        ),
      functions: fakeFunctions(clock, endsAfter, canceled),
    });
    expect(result.status).toBe("failed");
    expect(result.steps.map((s) => [s.id, s.status, s.outcome])).toEqual([
      ["a", "failed", "failed"],
      ["b", "skipped", "skipped"],
      ["c", "succeeded", "succeeded"],
    ]);
    expect(result.steps[0]?.error).toEqual({
      name: "Sync.Failed",
      message: "a failed in Polytomic",
    });
    expect(Date.parse(result.finished_at) - t0).toBe(7200_000);
    expect(result.polls).toBe(7 + 13);
    // A FAILED child goes to cancel-sync too, as the deployed rule sends it (it may have
    // failed past its Catch); cancel-sync cancels only what its history says it started.
    expect(
      (canceled as Array<{ detail: { name: string; status: string } }>).map((e) => [
        e.detail.name,
        e.detail.status,
      ]),
    ).toEqual([["demo-1-a", "FAILED"]]);
    expect(events).toContain("b:skipped");
    expect(events.at(-1)).toBe("pipeline:failed");
    expect(result.executions.map((e) => e.name)).toEqual(["demo-1", "demo-1-a", "demo-1-c"]);
  });
});

describe("runPipelineDefinitions: describeExecution and same-name starts", () => {
  const DESCRIBE = "arn:aws:states:::aws-sdk:sfn:describeExecution";
  const arnOf = (suffix: string) =>
    `States.Format('arn:aws:states:us-east-1:123456789012:execution:RunSync:{}-${suffix}', $$.Execution.Name)`;
  const describe = (name: string, suffix: string, next: string, catchTo?: string) => ({
    [name]: {
      Type: "Task",
      Resource: DESCRIBE,
      Parameters: { "ExecutionArn.$": arnOf(suffix) },
      ResultPath: `$.${name.replace(/ /g, "_")}`,
      Next: next,
      ...(catchTo
        ? {
            Catch: [
              {
                ErrorEquals: ["Sfn.ExecutionDoesNotExistException"],
                ResultPath: `$.${name.replace(/ /g, "_")}`,
                Next: catchTo,
              },
            ],
          }
        : {}),
    },
  });
  const observer: LocalApp = {
    runSync: app.runSync,
    pipelines: {
      demo: {
        stateMachineName: "pipeline-demo",
        definition: {
          StartAt: "Both",
          States: {
            Both: {
              Type: "Parallel",
              Branches: [
                {
                  StartAt: "Run c",
                  States: {
                    "Run c": {
                      Type: "Task",
                      Resource: CHILD,
                      Parameters: {
                        "Name.$": "States.Format('{}-c', $$.Execution.Name)",
                        Input: { step: "c" },
                      },
                      ResultSelector: { "arn.$": "$.ExecutionArn" },
                      End: true,
                    },
                  },
                },
                {
                  StartAt: "Wait a minute",
                  States: {
                    "Wait a minute": { Type: "Wait", Seconds: 60, Next: "Missing" },
                    ...describe("Missing", "zz", "Running", "Running"),
                    ...describe("Running", "c", "Wait for c"),
                    "Wait for c": { Type: "Wait", Seconds: 7200, Next: "Ended" },
                    ...describe("Ended", "c", "Start c again"),
                    "Start c again": {
                      Type: "Task",
                      Resource: CHILD,
                      Parameters: {
                        "Name.$": "States.Format('{}-c', $$.Execution.Name)",
                        Input: { step: "c", skip: true },
                      },
                      Catch: [{ ErrorEquals: ["States.ALL"], ResultPath: "$.again", Next: "Done" }],
                      ResultPath: "$.again",
                      Next: "Done",
                    },
                    Done: { Type: "Pass", End: true },
                  },
                },
              ],
              End: true,
            },
          },
        },
      },
    },
  };

  it("answers as the AWS SDK integration does: DoesNotExist, RUNNING, then SUCCEEDED with Output as JSON text", async () => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 22));
    const t0 = clock.now();
    const result = await runPipelineDefinitions({
      app: observer,
      histories: new Map(),
      config,
      pipeline: "demo",
      clock,
      executionName: "obs",
      functions: fakeFunctions(clock, { c: 3600 }, []),
    });
    expect(result.status).toBe("succeeded");
    const outputs = (
      result.executions[0] as unknown as {
        events: Array<{ type: string; state?: { name: string; output?: unknown } }>;
      }
    ).events;
    const exited = (name: string) =>
      outputs.find((e) => e.type === "StateExited" && e.state?.name === name)?.state?.output as
        | Record<string, Record<string, unknown>>
        | undefined;
    expect(exited("Missing")?.Missing).toEqual({
      Error: "Sfn.ExecutionDoesNotExistException",
      Cause:
        "Execution Does Not Exist: 'arn:aws:states:us-east-1:123456789012:execution:RunSync:obs-zz'",
    });
    const running = exited("Running")?.Running;
    expect(running).toMatchObject({
      ExecutionArn: "arn:aws:states:local-1:000000000000:execution:run-sync:obs-c",
      Name: "obs-c",
      Status: "RUNNING",
      StartDate: t0,
      Input: JSON.stringify({ step: "c" }),
    });
    expect(running).not.toHaveProperty("Output");
    const ended = exited("Ended")?.Ended;
    expect(ended).toMatchObject({ Status: "SUCCEEDED", StopDate: t0 + 3600_000 });
    expect(JSON.parse(ended?.Output as string)).toMatchObject({ step: "c", status: "succeeded" });
    // Same name, other input, after the child ended: Step Functions refuses the start.
    expect(exited("Start c again")?.again).toMatchObject({
      Error: "StepFunctions.ExecutionAlreadyExistsException",
    });
    expect(result.executions.map((e) => e.name)).toEqual(["obs", "obs-c"]);
  });
});

describe("runPipelineDefinitions: which machine a start task runs", () => {
  const start = (arn: string, next?: string) => ({
    Type: "Task",
    Resource: CHILD,
    Parameters: { StateMachineArn: arn, Name: `n-${arn.length}`, Input: { step: "a" } },
    ...(next ? { Next: next } : { End: true }),
  });
  const twoMachines = (runSyncArn?: string): LocalApp => ({
    runSync: { ...app.runSync, ...(runSyncArn ? { stateMachineArn: runSyncArn } : {}) },
    pipelines: {
      demo: {
        stateMachineName: "pipeline-demo",
        definition: {
          StartAt: "One",
          States: { One: start("arn:x:RunSync", "Two"), Two: start("arn:x:WaitForStep") },
        },
      },
    },
  });
  const runWith = (local: LocalApp) => {
    const clock = new VirtualClock(Date.UTC(2026, 10, 22));
    return runPipelineDefinitions({
      app: local,
      histories: new Map(),
      config,
      pipeline: "demo",
      clock,
      executionName: "m",
      functions: fakeFunctions(clock, {}, []),
    });
  };

  it("refuses a pipeline starting several machines when the app cannot tell them apart", async () => {
    await expect(runWith(twoMachines())).rejects.toThrow(
      /pipeline "demo" starts 2 state machines .*give the LocalApp runSync.stateMachineArn and waitForStep/,
    );
  });

  it("refuses a machine the app does not have, naming it", async () => {
    await expect(runWith(twoMachines("arn:x:RunSync"))).rejects.toThrow(
      /State Machine Does Not Exist: 'arn:x:WaitForStep'/,
    );
  });
});
