import * as sqs from "aws-cdk-lib/aws-sqs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { describe, expect, it } from "vitest";
import { maxGapSeconds } from "../../../lib/asl/schedule-window";
import { parsePipelinesConfig } from "../../../lib/config/load";
import { PipelineSchedule } from "../../../lib/constructs/pipeline-schedule";
import { unbundledStack } from "../helpers";

const cron = (expr: string) => ({ cron: expr, timezone: "UTC", expression: "cron(...)" });

describe("maxGapSeconds", () => {
  it("reads rates, as the pipelines file writes them", () => {
    const loaded = parsePipelinesConfig(
      "pipelines:\n  p:\n    schedule: { rate: 15 minutes }\n    steps:\n      - { id: a, model_sync: 9f1c0d2e-0000-4000-8000-000000000001 }\n",
      "pipelines.yaml",
    );
    const schedule = loaded.pipelines[0]?.schedule;
    expect(schedule?.rate).toBe("15 minutes");
    expect(maxGapSeconds(schedule as NonNullable<typeof schedule>)).toBe(900);
    expect(maxGapSeconds({ timezone: "UTC", expression: "rate(1 day)" })).toBe(86400);
  });

  it("finds the longest gap of a cron", () => {
    expect(maxGapSeconds(cron("0 2 * * *"))).toBe(86400);
    expect(maxGapSeconds(cron("0 2 * * 1-5"))).toBe(3 * 86400); // Friday to Monday
    expect(maxGapSeconds(cron("*/15 9-17 * * MON-FRI"))).toBe(
      (48 + 6.25 + 9) * 3600, // Fri 17:45 to Mon 09:00
    );
    expect(maxGapSeconds(cron("30 6,18 * * *"))).toBe(12 * 3600);
  });

  it("measures sparse schedules over whole years", () => {
    expect(maxGapSeconds(cron("0 0 1 * *"))).toBe(31 * 86400); // monthly: 1 Jan to 1 Feb
    expect(maxGapSeconds(cron("0 0 1,15 * *"))).toBe(17 * 86400); // 15 Jan to 1 Feb
    expect(maxGapSeconds(cron("0 0 * 1-6 *"))).toBe(185 * 86400); // 30 June to 1 January
  });

  it("counts the firing Scheduler skips when clocks go forward", () => {
    // 10 March 2024, New York: 02:00 does not exist, so 9 March 02:00 EST is followed by
    // 11 March 02:00 EDT, 47 hours later (Scheduler user guide, daylight savings time).
    const newYork = { ...cron("0 2 * * *"), timezone: "America/New_York" };
    expect(maxGapSeconds(newYork)).toBe(47 * 3600);
  });

  it("gives up on schedules it cannot measure", () => {
    expect(maxGapSeconds(cron("0 2 30 2 *"))).toBeUndefined(); // never fires
    expect(maxGapSeconds(cron("bad"))).toBeUndefined();
  });
});

describe("PipelineSchedule", () => {
  it("rejects a retry count Scheduler does not accept", () => {
    const stack = unbundledStack();
    expect(
      () =>
        new PipelineSchedule(stack, "S", {
          pipelineName: "nightly",
          schedule: cron("0 2 * * *"),
          stateMachine: sfn.StateMachine.fromStateMachineName(stack, "M", "m"),
          deadLetterQueue: new sqs.Queue(stack, "Q"),
          retryAttempts: 200,
        }),
    ).toThrow(/retryAttempts must be an integer from 0 to 185, got 200/);
  });
});
