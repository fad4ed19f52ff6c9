/**
 * The fan-out of a pipeline with `organizations:` (issue 15): the pipeline's machine
 * (`Pipeline-<name>`, the one its schedule and the CLI start) resolves the organizations,
 * runs the per-organization machine (`Pipeline-<name>-org`, the pipeline's DAG) once per
 * organization in an inline Map, and ends by `fail_when`.
 *
 *   Resolve organizations (Lambda resolve-organizations)
 *   -> Too many organizations? (more than MAX_ORGANIZATIONS: fail)
 *   -> Run each organization (Map, MaxConcurrency max_concurrent_organizations)
 *        Run organization (startExecution.sync:2, a deterministic name)
 *        -> Organization succeeded | (Catch) Organization failed
 *   -> Count failures -> Count failed (States.ArrayLength) -> Organizations failed?
 *   -> Pipeline failed (Pipeline.OrganizationsFailed) | Pipeline succeeded
 *
 * Every organization's result is trimmed to { id, name, status, error? } so that the Map's
 * output (all of them at once, in one state) stays far below 256 KB at MAX_ORGANIZATIONS;
 * the failed steps of an organization are in its child execution, whose name is
 * deterministic. `fanOutLimits` is the arithmetic behind that, checked at synth
 * (PipelineStateMachine) and printed by bench/scale.ts.
 */
import { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import type { Construct } from "constructs";
import {
  ORGANIZATION_NAME_MAX_BYTES,
  type ResolvedOrganization,
  type ResolveOrganizationsInput,
  type ResolveOrganizationsResult,
  UUID_PATTERN,
} from "../../functions/core/contract";
import { RETRYABLE_ERRORS } from "../../functions/core/error-names";
import type { FanOutConfig, PipelineConfig } from "../config/model";
import { MAX_ORGANIZATIONS } from "../config/schema";
import { START_RETRY } from "./child-start-retry";
import { executionArn } from "./execution-arns";
import { HUNG_INVOCATION_ERRORS, LAMBDA_SERVICE_ERRORS } from "./run-sync-state-machine";

/** State names of a fan-out machine. Stable: the local runner binds tasks by name. */
export const FAN_OUT_STATES = {
  resolve: "Resolve organizations",
  tooMany: "Too many organizations?",
  tooManyFailed: "Too many organizations",
  noneFound: "No organizations",
  map: "Run each organization",
  run: "Run organization",
  succeeded: "Organization succeeded",
  failed: "Organization failed",
  /** A retried start met ExecutionAlreadyExists: describe the ended child, adopt its end. */
  findChild: "Find organization child",
  adoptChild: "Organization child succeeded?",
  childEnded: "Organization child failed",
  childUnknown: "Organization child unknown",
  statuses: "Collect statuses",
  anyFailed: "Check statuses",
  decide: "Any organization failed?",
  noneFailed: "No organization failed",
  filter: "Find failed organizations",
  count: "Count failed organizations",
  failing: "Pipeline failed by fail_when?",
  listFailed: "List failed organizations",
  trimFailed: "Trim failed organizations",
  describeFailed: "Describe failed organizations",
  pipelineFailed: "Pipeline failed",
  pipelineSucceeded: "Pipeline succeeded",
} as const;

/** The error a fan-out ends with when `fail_when` says the organizations' failures fail it. */
export const ORGANIZATIONS_FAILED_ERROR = "Pipeline.OrganizationsFailed";
/** The error a fan-out ends with when the resolver found more than MAX_ORGANIZATIONS. */
export const TOO_MANY_ORGANIZATIONS_ERROR = "Pipeline.TooManyOrganizations";

/** Failed organizations the Fail cause lists at most (each result is in the Map's output). */
export const CAUSE_ORGANIZATIONS = 25;

/** One organization's entry of the fan-out's output (the Map's result). */
export interface OrganizationResult {
  id: string;
  name: string;
  status: "succeeded" | "failed";
  /** The error name the organization's child execution (or its start) failed with. */
  error?: string;
}

/** The fan-out machine's output: every organization's result and the counts. */
export interface FanOutOutput {
  organizations: OrganizationResult[];
  count: number;
  /** The ids of the failed organizations. */
  failed_ids: string[];
  failed_count: number;
}

/**
 * The per-organization execution's name: `<pipeline (first 40 chars)>-<md5 hex>` of
 * (parent execution name, organization id, parent redrive count): at most 73 characters
 * of [A-Za-z0-9_-] (Step Functions allows 80). Deterministic, so a retried start attaches
 * to the running child; unique per organization, so are the step children's names and
 * the Idempotency-Keys derived from them (functions/core/idempotency.ts); a redriven
 * parent starts fresh children.
 */
export function organizationExecutionName(pipeline: string): string {
  return sfn.JsonPath.format(
    `${pipeline.slice(0, 40)}-{}`,
    sfn.JsonPath.hash(
      sfn.JsonPath.format(
        "{}/{}/{}",
        sfn.JsonPath.stringAt("$$.Execution.Name"),
        sfn.JsonPath.stringAt("$.organization.id"),
        sfn.JsonPath.stringAt("$$.Execution.RedriveCount"),
      ),
      "MD5",
    ),
  );
}

export interface FanOutProps {
  readonly pipeline: PipelineConfig;
  readonly fanOut: FanOutConfig;
  /** The per-organization machine: the pipeline's DAG. */
  readonly organizationMachine: sfn.IStateMachine;
  readonly resolveOrganizations: lambda.IFunction;
}

/** The fan-out's definition (its start state), in `scope`. */
export function fanOutDefinition(scope: Construct, props: FanOutProps): sfn.IChainable {
  const S = FAN_OUT_STATES;
  const resolve = resolveTask(scope, props);
  const map = new sfn.Map(scope, S.map, {
    comment: "One child execution of the per-organization machine per organization",
    itemsPath: `$.${"organizations" satisfies keyof ResolveOrganizationsResult}`,
    itemSelector: { organization: sfn.JsonPath.objectAt("$$.Map.Item.Value") },
    maxConcurrency: props.fanOut.max_concurrent,
    resultPath: "$.organizations",
  });
  map.itemProcessor(organizationRun(scope, props));
  const tooMany = new sfn.Fail(scope, S.tooManyFailed, {
    error: TOO_MANY_ORGANIZATIONS_ERROR,
    cause: `More than ${MAX_ORGANIZATIONS} organizations: one fan-out runs at most ${MAX_ORGANIZATIONS} (their Map iterations share one execution history). Split the pipeline, e.g. by listing organizations.`,
  });
  // resolve-organizations fails with Organization.NoneFound itself; this only keeps the
  // Map's statuses from an empty list.
  const none = new sfn.Fail(scope, S.noneFound, {
    error: "Organization.NoneFound",
    cause: "resolve-organizations found no organization to run in",
  });
  resolve.next(
    new sfn.Choice(scope, S.tooMany)
      .when(
        sfn.Condition.numberGreaterThan(
          `$.${"count" satisfies keyof ResolveOrganizationsResult}`,
          MAX_ORGANIZATIONS,
        ),
        tooMany,
      )
      .when(sfn.Condition.numberLessThan("$.count", 1), none)
      .otherwise(map),
  );
  map.next(outcome(scope, props.fanOut));
  return resolve;
}

/** resolve-organizations (the contract's input); its result becomes the state. */
function resolveTask(scope: Construct, props: FanOutProps): tasks.LambdaInvoke {
  const payload: ResolveOrganizationsInput = {
    pipeline: props.pipeline.name,
    organizations: props.fanOut.organizations,
  };
  const task = new tasks.LambdaInvoke(scope, FAN_OUT_STATES.resolve, {
    lambdaFunction: props.resolveOrganizations,
    payload: sfn.TaskInput.fromObject(payload),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    taskTimeout: sfn.Timeout.duration(Duration.minutes(5)),
  });
  task.addRetry({
    errors: [...RETRYABLE_ERRORS, ...LAMBDA_SERVICE_ERRORS, ...HUNG_INVOCATION_ERRORS],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
  return task;
}

/** An iteration's organization (its input, from the Map's ItemSelector), as result fields. */
const ORGANIZATION = {
  id: sfn.JsonPath.stringAt("$.organization.id"),
  name: sfn.JsonPath.stringAt("$.organization.name"),
} satisfies { [K in keyof ResolvedOrganization]: unknown };

/** One Map iteration: the organization's child execution and its trimmed result. */
function organizationRun(scope: Construct, props: FanOutProps): sfn.IChainable {
  const S = FAN_OUT_STATES;
  const organization = ORGANIZATION;
  const run = new tasks.StepFunctionsStartExecution(scope, S.run, {
    stateMachine: props.organizationMachine,
    integrationPattern: sfn.IntegrationPattern.RUN_JOB,
    input: sfn.TaskInput.fromObject({
      organization_id: organization.id,
      organization_name: organization.name,
    }),
    name: organizationExecutionName(props.pipeline.name),
    associateWithParent: true,
    // The child ends itself at its own timeout; this only guards a child that never ends.
    taskTimeout: sfn.Timeout.duration(Duration.seconds(props.pipeline.timeout_seconds + 600)),
    resultPath: sfn.JsonPath.DISCARD,
  });
  run.addRetry(START_RETRY);
  const succeeded = new sfn.Pass(scope, S.succeeded, {
    parameters: { ...organization, status: "succeeded" } satisfies Record<
      keyof Omit<OrganizationResult, "error">,
      unknown
    >,
  });
  // The error name only: the Cause (the child's description) is unbounded; the child's
  // own history has it.
  const failed = new sfn.Pass(scope, S.failed, {
    parameters: {
      ...organization,
      status: "failed",
      error: sfn.JsonPath.stringAt("$.error.Error"),
    } satisfies Record<keyof OrganizationResult, unknown>,
  });
  run.addCatch(adoption(scope, props, succeeded), {
    errors: ["StepFunctions.ExecutionAlreadyExistsException"],
    resultPath: "$.error",
  });
  run.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: "$.error" });
  return run.next(succeeded);
}

/**
 * After ExecutionAlreadyExists on a retried start (the first start went through and the
 * child already ended: API_StartExecution), as a pipeline's steps do: describe the child by
 * its deterministic name; SUCCEEDED goes to `succeeded`, any other end is recorded with its
 * status as the error, and a failed describe with its own error.
 */
function adoption(scope: Construct, props: FanOutProps, succeeded: sfn.State): sfn.State {
  const S = FAN_OUT_STATES;
  const machine = props.organizationMachine;
  const organization = { ...ORGANIZATION, status: "failed" };
  const find = new tasks.CallAwsService(scope, S.findChild, {
    service: "sfn",
    action: "describeExecution",
    iamAction: "states:DescribeExecution",
    // The resource the RUN_JOB integration grants (so its cdk-nag acknowledgement covers it).
    iamResources: [executionArn(scope, machine, "*")],
    parameters: {
      ExecutionArn: sfn.JsonPath.format(
        `${executionArn(scope, machine, ":")}{}`,
        organizationExecutionName(props.pipeline.name),
      ),
    },
    resultSelector: { Status: sfn.JsonPath.stringAt("$.Status") },
    resultPath: "$.adopted",
    taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
  });
  const ended = new sfn.Pass(scope, S.childEnded, {
    parameters: { ...organization, error: sfn.JsonPath.stringAt("$.adopted.Status") },
  });
  const unknown = new sfn.Pass(scope, S.childUnknown, {
    parameters: { ...organization, error: sfn.JsonPath.stringAt("$.adopted.Error") },
  });
  find.addCatch(unknown, { errors: [sfn.Errors.ALL], resultPath: "$.adopted" });
  find.next(
    new sfn.Choice(scope, S.adoptChild)
      .when(sfn.Condition.stringEquals("$.adopted.Status", "SUCCEEDED"), succeeded)
      .otherwise(ended),
  );
  return find;
}

/**
 * The counts and the end. The failed organizations are found by a JSONPath filter
 * (Parameters take full JSONPath on Step Functions, filters and slices included: "Paths"
 * in the ASL docs; the local engine's jsonpath-plus too), only once States.ArrayContains
 * said there is one: the local engine refuses a filter that matches nothing, where Step
 * Functions answers an empty list. Their number is States.ArrayLength's; `fail_when`
 * decides. The failure path drops the results before it lists the failed organizations,
 * so the state never holds both lists.
 */
function outcome(scope: Construct, fanOut: FanOutConfig): sfn.IChainable {
  const S = FAN_OUT_STATES;
  const results = {
    organizations: sfn.JsonPath.listAt("$.organizations"),
    count: sfn.JsonPath.numberAt("$.count"),
  };
  const statuses = new sfn.Pass(scope, S.statuses, {
    parameters: { statuses: sfn.JsonPath.listAt("$.organizations[*].status") },
    resultPath: "$.statuses",
  });
  const contains = (status: OrganizationResult["status"]) =>
    sfn.JsonPath.arrayContains(sfn.JsonPath.listAt("$.statuses.statuses"), status);
  const anyFailed = new sfn.Pass(scope, S.anyFailed, {
    parameters: { ...results, failed: contains("failed"), succeeded: contains("succeeded") },
  });
  const none = new sfn.Pass(scope, S.noneFailed, {
    parameters: { ...results, failed_ids: [], failed_count: 0 } satisfies Record<
      keyof FanOutOutput,
      unknown
    >,
  });
  const failedIds = new sfn.Pass(scope, S.filter, {
    parameters: {
      ...results,
      succeeded: sfn.JsonPath.stringAt("$.succeeded"),
      failed_ids: sfn.JsonPath.listAt("$.organizations[?(@.status == 'failed')].id"),
    },
  });
  const count = new sfn.Pass(scope, S.count, {
    parameters: {
      failed_count: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt("$.failed_ids")),
    },
    resultPath: "$.counted",
  });
  const succeed = new sfn.Pass(scope, S.pipelineSucceeded, {
    comment: "Every organization's result and the counts",
    parameters: {
      ...results,
      failed_ids: sfn.JsonPath.listAt("$.failed_ids"),
      failed_count: sfn.JsonPath.numberAt("$.counted.failed_count"),
    } satisfies Record<keyof FanOutOutput, unknown>,
  });
  const fails =
    fanOut.fail_when === "any"
      ? sfn.Condition.isPresent("$.failed_ids")
      : sfn.Condition.booleanEquals("$.succeeded", false);
  return statuses
    .next(anyFailed)
    .next(
      new sfn.Choice(scope, S.decide)
        .when(sfn.Condition.booleanEquals("$.failed", false), none)
        .otherwise(
          failedIds
            .next(count)
            .next(
              new sfn.Choice(scope, S.failing).when(fails, failurePath(scope)).otherwise(succeed),
            ),
        ),
    );
}

