/**
 * AWS answers for the deployed check's tests, shaped as AWS returns them: one run of the four
 * e2e pipelines that went exactly as EXPECTATIONS say, mocked at the client boundary
 * (aws-sdk-client-mock), with switches to make one thing go wrong (World).
 */
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
} from "@aws-sdk/client-cloudwatch";
import { ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SFNClient,
} from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { expectedMetrics, metricQueries } from "../../e2e/checks";
import type { Clients, Deployment, StartedRun } from "../../e2e/collect";
import { EXPECTATIONS, FINAL_RUN_STATUS } from "../../e2e/expectations";
import { PIPELINE_STATES } from "../../lib/constructs/pipeline-state-machine";
import type { SimulatorStateView } from "../../simulator/lambda";
import type { SimulatorExecution } from "../../simulator/state";

export const ACCOUNT = "arn:aws:states:us-east-1:123456789012";
const RUN_SYNC = `${ACCOUNT}:execution:RunSync1A2B3C`;
export const GATE_ARN = `${ACCOUNT}:execution:WaitForStep4D5E6F:push_hubspot-load_accounts-0cc175b9c0f1b6a831c399e269772661`;
export const CHILD = `${RUN_SYNC}:load_accounts-92eb5ffee6ae2fec3ad71c777531578f`;
export const at = new Date("2026-12-01T15:00:00Z");

/**
 * The single-organization pipelines' expectations: the fan-out's (e2e_partner) rows are
 * judged on the rehearsal's evidence (test/e2e/rehearsal.test.ts), not on mocked answers.
 */
export const SINGLE = Object.fromEntries(
  Object.entries(EXPECTATIONS).filter(([, e]) => e.organizations === undefined),
);

export const runs: StartedRun[] = Object.keys(SINGLE).map((pipeline) => ({
  pipeline,
  executionArn: `${ACCOUNT}:execution:Pipeline-${pipeline}:e2e-20261201150000-${pipeline}`,
  executionName: `e2e-20261201150000-${pipeline}`,
}));
export const arnOf = (pipeline: string) =>
  runs.find((r) => r.pipeline === pipeline)?.executionArn ?? "";

export const ALARM_PATHS = [
  ...Object.entries(SINGLE).flatMap(([p, e]) => [
    `Pipeline-${p}/ExecutionFailed`,
    `Pipeline-${p}/ExecutionTimedOut`,
    ...Object.keys(e.steps).map((s) => `Pipeline-${p}/StepFailed-${s}`),
  ]),
  "DeadLetters-ScheduleFirings",
  "DeadLetters-Cancellations",
];
export const alarmName = (path: string) =>
  `PolytomicE2e-${path.replace(/[^A-Za-z0-9]/g, "")}-1AB2C3D4`;

export const deployment: Deployment = {
  simulatorUrl: "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws",
  apiKey: "sim-key-not-logged",
  pipelines: Object.fromEntries(
    runs.map((r) => [r.pipeline, `${ACCOUNT}:stateMachine:${r.pipeline}`]),
  ),
  alarmNames: Object.fromEntries(ALARM_PATHS.map((p) => [p, alarmName(p)])),
  logsBucket: "polytomice2e-runlogsbucket-abc123",
  logsPrefix: "polytomic-logs",
};

/** A Task state's events as Step Functions chains them (each previousEventId the one before). */
export function taskEvents(
  first: number,
  state: string,
  output: unknown,
  end: "TaskSucceeded" | "TaskFailed",
): HistoryEvent[] {
  const types = ["TaskStateEntered", "TaskScheduled", "TaskStarted", "TaskSubmitted", end];
  return types.map((type, i) => ({
    id: first + i,
    previousEventId: first + i - 1,
    timestamp: at,
    type,
    ...(type === "TaskStateEntered" ? { stateEnteredEventDetails: { name: state } } : {}),
    ...(type === "TaskSubmitted"
      ? {
          taskSubmittedEventDetails: {
            resourceType: "states",
            resource: "startExecution.sync:2",
            output: JSON.stringify(output),
          },
        }
      : {}),
    ...(type === "TaskFailed"
      ? { taskFailedEventDetails: { error: "StepFunctions.ExecutionAlreadyExistsException" } }
      : {}),
  })) as HistoryEvent[];
}

