import { GetExecutionHistoryCommand, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { SfnExecutionHistory } from "../../../functions/aws/execution-history";
import { START_SYNC_STATE } from "../../../functions/core/history";

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const ARN = "arn:aws:states:us-east-1:123456789012:execution:run-sync:load-abc";

/** A `*StateExited` history event, as GetExecutionHistory returns it. */
function exited(id: number, name: string, output: unknown) {
  return {
    id,
    timestamp: new Date(0),
    type: "TaskStateExited" as const,
    stateExitedEventDetails: { name, output: JSON.stringify(output) },
  };
}

describe("SfnExecutionHistory", () => {
  it("reads every page with execution data and returns the named state's outputs, oldest first", async () => {
    sfn
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: undefined })
      .resolves({
        events: [
          { id: 1, timestamp: new Date(0), type: "ExecutionStarted" },
          exited(5, START_SYNC_STATE, { start: { pending: true } }),
          exited(9, "Check status", { check: {} }),
        ],
        nextToken: "page-2",
      })
      .on(GetExecutionHistoryCommand, { executionArn: ARN, nextToken: "page-2" })
      .resolves({ events: [exited(20, START_SYNC_STATE, { start: { execution_id: "e-1" } })] });
    const outputs = await new SfnExecutionHistory(new SFNClient({})).stateOutputs(
      ARN,
      START_SYNC_STATE,
    );
    expect(outputs).toEqual([{ start: { pending: true } }, { start: { execution_id: "e-1" } }]);
    const calls = sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);
    expect(calls).toEqual([
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true },
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true, nextToken: "page-2" },
    ]);
  });

  it("throttling is retryable (Aws.Throttled); a missing execution or denied read is permanent", async () => {
    const history = new SfnExecutionHistory(new SFNClient({}));
    const cases: Array<[Error, string]> = [
      [
        Object.assign(new Error("Rate exceeded"), {
          name: "ThrottlingException",
          $metadata: { httpStatusCode: 400 },
        }),
        "Aws.Throttled",
      ],
      [
        Object.assign(new Error("no such execution"), {
          name: "ExecutionDoesNotExist",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
        }),
        "Config.Invalid",
      ],
      [
        Object.assign(new Error("not authorized"), {
          name: "AccessDeniedException",
          $fault: "client",
          $metadata: { httpStatusCode: 400 },
        }),
        "Config.Invalid",
      ],
    ];
    for (const [error, name] of cases) {
      sfn.reset();
      sfn.on(GetExecutionHistoryCommand).rejects(error);
      await expect(history.stateOutputs(ARN, START_SYNC_STATE)).rejects.toMatchObject({
        name,
        message: expect.stringContaining(ARN),
      });
    }
  });
});
