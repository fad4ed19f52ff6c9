/**
 * Reading a deployed run from Step Functions (functions/aws/run-histories.ts): the edges
 * the whole-run tests (test/deployed) do not reach. Events are shaped as
 * GetExecutionHistory returns them.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, beforeEach, describe, expect, it } from "vitest";
import {
  childExecutionArns,
  readDeployedRun,
  recordFromHistory,
  toHistoryEvents,
} from "../../../functions/aws/run-histories";

const PIPELINE = "arn:aws:states:us-east-1:123456789012:execution:Pipeline:night-1";
const child = (n: number) => `arn:aws:states:us-east-1:123456789012:execution:RunSync:step${n}-abc`;
const T = new Date("2026-12-01T02:00:00Z");
const states = { resourceType: "states", resource: "startExecution.sync:2" };
const sfn = mockClient(SFNClient);

afterAll(() => sfn.restore());
beforeEach(() => sfn.reset());

function event(id: number, shape: Omit<HistoryEvent, "id" | "timestamp">): HistoryEvent {
  return { id, previousEventId: id - 1, timestamp: T, ...shape } as HistoryEvent;
}

describe("childExecutionArns", () => {
  it("names a child from TaskSubmitted, TaskSucceeded or a TaskFailed cause alone, once each", () => {
    const events = [
      event(1, {
        type: "TaskSubmitted",
        taskSubmittedEventDetails: {
          ...states,
          output: JSON.stringify({ ExecutionArn: child(1), StartDate: 1 }),
        },
      }),
      event(2, {
        type: "TaskSucceeded",
        taskSucceededEventDetails: {
          ...states,
          output: JSON.stringify({ ExecutionArn: child(1) }),
        },
      }),
      // No TaskSubmitted for this one: the failure's cause still names it.
      event(3, {
        type: "TaskFailed",
        taskFailedEventDetails: {
          ...states,
          error: "States.TaskFailed",
          cause: JSON.stringify({ ExecutionArn: child(2), Status: "FAILED" }),
        },
      }),
      // A Lambda task's output is not a child, whatever it holds.
      event(4, {
        type: "TaskSucceeded",
        taskSucceededEventDetails: {
          resourceType: "lambda",
          resource: "invoke",
          output: JSON.stringify({ ExecutionArn: child(3) }),
        },
      }),
      event(5, {
        type: "TaskFailed",
        taskFailedEventDetails: { ...states, error: "States.Timeout", cause: "not JSON" },
      }),
    ];
    expect(childExecutionArns(events)).toEqual([child(1), child(2)]);
  });
});

describe("toHistoryEvents", () => {
  it("maps typed state events to the builder's, and leaves out data Step Functions cut", () => {
    const { events, truncated } = toHistoryEvents([
      event(1, {
        type: "ExecutionStarted",
        executionStartedEventDetails: { input: '{"step":"a"}' },
      }),
      event(2, { type: "TaskStateEntered", stateEnteredEventDetails: { name: "Start" } }),
      event(3, {
        type: "TaskStateExited",
        stateExitedEventDetails: { name: "Start", output: '{"start":{}}' },
      }),
      event(4, {
        type: "PassStateExited",
        stateExitedEventDetails: {
          name: "Big",
          output: '{"cut',
          outputDetails: { truncated: true },
        },
      }),
    ]);
    expect(events).toEqual([
      { type: "ExecutionStarted", timestamp: T.getTime(), input: { step: "a" } },
      { type: "StateEntered", timestamp: T.getTime(), state: { name: "Start" } },
      {
        type: "StateExited",
        timestamp: T.getTime(),
        state: { name: "Start", output: { start: {} } },
      },
      { type: "StateExited", timestamp: T.getTime(), state: { name: "Big", output: undefined } },
    ]);
    expect(truncated).toBe(1);
  });

  it("keeps a failed Lambda call's error and cause: the retry loop's still-running checks", () => {
    const cause = JSON.stringify({ errorType: "Polytomic.StillRunning.15s", errorMessage: "{}" });
    const { events } = toHistoryEvents([
      event(1, {
        type: "LambdaFunctionFailed",
        lambdaFunctionFailedEventDetails: { error: "Polytomic.StillRunning.15s", cause },
      }),
      event(2, {
        type: "TaskFailed",
        taskFailedEventDetails: { resourceType: "lambda", resource: "invoke", error: "E" },
      }),
      event(3, { type: "LambdaFunctionScheduled" }),
    ]);
    expect(events).toEqual([
      {
        type: "LambdaFunctionFailed",
        timestamp: T.getTime(),
        Error: "Polytomic.StillRunning.15s",
        Cause: cause,
      },
      { type: "TaskFailed", timestamp: T.getTime(), Error: "E" },
      { type: "LambdaFunctionScheduled", timestamp: T.getTime() },
    ]);
  });

  it("takes a child still going as RUNNING, with no end", () => {
    const events = [
      event(1, { type: "ExecutionStarted", executionStartedEventDetails: { input: "{}" } }),
    ];
    const record = recordFromHistory("c", events, toHistoryEvents(events).events);
    expect(record.status).toBe("RUNNING");
    expect(record.stoppedAt).toBeUndefined();
  });
});

describe("readDeployedRun", () => {
  it("reads at most maxChildren children and says how many it left", async () => {
    const submitted = [1, 2, 3].map((n) =>
      event(n, {
        type: "TaskSubmitted",
        taskSubmittedEventDetails: {
          ...states,
          output: JSON.stringify({ ExecutionArn: child(n) }),
        },
      }),
    );
    sfn.on(DescribeExecutionCommand).resolves({
      executionArn: PIPELINE,
      name: "night-1",
      status: "RUNNING",
      startDate: T,
      stateMachineArn: "sm",
    });
    sfn.on(GetExecutionHistoryCommand).resolves({ events: [] });
    sfn.on(GetExecutionHistoryCommand, { executionArn: PIPELINE }).resolves({ events: submitted });
    const run = await readDeployedRun(new SFNClient({ region: "us-east-1" }), PIPELINE, {
      maxChildren: 2,
    });
    expect([...run.children.keys()]).toEqual([child(1), child(2)]);
    expect(run.notes).toEqual(["the run started 3 child executions; only the first 2 were read"]);
    const read = sfn
      .commandCalls(GetExecutionHistoryCommand)
      .map((c) => c.args[0].input.executionArn);
    expect(read).not.toContain(child(3));
  });
});
