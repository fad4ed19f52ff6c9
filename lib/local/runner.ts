/**
 * Runs a pipeline the way Step Functions would, without AWS: the pipeline's and the
 * run-sync machine's synthesized definitions execute in aws-local-stepfunctions, each
 * `startExecution.sync:2` step runs a nested local execution of the run-sync machine
 * (lib/local/children.ts), and Lambda tasks call the same handler modules the Lambdas run.
 *
 * Each `startExecution.sync` task runs the machine its `StateMachineArn` names: the
 * run-sync machine (a step) or the wait-for-step machine (a gate), which itself
 * describes and attaches to run-sync executions.
 */

import { type AslDefinition, type AslState, allStates } from "../asl/definition";
import type { PipelineConfig, PipelinesConfig } from "../config/model";
import type { SynthesizedDefinitions } from "../constructs/definitions";
import type { FunctionName, RESOLVE_ORGANIZATIONS_FUNCTION } from "../constructs/paths";
import { buildOrganizationReports, buildRunReport, fanOutReport } from "../report/build";
import {
  ChildExecutions,
  DESCRIBE_EXECUTION,
  type RunSyncEventWait,
  START_EXECUTION_SYNC,
} from "./children";
import {
  billedTransitions,
  type EventLog,
  type LocalExecutionResult,
  type LocalTask,
  runLocalExecution,
} from "./engine";
import { iso, type LocalRunResult, type RunEvent, type StepReport } from "./report";
import { StepTracker } from "./steps";
import type { LocalClock } from "./virtual-clock";

export type { FunctionName } from "../constructs/paths";
export type {
  CancelReport,
  LocalRunResult,
  RunEvent,
  StepProgress,
  StepReport,
  StepState,
} from "./report";

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
  pipelines: Record<
    string,
    {
      stateMachineName: string;
      definition: AslDefinition;
      /**
       * With `organizations:`: the per-organization machine the pipeline's fan-out starts
       * once per organization (its DAG), and its ARN in the synthesized definitions.
       */
      organization?: {
        stateMachineName: string;
        definition: AslDefinition;
        stateMachineArn: string;
      };
    }
  >;
  /** The function each Lambda Task state of the pipeline machines invokes, by state name. */
  pipelineTaskFunctions?: Record<string, typeof RESOLVE_ORGANIZATIONS_FUNCTION>;
}

/** The handlers a local run binds: the run-sync machine's, and the fan-out's resolver. */
export type LocalFunctions = Record<FunctionName, LocalTask> &
  Partial<Record<typeof RESOLVE_ORGANIZATIONS_FUNCTION, LocalTask>>;

export interface RunPipelineOptions {
  app: LocalApp;
  config: PipelinesConfig;
  pipeline: string;
  /** The Lambda handlers, bound to local dependencies. */
  functions: LocalFunctions;
  clock: LocalClock;
  /** Pipeline execution name. @default - `<pipeline>-<timestamp>` at the pipeline's start */
  executionName?: string;
  /**
   * Interrupts the run (Ctrl-C): the pipeline execution stops as StopExecution would, its
   * running children stop, and cancel-sync cancels their runs. The run ends `interrupted`.
   */
  signal?: AbortSignal;
  /**
   * Filled with each ended child's events, by execution ARN: what cancel-sync reads through
   * GetExecutionHistory. The handlers' deps must read the same map
   * (`localExecutionHistory`), or cancel-sync cannot tell which run a stopped step started.
   */
  histories: Map<string, EventLog[]>;
  onEvent?: (event: RunEvent) => void;
  /**
   * For a run-sync machine synthesized with webhooks: its token wait's tokens and function
   * (`startLocalEventWait`, lib/local/event-wait.ts).
   * @default - none: a run-sync machine with a token wait does not run
   */
  eventWait?: RunSyncEventWait;
}

/** The pipeline execution's name when none is given: `<pipeline>-<ISO time>`. */
export function defaultExecutionName(pipeline: string, now: number): string {
  const stamp = iso(now).replace(/[:.]/g, "-").replace(/Z$/, "");
  return `${pipeline}-${stamp}`.slice(0, 80);
}