/** Lists the first CAUSE_ORGANIZATIONS failed organizations in the Fail's cause. */
function failurePath(scope: Construct): sfn.IChainable {
  const S = FAN_OUT_STATES;
  const list = new sfn.Pass(scope, S.listFailed, {
    parameters: {
      count: sfn.JsonPath.numberAt("$.count"),
      failed_count: sfn.JsonPath.numberAt("$.counted.failed_count"),
      failed: sfn.JsonPath.listAt("$.organizations[?(@.status == 'failed')]"),
    },
  });
  // The cause is made by a Pass, not an intrinsic in CausePath: the local engine reads
  // CausePath as a path only.
  const trim = new sfn.Pass(scope, S.trimFailed, {
    parameters: { listed: sfn.JsonPath.listAt(`$.failed[0:${CAUSE_ORGANIZATIONS}]`) },
    resultPath: "$.listed",
  });
  const cause = new sfn.Pass(scope, S.describeFailed, {
    parameters: {
      cause: sfn.JsonPath.format(
        `{} of {} organizations failed (the first ${CAUSE_ORGANIZATIONS} at most; each organization's result is in the Map's output, its steps in its child execution): {}`,
        sfn.JsonPath.stringAt("$.failed_count"),
        sfn.JsonPath.stringAt("$.count"),
        sfn.JsonPath.jsonToString(sfn.JsonPath.listAt("$.listed.listed")),
      ),
    },
  });
  const fail = new sfn.Fail(scope, S.pipelineFailed, {
    error: ORGANIZATIONS_FAILED_ERROR,
    causePath: "$.cause",
  });
  return list.next(trim).next(cause).next(fail);
}

