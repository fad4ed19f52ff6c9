/**
 * AWS answers for the deployed check's tests, shaped as AWS returns them: one run of the four
 * e2e pipelines that went exactly as EXPECTATIONS say, mocked at the client boundary
 * (aws-sdk-client-mock), with switches to make one thing go wrong (World).
 */

import { readFileSync } from "node:fs";
import { join } from "node:path";
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
import {
  expectedMetrics,
  metricQueries,
  organizationChildName,
  organizationSumKey,
} from "../../e2e/checks";
import type { Clients, Deployment, StartedRun } from "../../e2e/collect";
import {
  EXPECTATIONS,
  FINAL_RUN_STATUS,
  type OrganizationExpectation,
} from "../../e2e/expectations";
import { FAN_OUT_STATES } from "../../lib/constructs/fan-out";
import { PIPELINE_STATES } from "../../lib/constructs/pipeline-state-machine";
import type { SimulatorStateView } from "../../simulator/lambda";
import { parseScenario } from "../../simulator/scenario";
import type { SimulatorExecution } from "../../simulator/state";

export const ACCOUNT = "arn:aws:states:us-east-1:123456789012";
const RUN_SYNC = `${ACCOUNT}:execution:RunSync1A2B3C`;
export const GATE_ARN = `${ACCOUNT}:execution:WaitForStep4D5E6F:push_hubspot-load_accounts-0cc175b9c0f1b6a831c399e269772661`;
export const CHILD = `${RUN_SYNC}:load_accounts-92eb5ffee6ae2fec3ad71c777531578f`;
export const at = new Date("2026-12-01T15:00:00Z");

export const runs: StartedRun[] = Object.keys(EXPECTATIONS).map((pipeline) => ({
  pipeline,
  executionArn: `${ACCOUNT}:execution:Pipeline-${pipeline}:e2e-20261201150000-${pipeline}`,
  executionName: `e2e-20261201150000-${pipeline}`,
}));
export const arnOf = (pipeline: string) =>
  runs.find((r) => r.pipeline === pipeline)?.executionArn ?? "";

export const ALARM_PATHS = [
  ...Object.entries(EXPECTATIONS).flatMap(([p, e]) => [
    `Pipeline-${p}/ExecutionFailed`,
    `Pipeline-${p}/ExecutionTimedOut`,
    ...Object.keys(e.steps).map((s) => `Pipeline-${p}/StepFailed-${s}`),
    ...e.alarms_in_alarm.filter((a) => a.includes("/StepFailed-")),
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
  failError = "StepFunctions.ExecutionAlreadyExistsException",
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
    ...(type === "TaskFailed" ? { taskFailedEventDetails: { error: failError } } : {}),
  })) as HistoryEvent[];
}

const ok = (extra: Record<string, unknown> = {}) => ({
  status: "succeeded",
  outcome: "succeeded",
  ...extra,
});
/** A failed pipeline's Fail cause (lib/constructs/pipeline-state-machine.ts FAILURE_CAUSE). */
const stepsFailedCause = (failures: Record<string, string>) =>
  `Failed steps and their errors (details in the step results and child executions): ${JSON.stringify(failures)}`;

function failedPipeline(
  pipeline: string,
  failures: Record<string, string>,
): DescribeExecutionOutput {
  return {
    executionArn: arnOf(pipeline),
    stateMachineArn: deployment.pipelines[pipeline],
    status: "FAILED",
    startDate: at,
    error: "Pipeline.StepsFailed",
    cause: stepsFailedCause(failures),
  } as DescribeExecutionOutput;
}

/**
 * A failed step as the pipeline records it: the `.sync:2` child's failure wrapped as
 * States.TaskFailed, its Cause dropped (the run-sync execution has the rest).
 */
const failedStep = { status: "failed", outcome: "failed", error: { Error: "States.TaskFailed" } };
const skipped = { status: "skipped", outcome: "skipped" };

/** A step's run-sync execution (the one its "Run <step>" task started). */
export const runSyncArn = (step: string, organization = "") =>
  `${RUN_SYNC}:${step}-${organization.slice(-4)}0123456789abcdef0123456789ab`;

/**
 * A failed execution's history as the checks read it: the failure summary entered with the
 * step results, and each failed step's "Run <step>" task with its run-sync execution's ARN.
 */
export function failedHistory(
  results: Record<string, unknown>,
  runSyncs: Record<string, string>,
): HistoryEvent[] {
  const tasks = Object.entries(runSyncs).flatMap(([step, arn], i) =>
    taskEvents(
      100 + 10 * i,
      PIPELINE_STATES.run(step),
      { ExecutionArn: arn, StartDate: at.toISOString() },
      "TaskFailed",
      "States.TaskFailed",
    ),
  );
  return [
    { id: 1, timestamp: at, type: "ExecutionStarted" },
    ...tasks,
    {
      id: 900,
      previousEventId: 899,
      timestamp: at,
      type: "PassStateEntered",
      stateEnteredEventDetails: {
        name: PIPELINE_STATES.summarize,
        input: JSON.stringify({ results, failures: {} }),
      },
    },
  ];
}

