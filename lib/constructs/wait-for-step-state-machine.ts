import { Duration } from "aws-cdk-lib";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import * as tasks from "aws-cdk-lib/aws-stepfunctions-tasks";
import { Construct } from "constructs";
import { executionArn } from "./execution-arns";
import { loggedStateMachine } from "./state-machine-logs";

/**
 * State names of the wait-for-step machine. Stable: operators read them in the console
 * and the tests address them.
 */
export const WAIT_FOR_STEP_STATES = {
  init: "Init",
  describe: "Describe",
  status: "Status?",
  attach: "Attach",
  wait: "Wait",
  lastEntry: "Last entry?",
  backOff: "Back off",
  succeeded: "Succeeded",
  ended: "Ended without success",
} as const;

/**
 * How Describe waits while the awaited child does not exist yet: its Retry on
 * `Sfn.ExecutionDoesNotExistException`. A retry is one billed state transition ("each
 * retry will be charged as an additional state transition",
 * https://aws.amazon.com/step-functions/pricing/) and three history events (scheduled,
 * started, failed), where a round of the Wait loop is four transitions (Describe, Wait,
 * Last entry?, Back off) and 11 events. The pauses are 15 s growing 30% a retry (about
 * 15 s plus 30% of the time waited so far) up to 10 minutes; 99 retries cover about 14
 * hours. Waiting late costs only when the dependency's child both starts and ends within
 * one pause (else the gate attaches and sees its end at once). What made gates dear was
 * not this growth but gates that waited from the pipeline's start for a dependency deep
 * in the DAG; the decomposition now runs such steps in a dependency's branch
 * (lib/asl/series-parallel.ts, hangUnorderedBranches), and a gate mostly finds its
 * dependency running or ended. Growth then matters little: 15%, 30%, 50% and 100% a
 * retry put gate polling at 3.4%, 3.1%, 3.0% and 2.9% of the bench's worst DAG pipeline
 * (docs/performance.md); 30% stays, as a longer pause lets a gate see a short
 * dependency later. Past the retries (and after every Attach that failed) the machine
 * waits on the gate's schedule, the dependency's `poll` settings.
 * Whether Step Functions restarts a retrier's count when the state is entered again is
 * not documented; either way the wait stays bounded and its history small
 * (pipeline-state-machine.ts, gateWorstCaseEvents).
 */
export const GATE_RETRY = {
  intervalSeconds: 15,
  backoffRate: 1.3,
  maxDelaySeconds: 600,
  maxAttempts: 99,
} as const;

/** The pauses of GATE_RETRY, in order, seconds. */
export function gateRetryPauses(): number[] {
  const r = GATE_RETRY;
  return Array.from({ length: r.maxAttempts }, (_, k) =>
    Math.min(r.maxDelaySeconds, r.intervalSeconds * r.backoffRate ** k),
  );
}

/** What a gate passes to the wait-for-step machine. */
export interface WaitForStepInput {
  /** The dependency's run-sync child execution (it may not exist yet). */
  execution_arn: string;
  /** Waits (seconds) between checks while the child does not exist yet; the last repeats. */
  schedule: number[];
}

/**
 * What the wait-for-step machine outputs: the child's final `status`, and `result` in the
 * shape a gate records at `$.dep_<i>` (the StepResult when the child succeeded, else
 * `{ status: "failed", child_status }`).
 */
export interface WaitForStepOutput {
  status: "SUCCEEDED" | "FAILED" | "TIMED_OUT" | "ABORTED";
  result: Record<string, unknown>;
}

