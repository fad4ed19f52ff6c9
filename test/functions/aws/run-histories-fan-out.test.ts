/**
 * A fan-out's organizations read from its own history (functions/aws/fan-out-history.ts):
 * the edges the whole-run test (test/deployed/fan-out-runs.test.ts) does not reach. Events
 * are shaped as GetExecutionHistory returns them.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterAll, describe, expect, it } from "vitest";
import { fanOutCounts, fanOutOrganizations } from "../../../functions/aws/fan-out-history";
import { MAX_ORGANIZATION_DETAILS, readDeployedRun } from "../../../functions/aws/run-histories";

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

describe("readDeployedRun of a fan-out at 500 organizations", () => {
  const sfn = mockClient(SFNClient);
  afterAll(() => sfn.restore());
  const FAN_OUT = "arn:aws:states:us-east-1:123456789012:execution:PipelinePartner:night-1";

  it("reads the fan-out's history and the first failed organizations' only", async () => {
    const orgs = Array.from({ length: 500 }, (_, i) => ({ id: `org-${i}`, name: `Customer ${i}` }));
    // Every 10th organization failed: 50 of them.
    const failed = (i: number) => i % 10 === 3;
    const events = [
      resolved(...orgs),
      ...orgs.flatMap((org, i) => [
        scheduled(org, `p-${i}`),
        submitted(`p-${i}`),
        failed(i)
          ? event({
              type: "TaskFailed",
              taskFailedEventDetails: {
                ...states,
                error: "States.TaskFailed",
                cause: JSON.stringify({
                  ExecutionArn: arnOf(`p-${i}`),
                  Status: "FAILED",
                  Error: "Pipeline.StepsFailed",
                  Cause: 'Failed steps ...: {"load":"States.TaskFailed"}',
                }),
              },
            })
          : event({
              type: "TaskSucceeded",
              taskSucceededEventDetails: { ...states, output: "{}" },
            }),
        result(
          org,
          failed(i) ? "failed" : "succeeded",
          failed(i) ? "States.TaskFailed" : undefined,
        ),
      ]),
    ];
    sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn: string }) => ({
      executionArn: input.executionArn,
      stateMachineArn: input.executionArn
        .replace(":execution:", ":stateMachine:")
        .replace(/:[^:]*$/, ""),
      name: input.executionArn.split(":").at(-1),
      status: "FAILED",
      startDate: T,
      stopDate: T,
    }));
    sfn
      .on(GetExecutionHistoryCommand)
      .callsFake((input: { executionArn: string; nextToken?: string }) => {
        const all: HistoryEvent[] =
          input.executionArn === FAN_OUT
            ? events
            : [
                { id: 1, timestamp: T, type: "ExecutionStarted", executionStartedEventDetails: {} },
                { id: 2, timestamp: T, type: "ExecutionFailed", executionFailedEventDetails: {} },
              ];
        const from = Number(input.nextToken ?? 0);
        return {
          events: all.slice(from, from + 1000),
          ...(from + 1000 < all.length ? { nextToken: String(from + 1000) } : {}),
        };
      });
    const run = await readDeployedRun(new SFNClient({ region: "us-east-1" }), FAN_OUT);
    expect(run.fanOut?.organizations).toHaveLength(500);
    expect(run.fanOut?.organizations.slice(0, 50).every((o) => o.status === "failed")).toBe(true);
    expect(run.fanOut?.runs.size).toBe(MAX_ORGANIZATION_DETAILS);
    const read = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    const others = new Set(read.map((i) => i.executionArn).filter((arn) => arn !== FAN_OUT));
    expect(others).toEqual(new Set(Array.from({ length: 10 }, (_, k) => arnOf(`p-${3 + 10 * k}`))));
    expect(run.notes).toContain(
      "50 organizations failed; the steps of the first 10 are shown (report --organizations N, or report <execution_arn> for one)",
    );
  });
});
