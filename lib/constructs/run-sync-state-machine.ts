import { Duration } from "aws-cdk-lib";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import type { StepResult } from "../../functions/core/contract";
import {
  type OutcomeErrorName,
  RETRYABLE_ERRORS,
  stillRunningErrorName,
} from "../../functions/core/error-names";
import type { WaitRegistration } from "../../functions/core/event-wait";
import { PUBLISH_STATES, START_SYNC_STATE } from "../../functions/core/history";
import {
  POLL_BUCKETS,
  POLL_LOOP_FIELD,
  POLL_STATE_FIELD,
  type PollLoop,
} from "../../functions/core/polling";
import type { FunctionName } from "./paths";
import { stateMachineLogGroup } from "./state-machine-logs";

/**
 * State names of the run-sync machine. Stable: the local runner binds its task handlers
 * by these names, and operators read them in the console.
 */
export const RUN_SYNC_STATES = {
  skipRequested: "Skip requested?",
  skipped: "Step skipped",
  /** cancel-sync reads this state's exits in the execution history (functions/core/history.ts). */
  start: START_SYNC_STATE,
  check: "Check status",
  runFinished: "Run finished?",
  wait: "Wait before next check",
  /** Only with `eventWait`: the token wait that replaces `wait` (which stays its fallback). */
  waitForEvent: "Wait for run event or next check",
  waitToStart: "Wait before starting again",
  cancel: "Cancel sync",
  cancelAfterError: "Cancel sync after failed check",
  exportLogs: "Export logs",
  exportLogsAfterError: "Export logs after failed check",
  logExportFailed: "Record log export failure",
  publishMetrics: PUBLISH_STATES[0],
  publishFailureMetrics: PUBLISH_STATES[1],
  outcome: "Step outcome?",
  timedOut: "Step timed out",
  failed: "Step failed",
  failedWithoutDetails: "Step failed without details",
  errored: "Step errored",
  succeeded: "Step succeeded",
} as const;

/** Which function each Task state of the run-sync machine invokes. */
export const RUN_SYNC_TASK_FUNCTIONS: Record<string, FunctionName> = {
  [RUN_SYNC_STATES.start]: "start-sync",
  [RUN_SYNC_STATES.check]: "check-status",
  [RUN_SYNC_STATES.cancel]: "cancel-sync",
  [RUN_SYNC_STATES.cancelAfterError]: "cancel-sync",
  [RUN_SYNC_STATES.exportLogs]: "export-logs",
  [RUN_SYNC_STATES.exportLogsAfterError]: "export-logs",
  [RUN_SYNC_STATES.publishMetrics]: "publish-metrics",
  [RUN_SYNC_STATES.publishFailureMetrics]: "publish-metrics",
};

/**
 * Lambda service errors worth retrying (the invocation did not run, or the service
 * was throttled), in addition to the handlers' own RETRYABLE_ERRORS: the four the Step
 * Functions best-practice page "Handle Lambda service exceptions" lists
 * (docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html), and
 * `Lambda.TooManyRequestsException`, which the same page names for the invocation limit.
 */
export const LAMBDA_SERVICE_ERRORS = [
  "Lambda.ServiceException",
  "Lambda.AWSLambdaException",
  "Lambda.SdkClientException",
  "Lambda.TooManyRequestsException",
  "Lambda.ClientExecutionTimeoutException",
] as const;

/**
 * An invocation that hung or died past its budget: the function's timeout or running out
 * of memory (`Lambda.Unknown`: "Unhandled errors in Lambda are reported as Lambda.Unknown
 * ... These include out-of-memory errors and function timeouts", the page above), a
 * timeout of the function's Init phase (`Sandbox.Timedout`), or the Task's
 * `TimeoutSeconds` (`States.Timeout`). Retried a
 * couple of times on every task that is safe to run twice: start-sync replays its
 * Idempotency-Key, check-status and cancel-sync only read or converge, export-logs
 * rewrites the same keys. Not publish-metrics, where a second PutMetricData after one
 * that went through would count the run twice; its failure is caught anyway.
 */
