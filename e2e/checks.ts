/**
 * The deployed end-to-end check's assertions: pure functions from what the AWS APIs (and
 * the simulator's state endpoint) answered to pass/fail rows. e2e/collect.ts gathers the
 * answers; scripts/e2e-aws.ts prints the rows.
 */
import { createHash } from "node:crypto";
import type { MetricAlarm, MetricDataQuery, MetricDataResult } from "@aws-sdk/client-cloudwatch";
import type { DescribeExecutionOutput, HistoryEvent } from "@aws-sdk/client-sfn";
import { startedExecutionArn } from "../functions/aws/sfn-history";
import {
  type DimensionValues,
  isStepMetric,
  METRIC_NAMESPACE,
  METRICS,
  type MetricKey,
  metricDimensions,
  ORGANIZATION_DIMENSIONS,
  ORGANIZATION_METRICS,
} from "../functions/core/metrics";
import { PIPELINE_STATES } from "../lib/constructs/pipeline-state-machine";
import { WAIT_FOR_STEP_STATES } from "../lib/constructs/wait-for-step-state-machine";
import type { CallView, SimulatorStateView } from "../simulator/lambda";
import {
  EXPECTATIONS,
  FINAL_RUN_STATUS,
  type OrganizationExpectation,
  type PipelineExpectation,
} from "./expectations";

export interface CheckRow {
  check: string;
  pass: boolean;
  detail: string;
}

/** Everything gathered about one pipeline execution. */
export interface RunEvidence {
  pipeline: string;
  executionName: string;
  describe: DescribeExecutionOutput;
  history: HistoryEvent[];
  /** The history of the gate's wait-for-step execution (pipelines with `attach`). */
  gateHistory?: HistoryEvent[];
  /** S3 keys under `<logs prefix>/<pipeline>/`. */
  logKeys: string[];
  /** A fan-out's children: every execution its "Run organization" states started. */
  children?: ChildEvidence[];
  /**
   * The run-sync executions of the failed steps (of the pipeline, or of a fan-out's
   * children): a failed step's result keeps only a generic `{ Error }`, its own error
   * name and message are its run-sync execution's.
   */
  stepExecutions?: ChildEvidence[];
}

/** One child execution of a fan-out (DescribeExecution's answer). */
export interface ChildEvidence {
  executionArn: string;
  describe: DescribeExecutionOutput;
  history: HistoryEvent[];
}

export interface Evidence {
  runs: RunEvidence[];
  /** Sum per metricSumKey: `<pipeline>/<step>/<key>` or `<pipeline>/<key>` (metricSums). */
  metrics: Record<string, number>;
  /** Alarm name by path below Monitoring (the stack's Alarms outputs). */
  alarmNames: Record<string, string>;
  alarms: MetricAlarm[];
  /** The simulator's state when the runs started, and after everything ended. */
  simulatorBefore: SimulatorStateView;
  simulatorAfter: SimulatorStateView;
}

interface StepRecord {
  status?: unknown;
  error?: unknown;
  child_execution?: unknown;
}

/**
 * The pipeline's step results: its output's `results` (succeeded), or, when it failed, the
 * `results` of the state the pipeline's failure summary was entered with (its
 * PassStateEntered event): the Fail cause lists only each failed step's error name
 * (lib/constructs/pipeline-state-machine.ts FAILURE_CAUSE).
 */
export function stepResults(
  describe: DescribeExecutionOutput,
  history: readonly HistoryEvent[] = [],
): Record<string, StepRecord> {
  const summary = history.findLast(
    (e) => e.stateEnteredEventDetails?.name === PIPELINE_STATES.summarize,
  )?.stateEnteredEventDetails?.input;
  const text = describe.status === "SUCCEEDED" ? describe.output : summary;
  try {
    const results = (JSON.parse(text ?? "") as { results?: unknown }).results;
    return typeof results === "object" && results !== null
      ? (results as Record<string, StepRecord>)
      : {};
  } catch {
    return {};
  }
}

/**
 * A failed step's error name. The pipeline records the caught child failure as
 * `{ Error, Cause }`; whether Step Functions reports the child's own error name there or
 * `States.TaskFailed` with the child's description as Cause is not something the check
 * depends on: it takes the child's name from the Cause when the Error is generic.
 */
