import { Duration } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";

import { CANCEL_ON_STATUSES } from "../../functions/core/contract";

export { CANCEL_ON_STATUSES };

export interface SyncCancellationProps {
  /** The run-sync state machine whose ended executions are watched. */
  readonly runSync: sfn.IStateMachine;
  /** cancel-sync; it receives the raw EventBridge event and reads `detail.input` (StepInput). */
  readonly cancelSync: lambda.IFunction;
}

/**
 * Cancels the Polytomic run of a run-sync execution that ended without finishing it:
 * stopped (ABORTED, also when its parent pipeline was stopped) or TIMED_OUT. Independent
 * of the ended execution: an EventBridge rule on "Step Functions Execution Status Change"
 * invokes cancel-sync, with retries and a dead-letter queue. cancel-sync is idempotent and
 * leaves runs that already ended alone. A FAILED run-sync cleans up itself (it cancels
 * its run when a check fails for good), so FAILED is not watched.
 */
export class SyncCancellation extends Construct {
  readonly rule: events.Rule;
  readonly deadLetterQueue: sqs.Queue;

  constructor(scope: Construct, id: string, props: SyncCancellationProps) {
    super(scope, id);
    this.deadLetterQueue = new sqs.Queue(this, "DeadLetters", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.rule = new events.Rule(this, "Rule", {
      description: "Cancel the Polytomic run of a run-sync execution that was stopped or timed out",
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
  }
}