export const HUNG_INVOCATION_ERRORS = [
  "Lambda.Unknown",
  "Sandbox.Timedout",
  "States.Timeout",
] as const;

/**
 * A still-running check's retrier may retry for the whole step: "MaxAttempts has a maximum
 * value of 99999999" (Step Functions developer guide, "Handling errors in Step Functions
 * workflows", Retriers). Never reached: each retry adds 3 history events (TaskScheduled,
 * TaskStarted, TaskFailed), so the 25,000-event history limit comes first, and
 * lib/config/history.ts refuses a step whose checks could approach it.
 */
export const STILL_RUNNING_MAX_ATTEMPTS = 99_999_999;

/**
 * The retry loop's retriers (webhooks off; functions/core/polling.ts): one per interval of
 * POLL_BUCKETS, first in the Task's Retry list, each re-invoking check-status after exactly
 * its N seconds (BackoffRate 1, no jitter). A retry is one billed transition.
 */
export function stillRunningRetries(): sfn.RetryProps[] {
  return POLL_BUCKETS.map((seconds) => ({
    errors: [stillRunningErrorName(seconds)],
    interval: Duration.seconds(seconds),
    backoffRate: 1,
    maxAttempts: STILL_RUNNING_MAX_ATTEMPTS,
    jitterStrategy: sfn.JitterType.NONE,
  }));
}

/** check-status's payload in the retry loop: the state, and the loop named (check.ts checkInvocation). */
function retryLoopPayload(): sfn.TaskInput {
  const loop: PollLoop = "retry";
  return sfn.TaskInput.fromObject({
    [POLL_LOOP_FIELD]: loop,
    [POLL_STATE_FIELD]: sfn.JsonPath.entirePayload,
  });
}

const TIMED_OUT: OutcomeErrorName = "Sync.TimedOut";
const FAILED: OutcomeErrorName = "Sync.Failed";

/** Standard workflows may run at most a year. */
const MAX_EXECUTION = Duration.days(365);

export interface RunSyncFunctions {
  readonly startSync: lambda.IFunction;
  readonly checkStatus: lambda.IFunction;
  readonly exportLogs: lambda.IFunction;
  readonly publishMetrics: lambda.IFunction;
  readonly cancelSync: lambda.IFunction;
}

export interface RunSyncStateMachineProps {
  /** The five Lambda functions (see SyncFunctions). */
  readonly functions: RunSyncFunctions;
  /**
   * The longest step timeout of any pipeline that uses this machine.
   * @default Duration.hours(6) (the pipelines file's default step timeout)
   */
  readonly maxStepTimeout?: Duration;
  /**
   * Added to `maxStepTimeout` for the machine's own timeout: time to cancel the run,
   * export its logs and publish its metrics after the step's deadline.
   * @default Duration.minutes(30)
   */
  readonly timeoutMargin?: Duration;
  /**
   * Timeout of each Lambda task (must exceed the functions' own timeouts). Set
   * explicitly because the local engine otherwise stops tasks after 60 seconds.
   * @default Duration.minutes(6)
   */
  readonly taskTimeout?: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Event-driven waiting (issue 16.2, docs/webhooks.md): the check Task keeps the retry loop
   * and also gets a token wait that register-wait stores, with a timeout of check-status's
   * `event_wait_seconds`; an event of the run's end resumes it early. check-status throws
   * StillRunning (poll) while the webhook's measured delivery is not trusted and answers to
   * the token wait once it is. Either way check-status reads the run next: the event is only
   * a hint. The start goes to the check as without webhooks; when start-sync answered an
   * `event_wait_seconds` (trusted), that first check reads nothing and answers it, so the
   * first token wait costs no status call and an untrusted step no extra state.
   * @default - no token wait: the Wait state alone (the definition of a stack without webhooks)
   */
  readonly eventWait?: { readonly registerWait: lambda.IFunction };
}