export function errorName(error: unknown): string | undefined {
  if (typeof error !== "object" || error === null) return undefined;
  const { Error: name, Cause: cause, name: own } = error as Record<string, unknown>;
  if (typeof own === "string") return own;
  if (name !== "States.TaskFailed" || typeof cause !== "string") {
    return typeof name === "string" ? name : undefined;
  }
  try {
    const inner = JSON.parse(cause) as Record<string, unknown>;
    const found = inner.Error ?? inner.error;
    return typeof found === "string" ? found : name;
  } catch {
    return name;
  }
}

const row = (check: string, pass: boolean, detail: string): CheckRow => ({ check, pass, detail });

/** The execution's status and each step's status and error name. */
export function checkOutcome(expected: PipelineExpectation, run: RunEvidence): CheckRow[] {
  const p = run.pipeline;
  const rows = [
    row(
      `${p}: execution ${expected.status}`,
      run.describe.status === expected.status,
      `status ${run.describe.status ?? "unknown"}${run.describe.error ? ` (${run.describe.error})` : ""}`,
    ),
  ];
  if (expected.error !== undefined) {
    rows.push(
      row(
        `${p}: error ${expected.error}`,
        run.describe.error === expected.error,
        run.describe.error ?? "no error",
      ),
    );
  }
  const results = stepResults(run.describe, run.history);
  rows.push(...checkSteps(p, expected.steps, results, (step) => stepExecution(run, step)));
  return rows;
}

/** The run-sync execution of `step` (in `organization`, for a fan-out) among the evidence's. */
export function stepExecution(
  run: RunEvidence,
  step: string,
  organization?: string,
): ChildEvidence | undefined {
  return run.stepExecutions?.find((e) => {
    const input = inputOf(e);
    return input.step === step && input.organization_id === organization;
  });
}

/**
 * A step's error name: its result's, unless that is the generic States.TaskFailed
 * wrapper without the child's error (the pipeline keeps no Cause): then its run-sync
 * execution's own error.
 */
function stepErrorName(got: StepRecord | undefined, execution: ChildEvidence | undefined) {
  const name = errorName(got?.error);
  return name === "States.TaskFailed" && execution?.describe.error
    ? execution.describe.error
    : name;
}

/** Each step's status and error name, from an execution's results. */
function checkSteps(
  where: string,
  steps: PipelineExpectation["steps"],
  results: Record<string, StepRecord>,
  executionOf: (step: string) => ChildEvidence | undefined,
): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const [step, exp] of Object.entries(steps)) {
    const got = results[step];
    const name = stepErrorName(got, executionOf(step));
    const pass = got?.status === exp.status && (exp.error === undefined || name === exp.error);
    rows.push(
      row(
        `${where}/${step}: ${exp.status}${exp.error ? ` (${exp.error})` : ""}`,
        pass,
        got ? `${String(got.status)}${name ? ` (${name})` : ""}` : "no result",
      ),
    );
  }
  return rows;
}

/** Each step that ran has log files in S3 (`<prefix>/<pipeline>/<date>/<execution>/<step>/`). */
export function checkLogs(expected: PipelineExpectation, run: RunEvidence): CheckRow[] {
  return stepLogs(run.pipeline, expected.steps, run.executionName, run.logKeys);
}

/** Log rows of the steps of one execution (a pipeline's, or a fan-out child's). */
function stepLogs(
  where: string,
  steps: PipelineExpectation["steps"],
  executionName: string,
  logKeys: readonly string[],
): CheckRow[] {
  return Object.entries(steps).map(([step, exp]) => {
    const marker = `/${executionName}/${step}/`;
    const count = logKeys.filter((k) => k.includes(marker)).length;
    return row(
      `${where}/${step}: logs ${exp.logs ? "in S3" : "none"}`,
      exp.logs ? count > 0 : count === 0,
      `${count} object${count === 1 ? "" : "s"}`,
    );
  });
}

/** The key a metric's sum is kept under: `<pipeline>/<step>/<key>`, or `<pipeline>/<key>` per pipeline. */
export function metricSumKey(key: MetricKey, values: DimensionValues): string {
  return [values.Pipeline, ...(isStepMetric(key) ? [values.Step] : []), key].join("/");
}

