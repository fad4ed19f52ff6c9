/**
 * Gathers the deployed end-to-end check's evidence through the AWS APIs and the simulator's
 * state endpoint; e2e/checks.ts judges it. The clients are injected (the driver's real
 * ones, aws-sdk-client-mock in tests).
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  type MetricDataResult,
} from "@aws-sdk/client-cloudwatch";
import { ListObjectsV2Command, type S3Client } from "@aws-sdk/client-s3";
import { DescribeExecutionCommand, type HistoryEvent, type SFNClient } from "@aws-sdk/client-sfn";
import { readHistory } from "../functions/aws/sfn-history";
import { PIPELINE_STATES } from "../lib/constructs/pipeline-state-machine";
import { type SimulatorStateView, STATE_PATH } from "../simulator/lambda";
import {
  type ChildEvidence,
  type Evidence,
  metricQueries,
  metricSums,
  type RunEvidence,
  submittedExecutionArn,
  taskEventsOf,
} from "./checks";
import { EXPECTATIONS, type PipelineExpectation } from "./expectations";

export interface Clients {
  sfn: SFNClient;
  s3: S3Client;
  cloudwatch: CloudWatchClient;
}

/** What the two stacks' outputs name. */
export interface Deployment {
  simulatorUrl: string;
  apiKey: string;
  pipelines: Record<string, string>;
  alarmNames: Record<string, string>;
  logsBucket: string;
  logsPrefix: string;
}

export interface StartedRun {
  pipeline: string;
  executionArn: string;
  executionName: string;
}

/** Every event of an execution's history, all pages. */
export async function history(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  return (await readHistory(sfn, executionArn)).events;
}

/** Every key under a prefix, all pages. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }),
    );
    for (const o of page.Contents ?? []) if (o.Key) keys.push(o.Key);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** One pipeline execution: its description, history, gate's history and log keys. */
export async function collectRun(
  clients: Clients,
  deployment: Deployment,
  run: StartedRun,
  expected: PipelineExpectation | undefined,
): Promise<RunEvidence> {
  const describe = await clients.sfn.send(
    new DescribeExecutionCommand({ executionArn: run.executionArn }),
  );
  const events = await history(clients.sfn, run.executionArn);
  let gateHistory: HistoryEvent[] | undefined;
  if (expected?.attach) {
    const gate = PIPELINE_STATES.gate(expected.attach.dependency, expected.attach.step);
    const arn = taskEventsOf(events, gate).map(submittedExecutionArn).find(Boolean);
    gateHistory = arn ? await history(clients.sfn, arn) : [];
  }
  const children = expected?.organizations ? await collectChildren(clients.sfn, events) : undefined;
  const stepExecutions = await collectStepExecutions(clients.sfn, [
    ...(expected ? [{ events, steps: expected.steps }] : []),
    ...Object.values(expected?.organizations ?? {}).flatMap((org) =>
      (children ?? []).map((c) => ({ events: c.history, steps: org.steps })),
    ),
  ]);
  const logKeys = await listKeys(
    clients.s3,
    deployment.logsBucket,
    `${deployment.logsPrefix}/${run.pipeline}/`,
  );
  return {
    pipeline: run.pipeline,
    executionName: run.executionName,
    describe,
    history: events,
    gateHistory,
    logKeys,
    ...(children ? { children } : {}),
    stepExecutions,
  };
}

/**
 * The run-sync executions of the failed steps each history started ("Run <step>"), described:
 * their own error names and messages (the pipeline keeps only a generic `{ Error }`).
 */
export async function collectStepExecutions(
  sfn: SFNClient,
  sources: ReadonlyArray<{ events: readonly HistoryEvent[]; steps: PipelineExpectation["steps"] }>,
): Promise<ChildEvidence[]> {
  const arns = new Set<string>();
  for (const { events, steps } of sources) {
    for (const [step, exp] of Object.entries(steps)) {
      if (exp.status !== "failed") continue;
      for (const chain of taskEventsOf(events, PIPELINE_STATES.run(step))) {
        const arn = submittedExecutionArn(chain);
        if (arn) arns.add(arn);
      }
    }
  }
  const found: ChildEvidence[] = [];
  for (const executionArn of arns) {
    const describe = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    found.push({ executionArn, describe, history: [] });
  }
  return found;
}

