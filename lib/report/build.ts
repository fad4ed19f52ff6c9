/**
 * Builds the run report (lib/report/model.ts) from execution histories alone: the
 * pipeline execution's, and its run-sync child executions' with the handler outputs their
 * `StateExited` events carry (each Task's result sits at its ResultPath: `$.start`,
 * `$.check`, `$.logs`, `$.cancel`). It knows nothing of the local runner, so the same
 * builder serves histories read from AWS (states:GetExecutionHistory, mapped to
 * `HistoryEvent`).
 *
 * From AWS: DescribeExecution gives an `ExecutionRecord`'s name, status and dates (epoch
 * ms), and GetExecutionHistory its events: `ExecutionStarted` with
 * `executionStartedEventDetails.input` parsed as `input`, and every `*StateExited` as
 * `{ type: "StateExited", state: { name, output } }` with
 * `stateExitedEventDetails.output` parsed (the other events are not read). The children
 * are the executions the pipeline's `TaskSubmitted` events name (`.sync:2` outputs carry
 * their ExecutionArn), run-sync and wait-for-step alike: gates are told apart here.
 */
import type {
  CheckResult,
  StartResult,
  StepInput,
  StepResult,
} from "../../functions/core/contract";
import {
  isStillRunningErrorName,
  parseStillRunningCause,
  type StillRunningCause,
} from "../../functions/core/error-names";
import { POLYTOMIC_TEXT_MARKER } from "../../functions/core/failure-text";
import type { ReportStep, RunReport, WaitingOn } from "./model";

/** One history event, as the local engine logs it (an AWS history maps to it). */
export interface HistoryEvent {
  /** `ExecutionStarted`, `StateEntered`, `StateExited`, ... */
  type: string;
  /** Epoch milliseconds. */
  timestamp: number;
  /** `ExecutionStarted`: the execution's input. */
  input?: unknown;
  /** State events: the state's name and (`StateExited`) its output. */
  state?: { name: string; output?: unknown };
  /**
   * A failed task's error name: the local engine's `StateFailed` carries it so; from AWS,
   * `TaskFailed`/`LambdaFunctionFailed` map their details' `error` to it.
   */
  Error?: string;
  /** A failed task's cause (its details' `cause` from AWS; text, unknown as the engine types it). */
  Cause?: unknown;
}

/** An execution and its history: DescribeExecution plus GetExecutionHistory on AWS. */
export interface ExecutionRecord {
  name: string;
  status: "SUCCEEDED" | "FAILED" | "ABORTED" | "TIMED_OUT" | "RUNNING";
  /** Epoch milliseconds. */
  startedAt: number;
  stoppedAt?: number;
  error?: string;
  cause?: string;
  events: readonly HistoryEvent[];
}

/** A step as the pipelines file declares it: its id, sync type and dependencies. */
export interface PipelineStepShape {
  id: string;
  sync_type: "model" | "bulk";
  after: readonly string[];
}

export interface ReportInput {
  pipeline: string;
  steps: readonly PipelineStepShape[];
  /** The pipeline's execution. */
  execution: ExecutionRecord;
  /** Its child executions; those that are not a step's run-sync (gates) are ignored. */
  children: readonly ExecutionRecord[];
  /**
   * Epoch ms: when the histories were read. A report of a run still going tells up to
   * here (its `as_of`; never before its last event). @default the last event's time
   */
  readAt?: number;
}

/** What a step's run-sync history says, before dependencies are taken into account. */
interface StepRun {
  child: ExecutionRecord;
  start?: StartResult;
  check?: CheckResult;
  detectedAt?: number;
  logs: string[];
  /** API retries of the last start-sync answer (cumulative, pending starts included) and the log export. */
  startRetries: number;
  logRetries: number;
  /**
   * Checks that found the run still going in the retry loop (functions/core/polling.ts): each
   * a failed check Task retried, which no `$.check` records (a retry's input is the same).
   */
  stillRunning: number;
  /** What the last of those checks saw (its Cause): the run's status and times. */
  progress?: StillRunningCause;
}

/** When a step was released and ended; undefined: not yet (the run is still going). */
interface StepTimes {
  released?: number;
  end?: number;
}