/** A metric an expectation names, with its dimensions and expected sum. */
export interface ExpectedMetric {
  sumKey: string;
  key: MetricKey;
  dimensions: ReturnType<typeof metricDimensions>;
  value: number;
  /** The check's name, e.g. `nightly/load: StepFailed = 0`. */
  check: string;
}

/** The per-step and per-pipeline metrics the pipeline's expectation names. */
export function expectedMetrics(pipeline: string, expected: PipelineExpectation): ExpectedMetric[] {
  const named: Array<[string, number, DimensionValues, string]> = [
    ...Object.entries(expected.steps).flatMap(([step, exp]) =>
      Object.entries(exp.metrics ?? {}).map(
        ([key, value]): [string, number, DimensionValues, string] => [
          key,
          value,
          { Pipeline: pipeline, Step: step, SyncType: exp.sync_type },
          `${pipeline}/${step}`,
        ],
      ),
    ),
    ...Object.entries(expected.metrics ?? {}).map(
      ([key, value]): [string, number, DimensionValues, string] => [
        key,
        value,
        { Pipeline: pipeline },
        pipeline,
      ],
    ),
  ];
  return named.map(([name, value, values, where]) => {
    const key = name as MetricKey;
    return {
      sumKey: metricSumKey(key, values),
      key,
      dimensions: metricDimensions(key, values),
      value,
      check: `${where}: ${METRICS[key].name} = ${value}`,
    };
  });
}

/** The metrics published for a run (sums over the check's time window). */
export function checkMetrics(
  expected: PipelineExpectation,
  pipeline: string,
  sums: Record<string, number>,
): CheckRow[] {
  return expectedMetrics(pipeline, expected).map((m) => {
    const got = sums[m.sumKey];
    return row(m.check, got === m.value, got === undefined ? "no datapoint" : `sum ${got}`);
  });
}

/**
 * The pipeline's alarms: those expected fire (ALARM), the others do not. For the whole
 * deployment (`pipeline` undefined): the dead-letter alarms do not fire.
 */
export function checkAlarms(
  expected: readonly string[],
  scope: string,
  names: Record<string, string>,
  alarms: readonly MetricAlarm[],
): CheckRow[] {
  const state = new Map(alarms.map((a) => [a.AlarmName, a.StateValue]));
  return Object.entries(names)
    .filter(([path]) => path.startsWith(scope))
    .map(([path, name]) => {
      const want = expected.includes(path);
      const got = state.get(name);
      return row(
        `alarm ${path}: ${want ? "ALARM" : "not ALARM"}`,
        got !== undefined && (want ? got === "ALARM" : got !== "ALARM"),
        got ?? "not found",
      );
    });
}

/** The event that continues `from` (Step Functions chains a state's events by previousEventId). */
function next(events: readonly HistoryEvent[], from: HistoryEvent): HistoryEvent | undefined {
  return events.find((e) => e.previousEventId === from.id);
}

/** The Task events of each entry into the state `name`: Scheduled, Started, Submitted, ... */
export function taskEventsOf(events: readonly HistoryEvent[], name: string): HistoryEvent[][] {
  return events
    .filter((e) => e.type === "TaskStateEntered" && e.stateEnteredEventDetails?.name === name)
    .map((entered) => {
      const chain: HistoryEvent[] = [];
      for (let e = next(events, entered); e?.type?.startsWith("Task"); e = next(events, e)) {
        chain.push(e);
        if (e.type === "TaskStateExited") break;
      }
      return chain;
    });
}

/** The ExecutionArn a StartExecution task's Submitted event carries. */
export function submittedExecutionArn(chain: readonly HistoryEvent[]): string | undefined {
  return startedExecutionArn(
    chain.find((e) => e.type === "TaskSubmitted")?.taskSubmittedEventDetails?.output,
  );
}

/**
 * Point 18: the gate's Attach state (StartExecution `.sync:2` with the running child's
 * name and input) was answered with that child's ARN, and waited for it to succeed,
 * rather than failing with ExecutionAlreadyExists and falling back to polling.
 */