/** Step Functions quotas: events in one execution's history, bytes of a state's payload. */
export const HISTORY_EVENTS_QUOTA = 25_000;
export const PAYLOAD_QUOTA = 256 * 1024;

/**
 * Events one organization's Map iteration adds to the fan-out's history: MapIterationStarted,
 * the start Task's TaskStateEntered, TaskScheduled, TaskStarted, TaskSubmitted,
 * TaskSucceeded (or TaskFailed), TaskStateExited, the result Pass's entered and exited,
 * MapIterationSucceeded. However long the organization runs: its steps are in its own
 * execution's history.
 */
export const EVENTS_PER_ORGANIZATION = 10;
/** Events one retry of the start adds (TaskScheduled, TaskStarted, TaskFailed). */
const EVENTS_PER_START_RETRY = 3;
/**
 * Events the adoption after ExecutionAlreadyExists adds to an iteration, at most: the
 * describe Task (6) and the Choice (2); its Pass replaces the result Pass.
 */
const EVENTS_PER_ADOPTION = 8;
/**
 * The fan-out's events outside the iterations, at most: the execution's start and end (2),
 * the resolver's Task (6) and its retries (counted as 6 attempts x 3 events for each of its
 * 2 retriers: 36), the first Choice (2), the Map's own (4), up to 6 Passes and 2 Choices
 * on the way to the end (16) and the Fail (1): 67, rounded up.
 */