/**
 * Runs ONE pipeline step: start the sync (again after a wait, with the next
 * Idempotency-Key, while start-sync answers a StartPending: a transient error, or a
 * 409 under `on_conflict: wait`), poll it until it ends (Wait seconds from
 * check-status's `next_poll_seconds`; with `eventWait`, a task-token wait of at most its
 * `event_wait_seconds` that Polytomic's run-end event can end early), cancel it when the step's deadline passes,
 * export its logs and publish its metrics (both best effort), then fail with the
 * outcome's error name or succeed with a StepResult. Input: StepInput
 * (functions/core/contract.ts). JSONPath only; standard workflow; logs (ALL) and
 * X-Ray tracing on.
 *
 * Polling (functions/core/polling.ts, the retry loop; with `eventWait`, while the webhook is
 * not trusted): for an adaptive step, check-status throws `Polytomic.StillRunning.<N>s` while the run goes on, and the
 * check Task's retrier for that name (stillRunningRetries, first in its Retry list) checks
 * again after N seconds: one billed transition a check instead of three. Its payload,
 * `{ poll_loop: "retry", state: $ }`, tells check-status it may throw; fixed and backoff
 * steps, and a check that retried API calls, answer instead and take the Wait.
 *
 * Retries: only the handlers' RETRYABLE_ERRORS and Lambda service errors, with
 * exponential backoff and full jitter, and (except publish-metrics) an invocation that
 * hung past its timeout, twice (HUNG_INVOCATION_ERRORS). Permanent errors of start-sync or check-status
 * publish failure metrics (best effort) and fail the execution at once with the
 * original error name and cause.
 *
 * An input with `skip: true` ends at once with a skipped StepResult and calls nothing:
 * the pipeline machine starts such a child for a skipped step that a gate waits for
 * (see PipelineStateMachine), so the gate sees it end. It costs one Choice transition
 * per execution.
 *
 * The Step Functions error names come from functions/core/error-names.ts.
 */
export class RunSyncStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  /** The execution log group. */
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: RunSyncStateMachineProps) {
    super(scope, id);
    const maxStep = props.maxStepTimeout ?? Duration.hours(6);
    const margin = props.timeoutMargin ?? Duration.minutes(30);
    const taskTimeout = props.taskTimeout ?? Duration.minutes(6);
    if (maxStep.toSeconds() < 1) {
      throw new Error(`maxStepTimeout must be at least 1 second, got ${maxStep.toHumanString()}`);
    }
    if (margin.toSeconds() < taskTimeout.toSeconds()) {
      throw new Error(
        `timeoutMargin (${margin.toHumanString()}) must be at least taskTimeout (${taskTimeout.toHumanString()}): after the step's deadline the machine still cancels the run and exports its logs`,
      );
    }
    const timeout = maxStep.plus(margin);
    if (timeout.toSeconds() > MAX_EXECUTION.toSeconds()) {
      throw new Error(
        `maxStepTimeout + timeoutMargin (${timeout.toHumanString()}) exceeds the 365 days a standard workflow may run`,
      );
    }

    const definition = buildRunSyncDefinition(this, props.functions, taskTimeout, props.eventWait);
    this.logGroup = stateMachineLogGroup(this, "RunSync", props.logRetention);
    this.stateMachine = new sfn.StateMachine(this, "StateMachine", {
      comment:
        "Runs one Polytomic sync step: start, poll, cancel on timeout, export logs, publish metrics.",
      definitionBody: sfn.DefinitionBody.fromChainable(definition),
      stateMachineType: sfn.StateMachineType.STANDARD,
      queryLanguage: sfn.QueryLanguage.JSON_PATH,
      timeout,
      tracingEnabled: true,
      logs: { destination: this.logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
    });
  }
}

function invoke(
  scope: Construct,
  name: string,
  fn: lambda.IFunction,
  resultPath: string,
  taskTimeout: Duration,
  {
    retryHung = true,
    pollLoop = false,
  }: {
    retryHung?: boolean;
    /** check-status in the retry loop: its payload names the loop, its retriers come first. */
    pollLoop?: boolean;
  } = {},
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: fn,
    ...(pollLoop ? { payload: retryLoopPayload() } : {}),
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath,
    taskTimeout: sfn.Timeout.duration(taskTimeout),
  });
  if (pollLoop) for (const retry of stillRunningRetries()) task.addRetry(retry);
  task.addRetry({
    errors: [...RETRYABLE_ERRORS, ...LAMBDA_SERVICE_ERRORS],
    interval: Duration.seconds(2),
    backoffRate: 2,
    maxAttempts: 6,
    maxDelay: Duration.minutes(1),
    jitterStrategy: sfn.JitterType.FULL,
  });
  if (retryHung) {
    task.addRetry({
      errors: [...HUNG_INVOCATION_ERRORS],
      interval: Duration.seconds(5),
      backoffRate: 2,
      maxAttempts: 2,
      jitterStrategy: sfn.JitterType.FULL,
    });
  }
  return task;
}

