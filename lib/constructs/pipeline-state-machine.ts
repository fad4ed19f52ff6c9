import { createHash } from "node:crypto";
import { Annotations, Duration, Stack } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import type { StepInput, StepResult } from "../../functions/core/contract";
import { type Dependency, decompose, firstStep, type Plan } from "../asl/series-parallel";
import type { FanOutConfig, PipelineConfig, StepConfig } from "../config/model";
import { MAX_ORGANIZATIONS } from "../config/schema";
import { START_RETRY } from "./child-start-retry";
import { executionArn } from "./execution-arns";
import { fanOutDefinition, fanOutLimits, fanOutProblems } from "./fan-out";
import { loggedStateMachine } from "./state-machine-logs";
import { GATE_RETRY, gateRetryPauses, type WaitForStepInput } from "./wait-for-step-state-machine";

/** Step ids (and so JSONPath keys and state names) are letters, digits, - and _. */
const STEP_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** The most bytes a state machine definition may have (Step Functions quotas: 1 MB). */
const DEFINITION_QUOTA = 1024 * 1024;
/** Step Functions state names are at most 80 characters. */
const MAX_STATE_NAME = 80;

/** State names of a pipeline machine. Stable: the local runner binds handlers by name. */
export const PIPELINE_STATES = {
  start: "Start pipeline",
  anyFailed: "Any step failed?",
  summarize: "Summarize failures",
  failed: "Pipeline failed",
  succeeded: "Pipeline succeeded",
  /** The child execution of the run-sync machine for a step. */
  run: (step: string) => `Run ${step}`,
  /** The Choice on a step's dependencies (run_after: success with dependencies). */
  canRun: (step: string) => `Can ${step} run?`,
  skip: (step: string) => `Skip ${step}`,
  /**
   * A retried start met ExecutionAlreadyExists (the child it started had already ended):
   * describe that child (aws-sdk:sfn:describeExecution) and adopt its result.
   */
  findChild: (step: string) => `Find ${step} child`,
  childSucceeded: (step: string) => `Adopt ${step}?`,
  parseChild: (step: string) => `Parse ${step}`,
  adoptChild: (step: string) => `Adopt ${step}`,
  recordFailure: (step: string) => `Record ${step} failure`,
  /** Adds the failed step's line (its error name) to `$.failures`, for the Fail cause. */
  noteFailure: (step: string) => `Note ${step} failure`,
  /**
   * A gate (a dependency the Parallel structure cannot order, see docs/pipelines.md):
   * one child execution of the wait-for-step machine.
   */
  gate: (dep: string, step: string) => stateName(`Await ${dep} for ${step}`),
  /** A gated-on step that is skipped (or failed to start) still ends a child execution. */
  markSkipped: (step: string) => `End ${step} skipped`,
  markEnded: (step: string) => `End ${step}`,
} as const;

/**
 * A state name of at most 80 characters: longer ones keep their first 71 characters
 * and end with `~` and 8 hex digits of their MD5, so they stay unique and stable.
 */
function stateName(text: string): string {
  if (text.length <= MAX_STATE_NAME) return text;
  const hash = createHash("md5").update(text).digest("hex").slice(0, 8);
  return `${text.slice(0, MAX_STATE_NAME - 9)}~${hash}`;
}

/**
 * Events one gate adds to the pipeline's history, however long it waits: the
 * `startExecution.sync:2` Task of the wait-for-step machine (TaskStateEntered,
 * TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded, TaskStateExited; 7 with a
 * caught failure). The polling happens in the wait-for-step execution.
 */
export const EVENTS_PER_GATE = 6;
/**
 * Events one check adds to a wait-for-step execution's history while the dependency's
 * child does not exist yet (Describe's Task 5 incl. its caught failure, Wait 2, Choice 2,
 * Pass 2).
 */
export const EVENTS_PER_WAIT_CHECK = 11;
/** Above this worst-case number of events in one wait-for-step execution, synth warns. */
const GATE_HISTORY_WARNING = 15_000;

/**
 * The waits between a gate's checks of a dependency's child execution: the
 * dependency's `poll.min_seconds` until 10 times that has passed, then 10% of the time
 * waited so far, growing to its `poll.max_seconds`, which the last entry repeats.
 * So a gate notices the end at most max(min, 10% of its wait, capped at max) late.
 */
export function gateSchedule(minSeconds: number, maxSeconds: number): number[] {
  const min = Math.max(1, Math.ceil(minSeconds));
  const max = Math.max(min, Math.ceil(maxSeconds));
  const schedule: number[] = [];
  let waited = 0;
  for (;;) {
    const next = Math.min(max, Math.max(min, Math.round(waited / 10)));
    schedule.push(next);
    waited += next;
    if (next === max) return schedule;
  }
}

/**
 * Checks (DescribeExecution calls) a wait-for-step execution makes while the dependency's
 * child does not exist for `seconds`; once it runs, the wait is event-driven (one Attach).
 */
export function gateChecks(schedule: readonly number[], seconds: number): number {
  let waited = 0;
  let checks = 1;
  for (const wait of schedule) {
    if (waited >= seconds) return checks;
    waited += wait;
    checks++;
  }
  const last = schedule.at(-1) ?? 1;
  return checks + Math.max(0, Math.ceil((seconds - waited) / last));
}