/** What every step's report needs to know of the run. */
interface RunContext {
  runs: ReadonlyMap<string, StepRun>;
  times: ReadonlyMap<string, StepTimes>;
  critical: ReadonlySet<string>;
  /** The pipeline execution was stopped (ABORTED). */
  stopped: boolean;
  /** The pipeline execution is still going. */
  live: boolean;
  /** Steps the pipeline recorded as skipped (a dependency did not succeed). */
  skipped: ReadonlySet<string>;
}

const iso = (ms: number | undefined): string | null =>
  ms === undefined ? null : new Date(ms).toISOString();

export function buildRunReport(input: ReportInput): RunReport {
  const { execution } = input;
  const live = execution.status === "RUNNING";
  const pipelineStart = execution.startedAt;
  const lastEvent = lastEventTime(execution) ?? pipelineStart;
  const pipelineEnd = live ? undefined : (execution.stoppedAt ?? lastEvent);
  const asOf = pipelineEnd ?? Math.max(lastEvent, input.readAt ?? lastEvent);
  const runs = stepRuns(input.children);
  const skipped = skippedSteps(execution);
  const times = endTimes(input.steps, runs, pipelineStart, live ? skipped : undefined);
  const critical = live ? new Set<string>() : criticalPath(input.steps, times);
  const stopped = execution.status === "ABORTED";
  const context: RunContext = { runs, times, critical, stopped, live, skipped };
  return {
    pipeline: input.pipeline,
    execution_name: execution.name,
    status: pipelineStatus(execution.status),
    started_at: iso(pipelineStart) as string,
    finished_at: iso(pipelineEnd),
    as_of: iso(asOf) as string,
    steps: input.steps.map((shape) => reportStep(shape, context)),
    critical_path: input.steps.filter((s) => critical.has(s.id)).map((s) => s.id),
  };
}

function pipelineStatus(status: ExecutionRecord["status"]): RunReport["status"] {
  if (status === "RUNNING") return "running";
  if (status === "ABORTED") return "interrupted";
  return status === "SUCCEEDED" ? "succeeded" : "failed";
}

function lastEventTime(execution: ExecutionRecord): number | undefined {
  return execution.events.at(-1)?.timestamp;
}

/**
 * A fan-out's run (issue 15), one report per organization: each per-organization
 * execution (its input names the organization and no step) with the step children whose
 * input names the same organization. By organization id.
 */
export function buildOrganizationReports(
  input: Omit<ReportInput, "execution">,
): Record<string, RunReport> {
  const organizationOf = (child: ExecutionRecord) => {
    const started = child.events.find((e) => e.type === "ExecutionStarted");
    const id = (started?.input as { organization_id?: unknown } | undefined)?.organization_id;
    return typeof id === "string" ? id : undefined;
  };
  const reports: Record<string, RunReport> = {};
  for (const execution of input.children) {
    const organization = organizationOf(execution);
    if (organization === undefined || childInput(execution) !== undefined) continue;
    const children = input.children.filter(
      (child) => child !== execution && organizationOf(child) === organization,
    );
    reports[organization] = buildRunReport({ ...input, execution, children });
  }
  return reports;
}

/**
 * A fan-out's run as one report: the pipeline's (the fan-out's) times, with each
 * organization's steps, named `<organization> / <step>` (dependencies too), organization by
 * organization. The critical path is that of the organization that ended last.
 */
export function fanOutReport(
  pipeline: RunReport,
  organizations: readonly { name: string; report: RunReport }[],
): RunReport {
  const steps = organizations.flatMap(({ name, report }) => {
    const named = (step: string) => `${name} / ${step}`;
    return report.steps.map((step) => ({
      ...step,
      id: named(step.id),
      after: step.after.map(named),
      waiting_on: step.waiting_on.map((w) => ({ ...w, step: named(w.step) })),
    }));
  });
  const last = [...organizations].sort((a, b) =>
    (b.report.finished_at ?? b.report.as_of).localeCompare(a.report.finished_at ?? a.report.as_of),
  )[0];
  const critical = new Set(last ? last.report.critical_path.map((s) => `${last.name} / ${s}`) : []);
  return {
    ...pipeline,
    steps: steps.map((step) => ({ ...step, critical: critical.has(step.id) })),
    critical_path: [...critical],
  };
}