/** A fan-out's children: the executions its "Run organization" state started, with their histories. */
export async function collectChildren(
  sfn: SFNClient,
  events: readonly HistoryEvent[],
): Promise<ChildEvidence[]> {
  // Every StartExecution the fan-out submitted: only its "Run organization" task starts
  // executions. Read from the events themselves, not their order: Map iterations interleave.
  const arns = new Set(
    events
      .filter(
        (e) =>
          e.type === "TaskSubmitted" &&
          e.taskSubmittedEventDetails?.resource?.startsWith("startExecution"),
      )
      .map((e) => submittedExecutionArn([e]))
      .filter((arn): arn is string => arn !== undefined),
  );
  const children: ChildEvidence[] = [];
  for (const executionArn of arns) {
    const describe = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    children.push({ executionArn, describe, history: await history(sfn, executionArn) });
  }
  return children;
}

/** Sums of the expected metrics between `start` and `end`. */
export async function collectMetrics(
  cloudwatch: CloudWatchClient,
  start: Date,
  end: Date,
  expectations: Record<string, PipelineExpectation> = EXPECTATIONS,
): Promise<Record<string, number>> {
  const { queries, keys } = metricQueries(expectations);
  const results: MetricDataResult[] = [];
  // GetMetricData takes at most 500 queries a call.
  for (let i = 0; i < queries.length; i += 500) {
    let token: string | undefined;
    do {
      const page = await cloudwatch.send(
        new GetMetricDataCommand({
          MetricDataQueries: queries.slice(i, i + 500),
          StartTime: start,
          EndTime: end,
          NextToken: token,
        }),
      );
      results.push(...(page.MetricDataResults ?? []));
      token = page.NextToken;
    } while (token);
  }
  return metricSums(results, keys);
}

/** The named alarms' current states (DescribeAlarms takes at most 100 names a call). */
export async function collectAlarms(
  cloudwatch: CloudWatchClient,
  names: readonly string[],
): Promise<MetricAlarm[]> {
  const alarms: MetricAlarm[] = [];
  for (let i = 0; i < names.length; i += 100) {
    const page = await cloudwatch.send(
      new DescribeAlarmsCommand({ AlarmNames: names.slice(i, i + 100), MaxRecords: 100 }),
    );
    alarms.push(...(page.MetricAlarms ?? []));
  }
  return alarms;
}

/** The simulator's state (`GET /_e2e/state` on its Function URL, with the key). */
export async function simulatorState(
  deployment: Pick<Deployment, "simulatorUrl" | "apiKey">,
  fetchImpl: typeof fetch = fetch,
): Promise<SimulatorStateView> {
  const res = await fetchImpl(`${deployment.simulatorUrl.replace(/\/+$/, "")}${STATE_PATH}`, {
    headers: { authorization: `Bearer ${deployment.apiKey}` },
  });
  if (!res.ok) throw new Error(`simulator state: HTTP ${res.status}`);
  return (await res.json()) as SimulatorStateView;
}

/** All the evidence, once every run ended. */
export async function collectEvidence(
  clients: Clients,
  deployment: Deployment,
  runs: readonly StartedRun[],
  window: { start: Date; end: Date },
  simulatorBefore: SimulatorStateView,
  readSimulator: () => Promise<SimulatorStateView>,
  expectations: Record<string, PipelineExpectation> = EXPECTATIONS,
): Promise<Evidence> {
  const evidence: RunEvidence[] = [];
  for (const run of runs) {
    evidence.push(await collectRun(clients, deployment, run, expectations[run.pipeline]));
  }
  return {
    runs: evidence,
    metrics: await collectMetrics(clients.cloudwatch, window.start, window.end, expectations),
    alarmNames: deployment.alarmNames,
    alarms: await collectAlarms(clients.cloudwatch, Object.values(deployment.alarmNames)),
    simulatorBefore,
    simulatorAfter: await readSimulator(),
  };
}