/** Events one retry of Describe adds (scheduled, started, failed). */
const EVENTS_PER_GATE_RETRY = 3;

/**
 * The most events one wait-for-step execution can have when its dependency never starts
 * within `seconds`: Describe's retries (GATE_RETRY) and the schedule's checks, counted
 * as if both the retries restarted at every entry into Describe and the schedule alone
 * filled the whole wait (Step Functions does not document which happens).
 */
export function gateWorstCaseEvents(schedule: readonly number[], seconds: number): number {
  const retryRound = gateRetryPauses().reduce((a, b) => a + b, 0);
  const rounds = Math.ceil(seconds / retryRound) + 1;
  return (
    EVENTS_PER_WAIT_CHECK * gateChecks(schedule, seconds) +
    EVENTS_PER_GATE_RETRY * GATE_RETRY.maxAttempts * rounds
  );
}

/** The error a failed pipeline execution ends with. */
export const PIPELINE_FAILED_ERROR = "Pipeline.StepsFailed";

/**
 * The Fail cause: one entry per failed step, `"<step id>":"<error name>"` (a step id is at
 * most 64 characters, an error name a Step Functions or AWS API error name), so 200
 * failed steps stay well within the 32,768 characters a cause may have. The details (the
 * child execution, whose history holds the full cause) are in each step's result.
 */
const FAILURE_CAUSE =
  "Failed steps and their errors (details in the step results and child executions): {}";

export interface PipelineStateMachineProps {
  /** The pipeline, as loaded from the pipelines file. */
  readonly pipeline: PipelineConfig;
  /** The run-sync state machine each step runs as a child execution of. */
  readonly runSync: sfn.IStateMachine;
  /**
   * The wait-for-step machine (WaitForStepStateMachine) gates run as child executions
   * of; asked for only when the DAG is not series-parallel (it has gates).
   * @default - a pipeline that needs gates fails to synthesize, saying so
   */
  readonly waitForStep?: () => sfn.IStateMachine;
  /**
   * The resolve-organizations function a fan-out's first state invokes; asked for only
   * when the pipeline has `organizations:`.
   * @default - a pipeline with organizations fails to synthesize, saying so
   */
  readonly resolveOrganizations?: () => lambda.IFunction;
  /**
   * Added to each step's timeout for the child task's timeout; must cover the run-sync
   * machine's own margin (cancel, export logs, publish metrics after the deadline).
   * @default Duration.minutes(30)
   */
  readonly childTimeoutMargin?: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * The wait-for-step execution name of the gate of `step` on `dep`:
 * `<step (22 chars)>-<dep (22 chars)>-<md5 hex>` of (parent execution name, pipeline,
 * step, dependency, redrive count). At most 78 characters of [A-Za-z0-9_-];
 * deterministic, so a retried start attaches instead of starting a second wait.
 */
export function gateExecutionName(pipeline: string, dep: string, step: string): string {
  return sfn.JsonPath.format(
    `${step.slice(0, 22)}-${dep.slice(0, 22)}-{}`,
    sfn.JsonPath.hash(
      sfn.JsonPath.format(
        `{}/${pipeline}/${step}/${dep}/{}`,
        sfn.JsonPath.stringAt("$$.Execution.Name"),
        sfn.JsonPath.stringAt("$$.Execution.RedriveCount"),
      ),
      "MD5",
    ),
  );
}

/** JSONPath to a step's result; bracket notation because ids may contain `-`. */
export function resultPath(step: string): string {
  return `$.results['${step}']`;
}

/**
 * The child execution name for a step: `<step id (first 40 chars)>-<md5 hex>` of
 * (parent execution name, step id, redrive count). At most 73 characters of
 * [A-Za-z0-9_-], as Step Functions requires (<= 80). Deterministic for the same
 * parent execution, step and redrive attempt: a retried StartExecution of a running
 * child is idempotent instead of starting a second run, while a redriven parent gets
 * fresh child names.
 */
export function childExecutionName(step: string): string {
  return sfn.JsonPath.format(
    `${step.slice(0, 40)}-{}`,
    sfn.JsonPath.hash(
      sfn.JsonPath.format(
        `{}/${step}/{}`,
        sfn.JsonPath.stringAt("$$.Execution.Name"),
        sfn.JsonPath.stringAt("$$.Execution.RedriveCount"),
      ),
      "MD5",
    ),
  );
}

/**
 * One pipeline as a state machine. Each step is a child execution of the run-sync
 * machine (`startExecution.sync:2`), so no execution history nears the 25,000-event
 * limit. Steps are composed by series-parallel decomposition of the DAG
 * (lib/asl/series-parallel.ts): no level-by-level barriers, and no step waits for a
 * step it does not depend on. For a DAG that is not series-parallel some dependency
 * edges are cut; each dependency the resulting Parallel structure does not order
 * (`gatedDependencies`) gets a gate in the dependent step's branch: one
 * `startExecution.sync:2` child of the wait-for-step machine (WaitForStepStateMachine),
 * which waits for the dependency's child execution (by its deterministic name) to end,
 * and whose result the gate records at `$.dep_<index>` for the step's Choice. A gated-on step that is skipped, or whose child could not be started, still
 * starts a child with `skip: true` (which ends at once) so the gate sees it end.
 *
 * The state is `{ results: { <step id>: StepResult-like } }`. A step runs when its
 * dependencies succeeded (`run_after: success`) or ended whatever their status
 * (`run_after: completion`), else it is recorded as skipped; a failed child is caught
 * and recorded as failed, so one failure never aborts unrelated branches. At the end
 * the pipeline fails (`Pipeline.StepsFailed`, the results as cause) when any step
 * failed, else succeeds with the results as output.
 *
 * Stopping: when this execution is stopped or times out, Step Functions stops the
 * running `.sync` child executions (that is what the `states:StopExecution`
 * permission CDK grants for RUN_JOB is for); the child's ABORTED status change then
 * triggers cancel-sync (SyncCancellation). If a child kept running, it still ends
 * itself at its own step timeout and cancels the Polytomic run, so no run is left
 * unmonitored.
 */
export class PipelineStateMachine extends Construct {
  /** The machine the schedule and the CLI start: the DAG, or with organizations the fan-out. */
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** With organizations: the pipeline's DAG, run once per organization by the fan-out. */
  readonly organizationMachine?: sfn.StateMachine;
  /**
   * Declared dependencies that a gate enforces (the Parallel structure does not order
   * them). Empty for series-parallel DAGs, whose definition has no gates.
   */
  readonly gatedDependencies: readonly Dependency[];
  readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const { pipeline } = props;
    this.pipelineName = pipeline.name;
    const margin = props.childTimeoutMargin ?? Duration.minutes(30);
    validate(pipeline);