export function checkAttach(expected: PipelineExpectation, run: RunEvidence): CheckRow[] {
  if (!expected.attach) return [];
  const { step, dependency } = expected.attach;
  const child = stepResults(run.describe)[dependency]?.child_execution;
  const attaches = taskEventsOf(run.gateHistory ?? [], WAIT_FOR_STEP_STATES.attach);
  const same = attaches.filter((c) => submittedExecutionArn(c) === child);
  const succeeded = same.some((c) => c.some((e) => e.type === "TaskSucceeded"));
  const failed = attaches.filter((c) => c.some((e) => e.type === "TaskFailed")).length;
  return [
    row(
      `${run.pipeline}: gate of ${step} attached to the running ${dependency}`,
      typeof child === "string" && succeeded,
      `${attaches.length} Attach (${same.length} returned the child's ARN, ${failed} failed)`,
    ),
  ];
}

/**
 * Cancellations and starts, from the simulator: one instance throughout (its state was
 * kept), no run left going, each sync's run ended as expected, each started once.
 */
export function checkSimulator(
  before: SimulatorStateView,
  after: SimulatorStateView,
  finalStatus: Record<string, string> = FINAL_RUN_STATUS,
): CheckRow[] {
  const runs = after.executions.filter((e) => !e.history);
  const going = runs.filter((e) => !e.terminal);
  const rows = [
    row(
      "simulator: one instance (state kept)",
      before.instance === after.instance,
      `${before.instance.slice(0, 8)} -> ${after.instance.slice(0, 8)}`,
    ),
    row(
      "simulator: no run left going",
      going.length === 0,
      `${going.length} of ${runs.length} going`,
    ),
  ];
  for (const [syncId, count] of Object.entries(after.start_counts)) {
    const want = finalStatus[syncId];
    const statuses = runs.filter((e) => e.syncId === syncId).map((e) => e.status);
    rows.push(
      row(
        `simulator: ${syncId.slice(-4)} ${want ? `started once, ${want}` : "never started"}`,
        want ? count === 1 && statuses.join() === want : count === 0,
        `${count} start${count === 1 ? "" : "s"}${statuses.length ? `, ${statuses.join(", ")}` : ""}`,
      ),
    );
  }
  return rows;
}

/**
 * A fan-out's child for an organization, by the name the machine gives it
 * (lib/constructs/fan-out.ts `organizationExecutionName`): `<pipeline (40)>-<md5 hex>` of
 * `<parent execution name>/<organization id>/<redrive count>`.
 */
export function organizationChildName(
  pipeline: string,
  parentName: string,
  organizationId: string,
  redriveCount = 0,
): string {
  const text = `${parentName}/${organizationId}/${redriveCount}`;
  return `${pipeline.slice(0, 40)}-${createHash("md5").update(text).digest("hex")}`;
}

/** The key the OrganizationStepFailures sum of an organization is kept under. */
export function organizationSumKey(pipeline: string, organizationId: string): string {
  return `${pipeline}/Organization/${organizationId}/${ORGANIZATION_METRICS.stepFailures.name}`;
}

/** The failed organizations' ids a fan-out's Pipeline.OrganizationsFailed cause lists. */
export function failedInCause(cause: string | undefined): string[] | undefined {
  const at = cause?.indexOf(": [") ?? -1;
  if (!cause || at < 0) return undefined;
  try {
    const listed = JSON.parse(cause.slice(at + 2)) as Array<{ id?: unknown }>;
    return listed.map((o) => String(o.id));
  } catch {
    return undefined;
  }
}

/** The `step` and `organization_id` an execution was started with (its input). */
function inputOf(e: ChildEvidence): { step?: string; organization_id?: string } {
  try {
    const input = JSON.parse(e.describe.input ?? "") as Record<string, unknown>;
    const text = (v: unknown) => (typeof v === "string" ? v : undefined);
    return { step: text(input.step), organization_id: text(input.organization_id) };
  } catch {
    return {};
  }
}

/** The organization id a child execution was started with (its input). */
function childOrganization(child: ChildEvidence): string | undefined {
  return inputOf(child).organization_id;
}

/**
 * A fan-out: its cause names exactly the failed organizations; each organization's child,
 * found by its deterministic name, was started for that organization and ended as
 * expected, with its steps' results, errors naming the organization, logs, and its
 * OrganizationStepFailures.
 */