export interface WaitForStepStateMachineProps {
  /** The run-sync machine whose executions are waited for. */
  readonly runSync: sfn.IStateMachine;
  /**
   * The longest a gate may wait: the longest pipeline timeout. The machine's own
   * timeout, and the Attach task's.
   */
  readonly maxWait: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * Waits until one run-sync execution (a pipeline step's child, by its deterministic
 * ARN) has ended, and outputs its result. Each gate of a non-series-parallel pipeline
 * (see PipelineStateMachine) is one `startExecution.sync:2` of this machine, so the
 * waiting costs the pipeline's history a fixed handful of events.
 *
 * ```
 * Init ─► Describe ─► Status? ─┬─ RUNNING ─► Attach (.sync:2 on the same name and input) ─► Describe
 *            ▲    (not found)  ├─ SUCCEEDED ─► Succeeded { status, result: <StepResult> }
 *            │        │        ├─ FAILED, TIMED_OUT, ABORTED ─► Ended without success
 *            │        ▼        └─ else ─┐        (Attach failed) │
 *            └─ Back off ◄─ Last entry? ◄─ Wait (schedule[k]) ◄──┴──────────┘
 * ```
 *
 * While the child does not exist yet, Describe fails with
 * `Sfn.ExecutionDoesNotExistException` and retries (GATE_RETRY: one transition a
 * check); past its retries the machine polls on the gate's schedule (the index `k`
 * advances with States.MathAdd and stops at the last entry). Once it
 * runs, Attach waits for it without polling: StartExecution with the name and input of
 * a running STANDARD execution is idempotent. The StartExecution API reference (the
 * `name` parameter): "When the original execution is open and the execution input from
 * the new call is identical, the Success message is returned"; when it is closed, or
 * the input differs, `ExecutionAlreadyExists`
 * (https://docs.aws.amazon.com/step-functions/latest/apireference/API_StartExecution.html).
 * `.sync:2` then waits for the execution it returned: that StartExecution returns an
 * execution this task did not create is documented, but not that `.sync:2` then waits
 * for it; the deployed check (`npm run e2e:aws`) covers it, and should it return early,
 * the machine attaches only once (`$.attached`) and polls on the schedule from then on.
 * Input is the described Input string itself, so it is identical. Attach failing (the child ended meanwhile, a skip
 * child with another input, the child failed) leads back to Describe after the current
 * schedule entry, which then sees it ended. Other Describe errors are retried (6
 * attempts, full jitter) and then fail the execution: the gate in the pipeline fails the
 * waiting step rather than run it without knowing.
 *
 * JSONPath only; standard workflow; logs (ALL) and X-Ray tracing on.
 */
export class WaitForStepStateMachine extends Construct {
  readonly stateMachine: sfn.StateMachine;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: WaitForStepStateMachineProps) {
    super(scope, id);
    const maxWait = props.maxWait;
    if (maxWait.toSeconds() < 1 || maxWait.toSeconds() > 365 * 24 * 3600) {
      throw new Error(
        `WaitForStepStateMachine: maxWait must be between 1 second and 365 days, got ${maxWait.toHumanString()}`,
      );
    }
    const machine = loggedStateMachine(this, {
      machine: "WaitForStep",
      comment:
        "Waits until one run-sync execution ended (polling only while it does not exist) and outputs its result for a pipeline gate.",
      start: this.definition(props.runSync, maxWait),
      timeout: maxWait,
      logRetention: props.logRetention,
    });
    this.logGroup = machine.logGroup;
    this.stateMachine = machine.stateMachine;
  }

  /** The states of the diagram above, wired; returns Init. */
  private definition(runSync: sfn.IStateMachine, maxWait: Duration): sfn.State {
    const S = WAIT_FOR_STEP_STATES;
    const init = new sfn.Pass(this, S.init, {
      parameters: {
        execution_arn: sfn.JsonPath.stringAt("$.execution_arn"),
        schedule: sfn.JsonPath.listAt("$.schedule"),
        n: sfn.JsonPath.arrayLength(sfn.JsonPath.listAt("$.schedule")),
        k: 1,
        seconds: sfn.JsonPath.arrayGetItem(sfn.JsonPath.listAt("$.schedule"), 0),
        attached: false,
      },
    });
    const describe = this.describeTask(runSync);
    const attach = this.attachTask(runSync, maxWait);
    const wait = new sfn.Wait(this, S.wait, { time: sfn.WaitTime.secondsPath("$.seconds") });
    const backOff = this.backOffState();
    const lastEntry = new sfn.Choice(this, S.lastEntry)
      .when(sfn.Condition.numberGreaterThanEqualsJsonPath("$.k", "$.n"), describe)
      .otherwise(backOff);
    const status = this.statusChoice(attach, wait);

    // The wiring order decides the order of the definition's States: keep it.
    init.next(describe);
    describe.addCatch(wait, {
      errors: ["Sfn.ExecutionDoesNotExistException"],
      resultPath: "$.d",
    });
    describe.next(status);
    attach.addCatch(wait, { errors: [sfn.Errors.ALL], resultPath: "$.d" });
    attach.next(describe);
    wait.next(lastEntry);
    backOff.next(describe);
    return init;
  }

  /**
   * DescribeExecution of the awaited child, retried on transient errors. AWS SDK
   * integrations take and return the API's fields in PascalCase and name errors
   * Sfn.<Name>Exception.
   */
  private describeTask(runSync: sfn.IStateMachine): tasks.CallAwsService {
    const executions = executionArn(this, runSync, "*");
    const describe = new tasks.CallAwsService(this, WAIT_FOR_STEP_STATES.describe, {
      service: "sfn",
      action: "describeExecution",
      iamAction: "states:DescribeExecution",
      iamResources: [executions],
      parameters: { ExecutionArn: sfn.JsonPath.stringAt("$.execution_arn") },
      resultPath: "$.d",
      taskTimeout: sfn.Timeout.duration(Duration.seconds(60)),
    });
    const wait = GATE_RETRY;
    describe.addRetry({
      errors: ["Sfn.ExecutionDoesNotExistException"],
      interval: Duration.seconds(wait.intervalSeconds),
      backoffRate: wait.backoffRate,
      maxDelay: Duration.seconds(wait.maxDelaySeconds),
      maxAttempts: wait.maxAttempts,
    });
    describe.addRetry({
      errors: ["Sfn.SfnException", "Sfn.SdkClientException", "States.Timeout"],
      interval: Duration.seconds(2),
      backoffRate: 2,
      maxAttempts: 6,
      maxDelay: Duration.minutes(1),
      jitterStrategy: sfn.JitterType.FULL,
    });
    return describe;
  }

  /** StartExecution (.sync:2) with the running child's name and input: waits for it. */
  private attachTask(
    runSync: sfn.IStateMachine,
    maxWait: Duration,
  ): tasks.StepFunctionsStartExecution {
    return new tasks.StepFunctionsStartExecution(this, WAIT_FOR_STEP_STATES.attach, {
      comment: "Same name and input as the running child: returns it, and .sync:2 waits for it",
      stateMachine: runSync,
      integrationPattern: sfn.IntegrationPattern.RUN_JOB,
      name: sfn.JsonPath.stringAt("$.d.Name"),
      // The described Input string itself (not re-serialized), so it is identical.
      input: sfn.TaskInput.fromJsonPathAt("$.d.Input"),
      // Attach at most once: should .sync:2 return before the child ends (undocumented),
      // the machine falls back to polling on the schedule instead of attaching in a loop.
      resultSelector: { once: true },
      resultPath: "$.attached",
      taskTimeout: sfn.Timeout.duration(maxWait),
    });
  }

  /** Advances the schedule index `k` and takes its entry as the next wait. */
  private backOffState(): sfn.Pass {
    return new sfn.Pass(this, WAIT_FOR_STEP_STATES.backOff, {
      parameters: {
        execution_arn: sfn.JsonPath.stringAt("$.execution_arn"),
        schedule: sfn.JsonPath.listAt("$.schedule"),
        n: sfn.JsonPath.numberAt("$.n"),
        k: sfn.JsonPath.mathAdd(sfn.JsonPath.numberAt("$.k"), 1),
        seconds: sfn.JsonPath.arrayGetItem(
          sfn.JsonPath.listAt("$.schedule"),
          sfn.JsonPath.numberAt("$.k"),
        ),
        attached: sfn.JsonPath.objectAt("$.attached"),
      },
    });
  }

  /** Status?: by the described child's status, attach, wait, or end with its result. */
  private statusChoice(attach: sfn.State, wait: sfn.State): sfn.Choice {
    const S = WAIT_FOR_STEP_STATES;
    const succeeded = new sfn.Pass(this, S.succeeded, {
      comment: "The child's StepResult (its Output), as the gate records it",
      parameters: {
        status: sfn.JsonPath.stringAt("$.d.Status"),
        result: sfn.JsonPath.stringToJson(sfn.JsonPath.stringAt("$.d.Output")),
      },
    });
    const ended = new sfn.Pass(this, S.ended, {
      parameters: {
        status: sfn.JsonPath.stringAt("$.d.Status"),
        result: { status: "failed", child_status: sfn.JsonPath.stringAt("$.d.Status") },
      },
    });
    const running = sfn.Condition.stringEquals("$.d.Status", "RUNNING");
    return (
      new sfn.Choice(this, S.status)
        .when(sfn.Condition.and(running, sfn.Condition.isBoolean("$.attached")), attach)
        // Attached before and still running: .sync:2 did not wait, so poll on the schedule.
        .when(running, wait)
        .when(sfn.Condition.stringEquals("$.d.Status", "SUCCEEDED"), succeeded)
        .when(
          sfn.Condition.or(
            sfn.Condition.stringEquals("$.d.Status", "FAILED"),
            sfn.Condition.stringEquals("$.d.Status", "TIMED_OUT"),
            sfn.Condition.stringEquals("$.d.Status", "ABORTED"),
          ),
          ended,
        )
        // PENDING_REDRIVE (or a status added later): look again later.
        .otherwise(wait)
    );
  }
}