    const fanOut = pipeline.fan_out;
    // A fan-out's DAG is the per-organization machine, in a scope of its own; the
    // pipeline's machine (its schedule's and the CLI's) is then the fan-out.
    const dagScope = fanOut ? new Construct(this, "Organization") : this;
    const dag = this.dagMachine(dagScope, props, margin);
    this.gatedDependencies = dag.gated;
    this.checkDefinitionSize(dag.machine.stateMachine, pipeline.name);
    if (!fanOut) {
      this.logGroup = dag.machine.logGroup;
      this.stateMachine = dag.machine.stateMachine;
      return;
    }
    if (!props.resolveOrganizations) {
      throw new Error(
        `Pipeline "${pipeline.name}" has organizations: give PipelineStateMachine the resolveOrganizations function`,
      );
    }
    this.organizationMachine = dag.machine.stateMachine;
    const start = fanOutDefinition(this, {
      pipeline,
      fanOut,
      organizationMachine: dag.machine.stateMachine,
      resolveOrganizations: props.resolveOrganizations(),
    });
    const machine = loggedStateMachine(this, {
      machine: `Pipeline-${pipeline.name}`,
      comment: `Pipeline ${pipeline.name} across organizations${pipeline.description ? `: ${pipeline.description}` : ""}`,
      start,
      timeout: fanOutTimeout(pipeline, fanOut),
      logRetention: props.logRetention,
    });
    this.logGroup = machine.logGroup;
    this.stateMachine = machine.stateMachine;
    this.checkDefinitionSize(machine.stateMachine, pipeline.name);
    for (const problem of fanOutProblems(pipeline.name, fanOutLimits(fanOut))) {
      Annotations.of(this).addError(problem);
    }
  }

  /** The pipeline's DAG as a machine in `scope`: its steps, gates and end. */
  private dagMachine(
    scope: Construct,
    props: PipelineStateMachineProps,
    margin: Duration,
  ): { machine: ReturnType<typeof loggedStateMachine>; gated: readonly Dependency[] } {
    const { pipeline } = props;
    const { plan, gated } = decompose(pipeline.steps.map((s) => ({ id: s.id, after: s.after })));
    const steps = new Map(pipeline.steps.map((s) => [s.id, s]));
    if (gated.length > 0) this.annotateGates(pipeline, gated, steps);

    let waitForStep: sfn.IStateMachine | undefined;
    if (gated.length > 0) {
      if (!props.waitForStep) {
        throw new Error(
          `Pipeline "${pipeline.name}" is not series-parallel and needs gates: give PipelineStateMachine a waitForStep machine`,
        );
      }
      waitForStep = props.waitForStep();
    }
    const builder = new DefinitionBuilder(
      scope,
      pipeline,
      steps,
      { runSync: props.runSync, waitForStep },
      margin,
      gated,
    );
    const end = builder.end();
    const start = new sfn.Pass(scope, PIPELINE_STATES.start, {
      parameters: { results: {}, failures: {} },
    });
    start.next(builder.compose(plan, end));
    const org = pipeline.fan_out !== undefined;
    const machine = loggedStateMachine(scope, {
      machine: `Pipeline-${pipeline.name}${org ? "-org" : ""}`,
      comment: `Pipeline ${pipeline.name}${org ? ", one organization" : ""}${pipeline.description ? `: ${pipeline.description}` : ""}`,
      start,
      timeout: Duration.seconds(pipeline.timeout_seconds),
      logRetention: props.logRetention,
    });
    return { machine, gated };
  }

