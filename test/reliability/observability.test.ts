/**
 * Guarantee: observability degrades, the pipeline does not. Log export job failures,
 * download errors, S3 errors and CloudWatch throttling are retried, then recorded, and never
 * change a step's outcome. S3 and CloudWatch are the real adapters over aws-sdk-client-mock.
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { S3Client, S3ServiceException } from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { CloudWatchMetricsSink } from "../../functions/aws/cloudwatch";
import { S3LogSink } from "../../functions/aws/s3-sink";
import {
  config,
  type HandlerOptions,
  handlers,
  logRecords,
  runPipeline,
  uuid,
  type World,
  world,
} from "./harness";

let w: World | undefined;
const restores: Array<() => void> = [];
afterEach(async () => {
  for (const r of restores.splice(0)) r();
  await w?.close();
  w = undefined;
});

const BULK = uuid(2);
const MODEL = uuid(1);
const scenario = (bulk = "", faults = "") => `syncs:
  ${BULK}:
    type: bulk
    duration_seconds: 120
${bulk}
  ${MODEL}:
    type: model
    duration_seconds: 120
${faults}`;

const PIPELINE = config(`pipelines:
  p:
    steps:
      - id: load
        bulk_sync: ${BULK}
      - id: push
        model_sync: ${MODEL}
        after: [load]
`);

async function run(scenarioYaml: string, options: HandlerOptions = {}) {
  w = await world(scenarioYaml);
  const h = handlers(w, options);
  const result = await runPipeline(w, h, PIPELINE, "p");
  return { result, h };
}

function expectUnchanged(result: Awaited<ReturnType<typeof run>>["result"]) {
  expect(result.status).toBe("succeeded");
  expect(result.steps.map((s) => [s.id, s.status, s.outcome])).toEqual([
    ["load", "succeeded", "succeeded"],
    ["push", "succeeded", "succeeded"],
  ]);
}

function throttled(): Error {
  return Object.assign(new Error("Rate exceeded"), {
    name: "ThrottlingException",
    $fault: "client",
    $metadata: { httpStatusCode: 400 },
  });
}

describe("observability degrades, the pipeline does not", () => {
  it("the bulk log export job fails: the step succeeds, LogExportFailed is 1", async () => {
    const { result, h } = await run(scenario("    export_outcome: failed"));
    expectUnchanged(result);
    const load = h.sinks.metrics.find((d) =>
      d.some((m) => m.Dimensions.some((x) => x.Value === "load")),
    );
    expect(load?.find((m) => m.MetricName === "LogExportFailed")?.Value).toBe(1);
  });

  it("every log download fails (signed URL 5xx/resets): the step succeeds", async () => {
    const { result } = await run(
      scenario("", "faults:\n  - { endpoint: download, status: 500, times: 50 }"),
    );
    expectUnchanged(result);
  });

  it("the log URLs endpoint keeps failing: the step succeeds", async () => {
    const { result } = await run(
      scenario("", "faults:\n  - { endpoint: logs, status: 503, times: 200 }"),
    );
    expectUnchanged(result);
  });

  it("S3 refuses every upload: the step succeeds, the failure is logged", async () => {
    const s3 = mockClient(S3Client);
    restores.push(() => s3.restore());
    s3.onAnyCommand().rejects(
      new S3ServiceException({
        name: "InternalError",
        $fault: "server",
        $metadata: { httpStatusCode: 500 },
        message: "We encountered an internal error. Please try again.",
      }),
    );
    const { result, h } = await run(scenario(), {
      logs: new S3LogSink(new S3Client({ region: "us-east-1" }), "logs-bucket"),
    });
    expectUnchanged(result);
    expect(s3.calls().length).toBeGreaterThan(0);
    expect(logRecords(h.lines).some((l) => l.level === "warn" || l.level === "error")).toBe(true);
  });

  it("CloudWatch throttles every PutMetricData: retried, recorded, the step succeeds", async () => {
    const cw = mockClient(CloudWatchClient);
    restores.push(() => cw.restore());
    cw.on(PutMetricDataCommand).rejects(throttled());
    w = await world(scenario());
    const world_ = w;
    const h = handlers(w, {
      metrics: new CloudWatchMetricsSink(new CloudWatchClient({ region: "us-east-1" }), {
        sleep: (ms) => world_.clock.sleep(ms),
      }),
    });
    const result = await runPipeline(w, h, PIPELINE, "p");
    expectUnchanged(result);
    // More than one call per step: the sink retried before giving up.
    expect(cw.commandCalls(PutMetricDataCommand).length).toBeGreaterThan(2);
    const notPublished = logRecords(h.lines).filter((l) => l.message === "metrics not published");
    expect(notPublished).toHaveLength(2);
  });

  it("a failing step's observability failing too does not hide its failure", async () => {
    const cw = mockClient(CloudWatchClient);
    restores.push(() => cw.restore());
    cw.on(PutMetricDataCommand).rejects(throttled());
    w = await world(scenario("    outcome: failed\n    export_outcome: failed"));
    const world_ = w;
    const h = handlers(w, {
      metrics: new CloudWatchMetricsSink(new CloudWatchClient({ region: "us-east-1" }), {
        sleep: (ms) => world_.clock.sleep(ms),
      }),
    });
    const result = await runPipeline(w, h, PIPELINE, "p");
    expect(result.status).toBe("failed");
    expect(result.steps[0]?.error?.name).toBe("Sync.Failed");
  });
});
