import { Annotations, Duration, RemovalPolicy } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import type { StepInput, StepResult } from "../../functions/core/contract";
import { decompose, type ImpliedDependency, type Plan } from "../asl/series-parallel";
import type { PipelineConfig, StepConfig } from "../config/model";

/** Step ids (and so JSONPath keys and state names) are letters, digits, - and _. */
const STEP_ID = /^[A-Za-z0-9_-]{1,64}$/;
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
  recordFailure: (step: string) => `Record ${step} failure`,
} as const;

/** The error a failed pipeline execution ends with. */
export const PIPELINE_FAILED_ERROR = "Pipeline.StepsFailed";

export interface PipelineStateMachineProps {
  /** The pipeline, as loaded from the pipelines file. */
  readonly pipeline: PipelineConfig;
  /** The run-sync state machine each step runs as a child execution of. */
  readonly runSync: sfn.IStateMachine;
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
 * (lib/asl/series-parallel.ts): no level-by-level barriers; for a DAG that is not
 * series-parallel some steps also wait for steps they do not depend on, listed in
 * `impliedDependencies` and reported as a synth warning.
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
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;
  /** Waits added by the composition beyond the declared dependencies (empty for series-parallel DAGs). */
  readonly impliedDependencies: readonly ImpliedDependency[];
  readonly pipelineName: string;

  constructor(scope: Construct, id: string, props: PipelineStateMachineProps) {
    super(scope, id);
    const { pipeline } = props;
    this.pipelineName = pipeline.name;
    const margin = props.childTimeoutMargin ?? Duration.minutes(30);
    validate(pipeline);

    const { plan, implied } = decompose(pipeline.steps.map((s) => ({ id: s.id, after: s.after })));
    this.impliedDependencies = implied;
    if (implied.length > 0) {
      Annotations.of(this).addWarningV2(
        "polytomic-orchestrator:implied-dependencies",
        `Pipeline "${pipeline.name}" is not series-parallel: to run it with Parallel states some steps also wait for steps they do not depend on: ${implied
          .map((d) => `${d.step} waits for ${d.waitsFor}`)
          .join("; ")}. Skips still follow only the declared dependencies.`,
      );
    }

    const steps = new Map(pipeline.steps.map((s) => [s.id, s]));
    const builder = new DefinitionBuilder(this, pipeline, steps, props.runSync, margin);
    const end = builder.end();
    const start = new sfn.Pass(this, PIPELINE_STATES.start, {
      parameters: { results: {} },
    });
    start.next(builder.compose(plan, end));

    this.logGroup = new logs.LogGroup(this, "Logs", {
      retention: props.logRetention ?? logs.RetentionDays.ONE_MONTH,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      comment: `Pipeline ${pipeline.name}${pipeline.description ? `: ${pipeline.description}` : ""}`,
      definitionBody: sfn.DefinitionBody.fromChainable(start),
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      timeout: Duration.seconds(pipeline.timeout_seconds),
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
  }
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

  constructor(
    private readonly scope: Construct,
    private readonly pipeline: PipelineConfig,
    private readonly steps: ReadonlyMap<string, StepConfig>,
    private readonly runSync: sfn.IStateMachine,
    private readonly margin: Duration,
  ) {}

  /** The final states: fail when any step failed, else succeed. */
  end(): sfn.State {
    const failed = new sfn.Fail(this.scope, PIPELINE_STATES.failed, {
      error: PIPELINE_FAILED_ERROR,
      causePath: "$.cause",
    });
    const summarize = new sfn.Pass(this.scope, PIPELINE_STATES.summarize, {
      parameters: { cause: sfn.JsonPath.jsonToString(sfn.JsonPath.objectAt("$.results")) },
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
    const label = plan.branches.map((b) => firstStep(b)).join(", ");
    const name = truncate(`Parallel ${this.parallelCount} (${label})`, MAX_STATE_NAME);
    const merged = plan.branches
      .map((_, i): unknown => sfn.JsonPath.objectAt(`$[${i}].results`))
      .reduce((acc, cur) => sfn.JsonPath.jsonMerge(acc, cur));
    const state = new sfn.Parallel(this.scope, name, {
      comment: "Independent branches; their results are merged",
      // The merged results replace the state (the default ResultPath "$"; not written
      // out: aws-local-stepfunctions 3 treats an explicit "$" as a key named "$").
      resultSelector: { results: merged },
    });
    for (const branch of plan.branches) state.branch(this.compose(branch, undefined));
    if (next) state.next(next);
    return state;
  }

  private step(step: StepConfig, next: sfn.State | undefined): sfn.State {
    const S = PIPELINE_STATES;
    const run = new tasks.StepFunctionsStartExecution(this.scope, S.run(step.id), {
      stateMachine: this.runSync,
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
    run.addRetry({
      errors: [
        "StepFunctions.SdkClientException",
        "StepFunctions.AWSStepFunctionsException",
        "StepFunctions.ExecutionLimitExceededException",
      ],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 5,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    });
    const recordFailure = new sfn.Pass(this.scope, S.recordFailure(step.id), {
      comment: "The child failed: record it (its Error and Cause) and go on",
      parameters: {
        step: step.id,
        sync_type: step.sync_type,
        status: "failed",
        outcome: "failed",
        error: sfn.JsonPath.objectAt(resultPath(step.id)),
      } satisfies StepResultFields,
      resultPath: resultPath(step.id),
    });
    run.addCatch(recordFailure, { errors: [sfn.Errors.ALL], resultPath: resultPath(step.id) });
    if (next) {
      run.next(next);
      recordFailure.next(next);
    }
    if (step.run_after === "completion" || step.after.length === 0) {
      // Dependencies (if any) have ended: the composition runs them first.
      return run;
    }
    const skip = new sfn.Pass(this.scope, S.skip(step.id), {
      comment: `A dependency did not succeed (${step.after.join(", ")})`,
      result: sfn.Result.fromObject({
        step: step.id,
        sync_type: step.sync_type,
        status: "skipped",
        outcome: "skipped",
        skipped_because: `not all of ${step.after.join(", ")} succeeded`,
      } satisfies StepResultFields),
      resultPath: resultPath(step.id),
    });
    if (next) skip.next(next);
    const conditions = step.after.map((dep) =>
      sfn.Condition.stringEquals(`${resultPath(dep)}.status`, "succeeded"),
    );
    return new sfn.Choice(this.scope, S.canRun(step.id))
      .when(
        conditions.length === 1
          ? (conditions[0] as sfn.Condition)
          : sfn.Condition.and(...conditions),
        run,
      )
      .otherwise(skip);
  }

  private stepInput(step: StepConfig): { [K in keyof StepInput]-?: unknown } {
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
    };
  }
}

function firstStep(plan: Plan): string {
  switch (plan.kind) {
    case "step":
      return plan.id;
    case "series":
      return firstStep(plan.parts[0] as Plan);
    case "parallel":
      return firstStep(plan.branches[0] as Plan);
  }
}

function truncate(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 4)}...)`;
}