  /**
   * Fails synth (an error annotation) when the definition is over the 1 MB Step Functions
   * allows a definition (quotas), which a deploy would only find out at CloudFormation
   * time. The size is measured with CloudFormation references unresolved (ARNs are
   * about as long once resolved).
   */
  private checkDefinitionSize(machine: sfn.StateMachine, name: string): void {
    const cfn = machine.node.defaultChild as sfn.CfnStateMachine;
    const bytes = renderedBytes(Stack.of(this).resolve(cfn.definitionString));
    if (bytes <= DEFINITION_QUOTA) return;
    Annotations.of(this).addError(
      `Pipeline "${name}": its state machine definition would be ${bytes} bytes, over the 1 MB Step Functions allows. Split the pipeline, or make it series-parallel (gates cost the most).`,
    );
  }

  /** Says which steps are gated and what the gates can cost at most (a warning when a lot). */
  private annotateGates(
    pipeline: PipelineConfig,
    gated: readonly Dependency[],
    steps: ReadonlyMap<string, StepConfig>,
  ): void {
    // The pipeline pays a fixed cost per gate; each wait-for-step execution at most
    // its polls while the dependency's child does not exist (the whole timeout at worst).
    const pipelineEvents = EVENTS_PER_GATE * gated.length;
    let worstWait = 0;
    for (const g of gated) {
      const dep = steps.get(g.dependsOn) as StepConfig;
      const schedule = gateSchedule(dep.poll.min_seconds, dep.poll.max_seconds);
      worstWait = Math.max(worstWait, gateWorstCaseEvents(schedule, pipeline.timeout_seconds));
    }
    const list = gated.map((g) => `${g.step} on ${g.dependsOn}`).join(", ");
    Annotations.of(this).addInfo(
      `Pipeline "${pipeline.name}" is not series-parallel: ${gated.length} ${gated.length === 1 ? "dependency is" : "dependencies are"} enforced by a gate that waits for the dependency's child execution in a child execution of the wait-for-step machine (${list}); no step waits for a step it does not depend on. The gates add about ${pipelineEvents} events to the pipeline's history; a wait-for-step execution has at most ${worstWait} events (polling only while its dependency has not started, the whole timeout at worst).`,
    );
    if (worstWait > GATE_HISTORY_WARNING) {
      Annotations.of(this).addWarningV2(
        "polytomic-orchestrator:gate-history",
        `Pipeline "${pipeline.name}": a gate waiting the whole ${pipeline.timeout_seconds}s timeout for a dependency that never starts could put ${worstWait} events in its wait-for-step execution's history (the limit is 25,000). Raise poll.max on ${[...new Set(gated.map((g) => g.dependsOn))].join(", ")}, shorten the timeout, or reshape the DAG.`,
      );
    }
  }
}

/**
 * A fan-out's timeout: its organizations run max_concurrent at a time, each within the
 * pipeline's timeout (which bounds one organization's run), so rounds of them at most,
 * plus an hour for the resolver and the starts (at most a year, Step Functions' limit).
 */
function fanOutTimeout(pipeline: PipelineConfig, fanOut: FanOutConfig): Duration {
  const spec = fanOut.organizations;
  const organizations = "list" in spec ? spec.list.length : MAX_ORGANIZATIONS;
  const rounds = Math.ceil(organizations / fanOut.max_concurrent);
  return Duration.seconds(Math.min(365 * 24 * 3600, rounds * pipeline.timeout_seconds + 3600));
}

function validate(pipeline: PipelineConfig): void {
  if (pipeline.steps.length === 0) {
    throw new Error(`Pipeline "${pipeline.name}" has no steps: add at least one step`);
  }
  for (const step of pipeline.steps) {
    if (!STEP_ID.test(step.id)) {
      throw new Error(
        `Pipeline "${pipeline.name}": step id "${step.id}" must be 1-64 letters, digits, - or _`,
      );
    }
    if (step.timeout_seconds > pipeline.timeout_seconds) {
      throw new Error(
        `Pipeline "${pipeline.name}": step "${step.id}" timeout (${step.timeout_seconds}s) exceeds the pipeline timeout (${pipeline.timeout_seconds}s)`,
      );
    }
  }
  if (pipeline.timeout_seconds < 1 || pipeline.timeout_seconds > 365 * 24 * 3600) {
    throw new Error(
      `Pipeline "${pipeline.name}": timeout must be between 1 second and 365 days, got ${pipeline.timeout_seconds}s`,
    );
  }
}

type StepResultFields = { [K in keyof StepResult]?: unknown } & Record<string, unknown>;

class DefinitionBuilder {
  private parallelCount = 0;
  /** Gated dependencies by dependent step. */
  private readonly gatesOf = new Map<string, string[]>();
  /** Steps some gate waits for: they always end a child execution, even when skipped. */
  private readonly gatedOn = new Set<string>();
  /** Index of each step in the pipeline (its `$.dep_<index>` keys). */
  private readonly index: ReadonlyMap<string, number>;