export async function runPipelineDefinitions(options: RunPipelineOptions): Promise<LocalRunResult> {
  const { clock } = options;
  const { pipelineConfig, pipelineApp } = findPipeline(options);
  const steps = new StepTracker(pipelineConfig, clock, options.onEvent);
  const interrupted = () => options.signal?.aborted === true;
  const stop = new AbortController();
  const running = new Set<Promise<unknown>>();
  // A step task's signal aborts when the task times out or the pipeline stops: its child
  // stops with it, as a `.sync` task's child does.
  const startStep: LocalTask = (input, signal) => {
    const child = children.start(input, signal ?? stop.signal);
    running.add(child);
    return child.finally(() => running.delete(child));
  };
  const bind = (definition: AslDefinition): Record<string, LocalTask> =>
    pipelineTasksOf({ ...options, definition, children, startStep });
  const { organization } = pipelineApp;
  const children: ChildExecutions = new ChildExecutions({
    ...options,
    steps,
    interrupted,
    ...(organization
      ? { organization: { ...organization, tasks: (): Record<string, LocalTask> => orgTasks() } }
      : {}),
  });
  // A fan-out's per-organization executions run the same kinds of tasks as a pipeline's.
  let orgTasksBound: Record<string, LocalTask> | undefined;
  const orgTasks = (): Record<string, LocalTask> => {
    orgTasksBound ??= bind((organization as { definition: AslDefinition }).definition);
    return orgTasksBound;
  };
  const pipelineTasks = bind(pipelineApp.definition);

  const onOuterStop = () => stop.abort();
  options.signal?.addEventListener("abort", onOuterStop, { once: true });
  const startedAt = clock.now();
  options.onEvent?.({ type: "pipeline", status: "running" });
  steps.emitAll();
  const pipelineResult = await runLocalExecution(pipelineApp.definition, {
    name: options.executionName ?? defaultExecutionName(options.pipeline, startedAt),
    stateMachineName: pipelineApp.stateMachineName,
    input: {},
    clock,
    tasks: pipelineTasks,
    signal: stop.signal,
    onEvent: (event) => steps.observePipeline(event),
  });
  options.signal?.removeEventListener("abort", onOuterStop);
  // A child still running when the pipeline ends (stopped, timed out, or a failed
  // Parallel branch) is stopped, as Step Functions stops `.sync` children.
  stop.abort();
  await Promise.allSettled([...running]);
  const result = runResult(options.pipeline, startedAt, pipelineResult, children.ended);
  const status = interrupted() ? "interrupted" : result.status;
  options.onEvent?.({ type: "pipeline", status });
  const reports = steps.reports(interrupted());
  const input = { pipeline: options.pipeline, steps: pipelineConfig.steps };
  const timelines = runTimelines(input, pipelineResult, children.ended, reports);
  return { ...result, status, steps: reports, polls: steps.polls, ...timelines };
}

/**
 * The run's report; for a fan-out (steps with an organization), each organization's own
 * report too, and the run's with every organization's steps in the order they started.
 */
function runTimelines(
  input: { pipeline: string; steps: PipelineConfig["steps"] },
  execution: LocalExecutionResult,
  children: readonly LocalExecutionResult[],
  reports: readonly StepReport[],
): Pick<LocalRunResult, "timeline" | "organization_timelines"> {
  const timeline = buildRunReport({ ...input, execution, children });
  const started = new Map(
    reports.flatMap((r) => (r.organization ? [[r.organization.id, r.organization.name]] : [])),
  );
  if (started.size === 0) return { timeline };
  const byOrganization = buildOrganizationReports({ ...input, children });
  const organizations = [...started].flatMap(([id, name]) => {
    const report = byOrganization[id];
    return report ? [{ name, report }] : [];
  });
  return {
    timeline: fanOutReport(timeline, organizations),
    organization_timelines: byOrganization,
  };
}

function findPipeline(options: RunPipelineOptions): {
  pipelineConfig: PipelineConfig;
  pipelineApp: LocalApp["pipelines"][string];
} {
  const pipelineConfig = options.config.pipelines.find((p) => p.name === options.pipeline);
  const pipelineApp = options.app.pipelines[options.pipeline];
  if (!pipelineConfig || !pipelineApp) {
    const known = options.config.pipelines.map((p) => p.name).join(", ");
    throw new Error(`unknown pipeline "${options.pipeline}" (known: ${known})`);
  }
  return { pipelineConfig, pipelineApp };
}

/**
 * The tasks of a pipeline machine (or of a fan-out's per-organization machine):
 * describeExecution from the children's registries, `startExecution.sync` through
 * `startStep`, and Lambda tasks (a fan-out's resolver) through their handler. Fails before
 * running on a task that cannot run locally or names a machine the app lacks.
 */
function pipelineTasksOf(options: {
  pipeline: string;
  definition: AslDefinition;
  app: LocalApp;
  functions: LocalFunctions;
  children: ChildExecutions;
  startStep: LocalTask;
}): Record<string, LocalTask> {
  const { pipeline, definition, app, children, startStep } = options;
  const starts = [...allStates(definition)].filter(
    ([, state]) => state.Type === "Task" && START_EXECUTION_SYNC.test(state.Resource ?? ""),
  );
  const targetOf = (state: AslState) =>
    (state.Parameters as { StateMachineArn?: unknown } | undefined)?.StateMachineArn;
  // Without the run-sync ARN the runner cannot tell machines apart: refuse a pipeline
  // that starts more than one (it would run a gate as a step).
  const targets = new Set(
    starts
      .map(([, state]) => targetOf(state))
      .filter((arn) => typeof arn === "string" && arn !== app.waitForStep?.stateMachineArn),
  );
  if (!app.runSync.stateMachineArn && targets.size > 1) {
    throw new Error(
      `pipeline "${pipeline}" starts ${targets.size} state machines (${[...targets].join(", ")}): give the LocalApp runSync.stateMachineArn and waitForStep (localAppOf(synthesizeDefinitions(config)) does)`,
    );
  }
  const tasks: Record<string, LocalTask> = {};
  for (const [stateName, state] of allStates(definition)) {
    if (state.Type !== "Task") continue;
    const fn = app.pipelineTaskFunctions?.[stateName];
    if (DESCRIBE_EXECUTION.test(state.Resource ?? "")) {
      tasks[stateName] = children.describe;
    } else if (START_EXECUTION_SYNC.test(state.Resource ?? "")) {
      const target = targetOf(state);
      if (typeof target === "string") children.machineOf(target); // unknown machine: fail now
      tasks[stateName] = startStep;
    } else if (fn !== undefined && options.functions[fn] !== undefined) {
      tasks[stateName] = options.functions[fn];
    } else {
      throw new Error(
        `pipeline Task state "${stateName}" uses ${state.Resource}, which does not run locally`,
      );
    }
  }
  return tasks;
}

