/**
 * A fan-out's organizations read from its own history (functions/aws/fan-out-history.ts):
 * the edges the whole-run test (test/deployed/fan-out-runs.test.ts) does not reach. Events
 * are shaped as GetExecutionHistory returns them.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import { describe, expect, it } from "vitest";
import { fanOutCounts, fanOutOrganizations } from "../../../functions/aws/fan-out-history";

const T = new Date("2026-12-01T02:00:00Z");
const ORG_MACHINE = "arn:aws:states:us-east-1:123456789012:stateMachine:PipelinePartnerOrg";
const arnOf = (name: string) => `${ORG_MACHINE.replace(":stateMachine:", ":execution:")}:${name}`;
const states = { resourceType: "states", resource: "startExecution.sync:2" };
const A = { id: "a-id", name: "Acme" };
const B = { id: "b-id", name: "Globex" };
const C = { id: "c-id", name: "Initech" };

let next = 0;
function event(shape: Omit<HistoryEvent, "id" | "timestamp">): HistoryEvent {
  next += 1;
  return { id: next, timestamp: T, ...shape } as HistoryEvent;
}

const resolved = (...orgs: { id: string; name: string }[]) =>
  event({
    type: "TaskStateExited",
    stateExitedEventDetails: {
      name: "Resolve organizations",
      output: JSON.stringify({ organizations: orgs, count: orgs.length }),
    },
  });

/** A child's start: StartExecution's parameters, as TaskScheduled records them. */
const starting = (name: string, input: Record<string, unknown>) =>
  event({
    type: "TaskScheduled",
    taskScheduledEventDetails: {
      ...states,
      region: "us-east-1",
      parameters: JSON.stringify({ StateMachineArn: ORG_MACHINE, Name: name, Input: input }),
    },
  });

const scheduled = (org: { id: string; name: string }, name: string) =>
  starting(name, { organization_id: org.id, organization_name: org.name });

const submitted = (name: string) =>
  event({
    type: "TaskSubmitted",
    taskSubmittedEventDetails: {
      ...states,
      output: JSON.stringify({ ExecutionArn: arnOf(name), StartDate: 1 }),
    },
  });

const result = (org: { id: string; name: string }, status: string, error?: string) =>
  event({
    type: "PassStateExited",
    stateExitedEventDetails: {
      name: status === "succeeded" ? "Organization succeeded" : "Organization failed",
      output: JSON.stringify({ ...org, status, ...(error ? { error } : {}) }),
    },
  });