  constructor(
    private readonly scope: Construct,
    private readonly pipeline: PipelineConfig,
    private readonly steps: ReadonlyMap<string, StepConfig>,
    private readonly machines: {
      runSync: sfn.IStateMachine;
      waitForStep: sfn.IStateMachine | undefined;
    },
    private readonly margin: Duration,
    gated: readonly Dependency[],
  ) {
    for (const g of gated) {
      this.gatesOf.set(g.step, [...(this.gatesOf.get(g.step) ?? []), g.dependsOn]);
      this.gatedOn.add(g.dependsOn);
    }
    this.index = new Map(pipeline.steps.map((s, i) => [s.id, i]));
  }

  /** `$.dep_<index of dep>`: where a gate records a dependency's result (`{ result }`). */
  private depPath(dep: string): string {
    return `$.dep_${this.index.get(dep)}`;
  }

  /**
   * The run-sync child executions' ARN up to the name (`...:execution:<machine>:`) and
   * the IAM resource covering them (the same one the RUN_JOB integration grants, so
   * the cdk-nag acknowledgement of that grant covers it).
   */
  private executionArns(): { prefix: string; grant: string } {
    const arn = (rest: string) => executionArn(this.scope, this.machines.runSync, rest);
    return { prefix: arn(":"), grant: arn("*") };
  }