const FAN_OUT_FIXED_EVENTS = 70;
/**
 * Bytes assumed for an organization's name where the file does not spell it (`all`, a
 * shared connection, a uuid in the list): Polytomic documents no limit (spec,
 * `Organization.name`), so resolve-organizations cuts longer names to
 * ORGANIZATION_NAME_MAX_BYTES (functions/core/contract.ts).
 */
export const ORGANIZATION_NAME_ALLOWANCE = ORGANIZATION_NAME_MAX_BYTES;
/** The longest error name a failed organization records (AWS error names are shorter). */
const ERROR_NAME_ALLOWANCE = 64;
/** `{"id":"","name":"","status":"succeeded","error":""},`: an entry without its values. */
const RESULT_OVERHEAD = 52;

export interface FanOutLimits {
  /** The most organizations a run can have: the list's length, else MAX_ORGANIZATIONS. */
  organizations: number;
  /** The fan-out execution's history at most (retries of every start included). */
  historyEvents: number;
  /** The largest state payload at most: every organization's result, with errors. */
  payloadBytes: number;
}

/**
 * The worst case of a fan-out against the Step Functions quotas: every organization's
 * start retried to the end, then adopted after ExecutionAlreadyExists, and failed; every
 * name as long as allowed.
 */
export function fanOutLimits(fanOut: FanOutConfig): FanOutLimits {
  const spec = fanOut.organizations;
  const names =
    "list" in spec
      ? spec.list.map((entry) =>
          UUID_PATTERN.test(entry) ? ORGANIZATION_NAME_ALLOWANCE : Buffer.byteLength(entry),
        )
      : Array.from({ length: MAX_ORGANIZATIONS }, () => ORGANIZATION_NAME_ALLOWANCE);
  const perIteration =
    EVENTS_PER_ORGANIZATION +
    EVENTS_PER_START_RETRY * (START_RETRY.maxAttempts ?? 3) +
    EVENTS_PER_ADOPTION;
  return {
    organizations: names.length,
    historyEvents: FAN_OUT_FIXED_EVENTS + names.length * perIteration,
    payloadBytes: names.reduce(
      (sum, name) => sum + RESULT_OVERHEAD + 36 + name + ERROR_NAME_ALLOWANCE,
      64,
    ),
  };
}

/** What a fan-out breaks, in words, or nothing when it is within every quota. */
export function fanOutProblems(pipeline: string, limits: FanOutLimits): string[] {
  const problems: string[] = [];
  if (limits.historyEvents > HISTORY_EVENTS_QUOTA) {
    problems.push(
      `Pipeline "${pipeline}": ${limits.organizations} organizations could put ${limits.historyEvents} events in the fan-out's history (the limit is ${HISTORY_EVENTS_QUOTA}, past which the execution fails): list fewer organizations or split the pipeline.`,
    );
  }
  if (limits.payloadBytes > PAYLOAD_QUOTA) {
    problems.push(
      `Pipeline "${pipeline}": the results of ${limits.organizations} organizations could take ${limits.payloadBytes} bytes in one state (the limit is ${PAYLOAD_QUOTA}): list fewer organizations, or by uuid rather than by long names.`,
    );
  }
  return problems;
}
