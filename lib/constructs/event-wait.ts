import { type CfnElement, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { EVENT_SOURCE, WAKE_EVENT_TYPES } from "../../functions/core/webhook-contract";
import { ack } from "./nag";
import { OrchestratorFunction } from "./orchestrator-function";
import { functionEntry, REGISTER_WAIT_FUNCTION, WAKE_FUNCTION } from "./paths";

export interface EventWaitProps {
  /**
   * Retention of the functions' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding the handler entries, `<dir>/<name>/index.ts`.
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
}

/** The waits' environment variable (functions/register-wait, functions/wake). */
const WAITS_BUCKET_ENV = "WAITS_BUCKET";

/**
 * Event-driven waiting (issue 16.2, docs/webhooks.md#waiting-for-a-runs-end): the run-sync
 * machine's token wait invokes `registerWait`, which stores the task token in `bucket` under
 * the Polytomic execution id; `wake`, subscribed to the webhook bus with a rule on the event
 * types that end a run, calls SendTaskSuccess with it. Built in two steps because the machine
 * needs `registerWait` and `wake` needs the machine: construct, build the machine, `connect`.
 *
 * The store is an S3 bucket, not a DynamoDB table (functions/aws/event-wait.ts says why):
 * S3-managed encryption, TLS only, no public access, records expire after a day (the TTL; a
 * wait is at most the poll interval, ten minutes by default).
 */
export class EventWait extends Construct {
  readonly bucket: s3.Bucket;
  readonly registerWait: lambda.IFunction;
  readonly wake: lambda.IFunction;
  /** The rule that sends the bus's run-end events to `wake` (after `connect`). */
  rule?: events.Rule;

  constructor(scope: Construct, id: string, props: EventWaitProps = {}) {
    super(scope, id);
    this.bucket = new s3.Bucket(this, "Waits", {
      encryption: s3.BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
      autoDeleteObjects: false,
      lifecycleRules: [{ id: "expire-waits", expiration: Duration.days(1) }],
    });
    const environment = { [WAITS_BUCKET_ENV]: this.bucket.bucketName };
    this.registerWait = new OrchestratorFunction(this, "RegisterWait", {
      entry: functionEntry(REGISTER_WAIT_FUNCTION, props.functionsDir),
      description: "Stores a run-sync wait's task token under its Polytomic execution id",
      timeout: Duration.seconds(10),
      environment,
      logRetention: props.logRetention,
    });
    this.wake = new OrchestratorFunction(this, "Wake", {
      entry: functionEntry(WAKE_FUNCTION, props.functionsDir),
      description: "Resumes the run-sync waits of a Polytomic run that ended (SendTaskSuccess)",
      timeout: Duration.seconds(30),
      environment,
      logRetention: props.logRetention,
    });
    this.grantLeastPrivilege();
    ack(
      this.bucket,
      "S1",
      "Holds only task tokens for at most a day; access is through IAM by two functions. A second bucket for server access logs is not worth its cost here.",
    );
  }

  /** register-wait puts waits; wake lists and reads them. Nothing else, nobody else. */
  private grantLeastPrivilege(): void {
    const objects = this.bucket.arnForObjects("*");
    this.registerWait.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: [objects] }),
    );
    this.wake.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }),
    );
    this.wake.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [objects] }),
    );
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    for (const fn of [this.registerWait, this.wake]) {
      ack(
        fn.role ?? fn,
        "IAM5[Resource::*]",
        "X-Ray PutTraceSegments/PutTelemetryRecords support no resource ARNs.",
      );
      ack(
        fn.role ?? fn,
        `IAM5[Resource::<${bucketId}.Arn>/*]`,
        "A wait's key is per Polytomic execution and waiter, made at run time: the grant is the waits bucket's objects, which hold nothing else.",
      );
    }
  }

  /** Subscribes `wake` to the bus's run-end events and lets it resume `runSync`'s waits only. */
  connect(bus: events.IEventBus, runSync: sfn.IStateMachine): void {
    this.rule = new events.Rule(this, "RunEnded", {
      description: "Polytomic events of a run's end: wake resumes the steps waiting for it",
      eventBus: bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [...WAKE_EVENT_TYPES] },
      targets: [new targets.LambdaFunction(this.wake, { retryAttempts: 2 })],
    });
    runSync.grant(this.wake, "states:SendTaskSuccess");
    const fnId = Stack.of(this).getLogicalId(this.registerWait.node.defaultChild as CfnElement);
    ack(
      runSync,
      `IAM5[Resource::<${fnId}.Arn>:*]`,
      "Invoking register-wait by any version or alias qualifier of that one function (CDK's LambdaInvoke grant).",
    );
  }
}