  /** The final states: fail when any step failed, else succeed. */
  end(): sfn.State {
    const failed = new sfn.Fail(this.scope, PIPELINE_STATES.failed, {
      error: PIPELINE_FAILED_ERROR,
      causePath: "$.cause",
    });
    const summarize = new sfn.Pass(this.scope, PIPELINE_STATES.summarize, {
      parameters: {
        cause: sfn.JsonPath.format(
          FAILURE_CAUSE,
          sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt("$.failures")),
        ),
      },
    });
    summarize.next(failed);
    const conditions = this.pipeline.steps.map((s) =>
      sfn.Condition.stringEquals(`${resultPath(s.id)}.status`, "failed"),
    );
    return new sfn.Choice(this.scope, PIPELINE_STATES.anyFailed)
      .when(
        conditions.length === 1
          ? (conditions[0] as sfn.Condition)
          : sfn.Condition.or(...conditions),
        summarize,
      )
      .otherwise(new sfn.Succeed(this.scope, PIPELINE_STATES.succeeded));
  }

  /** The entry state of `plan`, whose ends continue to `next` (or end a branch). */
  compose(plan: Plan, next: sfn.State | undefined): sfn.State {
    switch (plan.kind) {
      case "step":
        return this.step(this.stepConfig(plan.id), next);
      case "series":
        return plan.parts.reduceRight<sfn.State | undefined>(
          (following, part) => this.compose(part, following),
          next,
        ) as sfn.State;
      case "parallel":
        return this.parallel(plan, next);
    }
  }

  private stepConfig(id: string): StepConfig {
    const step = this.steps.get(id);
    if (!step) throw new Error(`unknown step ${id}`);
    return step;
  }

  private parallel(
    plan: Extract<Plan, { kind: "parallel" }>,
    next: sfn.State | undefined,
  ): sfn.State {
    this.parallelCount += 1;
    const number = this.parallelCount;
    const label = plan.branches.map((b) => firstStep(b)).join(", ");
    const name = truncate(`Parallel ${number} (${label})`, MAX_STATE_NAME);
    let level = mergeLevel(
      Object.fromEntries(
        MERGED_KEYS.map((key) => [key, plan.branches.map((_, i) => `$[${i}].${key}`)]),
      ),
    );
    const state = new sfn.Parallel(this.scope, name, {
      comment: "Independent branches; their results and failures are merged",
      // The merged results replace the state (the default ResultPath "$"; not written
      // out: aws-local-stepfunctions 3 treats an explicit "$" as a key named "$").
      resultSelector: level.fields,
    });
    for (const branch of plan.branches) state.branch(this.compose(branch, undefined));
    // More branches than one field may merge: partial merges, merged by Pass states.
    let last: sfn.INextable = state;
    for (let depth = 1; !level.done; depth++) {
      level = mergeLevel(level.next);
      const merge = new sfn.Pass(this.scope, `Merge ${number}.${depth}`, {
        comment: "Merges the partial merges of the Parallel's branch results",
        parameters: level.fields,
      });
      last.next(merge);
      last = merge;
    }
    if (next) last.next(next);
    return state;
  }

  /**
   * A step's states: its child execution (after its gates, and behind its Choice when it
   * runs only if its dependencies succeeded), its failure path and its skip path.
   */
  private step(step: StepConfig, next: sfn.State | undefined): sfn.State {
    const run = this.runTask(step);
    const failure = this.failurePath(step, run, next);
    const gates = this.gatesOf.get(step.id) ?? [];
    if (step.run_after === "completion" || step.after.length === 0) {
      // Dependencies (if any) have ended: the composition runs them first, or gates wait.
      return this.withGates(step, gates, run, failure);
    }
    const skip = this.skipPath(step, next);
    const conditions = step.after.map((dep) =>
      sfn.Condition.stringEquals(
        gates.includes(dep) ? `${this.depPath(dep)}.result.status` : `${resultPath(dep)}.status`,
        "succeeded",
      ),
    );
    const canRun = new sfn.Choice(this.scope, PIPELINE_STATES.canRun(step.id))
      .when(
        conditions.length === 1
          ? (conditions[0] as sfn.Condition)
          : sfn.Condition.and(...conditions),
        run,
      )
      .otherwise(skip);
    return this.withGates(step, gates, canRun, failure);
  }

  /** The step's child execution of the run-sync machine; its result is the StepResult. */
  private runTask(step: StepConfig): tasks.StepFunctionsStartExecution {
    const run = new tasks.StepFunctionsStartExecution(this.scope, PIPELINE_STATES.run(step.id), {
      stateMachine: this.machines.runSync,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromObject(this.stepInput(step)),
      name: childExecutionName(step.id),
      associateWithParent: true,
      taskTimeout: sfn.Timeout.duration(Duration.seconds(step.timeout_seconds).plus(this.margin)),
      resultSelector: {
        step: step.id,
        sync_type: step.sync_type,
        status: sfn.JsonPath.stringAt("$.Output.status"),
        outcome: sfn.JsonPath.stringAt("$.Output.outcome"),
        sync_id: sfn.JsonPath.stringAt("$.Output.sync_id"),
        execution_id: sfn.JsonPath.stringAt("$.Output.execution_id"),
        counts: sfn.JsonPath.objectAt("$.Output.counts"),
        logs: sfn.JsonPath.listAt("$.Output.logs"),
        child_execution: sfn.JsonPath.stringAt("$.ExecutionArn"),
      } satisfies StepResultFields,
      resultPath: resultPath(step.id),
    });
    run.addRetry(START_RETRY);
    return run;
  }

  /**
   * Catches `run`'s errors: ExecutionAlreadyExists adopts the ended child's result, any
   * other error records the step as failed (after ending a child for the gates waiting on
   * it). Returns the failure path's entry, for the step's gates; continues to `next`.
   */
  private failurePath(
    step: StepConfig,
    run: tasks.StepFunctionsStartExecution,
    next: sfn.State | undefined,
  ): sfn.State {
    const S = PIPELINE_STATES;
    const adopt = this.adoption(step, next);
    run.addCatch(adopt.entry, {
      errors: ["StepFunctions.ExecutionAlreadyExistsException"],
      resultPath: resultPath(step.id),
    });
    const recordFailure = new sfn.Pass(this.scope, S.recordFailure(step.id), {
      comment: "The child failed: record its error name and go on",
      parameters: {
        step: step.id,
        sync_type: step.sync_type,
        status: "failed",
        outcome: "failed",
        error: { Error: sfn.JsonPath.stringAt(`${resultPath(step.id)}.Error`) },
      } satisfies StepResultFields,
      resultPath: resultPath(step.id),
    });
    // Not the Cause, which is unbounded (the child's history has it); no comment either:
    // one of these per step counts against the definition's 1 MB.
    const noteFailure = new sfn.Pass(this.scope, S.noteFailure(step.id), {
      inputPath: `${resultPath(step.id)}.error.Error`,
      resultPath: `$.failures['${step.id}']`,
    });
    recordFailure.next(noteFailure);
    adopt.failed(recordFailure);
    let failure: sfn.State = recordFailure;
    if (this.gatedOn.has(step.id)) {
      // A gate waits for this step's child: when it could not even be started, start one
      // that ends at once (if the real child exists, this start fails, which is fine).
      const markEnded = this.marker(step, S.markEnded(step.id), sfn.JsonPath.DISCARD);
      markEnded.addCatch(recordFailure, {
        errors: [sfn.Errors.ALL],
        resultPath: sfn.JsonPath.DISCARD,
      });
      markEnded.next(recordFailure);
      failure = markEnded;
    }
    run.addCatch(failure, { errors: [sfn.Errors.ALL], resultPath: resultPath(step.id) });
    if (next) {
      run.next(next);
      noteFailure.next(next);
    }
    return failure;
  }

  /**
   * Records the step as skipped (a dependency did not succeed) and continues to `next`;
   * a step some gate waits for first ends a child execution (`skip: true`).
   */
  private skipPath(step: StepConfig, next: sfn.State | undefined): sfn.State {
    const skipResult = {
      step: step.id,
      sync_type: step.sync_type,
      status: "skipped",
      outcome: "skipped",
      skipped_because: `not all of ${step.after.join(", ")} succeeded`,
    } satisfies StepResultFields;
    const skip = new sfn.Pass(this.scope, PIPELINE_STATES.skip(step.id), {
      comment: `A dependency did not succeed (${step.after.join(", ")})`,
      result: sfn.Result.fromObject(skipResult),
      resultPath: resultPath(step.id),
    });
    if (next) skip.next(next);
    if (!this.gatedOn.has(step.id)) return skip;
    // Gates wait for this step's child execution: a skipped step still starts one
    // (`skip: true`), which the run-sync machine ends at once with a skipped result.
    const markSkipped = this.marker(
      step,
      PIPELINE_STATES.markSkipped(step.id),
      resultPath(step.id),
      {
        ...skipResult,
        child_execution: sfn.JsonPath.stringAt("$.ExecutionArn"),
      },
    );
    markSkipped.addCatch(skip, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    if (next) markSkipped.next(next);
    return markSkipped;
  }

  /**
   * After ExecutionAlreadyExists on a retried start: the StartExecution API returns that
   * error for an existing name whose execution is closed (or whose input differs;
   * API_StartExecution), which happens when a start that went through is retried after
   * the child already ended. Describes the child by its deterministic name: SUCCEEDED ->
   * its Output (the StepResult) becomes the step's result; anything else, or a failed
   * describe -> `failed` (the step's failure path, with the original error).
   */
  private adoption(
    step: StepConfig,
    next: sfn.State | undefined,
  ): { entry: sfn.State; failed: (failure: sfn.State) => void } {
    const S = PIPELINE_STATES;
    const find = new tasks.CallAwsService(this.scope, S.findChild(step.id), {
      service: "sfn",
      action: "describeExecution",
      iamAction: "states:DescribeExecution",
      iamResources: [this.executionArns().grant],
      parameters: {
        ExecutionArn: sfn.JsonPath.format(
          `${this.executionArns().prefix}{}`,
          childExecutionName(step.id),
        ),
      },
      resultPath: "$.adopted",
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    const parse = new sfn.Pass(this.scope, S.parseChild(step.id), {
      parameters: { result: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt("$.adopted.Output")) },
      resultPath: "$.adopted",
    });
    const record = new sfn.Pass(this.scope, S.adoptChild(step.id), {
      inputPath: "$.adopted.result",
      resultPath: resultPath(step.id),
    });
    parse.next(record);
    if (next) record.next(next);
    return {
      entry: find,
      failed: (failure) => {
        find.addCatch(failure, { errors: [sfn.Errors.ALL], resultPath: "$.adopted" });
        find.next(
          new sfn.Choice(this.scope, S.childSucceeded(step.id))
            .when(sfn.Condition.stringEquals("$.adopted.Status", "SUCCEEDED"), parse)
            .otherwise(failure),
        );
      },
    };
  }

  /**
   * A child execution with `skip: true`: the run-sync machine ends it at once. Kept
   * small (the definition quota is on bytes): the input has only what the run-sync
   * machine's skip path reads, and no comment or parent association.
   */
  private marker(
    step: StepConfig,
    name: string,
    path: string,
    selector?: Record<string, unknown>,
  ): tasks.StepFunctionsStartExecution {
    const marker = new tasks.StepFunctionsStartExecution(this.scope, name, {
      stateMachine: this.machines.runSync,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      input: sfn.TaskInput.fromObject({
        step: step.id,
        sync_type: step.sync_type,
        skip: true,
        ...this.organization(),
      } satisfies Pick<
        StepInput,
        "step" | "sync_type" | "skip" | "organization_id" | "organization_name"
      >),
      name: childExecutionName(step.id),
      taskTimeout: sfn.Timeout.duration(Duration.minutes(5)),
      ...(selector ? { resultSelector: selector } : {}),
      resultPath: path,
    });
    marker.addRetry(START_RETRY);
    return marker;
  }

  /**
   * `entry` preceded by one gate per gated dependency of `step`, in declaration order;
   * a gate that cannot wait goes to `failure` (the step's failure path).
   */
  private withGates(
    step: StepConfig,
    gates: readonly string[],
    entry: sfn.State,
    failure: sfn.State,
  ): sfn.State {
    return gates.reduceRight<sfn.State>(
      (following, dep) => this.gate(dep, step, following, failure),
      entry,
    );
  }

  /**
   * Waits until `dep`'s child execution ended, then records `{ result }` at
   * `$.dep_<index>`: the child's StepResult when it succeeded (status "succeeded" or
   * "skipped"), else `{ status: "failed", child_status }`. One `startExecution.sync:2`
   * Task of the wait-for-step machine (which polls only while the child does not exist,
   * then attaches to it): a fixed few events in this history however long it waits.
   * Should the waiting itself fail (DescribeExecution errors past their retries, the
   * task's timeout), `failure` records the step as failed (running it without knowing
   * whether its dependency ended would break the DAG; skipping it would hide it).
   */
  private gate(depId: string, step: StepConfig, next: sfn.State, failure: sfn.State): sfn.State {
    const dep = this.stepConfig(depId);
    const waitForStep = this.machines.waitForStep;
    if (!waitForStep) throw new Error("gates need the wait-for-step machine");
    const gate = new tasks.StepFunctionsStartExecution(
      this.scope,
      PIPELINE_STATES.gate(depId, step.id),
      {
        stateMachine: waitForStep,
        integrationPattern: sfn.IntegrationPattern.RUN_JOB,
        input: sfn.TaskInput.fromObject({
          execution_arn: sfn.JsonPath.format(
            `${this.executionArns().prefix}{}`,
            childExecutionName(depId),
          ),
          schedule: gateSchedule(dep.poll.min_seconds, dep.poll.max_seconds),
        } satisfies { [K in keyof WaitForStepInput]: unknown }),
        name: gateExecutionName(this.pipeline.name, depId, step.id),
        taskTimeout: sfn.Timeout.duration(Duration.seconds(this.pipeline.timeout_seconds)),
        resultSelector: { result: sfn.JsonPath.objectAt("$.Output.result") },
        resultPath: this.depPath(depId),
      },
    );
    gate.addRetry(START_RETRY);
    gate.addCatch(failure, { errors: [sfn.Errors.ALL], resultPath: resultPath(step.id) });
    gate.next(next);
    return gate;
  }

  private stepInput(step: StepConfig): {
    [K in keyof Omit<StepInput, "skip" | "organization_id" | "organization_name">]-?: unknown;
  } & { organization_id?: unknown; organization_name?: unknown } {
    return {
      pipeline: this.pipeline.name,
      step: step.id,
      execution_name: sfn.JsonPath.stringAt("$$.Execution.Name"),
      attempt: sfn.JsonPath.numberAt("$$.Execution.RedriveCount"),
      sync_type: step.sync_type,
      sync: step.sync,
      options: step.options,
      on_conflict: step.on_conflict,
      policy: step.policy,
      poll: step.poll,
      timeout_seconds: step.timeout_seconds,
      ...this.organization(),
    };
  }

  /**
   * With organizations, the organization of this (per-organization) execution, from its
   * input (the fan-out's start): every child's input names it. Nothing otherwise, so a
   * pipeline without organizations keeps its definition byte for byte.
   */
  private organization(): Pick<StepInput, "organization_id" | "organization_name"> {
    if (!this.pipeline.fan_out) return {};
    return {
      organization_id: sfn.JsonPath.stringAt("$$.Execution.Input.organization_id"),
      organization_name: sfn.JsonPath.stringAt("$$.Execution.Input.organization_name"),
    };
  }
}

/**
 * Operands one field merges at most, with nested `States.JsonMerge` (one call fewer than
 * operands). Step Functions allows "up to 10 intrinsic functions within a field", and
 * its example counts every function in the field, not only the depth ("Intrinsic
 * functions": docs.aws.amazon.com/step-functions/latest/dg/intrinsic-functions.html):
 * 9 calls stay within the limit under either reading.
 */
export const MAX_MERGED_PER_FIELD = 10;

/** The state's keys a Parallel merges from its branches (the rest of a branch's state is dropped). */
const MERGED_KEYS = ["results", "failures"] as const;

/**
 * One level of merging, for each key the objects at its paths: the key itself when one
 * field can merge them all, else `<key>_0`, `<key>_1`, ..., each merging at most
 * MAX_MERGED_PER_FIELD of them in order (a later key wins, as with one long merge).
 * `next` holds the paths of the partial merges for the next level; `done` when there are
 * none left.
 */
function mergeLevel(sources: Readonly<Record<string, readonly string[]>>): {
  fields: Record<string, unknown>;
  next: Record<string, string[]>;
  done: boolean;
} {
  const merge = (group: readonly string[]): unknown =>
    group
      .map((path): unknown => sfn.JsonPath.objectAt(path))
      .reduce((acc, cur) => sfn.JsonPath.jsonMerge(acc, cur));
  const fields: Record<string, unknown> = {};
  const next: Record<string, string[]> = {};
  let done = true;
  for (const [key, paths] of Object.entries(sources)) {
    if (paths.length <= MAX_MERGED_PER_FIELD) {
      fields[key] = merge(paths);
      next[key] = [`$.${key}`];
      continue;
    }
    done = false;
    next[key] = [];
    for (let i = 0; i * MAX_MERGED_PER_FIELD < paths.length; i++) {
      const part = `${key}_${i}`;
      fields[part] = merge(paths.slice(i * MAX_MERGED_PER_FIELD, (i + 1) * MAX_MERGED_PER_FIELD));
      next[key].push(`$.${part}`);
    }
  }
  return { fields, next, done };
}

/** An ARN (or other CloudFormation reference) as deployed: about this long. */
const REFERENCE_BYTES = 80;

/**
 * Pseudo parameters as deployed, at their longest: every Task's resource ARN holds an
 * `AWS::Partition` (aws, aws-cn, aws-us-gov, aws-iso-b, ...: the partitions.json of
 * @aws-sdk/util-endpoints), which counted as a whole ARN overstated a 200-step
 * definition by about 12%.
 */
const PSEUDO_PARAMETER_BYTES: Record<string, number> = {
  "AWS::Partition": 10,
  "AWS::Region": 16,
  "AWS::AccountId": 12,
  "AWS::URLSuffix": 16,
};

/** Bytes of a resolved definition string: plain, or an Fn::Join of text and references. */
export function renderedBytes(resolved: unknown): number {
  if (typeof resolved === "string") return Buffer.byteLength(resolved);
  const join = (resolved as { "Fn::Join"?: [string, unknown[]] } | null)?.["Fn::Join"];
  if (join) return join[1].reduce<number>((sum, part) => sum + renderedBytes(part), 0);
  const ref = (resolved as { Ref?: unknown } | null)?.Ref;
  return (typeof ref === "string" ? PSEUDO_PARAMETER_BYTES[ref] : undefined) ?? REFERENCE_BYTES;
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 4)}...)`;
}