/** Each step's run-sync child (the last one started, when a step has several), by step id. */
function stepRuns(children: readonly ExecutionRecord[]): Map<string, StepRun> {
  const runs = new Map<string, StepRun>();
  for (const child of [...children].sort((a, b) => a.startedAt - b.startedAt)) {
    const stepInput = childInput(child);
    if (stepInput === undefined || stepInput.skip === true) continue;
    runs.set(stepInput.step, readRun(child));
  }
  return runs;
}

/**
 * The steps the pipeline's history records as skipped: a state's output whose
 * `results[<step>]` is a StepResult with status `skipped` (the pipeline machine's skip
 * path, lib/constructs/pipeline-state-machine.ts).
 */
function skippedSteps(execution: ExecutionRecord): Set<string> {
  const skipped = new Set<string>();
  for (const event of execution.events) {
    if (event.type !== "StateExited") continue;
    const results = (event.state?.output as { results?: unknown } | undefined)?.results;
    if (results === null || typeof results !== "object") continue;
    for (const [id, result] of Object.entries(results)) {
      if ((result as Partial<StepResult> | null)?.status === "skipped") skipped.add(id);
    }
  }
  return skipped;
}

/** A run-sync child's StepInput; undefined for other machines' executions (gates). */
function childInput(child: ExecutionRecord): StepInput | undefined {
  const started = child.events.find((e) => e.type === "ExecutionStarted");
  const input = started?.input as Partial<StepInput> | undefined;
  if (typeof input?.step !== "string" || typeof input.sync_type !== "string") return undefined;
  return input as StepInput;
}

/** The handler outputs a run-sync history carries: the last start, check and logs. */
function readRun(child: ExecutionRecord): StepRun {
  const run: StepRun = { child, logs: [], startRetries: 0, logRetries: 0, stillRunning: 0 };
  for (const event of child.events) {
    if (isStillRunningErrorName(event.Error)) {
      run.stillRunning += 1;
      run.progress = parseStillRunningCause(event.Cause) ?? run.progress;
    }
    if (event.type !== "StateExited") continue;
    const output = event.state?.output as
      | { start?: StartResult & { pending?: boolean }; check?: CheckResult; logs?: unknown }
      | undefined;
    if (output === null || typeof output !== "object") continue;
    if (output.start) {
      run.startRetries = output.start.api_retries ?? run.startRetries;
      if (output.start.pending !== true) run.start = output.start;
    }
    if (output.check && output.check.start_pending !== true) {
      run.check = output.check;
      if (run.detectedAt === undefined && (output.check.terminal || output.check.timed_out)) {
        run.detectedAt = event.timestamp;
      }
    }
    const logs = output.logs as { keys?: unknown; api_retries?: unknown } | undefined;
    if (Array.isArray(logs?.keys)) {
      run.logs = logs.keys.filter((k): k is string => typeof k === "string");
    }
    if (typeof logs?.api_retries === "number") run.logRetries = logs.api_retries;
  }
  return run;
}

/**
 * When each step was released and released its dependants: its child's end, or (never
 * run) its own release. `liveSkipped` is given while the pipeline runs: then a child still
 * running has not ended, and a step without a child has ended only if it was skipped;
 * otherwise it still waits (undefined times propagate to its dependants).
 */
function endTimes(
  steps: readonly PipelineStepShape[],
  runs: ReadonlyMap<string, StepRun>,
  pipelineStart: number,
  liveSkipped?: ReadonlySet<string>,
): Map<string, StepTimes> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const times = new Map<string, StepTimes>();
  const visit = (id: string, seen: Set<string>): number | undefined => {
    const known = times.get(id);
    if (known) return known.end;
    const step = byId.get(id);
    if (!step || seen.has(id)) return pipelineStart; // unknown or cyclic: validate refuses both
    seen.add(id);
    const deps = step.after.map((dep) => visit(dep, seen));
    const released = deps.includes(undefined)
      ? undefined
      : Math.max(pipelineStart, ...(deps as number[]));
    const child = runs.get(id)?.child;
    const end = child
      ? (child.stoppedAt ?? (liveSkipped ? undefined : lastEventTime(child)))
      : liveSkipped && !liveSkipped.has(id)
        ? undefined
        : released;
    times.set(id, { released, end });
    return end;
  };
  for (const step of steps) visit(step.id, new Set());
  return times;
}