/** The StepResult a successful step outputs (the pipeline machine reads it). */
function successResult(): { [K in keyof Omit<StepResult, "duration_seconds" | "error">]: unknown } {
  return {
    step: sfn.JsonPath.stringAt("$.step"),
    sync_type: sfn.JsonPath.stringAt("$.sync_type"),
    sync_id: sfn.JsonPath.stringAt("$.start.sync_id"),
    execution_id: sfn.JsonPath.stringAt("$.start.execution_id"),
    status: "succeeded",
    outcome: sfn.JsonPath.stringAt("$.check.outcome"),
    counts: sfn.JsonPath.objectAt("$.check.counts"),
    logs: sfn.JsonPath.listAt("$.logs.keys"),
  };
}

/** The Lambda tasks of the run-sync machine. */
interface RunSyncTasks {
  start: tasks.LambdaInvoke;
  check: tasks.LambdaInvoke;
  cancel: tasks.LambdaInvoke;
  exportLogs: tasks.LambdaInvoke;
  publish: tasks.LambdaInvoke;
  publishFailure: tasks.LambdaInvoke;
}

function buildRunSyncDefinition(
  scope: Construct,
  fns: RunSyncFunctions,
  taskTimeout: Duration,
  eventWait: RunSyncStateMachineProps["eventWait"],
): sfn.IChainable {
  const S = RUN_SYNC_STATES;
  const once = { retryHung: false };
  const t: RunSyncTasks = {
    start: invoke(scope, S.start, fns.startSync, "$.start", taskTimeout),
    // A still-running check is retried (one transition). With webhooks the same Task also
    // has the token wait's loop: check-status throws StillRunning while the webhook is not
    // trusted and answers (to the token wait) once it is (docs/webhooks.md).
    check: invoke(scope, S.check, fns.checkStatus, "$.check", taskTimeout, { pollLoop: true }),
    cancel: invoke(scope, S.cancel, fns.cancelSync, "$.cancel", taskTimeout),
    exportLogs: invoke(scope, S.exportLogs, fns.exportLogs, "$.logs", taskTimeout),
    publish: invoke(scope, S.publishMetrics, fns.publishMetrics, "$.metrics", taskTimeout, once),
    publishFailure: invoke(
      scope,
      S.publishFailureMetrics,
      fns.publishMetrics,
      "$.metrics",
      taskTimeout,
      once,
    ),
  };
  errorPath(scope, fns, taskTimeout, t);
  runEnd(scope, t);
  const tokenWait = eventWait && waitForEvent(scope, eventWait.registerWait, "$.check");
  pollingLoop(scope, t, tokenWait);
  t.start.next(t.check);
  return skipOrStart(scope, t.start);
}

/**
 * Start or Check failed permanently (or retries ran out, a handler bug, a hung Lambda):
 * a started run is cancelled and its logs exported (both best effort), the failure
 * counted, then the execution fails with the original error name and cause.
 */
