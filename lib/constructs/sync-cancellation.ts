import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";

import { CANCEL_ON_STATUSES } from "../../functions/core/contract";
import { executionsOf } from "./execution-arns";

export { CANCEL_ON_STATUSES };

export interface SyncCancellationProps {
  /** The run-sync state machine whose ended executions are watched. */
  readonly runSync: sfn.IStateMachine;
  /** cancel-sync; it receives the raw EventBridge event and reads `detail.input` (StepInput). */
  readonly cancelSync: lambda.IFunction;
}

/**
 * Cancels the Polytomic run of a run-sync execution that ended without finishing it:
 * stopped (ABORTED, also when its parent pipeline was stopped), TIMED_OUT, or FAILED
 * (a FAILED execution usually cleaned up itself, but one that hit the 25,000-event
 * history limit or a States.Runtime error failed without running its Catch).
 * Independent of the ended execution: an EventBridge rule on "Step Functions Execution
 * Status Change" invokes cancel-sync, with retries and a dead-letter queue. cancel-sync
 * reads the execution's own history (states:GetExecutionHistory, granted here on the
 * run-sync machine's executions only) for the runs it started, cancels only those, and
 * leaves runs that already ended alone.
 */
export class SyncCancellation extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;
  /** cancel-sync's grant to read the run-sync executions' histories. */
  readonly historyPolicy: iam.Policy;

  constructor(scope: Construct, id: string, props: SyncCancellationProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetters", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rule = new events.Rule(this, "Rule", {
      description:
        "Cancel the Polytomic run of a run-sync execution that was stopped, timed out or failed",
      eventPattern: {
        source: ["aws.states"],
        detailType: ["Step Functions Execution Status Change"],
        detail: {
          stateMachineArn: [props.runSync.stateMachineArn],
          status: [...CANCEL_ON_STATUSES],
        },
      },
      targets: [
        new targets.LambdaFunction(props.cancelSync, {
          retryAttempts: 8,
          maxEventAge: Duration.hours(2),
          deadLetterQueue: this.deadLetterQueue,
        }),
      ],
    });
    const role = props.cancelSync.role;
    if (!role) throw new Error("SyncCancellation: cancel-sync needs an IAM role to grant");
    // A policy of its own, not the role's default one: the run-sync machine invokes
    // cancel-sync, so the function must not depend on the machine's ARN (a cycle).
    this.historyPolicy = new iam.Policy(this, "ReadRunSyncHistory", {
      roles: [role],
      statements: [
        new iam.PolicyStatement({
          actions: ["states:GetExecutionHistory"],
          resources: [executionsOf(this, props.runSync)],
        }),
      ],
    });
  }
}