/**
 * The critical path: from the step that ended last, back through the dependency that
 * released each step last, to a step without dependencies.
 */
function criticalPath(
  steps: readonly PipelineStepShape[],
  times: ReadonlyMap<string, StepTimes>,
): Set<string> {
  const endOf = (id: string) => times.get(id)?.end ?? Number.NEGATIVE_INFINITY;
  const byId = new Map(steps.map((s) => [s.id, s]));
  const path = new Set<string>();
  let current = latest(
    steps.map((s) => s.id),
    endOf,
  );
  while (current !== undefined && !path.has(current)) {
    path.add(current);
    current = latest(byId.get(current)?.after ?? [], endOf);
  }
  return path;
}

/** The id whose time is latest (the first of equals). */
function latest(ids: readonly string[], timeOf: (id: string) => number): string | undefined {
  let best: string | undefined;
  for (const id of ids) if (best === undefined || timeOf(id) > timeOf(best)) best = id;
  return best;
}

function reportStep(shape: PipelineStepShape, context: RunContext): ReportStep {
  const run = context.runs.get(shape.id);
  const own = context.times.get(shape.id);
  const waitingOn: WaitingOn[] = shape.after.map((dep) => ({
    step: dep,
    released_at: iso(context.times.get(dep)?.end),
  }));
  const check = run?.check;
  const status = stepStatus(shape.id, run, context);
  const error = run && status !== "succeeded" ? childError(run.child) : null;
  return {
    id: shape.id,
    sync_type: shape.sync_type,
    status,
    outcome: status === "succeeded" || status === "failed" ? (check?.outcome ?? status) : status,
    execution_id: run?.start?.execution_id ?? null,
    after: [...shape.after],
    waiting_on: waitingOn,
    released_at: iso(own?.released),
    submitted_at: iso(run?.child.startedAt),
    queued_at: check?.created_at ?? run?.progress?.created_at ?? null,
    started_at: check?.started_at ?? run?.progress?.started_at ?? null,
    finished_at: check?.completed_at ?? null,
    detected_at: iso(run?.detectedAt),
    ended_at: run ? iso(own?.end) : null,
    // The checks `$.check` counted, and those the retry loop retried (none of them exited).
    polls: (check?.polls ?? 0) + (run?.stillRunning ?? 0),
    // As publish-metrics counts them (functions/core/publish.ts).
    api_retries: (run?.startRetries ?? 0) + (check?.api_retries ?? 0) + (run?.logRetries ?? 0),
    failure_text: polytomicText(check?.error_message ?? error?.message),
    critical: context.critical.has(shape.id),
    records: check?.counts.records ?? 0,
    errors: check?.counts.errors ?? 0,
    warnings: check?.counts.warnings ?? 0,
    logs: run?.logs ?? [],
    error,
  };
}

/**
 * A step's status from its child: none ran (skipped, or never started when stopped, or
 * still waiting while the pipeline runs); one still running is queued until Polytomic
 * says the run started.
 */
function stepStatus(
  id: string,
  run: StepRun | undefined,
  context: RunContext,
): ReportStep["status"] {
  if (!run) {
    if (context.live) return context.skipped.has(id) ? "skipped" : "waiting";
    return context.stopped ? "not_started" : "skipped";
  }
  switch (run.child.status) {
    case "SUCCEEDED":
      return "succeeded";
    case "RUNNING":
      return (run.check?.started_at ?? run.progress?.started_at) ? "running" : "queued";
    case "ABORTED":
      return context.stopped ? "cancelled" : "failed";
    default:
      return "failed";
  }
}

function childError(child: ExecutionRecord): ReportStep["error"] {
  if (child.status === "SUCCEEDED" || child.status === "RUNNING") return null;
  const name = child.error ?? `States.${child.status === "TIMED_OUT" ? "Timeout" : "Aborted"}`;
  return { name, message: child.cause ?? `run-sync execution ${child.status}` };
}

/** Polytomic's words in a step's error message (functions/core/failure-text.ts), if any. */
function polytomicText(message: string | undefined): string | null {
  if (message === undefined) return null;
  const at = message.indexOf(POLYTOMIC_TEXT_MARKER);
  return at < 0 ? null : message.slice(at + POLYTOMIC_TEXT_MARKER.length);
}