function errorPath(
  scope: Construct,
  fns: RunSyncFunctions,
  taskTimeout: Duration,
  t: RunSyncTasks,
): void {
  const S = RUN_SYNC_STATES;
  const errored = new sfn.Fail(scope, S.errored, {
    comment: "start-sync or check-status failed: the original error name and cause",
    errorPath: "$.error.Error",
    causePath: "$.error.Cause",
  });
  t.publishFailure.addCatch(errored, { errors: [sfn.Errors.ALL], resultPath: "$.metrics_error" });
  t.publishFailure.next(errored);
  t.start.addCatch(t.publishFailure, { errors: [sfn.Errors.ALL], resultPath: "$.error" });
  // A check that failed for good leaves a started run going: cancel it here, so that a
  // FAILED execution that reached its Catch never leaves its run behind, then export the
  // run's logs as any ended step does.
  const cancelAfterError = invoke(
    scope,
    S.cancelAfterError,
    fns.cancelSync,
    "$.cancel",
    taskTimeout,
  );
  const exportAfterError = invoke(
    scope,
    S.exportLogsAfterError,
    fns.exportLogs,
    "$.logs",
    taskTimeout,
  );
  const best = { errors: [sfn.Errors.ALL] };
  cancelAfterError.addCatch(exportAfterError, { ...best, resultPath: "$.cancel_error" });
  cancelAfterError.next(exportAfterError);
  exportAfterError.addCatch(t.publishFailure, { ...best, resultPath: "$.logs_error" });
  exportAfterError.next(t.publishFailure);
  t.check.addCatch(cancelAfterError, { errors: [sfn.Errors.ALL], resultPath: "$.error" });
}

/** A run that ended (or was cancelled at the deadline): logs, metrics, then the outcome. */
function runEnd(scope: Construct, t: RunSyncTasks): void {
  const S = RUN_SYNC_STATES;
  const logExportFailed = new sfn.Pass(scope, S.logExportFailed, {
    comment: "Log export is best effort: record why it failed and go on",
    parameters: {
      exported: false,
      keys: [],
      error: sfn.JsonPath.stringAt("$.logs_error.Error"),
    },
    resultPath: "$.logs",
  });
  t.exportLogs.addCatch(logExportFailed, { errors: [sfn.Errors.ALL], resultPath: "$.logs_error" });
  // A failed cancel must not skip the logs and metrics; check-status's verdict stands.
  t.cancel.addCatch(t.exportLogs, { errors: [sfn.Errors.ALL], resultPath: "$.cancel_error" });
  const outcome = outcomeChoice(scope);
  t.publish.addCatch(outcome, { errors: [sfn.Errors.ALL], resultPath: "$.metrics_error" });
  t.cancel.next(t.exportLogs);
  t.exportLogs.next(t.publish);
  logExportFailed.next(t.publish);
  t.publish.next(outcome);
}

/** The step's outcome from check-status's verdict: timed out, failed, or its StepResult. */
function outcomeChoice(scope: Construct): sfn.Choice {
  const S = RUN_SYNC_STATES;
  const timedOut = new sfn.Fail(scope, S.timedOut, {
    error: TIMED_OUT,
    cause: "The step's timeout passed before the Polytomic run ended; the run was cancelled.",
  });
  const failed = new sfn.Fail(scope, S.failed, {
    errorPath: "$.check.error_name",
    causePath: "$.check.error_message",
  });
  const failedWithoutDetails = new sfn.Fail(scope, S.failedWithoutDetails, {
    error: FAILED,
    cause: "check-status reported a failed step without an error name and message.",
  });
  const succeeded = new sfn.Pass(scope, S.succeeded, {
    comment: "Output: the StepResult (functions/core/contract.ts)",
    parameters: successResult(),
  });
  return new sfn.Choice(scope, S.outcome)
    .when(sfn.Condition.booleanEquals("$.check.timed_out", true), timedOut)
    .when(
      sfn.Condition.and(
        sfn.Condition.booleanEquals("$.check.step_failed", true),
        sfn.Condition.isPresent("$.check.error_name"),
        sfn.Condition.isPresent("$.check.error_message"),
      ),
      failed,
    )
    .when(sfn.Condition.booleanEquals("$.check.step_failed", true), failedWithoutDetails)
    .otherwise(succeeded);
}

/**
 * Start, then check until the run ends (Wait seconds from check-status). A StartPending
 * (a transient error or a 409 to wait out) checked nothing: start-sync runs again after
 * the wait, with the next Idempotency-Key.
 */