const ok = (extra: Record<string, unknown> = {}) => ({
  status: "succeeded",
  outcome: "succeeded",
  ...extra,
});
export const DESCRIBE: Record<string, DescribeExecutionOutput> = {
  e2e_gate: {
    executionArn: arnOf("e2e_gate"),
    stateMachineArn: deployment.pipelines.e2e_gate,
    status: "SUCCEEDED",
    startDate: at,
    output: JSON.stringify({
      results: {
        load_contacts: ok(),
        load_accounts: ok({ child_execution: CHILD }),
        push_hubspot: ok(),
        push_salesforce: ok(),
      },
    }),
  } as DescribeExecutionOutput,
  e2e_failing: {
    executionArn: arnOf("e2e_failing"),
    stateMachineArn: deployment.pipelines.e2e_failing,
    status: "FAILED",
    startDate: at,
    error: "Pipeline.StepsFailed",
    cause: JSON.stringify({
      load_orders: {
        status: "failed",
        outcome: "failed",
        error: { Error: "Sync.Failed", Cause: "bulk sync failed" },
      },
      push_orders: { status: "skipped", outcome: "skipped" },
    }),
  } as DescribeExecutionOutput,
  e2e_timeout: {
    executionArn: arnOf("e2e_timeout"),
    stateMachineArn: deployment.pipelines.e2e_timeout,
    status: "FAILED",
    startDate: at,
    error: "Pipeline.StepsFailed",
    // The other reading of a failed child: a generic error, the child's in the cause.
    cause: JSON.stringify({
      load_events: {
        status: "failed",
        outcome: "failed",
        error: {
          Error: "States.TaskFailed",
          Cause: JSON.stringify({ Error: "Sync.TimedOut", Cause: "ran past 60s" }),
        },
      },
    }),
  } as DescribeExecutionOutput,
  e2e_abort: {
    executionArn: arnOf("e2e_abort"),
    stateMachineArn: deployment.pipelines.e2e_abort,
    status: "ABORTED",
    startDate: at,
    error: "E2E.Aborted",
  } as DescribeExecutionOutput,
};

export function execution(syncId: string, status: string): SimulatorExecution {
  const terminal = ["completed", "failed", "canceled"].includes(status);
  return {
    id: `x-${syncId}`,
    syncId,
    syncType: "bulk",
    status,
    terminal,
    createdAt: 0,
    startedAt: 1,
    completedAt: terminal ? 2 : null,
    cancelRequestedAt: null,
    history: false,
  } as SimulatorExecution;
}
const OWNER = "e2e00000-0000-4000-8000-0000000000a0";
export const SYNC_IDS = [...Object.keys(FINAL_RUN_STATUS), "e2e00000-0000-4000-8000-000000000006"];
export function simulator(
  instance: string,
  statuses: Record<string, string> = FINAL_RUN_STATUS,
): SimulatorStateView {
  return {
    instance,
    started_at: at.toISOString(),
    executions: Object.entries(statuses).map(([id, s]) => execution(id, s)),
    start_counts: Object.fromEntries(SYNC_IDS.map((id) => [id, statuses[id] ? 1 : 0])),
    sync_organizations: Object.fromEntries(SYNC_IDS.map((id) => [id, OWNER])),
    starts: Object.keys(statuses).map((id) => ({
      endpoint: "start",
      sync_id: id,
      as: OWNER,
      scheme: "basic",
      status: 200,
      count: 1,
    })),
    calls: [{ endpoint: "organizations", as: "partner", scheme: "bearer", status: 200, count: 1 }],
  };
}
export const BEFORE = simulator("7f9c2ba4-e88f-4a1c-b8e2-3c4f0e5d6a7b", {});

