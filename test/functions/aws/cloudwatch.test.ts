import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { CloudWatchMetricsSink, sharedCloudWatchClient } from "../../../functions/aws/cloudwatch";

const cw = mockClient(CloudWatchClient);
afterEach(() => cw.reset());

const datum = {
  MetricName: "Duration",
  Unit: "Seconds",
  Value: 1,
  Timestamp: new Date(0),
  Dimensions: [{ Name: "Pipeline", Value: "nightly" }],
};

function throttled(): Error {
  return Object.assign(new Error("Rate exceeded"), {
    name: "ThrottlingException",
    $metadata: { httpStatusCode: 400 },
  });
}

describe("CloudWatchMetricsSink", () => {
  it("the shared client leaves retries to the sink (SDK maxAttempts 1)", async () => {
    expect(await sharedCloudWatchClient().config.maxAttempts()).toBe(1);
  });

  it("retries throttling a bounded number of times, then throws", async () => {
    cw.on(PutMetricDataCommand).rejects(throttled());
    const waits: number[] = [];
    const sink = new CloudWatchMetricsSink(new CloudWatchClient({ region: "us-east-1" }), {
      sleep: async (ms) => {
        waits.push(ms);
      },
    });
    await expect(sink.put([datum], "Polytomic")).rejects.toThrow(/Rate exceeded/);
    expect(cw.commandCalls(PutMetricDataCommand)).toHaveLength(4);
    expect(waits).toEqual([200, 400, 800]);
  });
});