describe("fanOutOrganizations", () => {
  it("matches interleaved iterations by the child's name, never by event order", () => {
    const events = [
      resolved(A, B, C),
      scheduled(A, "p-aaa"),
      scheduled(B, "p-bbb"),
      submitted("p-bbb"),
      submitted("p-aaa"),
      event({
        type: "TaskFailed",
        taskFailedEventDetails: {
          ...states,
          error: "States.TaskFailed",
          cause: JSON.stringify({
            ExecutionArn: arnOf("p-bbb"),
            Status: "FAILED",
            Error: "Pipeline.StepsFailed",
            Cause: 'Failed steps and their errors (...): {"load":"States.TaskFailed"}',
          }),
        },
      }),
      result(B, "failed", "States.TaskFailed"),
    ];
    expect(fanOutOrganizations(events, false)).toEqual([
      {
        ...B,
        status: "failed",
        error: "Pipeline.StepsFailed",
        failedSteps: ["load"],
        executionArn: arnOf("p-bbb"),
      },
      { ...A, status: "running", error: null, failedSteps: [], executionArn: arnOf("p-aaa") },
      { ...C, status: "waiting", error: null, failedSteps: [], executionArn: null },
    ]);
  });

  it("names a child by its input when the start's parameters are not there (TaskSucceeded's description)", () => {
    const events = [
      resolved(A),
      event({
        type: "TaskSucceeded",
        taskSucceededEventDetails: {
          ...states,
          output: JSON.stringify({
            ExecutionArn: arnOf("p-aaa"),
            Status: "SUCCEEDED",
            Input: JSON.stringify({ organization_id: A.id, organization_name: A.name }),
          }),
        },
      }),
      result(A, "succeeded"),
    ];
    expect(fanOutOrganizations(events, true)).toEqual([
      { ...A, status: "succeeded", error: null, failedSteps: [], executionArn: arnOf("p-aaa") },
    ]);
  });

  it("keeps the result's error when the start itself failed (no child, no description)", () => {
    const events = [
      resolved(A),
      scheduled(A, "p-aaa"),
      event({
        type: "TaskFailed",
        taskFailedEventDetails: {
          ...states,
          error: "StepFunctions.ExecutionLimitExceededException",
          cause: "Maximum number of running executions reached",
        },
      }),
      result(A, "failed", "StepFunctions.ExecutionLimitExceededException"),
    ];
    expect(fanOutOrganizations(events, true)?.[0]).toMatchObject({
      status: "failed",
      error: "StepFunctions.ExecutionLimitExceededException",
      executionArn: null,
    });
  });

  it("recognises a fan-out from resolve-organizations' call alone (before it answered)", () => {
    const events = [
      event({
        type: "TaskScheduled",
        taskScheduledEventDetails: {
          resourceType: "lambda",
          resource: "invoke",
          region: "us-east-1",
          parameters: JSON.stringify({
            FunctionName: "arn:aws:lambda:us-east-1:123456789012:function:resolve",
            Payload: { pipeline: "partner", organizations: { all: true } },
          }),
        },
      }),
    ];
    expect(fanOutOrganizations(events, false)).toEqual([]);
  });

  it("is not fooled by a pipeline without organizations, nor by cut data", () => {
    const pipeline = [
      // A step's run-sync input of a fan-out's per-organization run names a step.
      starting("load-123", { step: "load", sync_type: "bulk", organization_id: A.id }),
      event({
        type: "TaskStateExited",
        stateExitedEventDetails: {
          name: "Run load",
          output: JSON.stringify({ results: { load: { step: "load", status: "succeeded" } } }),
        },
      }),
      event({
        type: "TaskStateExited",
        stateExitedEventDetails: {
          name: "Resolve organizations",
          output: JSON.stringify({ organizations: [A], count: 1 }),
          outputDetails: { truncated: true },
        },
      }),
    ];
    expect(fanOutOrganizations(pipeline, true)).toBeUndefined();
  });
});

describe("fanOutCounts", () => {
  it("reads a failed fan-out's cause and a succeeded one's output", () => {
    expect(
      fanOutCounts({
        status: "FAILED",
        error: "Pipeline.OrganizationsFailed",
        cause:
          '2 of 3 organizations failed (the first 25 at most; ...): [{"id":"b","name":"Globex","status":"failed"},{"id":"c","name":"Initech","status":"failed"}]',
      }),
    ).toEqual({ failed: 2, total: 3, failedNames: ["Globex", "Initech"] });
    expect(
      fanOutCounts({
        status: "SUCCEEDED",
        output: JSON.stringify({
          organizations: [{ ...A, status: "succeeded" }],
          count: 1,
          failed_ids: [],
          failed_count: 0,
        }),
      }),
    ).toEqual({ failed: 0, total: 1, failedNames: [] });
  });

  it("says nothing of a pipeline without organizations, or a fan-out that never ran them", () => {
    expect(fanOutCounts({ status: "SUCCEEDED", output: '{"results":{}}' })).toBeUndefined();
    expect(
      fanOutCounts({ status: "FAILED", error: "Pipeline.StepsFailed", cause: "Failed steps: {}" }),
    ).toBeUndefined();
    expect(
      fanOutCounts({
        status: "FAILED",
        error: "Pipeline.TooManyOrganizations",
        cause: "More than 500 organizations",
      }),
    ).toBeUndefined();
  });
});