/** The run's result but its steps: the pipeline execution's end and every execution. */
function runResult(
  pipeline: string,
  startedAt: number,
  pipelineResult: LocalExecutionResult,
  children: LocalExecutionResult[],
): Omit<LocalRunResult, "steps" | "polls"> {
  const status = pipelineResult.status === "SUCCEEDED" ? "succeeded" : "failed";
  const all = [pipelineResult, ...children];
  return {
    pipeline,
    status,
    started_at: iso(startedAt),
    finished_at: iso(pipelineResult.stoppedAt),
    state_transitions: all.reduce((sum, e) => sum + billedTransitions(e), 0),
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
  /**
   * The Polytomic API the handlers call: the embedded simulator or the real one; a fan-out's
   * steps and resolver call it with the partner key (docs/partners.md).
   */
  polytomic: { baseUrl: string; apiKey: string; partnerKey?: string | undefined };
  clock: LocalClock;
  /** Logs, metrics and handler logs go here instead of S3 and CloudWatch. */
  outDir: string;
  /**
   * The run's own folder: its handler log and metrics go there, not shared with other runs.
   * @default - `outDir`
   */
  runDir?: string;
  executionName?: string;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
  /**
   * Wait for runs' ends on events, as a stack deployed with webhooks: the definitions are
   * synthesized with webhooks, and their token waits use these (`startSimulatorEventWait`).
   * @default - polling alone (the definitions of a stack without webhooks)
   */
  eventWait?: RunSyncEventWait;
}

/**
 * The local app of synthesized definitions: run-sync, wait-for-step (when some pipeline
 * has gates) and every pipeline, with the ARNs their start tasks name.
 */
export function localAppOf(synthesized: SynthesizedDefinitions): LocalApp {
  return {
    runSync: {
      stateMachineName: "run-sync",
      definition: synthesized.runSync,
      taskFunctions: synthesized.taskFunctions,
      stateMachineArn: synthesized.runSyncArn,
    },
    ...(synthesized.waitForStep
      ? {
          waitForStep: {
            stateMachineName: "wait-for-step",
            definition: synthesized.waitForStep.definition,
            stateMachineArn: synthesized.waitForStep.arn,
          },
        }
      : {}),
    pipelines: Object.fromEntries(
      Object.entries(synthesized.pipelines).map(([name, definition]) => {
        const organization = synthesized.organizations[name];
        return [
          name,
          {
            stateMachineName: `pipeline-${name}`,
            definition,
            ...(organization
              ? {
                  organization: {
                    stateMachineName: `pipeline-${name}-org`,
                    definition: organization.definition,
                    stateMachineArn: organization.arn,
                  },
                }
              : {}),
          },
        ];
      }),
    ),
    pipelineTaskFunctions: synthesized.pipelineTaskFunctions,
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
  const webhooks = options.eventWait !== undefined;
  const app = localAppOf(synthesizeDefinitions(options.config, { webhooks }));
  // cancel-sync reads a stopped run-sync's history, as GetExecutionHistory on AWS.
  const histories = new Map<string, EventLog[]>();
  const local = await createLocalDeps({ ...options, histories });
  try {
    const functions = Object.fromEntries(
      Object.entries(handlers).map(([name, makeHandler]) => {
        const handler = makeHandler(local.deps);
        return [name, (input: unknown) => handler(input)];
      }),
    ) as LocalFunctions;
    return await runPipelineDefinitions({ ...options, app, functions, histories });
  } finally {
    await local.close();
  }
}

/** The same handler modules the Lambda functions run. */
async function loadHandlerModules() {
  const [start, check, exportLogs, publish, cancel, resolve] = await Promise.all([
    import("../../functions/start-sync/index"),
    import("../../functions/check-status/index"),
    import("../../functions/export-logs/index"),
    import("../../functions/publish-metrics/index"),
    import("../../functions/cancel-sync/index"),
    import("../../functions/resolve-organizations/index"),
  ]);
  return {
    "start-sync": start.makeHandler,
    "check-status": check.makeHandler,
    "export-logs": exportLogs.makeHandler,
    "publish-metrics": publish.makeHandler,
    "cancel-sync": cancel.makeHandler,
    "resolve-organizations": resolve.makeHandler,
  } as const;
}
