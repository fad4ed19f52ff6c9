import { type CfnElement, Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as events from "aws-cdk-lib/aws-events";
import * as targets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import { EVENT_SOURCE, EVENT_TYPES } from "../../functions/core/webhook-contract";
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

/**
 * The waits' environment variable (functions/register-wait, functions/wake, and check-status
 * and start-sync for the delivery record: functions/aws/event-wait.ts WAITS_BUCKET_ENV).
 */
const WAITS_BUCKET_ENV = "WAITS_BUCKET";

/**
 * The bucket's prefixes (functions/aws/event-wait.ts) and how long each lives. A wait lasts
 * at most its timeout; a seen mark is read at its run's end (a step lasts at most a few
 * days, but marks older than a day only miscount a run that long: an estimate); a delivery
 * record is rewritten at every run's end, and one untouched for 90 days starts over (poll).
 */
const LIFECYCLE = [
  { id: "expire-waits", prefix: "waits/", days: 1 },
  { id: "expire-seen-marks", prefix: "seen/", days: 7 },
  { id: "expire-delivery-records", prefix: "delivery/", days: 90 },
] as const;

/**
 * Event-driven waiting (issue 16.2, docs/webhooks.md#waiting-for-a-runs-end): the run-sync
 * machine's token wait invokes `registerWait`, which stores the task token in `bucket` under
 * the Polytomic execution id; `wake`, subscribed to the webhook bus with a rule on the event
 * types that end a run, calls SendTaskSuccess with it. Built in two steps because the machine
 * needs `registerWait` and `wake` needs the machine: construct, build the machine, `connect`.
 *
 * The store is an S3 bucket, not a DynamoDB table (functions/aws/event-wait.ts says why):
 * S3-managed encryption, TLS only, no public access, waits expire after a day (the TTL; a
 * wait is at most its timeout). The same bucket keeps the measured delivery (seen marks and
 * per-organization records: `useDeliveryRecord`), each prefix with its own lifecycle rule.
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
      lifecycleRules: LIFECYCLE.map((r) => ({
        id: r.id,
        prefix: r.prefix,
        expiration: Duration.days(r.days),
      })),
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

  /**
   * register-wait puts waits; wake lists and reads them and puts seen marks. Nothing else,
   * nobody else (check-status and start-sync: `useDeliveryRecord`).
   */
  private grantLeastPrivilege(): void {
    const waits = this.bucket.arnForObjects("waits/*");
    const seen = this.bucket.arnForObjects("seen/*");
    this.registerWait.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: [waits] }),
    );
    this.wake.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }),
    );
    this.wake.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:GetObject"], resources: [waits] }),
    );
    this.wake.addToRolePolicy(
      new iam.PolicyStatement({ actions: ["s3:PutObject"], resources: [seen] }),
    );
    for (const fn of [this.registerWait, this.wake]) {
      ack(
        fn.role ?? fn,
        "IAM5[Resource::*]",
        "X-Ray PutTraceSegments/PutTelemetryRecords support no resource ARNs.",
      );
    }
    this.ackPrefixes(this.registerWait, ["waits"]);
    this.ackPrefixes(this.wake, ["waits", "seen"]);
  }

  private ackPrefixes(fn: lambda.IFunction, prefixes: readonly string[]): void {
    const bucketId = Stack.of(this).getLogicalId(this.bucket.node.defaultChild as CfnElement);
    for (const prefix of prefixes) {
      ack(
        fn.role ?? fn,
        `IAM5[Resource::<${bucketId}.Arn>/${prefix}/*]`,
        "Keys are per Polytomic execution (and waiter) or organization, made at run time: the grant is one prefix of the waits bucket.",
      );
    }
  }

  /**
   * check-status (`readWrite`) and start-sync (`read`) use the measured delivery
   * (functions/core/delivery.ts): both get the bucket's name; both read records (and list the
   * bucket: without s3:ListBucket a missing record answers 403, not 404); check-status also
   * writes records and lists seen marks. Only with webhooks, so a stack without them has
   * neither the variable nor the grants.
   */
  useDeliveryRecord(fns: { readWrite: lambda.IFunction; read: lambda.IFunction }): void {
    const records = this.bucket.arnForObjects("delivery/*");
    for (const fn of [fns.readWrite, fns.read]) {
      if (!(fn instanceof lambda.Function)) {
        throw new Error(`EventWait.useDeliveryRecord: ${fn.node.path} is not a lambda.Function`);
      }
      fn.addEnvironment(WAITS_BUCKET_ENV, this.bucket.bucketName);
      const actions = fn === fns.readWrite ? ["s3:GetObject", "s3:PutObject"] : ["s3:GetObject"];
      fn.addToRolePolicy(new iam.PolicyStatement({ actions, resources: [records] }));
      fn.addToRolePolicy(
        new iam.PolicyStatement({ actions: ["s3:ListBucket"], resources: [this.bucket.bucketArn] }),
      );
      this.ackPrefixes(fn, ["delivery"]);
    }
  }

  /**
   * Subscribes `wake` to the bus's run events (the running ones too: wake marks every event
   * seen, functions/core/delivery.ts) and lets it resume `runSync`'s waits only.
   */
  connect(bus: events.IEventBus, runSync: sfn.IStateMachine): void {
    this.rule = new events.Rule(this, "RunEnded", {
      description:
        "Polytomic run events: wake marks each seen (the measured delivery) and resumes the steps waiting for a run that ended",
      eventBus: bus,
      eventPattern: { source: [EVENT_SOURCE], detailType: [...EVENT_TYPES] },
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
