/**
 * Runs a pipeline the way Step Functions would, without AWS: the pipeline's and the
 * run-sync machine's synthesized definitions execute in aws-local-stepfunctions, each
 * `startExecution.sync:2` step runs a nested local execution of the run-sync machine,
 * and Lambda tasks call the same handler modules the Lambdas run.
 *
 * Also mirrors the deployment's side effects that do not live in a definition: when a
 * run-sync execution is stopped or times out, cancel-sync receives the EventBridge
 * "Step Functions Execution Status Change" event the deployed rule would deliver.
 *
 * Each `startExecution.sync` task runs the machine its `StateMachineArn` names: the
 * run-sync machine (a step) or the wait-for-step machine (a gate), which itself
 * describes and attaches to run-sync executions. Child executions are kept in one
 * registry per machine, by name, across nesting levels, as Step Functions keeps them: a
 * second start with the same name attaches when the input (the JSON text the child was
 * started with) is the same and the child still runs, else fails with
 * `StepFunctions.ExecutionAlreadyExistsException`; and `aws-sdk:sfn:describeExecution`
 * tasks are answered from it.
 */

import {
  CANCEL_ON_STATUSES,
  type CheckResult,
  isStartPending,
  type RunState,
  type StartResult,
  type StepResult,
} from "../../functions/core/contract";
import type { PipelineConfig, PipelinesConfig } from "../config/model";
import type { SynthesizedDefinitions } from "../constructs/definitions";
import { type AslDefinition, allStates } from "./asl";
import {
  type EventLog,
  executionArn,
  type LocalExecutionResult,
  type LocalTask,
  runLocalExecution,
  stateMachineArn,
} from "./engine";
import type { LocalClock } from "./virtual-clock";

export type FunctionName =
  | "start-sync"
  | "check-status"
  | "export-logs"
  | "publish-metrics"
  | "cancel-sync";

/** The synthesized state machines a local run needs. */
export interface LocalApp {
  runSync: {
    stateMachineName: string;
    definition: AslDefinition;
    /** Which function each Task state of the run-sync machine invokes. */
    taskFunctions: Record<string, FunctionName>;
    /**
     * The machine's ARN in the synthesized definitions (the `StateMachineArn` of step
     * tasks). When set, a task naming a machine the app does not have fails loudly.
     * @default - every start task that does not name `waitForStep` runs run-sync
     */
    stateMachineArn?: string;
  };
  /** The wait-for-step machine gates run as (when some pipeline has gates). */
  waitForStep?: {
    stateMachineName: string;
    definition: AslDefinition;
    /** Its ARN in the synthesized definitions (the `StateMachineArn` of gate tasks). */
    stateMachineArn: string;
  };
  pipelines: Record<string, { stateMachineName: string; definition: AslDefinition }>;
}

export type StepState = "waiting" | "queued" | "running" | "succeeded" | "failed" | "skipped";

export interface StepProgress {
  step: string;
  state: StepState;
  sync_type: "model" | "bulk";
  sync_id?: string;
  execution_id?: string;
  started_at?: string;
  elapsed_seconds: number;
  records?: number;
  errors?: number;
  warnings?: number;
  outcome?: string;
  logs?: string[];
}

export type RunEvent =
  | { type: "step"; progress: StepProgress }
  | { type: "pipeline"; status: "running" | "succeeded" | "failed" };

export interface StepReport {
  id: string;
  sync_type: "model" | "bulk";
  sync_id: string | null;
  status: "succeeded" | "failed" | "skipped";
  outcome: string;
  execution_id: string | null;
  duration_seconds: number | null;
  records: number;
  errors: number;
  warnings: number;
  logs: string[];
  error?: { name: string; message: string };
}