/** A run-sync execution that failed with the handlers' error. */
function runSyncFailed(
  arn: string,
  input: Record<string, string>,
  error: string,
  cause: string,
): DescribeExecutionOutput {
  return {
    executionArn: arn,
    status: "FAILED",
    startDate: at,
    input: JSON.stringify(input),
    error,
    cause,
  } as DescribeExecutionOutput;
}

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
  e2e_failing: failedPipeline("e2e_failing", { load_orders: "States.TaskFailed" }),
  e2e_timeout: failedPipeline("e2e_timeout", { load_events: "States.TaskFailed" }),
  e2e_abort: {
    executionArn: arnOf("e2e_abort"),
    stateMachineArn: deployment.pipelines.e2e_abort,
    status: "ABORTED",
    startDate: at,
    error: "E2E.Aborted",
  } as DescribeExecutionOutput,
};

/** The single-organization failed pipelines: their histories and run-sync executions. */
const FAILED_RUNS: Record<
  string,
  { results: Record<string, unknown>; runSyncs: DescribeExecutionOutput[] }
> = {
  e2e_failing: {
    results: { load_orders: failedStep, push_orders: skipped },
    runSyncs: [
      runSyncFailed(
        runSyncArn("load_orders"),
        { pipeline: "e2e_failing", step: "load_orders" },
        "Sync.Failed",
        "bulk sync execution failed. Polytomic: Simulated failure",
      ),
    ],
  },
  e2e_timeout: {
    results: { load_events: failedStep },
    runSyncs: [
      runSyncFailed(
        runSyncArn("load_events"),
        { pipeline: "e2e_timeout", step: "load_events" },
        "Sync.TimedOut",
        "ran past 60s",
      ),
    ],
  },
};

/** e2e_partner's per-organization machine's executions. */
const ORG_MACHINE = `${ACCOUNT}:execution:PipelineE2ePartnerOrg7G8H9I`;
const PARTNER = EXPECTATIONS.e2e_partner?.organizations ?? {};
const partnerName = runs.find((r) => r.pipeline === "e2e_partner")?.executionName ?? "";
export const childArn = (organization: string) =>
  `${ORG_MACHINE}:${organizationChildName("e2e_partner", partnerName, organization)}`;

/** One organization of e2e_partner: its child's description and history, its run-syncs'. */
function partnerOrganization(id: string, org: OrganizationExpectation) {
  const input = { organization_id: id, organization_name: org.name };
  const results = Object.fromEntries(
    Object.entries(org.steps).map(([step, e]) => [
      step,
      e.status === "failed" ? failedStep : e.status === "skipped" ? skipped : ok(),
    ]),
  );
  const failed = Object.entries(org.steps).filter(([, e]) => e.status === "failed");
  const runSyncs = failed.map(([step, e]) =>
    runSyncFailed(
      runSyncArn(step, id),
      { pipeline: "e2e_partner", step, ...input },
      e.error ?? "",
      `${e.error}: in organization ${org.name} (${id})`,
    ),
  );
  const describe = {
    executionArn: childArn(id),
    status: org.status,
    startDate: at,
    input: JSON.stringify(input),
    ...(org.status === "SUCCEEDED"
      ? { output: JSON.stringify({ results }) }
      : {
          error: "Pipeline.StepsFailed",
          cause: stepsFailedCause(
            Object.fromEntries(failed.map(([st]) => [st, "States.TaskFailed"])),
          ),
        }),
  } as DescribeExecutionOutput;
  const history =
    org.status === "SUCCEEDED"
      ? [{ id: 1, timestamp: at, type: "ExecutionStarted" } as HistoryEvent]
      : failedHistory(
          results,
          Object.fromEntries(failed.map(([step]) => [step, runSyncArn(step, id)])),
        );
  return { describe, history, runSyncs };
}

DESCRIBE.e2e_partner = {
  executionArn: arnOf("e2e_partner"),
  stateMachineArn: deployment.pipelines.e2e_partner,
  status: "FAILED",
  startDate: at,
  error: "Pipeline.OrganizationsFailed",
  cause: `2 of 3 organizations failed (the first 25 at most; each organization's result is in the Map's output, its steps in its child execution): ${JSON.stringify(
    Object.entries(PARTNER)
      .filter(([, o]) => o.status === "FAILED")
      .map(([id, o]) => ({ id, name: o.name, status: "failed", error: "Pipeline.StepsFailed" })),
  )}`,
} as DescribeExecutionOutput;