export function checkFanOut(
  expected: PipelineExpectation,
  run: RunEvidence,
  sums: Record<string, number>,
): CheckRow[] {
  const organizations = Object.entries(expected.organizations ?? {});
  if (organizations.length === 0) return [];
  const p = run.pipeline;
  const failed = organizations.filter(([, o]) => o.status === "FAILED").map(([id]) => id);
  const listed = failedInCause(run.describe.cause);
  const rows = [
    row(
      `${p}: cause names exactly the failed organizations`,
      listed !== undefined && listed.toSorted().join() === failed.toSorted().join(),
      listed ? `${listed.length} listed: ${listed.map((id) => id.slice(-4)).join(", ")}` : "none",
    ),
  ];
  for (const [id, org] of organizations) rows.push(...checkOrganization(run, id, org, sums));
  return rows;
}

function checkOrganization(
  run: RunEvidence,
  id: string,
  org: OrganizationExpectation,
  sums: Record<string, number>,
): CheckRow[] {
  const where = `${run.pipeline}/${org.name}`;
  const name = organizationChildName(run.pipeline, run.executionName, id);
  const child = run.children?.find((c) => c.executionArn.endsWith(`:${name}`));
  const got = child ? childOrganization(child) : undefined;
  const status = child?.describe.status;
  const rows = [
    row(
      `${where}: child ${name.slice(-8)} ran for the organization, ${org.status}`,
      got === id && status === org.status,
      child ? `input ${got?.slice(-4) ?? "none"}, ${status ?? "unknown"}` : "no such child",
    ),
  ];
  if (!child) return rows;
  const results = stepResults(child.describe, child.history);
  rows.push(...checkSteps(where, org.steps, results, (step) => stepExecution(run, step, id)));
  for (const [step, exp] of Object.entries(org.steps)) {
    if (exp.status !== "failed") continue;
    const cause = stepExecution(run, step, id)?.describe.cause ?? "no run-sync execution";
    rows.push(
      row(
        `${where}/${step}: error names the organization`,
        cause.includes(`(${id})`),
        cause.length > 160 ? `${cause.slice(0, 160)}…` : cause,
      ),
    );
  }
  rows.push(...stepLogs(where, org.steps, name, run.logKeys));
  const sum = sums[organizationSumKey(run.pipeline, id)];
  rows.push(
    row(
      `${where}: ${ORGANIZATION_METRICS.stepFailures.name} = ${org.step_failures}`,
      org.step_failures === 0 ? sum === undefined || sum === 0 : sum === org.step_failures,
      sum === undefined ? "no datapoint" : `sum ${sum}`,
    ),
  );
  return rows;
}

/**
 * Credentials, from the simulator's request log: every start acted as the organization of
 * the sync it started, with HTTP Basic `<organization id>:<partner key>` (the fan-out's
 * organizations and, through the secret's `organization_id`, the single-organization
 * pipelines'); no Idempotency-Key served starts in two organizations (the keys include the
 * organization: functions/core/idempotency.ts); the organizations were resolved with the
 * partner key as Bearer; nothing was refused.
 */
export function checkCredentials(after: SimulatorStateView): CheckRow[] {
  const { starts, calls } = after;
  const wrong = starts.filter(
    (c) => c.scheme !== "basic" || c.as !== after.sync_organizations[c.sync_id ?? ""],
  );
  const resolved = calls.filter(
    (c) => c.endpoint === "organizations" && c.as === "partner" && c.scheme === "bearer",
  );
  const refused = calls.filter((c) => c.status === 401 || c.status === 403);
  const { keys, shared } = keysAcrossOrganizations(starts);
  const unkeyed = starts.filter((c) => !c.idempotency_key).length;
  const count = (calls: readonly { count: number }[]) => calls.reduce((n, c) => n + c.count, 0);
  const describe = (c: (typeof starts)[number]) =>
    `${c.sync_id?.slice(-4)} as ${c.as.slice(-4)} (${c.scheme ?? "refused"})`;
  return [
    row(
      "simulator: every start made as its sync's organization, HTTP Basic",
      starts.length > 0 && wrong.length === 0,
      wrong.length ? wrong.map(describe).join(", ") : `${count(starts)} starts`,
    ),
    row(
      "simulator: organizations resolved with the partner key (Bearer)",
      resolved.some((c) => c.status === 200),
      `${count(resolved)} call${count(resolved) === 1 ? "" : "s"}`,
    ),
    row(
      "simulator: every start keyed, no Idempotency-Key used in two organizations",
      starts.length > 0 && unkeyed === 0 && shared === 0,
      `${keys} keys, ${shared} shared, ${unkeyed} starts without one`,
    ),
    row(
      "simulator: no request refused (401/403)",
      refused.length === 0,
      `${count(refused)} refused`,
    ),
  ];
}