export interface World {
  attach: "TaskSucceeded" | "TaskFailed";
  logSteps: Record<string, string[]>;
  metricsOverride: Record<string, number[]>;
  alarmStates: Record<string, MetricAlarm["StateValue"]>;
}

export const sfn = mockClient(SFNClient);
export const s3 = mockClient(S3Client);
export const cloudwatch = mockClient(CloudWatchClient);
/** Clears the mocks' answers and recorded calls (call in afterEach). */
export function resetAws(): void {
  sfn.reset();
  s3.reset();
  cloudwatch.reset();
}

export function mockAws(world: Partial<World> = {}): Clients {
  for (const [pipeline, describe] of Object.entries(DESCRIBE)) {
    sfn.on(DescribeExecutionCommand, { executionArn: arnOf(pipeline) }).resolves(describe);
    sfn.on(GetExecutionHistoryCommand, { executionArn: arnOf(pipeline) }).resolves({
      events: [{ id: 1, timestamp: at, type: "ExecutionStarted" }],
    });
  }
  // The gate pipeline's history comes in two pages; its gate's Attach is on the second.
  sfn.on(GetExecutionHistoryCommand, { executionArn: arnOf("e2e_gate") }).resolves({
    events: [{ id: 1, timestamp: at, type: "ExecutionStarted" }],
    nextToken: "page-2",
  });
  sfn
    .on(GetExecutionHistoryCommand, { executionArn: arnOf("e2e_gate"), nextToken: "page-2" })
    .resolves({
      events: taskEvents(
        20,
        PIPELINE_STATES.gate("load_accounts", "push_hubspot"),
        { ExecutionArn: GATE_ARN, StartDate: at.toISOString() },
        "TaskSucceeded",
      ),
    });
  sfn.on(GetExecutionHistoryCommand, { executionArn: GATE_ARN }).resolves({
    events: [
      { id: 1, timestamp: at, type: "ExecutionStarted" },
      ...taskEvents(
        8,
        "Attach",
        { ExecutionArn: CHILD, StartDate: at.toISOString() },
        world.attach ?? "TaskSucceeded",
      ),
    ],
  });
  const logSteps = world.logSteps ?? {
    e2e_gate: ["load_contacts", "load_accounts", "push_hubspot", "push_salesforce"],
    e2e_failing: ["load_orders"],
    e2e_timeout: ["load_events"],
  };
  for (const r of runs) {
    const keys = (logSteps[r.pipeline] ?? []).map(
      (step) =>
        `polytomic-logs/${r.pipeline}/2026-12-01/${r.executionName}/${step}/logs-archive.json.gz`,
    );
    s3.on(ListObjectsV2Command, { Prefix: `polytomic-logs/${r.pipeline}/` }).resolves({
      IsTruncated: false,
      KeyCount: keys.length,
      Contents: keys.map((Key) => ({ Key, Size: 2048, LastModified: at })),
    });
  }
  const { queries, keys } = metricQueries(SINGLE);
  const expected = new Map(
    Object.entries(SINGLE).flatMap(([pipeline, exp]) =>
      expectedMetrics(pipeline, exp).map((m) => [m.sumKey, m.value]),
    ),
  );
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: queries.map((q) => {
      const key = keys[q.Id ?? ""] ?? "";
      const values = world.metricsOverride?.[key] ?? [expected.get(key) ?? 0];
      return {
        Id: q.Id,
        Label: q.Id,
        StatusCode: "Complete",
        Timestamps: values.map(() => at),
        Values: values,
      };
    }),
  });
  const firing = new Set(Object.values(SINGLE).flatMap((e) => e.alarms_in_alarm));
  cloudwatch.on(DescribeAlarmsCommand).resolves({
    MetricAlarms: ALARM_PATHS.map((p) => ({
      AlarmName: alarmName(p),
      StateValue: world.alarmStates?.[p] ?? (firing.has(p) ? "ALARM" : "OK"),
    })),
  });
  return {
    sfn: sfn as unknown as SFNClient,
    s3: s3 as unknown as S3Client,
    cloudwatch: cloudwatch as unknown as CloudWatchClient,
  };
}