/** The fan-out's history: one "Run organization" task per organization (Map iterations). */
function partnerHistory(): HistoryEvent[] {
  return [
    { id: 1, timestamp: at, type: "ExecutionStarted" },
    ...Object.entries(PARTNER).flatMap(([id, o], i) =>
      taskEvents(
        10 + 10 * i,
        FAN_OUT_STATES.run,
        { ExecutionArn: childArn(id), StartDate: at.toISOString() },
        o.status === "SUCCEEDED" ? "TaskSucceeded" : "TaskFailed",
        "Pipeline.StepsFailed",
      ),
    ),
  ];
}

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
/** Each sync's organization, as the scenario has it (the default organization's included). */
const SCENARIO = parseScenario(
  readFileSync(join(import.meta.dirname, "..", "..", "e2e", "scenario.yaml"), "utf8"),
);
export const ORGANIZATION_OF: Record<string, string> = Object.fromEntries(
  Object.entries(SCENARIO.syncs).map(([id, sync]) => [
    id,
    sync.organization_id ?? SCENARIO.organization_id ?? "",
  ]),
);
export const SYNC_IDS = Object.keys(SCENARIO.syncs);
export function simulator(
  instance: string,
  statuses: Record<string, string> = FINAL_RUN_STATUS,
): SimulatorStateView {
  return {
    instance,
    started_at: at.toISOString(),
    executions: Object.entries(statuses).map(([id, s]) => execution(id, s)),
    start_counts: Object.fromEntries(SYNC_IDS.map((id) => [id, statuses[id] ? 1 : 0])),
    sync_organizations: ORGANIZATION_OF,
    starts: Object.keys(statuses).map((id) => ({
      endpoint: "start",
      sync_id: id,
      idempotency_key: `start-${id.slice(-4)}-0`,
      as: ORGANIZATION_OF[id] ?? "",
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
  /** A fan-out child's input, by organization id (a child started for another one). */
  childInput: Record<string, string>;
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

/** Answers DescribeExecution and GetExecutionHistory for one execution. */
function mockExecution(
  describe: DescribeExecutionOutput | undefined,
  events: HistoryEvent[],
): void {
  if (!describe) throw new Error("no such execution in the world");
  const executionArn = describe.executionArn;
  sfn.on(DescribeExecutionCommand, { executionArn }).resolves(describe);
  sfn.on(GetExecutionHistoryCommand, { executionArn }).resolves({ events });
}

export function mockAws(world: Partial<World> = {}): Clients {
  for (const describe of Object.values(DESCRIBE)) {
    mockExecution(describe, [{ id: 1, timestamp: at, type: "ExecutionStarted" }]);
  }
  for (const [pipeline, failed] of Object.entries(FAILED_RUNS)) {
    const runSyncs = Object.fromEntries(
      failed.runSyncs.map((d) => [JSON.parse(d.input ?? "{}").step, d.executionArn ?? ""]),
    );
    mockExecution(DESCRIBE[pipeline], failedHistory(failed.results, runSyncs));
    for (const d of failed.runSyncs) mockExecution(d, []);
  }
  mockExecution(DESCRIBE.e2e_partner, partnerHistory());
  for (const [id, org] of Object.entries(PARTNER)) {
    const o = partnerOrganization(id, org);
    mockExecution(
      world.childInput?.[id] ? { ...o.describe, input: world.childInput[id] } : o.describe,
      o.history,
    );
    for (const d of o.runSyncs) mockExecution(d, []);
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
  // e2e_partner's logs are under each child's name.
  const childSteps = Object.entries(PARTNER).flatMap(([id, o]) =>
    Object.entries(o.steps)
      .filter(([, e]) => e.logs)
      .map(([step]) => `${childArn(id).split(":").at(-1)}/${step}`),
  );
  for (const r of runs) {
    const keys = [
      ...(logSteps[r.pipeline] ?? []).map((step) => `${r.executionName}/${step}`),
      ...(r.pipeline === "e2e_partner" ? childSteps : []),
    ].map((path) => `polytomic-logs/${r.pipeline}/2026-12-01/${path}/logs-archive.json.gz`);
    s3.on(ListObjectsV2Command, { Prefix: `polytomic-logs/${r.pipeline}/` }).resolves({
      IsTruncated: false,
      KeyCount: keys.length,
      Contents: keys.map((Key) => ({ Key, Size: 2048, LastModified: at })),
    });
  }
  const { queries, keys } = metricQueries();
  const expected = new Map(
    Object.entries(EXPECTATIONS).flatMap(([pipeline, exp]) => [
      ...expectedMetrics(pipeline, exp).map((m): [string, number[]] => [m.sumKey, [m.value]]),
      // Published only on a failure: an organization without one has no datapoint.
      ...Object.entries(exp.organizations ?? {}).map(([id, o]): [string, number[]] => [
        organizationSumKey(pipeline, id),
        o.step_failures ? [o.step_failures] : [],
      ]),
    ]),
  );
  cloudwatch.on(GetMetricDataCommand).resolves({
    MetricDataResults: queries.map((q) => {
      const key = keys[q.Id ?? ""] ?? "";
      const values = world.metricsOverride?.[key] ?? expected.get(key) ?? [0];
      return {
        Id: q.Id,
        Label: q.Id,
        StatusCode: "Complete",
        Timestamps: values.map(() => at),
        Values: values,
      };
    }),
  });
  const firing = new Set(Object.values(EXPECTATIONS).flatMap((e) => e.alarms_in_alarm));
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