/** How many Idempotency-Keys the starts sent, and how many of them in two organizations or more. */
function keysAcrossOrganizations(starts: readonly CallView[]): { keys: number; shared: number } {
  const organizations = new Map<string, Set<string>>();
  for (const c of starts) {
    if (!c.idempotency_key) continue;
    const seen = organizations.get(c.idempotency_key) ?? new Set<string>();
    organizations.set(c.idempotency_key, seen.add(c.as));
  }
  const shared = [...organizations.values()].filter((o) => o.size > 1).length;
  return { keys: organizations.size, shared };
}

/** Every row, for every pipeline of EXPECTATIONS found in the evidence. */
export function assess(
  evidence: Evidence,
  expectations: Record<string, PipelineExpectation> = EXPECTATIONS,
): CheckRow[] {
  const rows: CheckRow[] = [];
  for (const [pipeline, expected] of Object.entries(expectations)) {
    const run = evidence.runs.find((r) => r.pipeline === pipeline);
    if (!run) {
      rows.push(row(`${pipeline}: ran`, false, "no execution"));
      continue;
    }
    rows.push(
      ...checkOutcome(expected, run),
      ...checkAttach(expected, run),
      ...checkLogs(expected, run),
      ...checkMetrics(expected, pipeline, evidence.metrics),
      ...checkFanOut(expected, run, evidence.metrics),
      ...checkAlarms(
        expected.alarms_in_alarm,
        `Pipeline-${pipeline}/`,
        evidence.alarmNames,
        evidence.alarms,
      ),
    );
  }
  rows.push(...checkAlarms([], "DeadLetters-", evidence.alarmNames, evidence.alarms));
  rows.push(...checkSimulator(evidence.simulatorBefore, evidence.simulatorAfter));
  rows.push(...checkCredentials(evidence.simulatorAfter));
  return rows;
}

/** One GetMetricData query per expected metric, with the key metricSums reports it under. */
export function metricQueries(expectations: Record<string, PipelineExpectation> = EXPECTATIONS): {
  queries: MetricDataQuery[];
  keys: Record<string, string>;
} {
  const queries: MetricDataQuery[] = [];
  const keys: Record<string, string> = {};
  const add = (
    sumKey: string,
    name: string,
    dimensions: Array<{ Name: string; Value: string }>,
  ) => {
    const id = `m${queries.length}`;
    keys[id] = sumKey;
    queries.push({
      Id: id,
      MetricStat: {
        Metric: { Namespace: METRIC_NAMESPACE, MetricName: name, Dimensions: dimensions },
        Period: 60,
        Stat: "Sum",
      },
    });
  };
  for (const [pipeline, expected] of Object.entries(expectations)) {
    for (const m of expectedMetrics(pipeline, expected)) {
      add(m.sumKey, METRICS[m.key].name, m.dimensions);
    }
    for (const organization of Object.keys(expected.organizations ?? {})) {
      const values = { Pipeline: pipeline, Organization: organization };
      add(
        organizationSumKey(pipeline, organization),
        ORGANIZATION_METRICS.stepFailures.name,
        ORGANIZATION_DIMENSIONS.map((Name) => ({ Name, Value: values[Name] })),
      );
    }
  }
  return { queries, keys };
}

/** Sums of GetMetricData results by metricQueries' keys; a result without datapoints is absent. */
export function metricSums(
  results: readonly MetricDataResult[],
  keys: Record<string, string>,
): Record<string, number> {
  const sums: Record<string, number> = {};
  for (const r of results) {
    const key = r.Id ? keys[r.Id] : undefined;
    if (!key || !r.Values?.length) continue;
    sums[key] = (sums[key] ?? 0) + r.Values.reduce((a, b) => a + b, 0);
  }
  return sums;
}

/** The pass/fail table. */
export function formatTable(rows: readonly CheckRow[]): string {
  const width = Math.max(5, ...rows.map((r) => r.check.length));
  const lines = rows.map(
    (r) => `${r.pass ? "PASS" : "FAIL"}  ${r.check.padEnd(width)}  ${r.detail}`,
  );
  const failed = rows.filter((r) => !r.pass).length;
  lines.push(`${rows.length - failed} passed, ${failed} failed`);
  return lines.join("\n");
}