export interface LocalRunResult {
  pipeline: string;
  status: "succeeded" | "failed";
  started_at: string;
  finished_at: string;
  steps: StepReport[];
  /** State transitions across the pipeline execution and every child execution. */
  state_transitions: number;
  /** check-status invocations. */
  polls: number;
  /** The pipeline execution's own error, when it failed. */
  error?: { name: string; message: string };
  /** Every execution that ran (pipeline first), for benchmarks and diagnostics. */
  executions: Array<Omit<LocalExecutionResult, "output">>;
}

export interface RunPipelineOptions {
  app: LocalApp;
  config: PipelinesConfig;
  pipeline: string;
  /** The Lambda handlers, bound to local dependencies. */
  functions: Record<FunctionName, LocalTask>;
  clock: LocalClock;
  /** Pipeline execution name. @default - `<pipeline>-<timestamp>` */
  executionName?: string;
  /** Stops the pipeline execution (as StopExecution would). */
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

const START_EXECUTION_SYNC = /^arn:aws:states:::states:startExecution\.sync(:2)?$/;
const DESCRIBE_EXECUTION = /^arn:aws[a-z-]*:states:::aws-sdk:sfn:describeExecution$/;
const EMPTY: AslDefinition = { StartAt: "", States: {} };

/** Which of the app's machines a child execution runs. */
type ChildMachine = "runSync" | "waitForStep";

/** A child execution (of run-sync or wait-for-step), by name. */
interface ChildRecord {
  machine: ChildMachine;
  name: string;
  /** The child's input, as JSON (StartExecution's idempotency compares it). */
  input: string;
  startedAt: number;
  /** Set when the child ended. */
  result?: LocalExecutionResult;
  done: Promise<unknown>;
}

/** An error named as Step Functions names it for a Catch/Retry. */
class NamedError extends Error {
  constructor(
    override name: string,
    message: string,
  ) {
    super(message);
  }
}

interface StepTrack {
  config: PipelineConfig["steps"][number];
  state: StepState;
  start?: StartResult;
  check?: CheckResult;
  logs: string[];
  startedAtMs?: number;
  endedAtMs?: number;
  result?: StepResult;
  error?: { name: string; message: string };
  childStatus?: string;
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function defaultExecutionName(pipeline: string, now: number): string {
  const stamp = iso(now).replace(/[:.]/g, "-").replace(/Z$/, "");
  return `${pipeline}-${stamp}`.slice(0, 80);
}

/** `States.TaskFailed` as a failed `startExecution.sync` child reports it. */
class ChildExecutionFailed extends Error {
  override name = "States.TaskFailed";
}

export async function runPipelineDefinitions(options: RunPipelineOptions): Promise<LocalRunResult> {
  const { app, clock } = options;
  const pipelineConfig = options.config.pipelines.find((p) => p.name === options.pipeline);
  const pipelineApp = app.pipelines[options.pipeline];
  if (!pipelineConfig || !pipelineApp) {
    const known = options.config.pipelines.map((p) => p.name).join(", ");
    throw new Error(`unknown pipeline "${options.pipeline}" (known: ${known})`);
  }
  const steps = new Map<string, StepTrack>(
    pipelineConfig.steps.map((step) => [step.id, { config: step, state: "waiting", logs: [] }]),
  );
  const executions: LocalExecutionResult[] = [];
  let polls = 0;

  const emit = (track: StepTrack) => {
    const now = clock.now();
    const counts = track.check?.counts;
    options.onEvent?.({
      type: "step",
      progress: {
        step: track.config.id,
        state: track.state,
        sync_type: track.config.sync_type,
        sync_id: track.start?.sync_id ?? track.config.sync.id,
        execution_id: track.start?.execution_id,
        started_at: track.startedAtMs === undefined ? undefined : iso(track.startedAtMs),
        elapsed_seconds:
          track.startedAtMs === undefined
            ? 0
            : Math.round(((track.endedAtMs ?? now) - track.startedAtMs) / 1000),
        records: counts?.records,
        errors: counts?.errors,
        warnings: counts?.warnings,
        outcome: track.result?.outcome ?? track.check?.outcome,
        logs: track.logs.length > 0 ? track.logs : undefined,
      },
    });
  };
  const setState = (track: StepTrack, state: StepState) => {
    if (track.state === state) return;
    track.state = state;
    if ((state === "succeeded" || state === "failed" || state === "skipped") && !track.endedAtMs) {
      track.endedAtMs = clock.now();
    }
    emit(track);
  };
  const trackOf = (input: unknown): StepTrack | undefined =>
    steps.get((input as Partial<RunState> | null)?.step ?? "");

  // The run-sync machine's tasks: the real handlers, observed for progress.
  const runSyncTasks: Record<string, LocalTask> = {};
  for (const [stateName, fn] of Object.entries(app.runSync.taskFunctions)) {
    const handler = options.functions[fn];
    runSyncTasks[stateName] = async (input) => {
      const track = trackOf(input);
      const output = await handler(input);
      if (!track) return output;
      if (fn === "start-sync") {
        // A StartPending started nothing yet: the step stays queued until a run exists.
        if (!isStartPending(output)) track.start = output as StartResult;
        setState(track, "queued");
      } else if (fn === "check-status") {
        if ((output as CheckResult).start_pending) return output;
        polls++;
        track.check = output as CheckResult;
        const status = track.check.status;
        if (!track.check.terminal) {
          setState(
            track,
            ["queued", "scheduled", "created", "waiting"].includes(status) ? "queued" : "running",
          );
        }
        emit(track);
      } else if (fn === "export-logs") {
        track.logs = (output as { keys?: string[] }).keys ?? [];
      }
      return output;
    };
  }

  const cancelSync = options.functions["cancel-sync"];
  const registries: Record<ChildMachine, Map<string, ChildRecord>> = {
    runSync: new Map(),
    waitForStep: new Map(),
  };
  const localName = (machine: ChildMachine): string =>
    machine === "runSync"
      ? app.runSync.stateMachineName
      : (app.waitForStep?.stateMachineName ?? "wait-for-step");
  const runSyncArn = stateMachineArn(app.runSync.stateMachineName);
  /** The machine a start task's `StateMachineArn` names. */
  const machineOf = (arn: unknown): ChildMachine => {
    if (app.waitForStep && arn === app.waitForStep.stateMachineArn) return "waitForStep";
    if (arn === undefined || !app.runSync.stateMachineArn || arn === app.runSync.stateMachineArn) {
      return "runSync";
    }
    throw new NamedError(
      "StepFunctions.StateMachineDoesNotExistException",
      `State Machine Does Not Exist: '${String(arn)}' (the local app has run-sync${app.waitForStep ? " and wait-for-step" : ""} only)`,
    );
  };
  const startChild = (input: unknown, parentSignal: AbortSignal): Promise<unknown> => {
    const request = input as { Name?: string; Input?: unknown; StateMachineArn?: unknown };
    let machine: ChildMachine;
    try {
      machine = machineOf(request.StateMachineArn);
    } catch (error) {
      return Promise.reject(error);
    }
    const registry = registries[machine];
    const name = request.Name ?? `child-${registry.size}`;
    // StartExecution takes the input as JSON text: a string is that text as is.
    const inputJson =
      typeof request.Input === "string" ? request.Input : JSON.stringify(request.Input ?? {});
    const existing = registry.get(name);
    if (existing) {
      // StartExecution is idempotent only for the same name and input while running.
      if (existing.input === inputJson && !existing.result) return attach(existing, parentSignal);
      return Promise.reject(
        new NamedError(
          "StepFunctions.ExecutionAlreadyExistsException",
          `Execution Already Exists: '${executionArn(localName(machine), name)}'`,
        ),
      );
    }
    let childInput: unknown;
    try {
      childInput = JSON.parse(inputJson);
    } catch {
      return Promise.reject(
        new NamedError("StepFunctions.InvalidExecutionInputException", "Invalid execution input"),
      );
    }
    const record: ChildRecord = {
      machine,
      name,
      input: inputJson,
      startedAt: clock.now(),
      done: Promise.resolve(),
    };
    registry.set(name, record);
    record.done = runChildExecution(record, childInput, parentSignal);
    return record.done;
  };
  /**
   * Waits for a running child another task started, as `.sync` does after an
   * idempotent start. The waiting task sleeps on the clock (woken when the child ends)
   * so that it does not count as work in flight: awaiting the child's promise alone
   * would hold the virtual clock still for ever.
   */
  const attach = async (record: ChildRecord, signal: AbortSignal): Promise<unknown> => {
    let settled = false;
    const wake = new AbortController();
    const onEnd = () => {
      settled = true;
      wake.abort();
    };
    record.done.then(onEnd, onEnd);
    const onStop = () => wake.abort();
    signal.addEventListener("abort", onStop, { once: true });
    try {
      while (!settled && !signal.aborted) await clock.sleep(3600_000, wake.signal);
    } finally {
      signal.removeEventListener("abort", onStop);
    }
    if (!settled) throw new NamedError("States.Aborted", "the attaching execution was stopped");
    return record.done;
  };
  /** The tasks of a wait-for-step execution: describe and attach, from the registries. */
  const waitForStepTasks = (signal: AbortSignal): Record<string, LocalTask> => {
    const tasks: Record<string, LocalTask> = {};
    for (const [stateName, state] of allStates(app.waitForStep?.definition ?? EMPTY)) {
      if (state.Type !== "Task") continue;
      if (DESCRIBE_EXECUTION.test(state.Resource ?? "")) tasks[stateName] = describeExecution;
      else if (START_EXECUTION_SYNC.test(state.Resource ?? "")) {
        tasks[stateName] = (input, taskSignal) => startChild(input, taskSignal ?? signal);
      }
    }
    return tasks;
  };
  const runChildExecution = async (
    record: ChildRecord,
    childInput: unknown,
    parentSignal: AbortSignal,
  ): Promise<unknown> => {
    const { name } = record;
    const isRunSync = record.machine === "runSync";
    // A `skip: true` child (a skipped step some gate waits for) is not the step's run.
    const skipped = (childInput as { skip?: unknown } | null)?.skip === true;
    const track = skipped || !isRunSync ? undefined : trackOf(childInput);
    if (track) {
      track.startedAtMs = clock.now();
      setState(track, "queued");
    }
    const result = isRunSync
      ? await runLocalExecution(app.runSync.definition, {
          name,
          stateMachineName: app.runSync.stateMachineName,
          input: childInput,
          clock,
          tasks: runSyncTasks,
          signal: parentSignal,
        })
      : await runLocalExecution((app.waitForStep as { definition: AslDefinition }).definition, {
          name,
          stateMachineName: localName("waitForStep"),
          input: childInput,
          clock,
          tasks: waitForStepTasks(parentSignal),
          signal: parentSignal,
        });
    record.result = result;
    executions.push(result);
    const description = {
      ExecutionArn: result.executionArn,
      Input: record.input,
      InputDetails: { Included: true },
      Name: name,
      StartDate: result.startedAt,
      StateMachineArn: stateMachineArn(localName(record.machine)),
      Status: result.status,
      StopDate: result.stoppedAt,
    };
    if (isRunSync && (CANCEL_ON_STATUSES as readonly string[]).includes(result.status)) {
      // What the deployed EventBridge rule delivers to cancel-sync (same statuses).
      await clock
        .run(() =>
          cancelSync({
            version: "0",
            source: "aws.states",
            "detail-type": "Step Functions Execution Status Change",
            time: iso(result.stoppedAt),
            detail: {
              executionArn: result.executionArn,
              stateMachineArn: description.StateMachineArn,
              name,
              status: result.status,
              startDate: result.startedAt,
              stopDate: result.stoppedAt,
              input: description.Input,
            },
          }),
        )
        .catch(() => undefined);
    }
    if (track) {
      track.childStatus = result.status;
      if (result.status === "SUCCEEDED") {
        track.result = result.output as StepResult;
      } else {
        track.error = {
          name: result.error ?? `States.${result.status === "TIMED_OUT" ? "Timeout" : "Aborted"}`,
          message: result.cause ?? `run-sync execution ${result.status}`,
        };
      }
    }
    if (result.status === "SUCCEEDED") {
      if (track) setState(track, "succeeded");
      return { ...description, Output: result.output, OutputDetails: { Included: true } };
    }
    if (track) setState(track, "failed");
    throw new ChildExecutionFailed(
      JSON.stringify({ ...description, Error: result.error, Cause: result.cause }),
    );
  };

  const stop = new AbortController();
  const running = new Set<Promise<unknown>>();
  const onOuterStop = () => stop.abort();
  options.signal?.addEventListener("abort", onOuterStop, { once: true });
  const pipelineTasks: Record<string, LocalTask> = {};
  /**
   * `aws-sdk:sfn:describeExecution` on a child execution, answered from the registries
   * as the AWS SDK integration answers: the DescribeExecution response with its fields in
   * PascalCase (AWS SDK integrations take and return PascalCase field names: ExecutionArn,
   * Status, Output, ...), Output as a JSON string once SUCCEEDED, Error/Cause once failed,
   * and an error named `Sfn.ExecutionDoesNotExistException` (service name and error in
   * PascalCase, with the Exception suffix) for a name no child was started with.
   * StartDate/StopDate are epoch milliseconds, as in the `.sync` task output here.
   * The ARN's machine part picks the registry (wait-for-step by its ARN's name or local
   * name, else run-sync: the definitions' placeholder ARNs name machines by logical id);
   * the execution is found by name (the ARN's last part).
   */
  const describeExecution = async (input: unknown): Promise<unknown> => {
    const arn = (input as { ExecutionArn?: unknown } | null)?.ExecutionArn;
    const parts = typeof arn === "string" ? arn.split(":") : [];
    if (parts.length !== 8 || parts[5] !== "execution") {
      throw new NamedError("Sfn.InvalidArnException", `Invalid Arn: '${String(arn)}'`);
    }
    const waitNames = app.waitForStep
      ? [app.waitForStep.stateMachineName, app.waitForStep.stateMachineArn.split(":")[6]]
      : [];
    const machine: ChildMachine = waitNames.includes(parts[6]) ? "waitForStep" : "runSync";
    const record = registries[machine].get(parts[7] as string);
    if (!record) {
      throw new NamedError(
        "Sfn.ExecutionDoesNotExistException",
        `Execution Does Not Exist: '${arn}'`,
      );
    }
    const base = {
      ExecutionArn: executionArn(localName(machine), record.name),
      StateMachineArn: machine === "runSync" ? runSyncArn : stateMachineArn(localName(machine)),
      Name: record.name,
      StartDate: record.startedAt,
      Input: record.input,
      InputDetails: { Included: true },
      RedriveCount: 0,
    };
    const result = record.result;
    if (!result) return { ...base, Status: "RUNNING" };
    return {
      ...base,
      Status: result.status,
      StopDate: result.stoppedAt,
      ...(result.status === "SUCCEEDED"
        ? { Output: JSON.stringify(result.output ?? null), OutputDetails: { Included: true } }
        : {}),
      ...(result.error !== undefined ? { Error: result.error } : {}),
      ...(result.cause !== undefined ? { Cause: result.cause } : {}),
    };
  };

  // Without the run-sync ARN the runner cannot tell machines apart: refuse a pipeline
  // that starts more than one (it would run a gate as a step).
  const targets = new Set(
    [...allStates(pipelineApp.definition)]
      .filter(([, st]) => st.Type === "Task" && START_EXECUTION_SYNC.test(st.Resource ?? ""))
      .map(
        ([, st]) => (st.Parameters as { StateMachineArn?: unknown } | undefined)?.StateMachineArn,
      )
      .filter((arn) => typeof arn === "string" && arn !== app.waitForStep?.stateMachineArn),
  );
  if (!app.runSync.stateMachineArn && targets.size > 1) {
    throw new Error(
      `pipeline "${options.pipeline}" starts ${targets.size} state machines (${[...targets].join(", ")}): give the LocalApp runSync.stateMachineArn and waitForStep (localAppOf(synthesizeDefinitions(config)) does)`,
    );
  }
  for (const [stateName, state] of allStates(pipelineApp.definition)) {
    if (state.Type !== "Task") continue;
    if (DESCRIBE_EXECUTION.test(state.Resource ?? "")) {
      pipelineTasks[stateName] = describeExecution;
      continue;
    }
    if (!START_EXECUTION_SYNC.test(state.Resource ?? "")) {
      throw new Error(
        `pipeline Task state "${stateName}" uses ${state.Resource}, which does not run locally`,
      );
    }
    const target = (state.Parameters as { StateMachineArn?: unknown } | undefined)?.StateMachineArn;
    if (typeof target === "string") machineOf(target); // unknown machine: fail before running
    // The task's signal aborts when the task times out or the pipeline stops: the child
    // stops with it, as a `.sync` task's child does.
    pipelineTasks[stateName] = (input, signal) => {
      const child = startChild(input, signal ?? stop.signal);
      running.add(child);
      return child.finally(() => running.delete(child));
    };
  }

  // Steps are skipped by Pass states: read the results the pipeline records as it goes.
  const observePipeline = (event: EventLog) => {
    if (event.type !== "StateExited") return;
    const results = (event.state.output as { results?: Record<string, { status?: string }> } | null)
      ?.results;
    for (const [id, result] of Object.entries(results ?? {})) {
      const track = steps.get(id);
      if (track && result?.status === "skipped" && track.state === "waiting") {
        setState(track, "skipped");
      }
    }
  };

  const startedAt = clock.now();
  const executionName = options.executionName ?? defaultExecutionName(options.pipeline, startedAt);
  options.onEvent?.({ type: "pipeline", status: "running" });
  for (const track of steps.values()) emit(track);
  const pipelineResult = await runLocalExecution(pipelineApp.definition, {
    name: executionName,
    stateMachineName: pipelineApp.stateMachineName,
    input: {},
    clock,
    tasks: pipelineTasks,
    signal: stop.signal,
    onEvent: observePipeline,
  });
  options.signal?.removeEventListener("abort", onOuterStop);
  // A child still running when the pipeline ends (stopped, timed out, or a failed
  // Parallel branch) is stopped, as Step Functions stops `.sync` children.
  stop.abort();
  await Promise.allSettled([...running]);

  const reports: StepReport[] = pipelineConfig.steps.map((stepConfig) => {
    const track = steps.get(stepConfig.id) as StepTrack;
    if (track.state === "waiting" || track.state === "queued" || track.state === "running") {
      setState(track, track.startedAtMs === undefined ? "skipped" : "failed");
    }
    const counts = track.result?.counts ?? track.check?.counts;
    return {
      id: stepConfig.id,
      sync_type: stepConfig.sync_type,
      sync_id: track.start?.sync_id ?? stepConfig.sync.id ?? null,
      status: track.state as StepReport["status"],
      outcome:
        track.state === "skipped"
          ? "skipped"
          : (track.result?.outcome ?? track.check?.outcome ?? "failed"),
      execution_id: track.start?.execution_id ?? null,
      duration_seconds:
        track.check?.run_seconds ??
        (track.startedAtMs !== undefined && track.endedAtMs !== undefined
          ? Math.round((track.endedAtMs - track.startedAtMs) / 1000)
          : null),
      records: counts?.records ?? 0,
      errors: counts?.errors ?? 0,
      warnings: counts?.warnings ?? 0,
      logs: track.result?.logs ?? track.logs,
      ...(track.error && track.state === "failed" ? { error: track.error } : {}),
    };
  });

  const status = pipelineResult.status === "SUCCEEDED" ? "succeeded" : "failed";
  options.onEvent?.({ type: "pipeline", status });
  const all = [pipelineResult, ...executions];
  return {
    pipeline: options.pipeline,
    status,
    started_at: iso(startedAt),
    finished_at: iso(pipelineResult.stoppedAt),
    steps: reports,
    state_transitions: all.reduce((sum, e) => sum + e.stateTransitions, 0),
    polls,
    ...(status === "failed"
      ? {
          error: {
            name: pipelineResult.error ?? `States.${pipelineResult.status}`,
            message: pipelineResult.cause ?? `pipeline execution ${pipelineResult.status}`,
          },
        }
      : {}),
    executions: all.map(({ output: _output, ...rest }) => rest),
  };
}

export interface LocalRunOptions {
  config: PipelinesConfig;
  pipeline: string;
  /** The Polytomic API the handlers call: the embedded simulator or the real one. */
  polytomic: { baseUrl: string; apiKey: string };
  clock: LocalClock;
  /** Logs, metrics and handler logs go here instead of S3 and CloudWatch. */
  outDir: string;
  executionName?: string;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/**
 * The local app of synthesized definitions: run-sync, wait-for-step (when some pipeline
 * has gates) and every pipeline, with the ARNs their start tasks name.
 */
export function localAppOf(synthesized: SynthesizedDefinitions): LocalApp {
  return {
    runSync: {
      stateMachineName: "run-sync",
      definition: synthesized.runSync as AslDefinition,
      taskFunctions: synthesized.taskFunctions,
      stateMachineArn: synthesized.runSyncArn,
    },
    ...(synthesized.waitForStep
      ? {
          waitForStep: {
            stateMachineName: "wait-for-step",
            definition: synthesized.waitForStep.definition as AslDefinition,
            stateMachineArn: synthesized.waitForStep.arn,
          },
        }
      : {}),
    pipelines: Object.fromEntries(
      Object.entries(synthesized.pipelines).map(([name, definition]) => [
        name,
        { stateMachineName: `pipeline-${name}`, definition: definition as AslDefinition },
      ]),
    ),
  };
}

/**
 * Synthesizes the app for `config`, binds the real handler modules to local adapters,
 * and runs the pipeline's state machine to the end.
 */
export async function runPipelineLocally(options: LocalRunOptions): Promise<LocalRunResult> {
  const [{ synthesizeDefinitions }, { createLocalDeps }, handlers] = await Promise.all([
    import("../constructs/definitions"),
    import("./local-deps"),
    loadHandlerModules(),
  ]);
  const app = localAppOf(synthesizeDefinitions(options.config));
  const local = await createLocalDeps(options);
  try {
    const functions = Object.fromEntries(
      Object.entries(handlers).map(([name, makeHandler]) => {
        const handler = makeHandler(local.deps);
        return [name, (input: unknown) => handler(input)];
      }),
    ) as Record<FunctionName, LocalTask>;
    return await runPipelineDefinitions({ ...options, app, functions });
  } finally {
    await local.close();
  }
}

/** The same handler modules the Lambda functions run. */
async function loadHandlerModules() {
  const [start, check, exportLogs, publish, cancel] = await Promise.all([
    import("../../functions/start-sync/index"),
    import("../../functions/check-status/index"),
    import("../../functions/export-logs/index"),
    import("../../functions/publish-metrics/index"),
    import("../../functions/cancel-sync/index"),
  ]);
  return {
    "start-sync": start.makeHandler,
    "check-status": check.makeHandler,
    "export-logs": exportLogs.makeHandler,
    "publish-metrics": publish.makeHandler,
    "cancel-sync": cancel.makeHandler,
  } as const;
}