function pollingLoop(scope: Construct, t: RunSyncTasks, eventWaitTask?: tasks.LambdaInvoke): void {
  const S = RUN_SYNC_STATES;
  const wait = new sfn.Wait(scope, S.wait, {
    time: sfn.WaitTime.secondsPath("$.check.next_poll_seconds"),
  });
  const waitToStart = new sfn.Wait(scope, S.waitToStart, {
    comment: "No run yet: start-sync tries again with the next Idempotency-Key",
    time: sfn.WaitTime.secondsPath("$.check.next_poll_seconds"),
  });
  const runFinished = new sfn.Choice(scope, S.runFinished)
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent("$.check.start_pending"),
        sfn.Condition.booleanEquals("$.check.start_pending", true),
      ),
      waitToStart,
    )
    .when(sfn.Condition.booleanEquals("$.check.timed_out", true), t.cancel)
    .when(sfn.Condition.booleanEquals("$.check.terminal", true), t.exportLogs)
    .otherwise(eventWaitTask ?? wait);
  t.check.next(runFinished);
  wait.next(t.check);
  if (eventWaitTask) {
    // Timed out (no event came): check now, as after the Wait. register-wait failed (the
    // store unreachable, say): the plain Wait, so the machine polls as without webhooks.
    eventWaitTask.addCatch(t.check, {
      errors: [sfn.Errors.TIMEOUT],
      resultPath: sfn.JsonPath.DISCARD,
    });
    eventWaitTask.addCatch(wait, { errors: [sfn.Errors.ALL], resultPath: sfn.JsonPath.DISCARD });
    eventWaitTask.next(t.check);
  }
  waitToStart.next(t.start);
}

/**
 * A token wait: register-wait stores `$$.Task.Token` under the run's Polytomic execution id,
 * and the Task waits for wake's SendTaskSuccess at most `<from>.event_wait_seconds`
 * (TimeoutSecondsPath: polling.ts's event fallback, longer than the Wait's
 * `next_poll_seconds`, since the event usually ends the wait first). Its result is discarded,
 * the state's input goes on unchanged: check-status, not the event, decides. No Retry: any
 * failure falls back on polling (the Catches in pollingLoop), which costs nothing but the
 * early wake.
 */
function waitForEvent(
  scope: Construct,
  registerWait: lambda.IFunction,
  from: "$.check",
  name: string = RUN_SYNC_STATES.waitForEvent,
): tasks.LambdaInvoke {
  const registration = {
    execution_id: sfn.JsonPath.stringAt("$.start.execution_id"),
    waiter: sfn.JsonPath.stringAt("$$.Execution.Id"),
    token: sfn.JsonPath.taskToken,
    wait_seconds: sfn.JsonPath.numberAt(`${from}.event_wait_seconds`),
  } satisfies { [K in keyof WaitRegistration]: unknown };
  return new tasks.LambdaInvoke(scope, name, {
    lambdaFunction: registerWait,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject(registration),
    retryOnServiceExceptions: false,
    resultPath: sfn.JsonPath.DISCARD,
    taskTimeout: sfn.Timeout.at(`${from}.event_wait_seconds`),
  });
}

/** Gates of the pipeline machine wait for a skipped step's child: end it at once. */
function skipOrStart(scope: Construct, start: sfn.State): sfn.IChainable {
  const S = RUN_SYNC_STATES;
  const skipped = new sfn.Pass(scope, S.skipped, {
    comment: "Input had skip: true (a skipped step some gate waits for): nothing runs",
    parameters: {
      step: sfn.JsonPath.stringAt("$.step"),
      sync_type: sfn.JsonPath.stringAt("$.sync_type"),
      status: "skipped",
      outcome: "skipped",
      counts: { records: 0, errors: 0, warnings: 0 },
      logs: [],
    } satisfies {
      [K in keyof Pick<
        StepResult,
        "step" | "sync_type" | "status" | "outcome" | "counts" | "logs"
      >]: unknown;
    },
  });
  return new sfn.Choice(scope, S.skipRequested)
    .when(
      sfn.Condition.and(
        sfn.Condition.isPresent("$.skip"),
        sfn.Condition.booleanEquals("$.skip", true),
      ),
      skipped,
    )
    .otherwise(start);
}
