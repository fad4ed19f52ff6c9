import { CfnOutput, Duration } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import {
  DEFAULT_MAX_AGE_SECONDS,
  DEFAULT_MAX_SKEW_SECONDS,
  DEFAULT_SIGNATURE_ALGORITHM,
  EVENT_SOURCE,
  isSignatureAlgorithm,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
} from "../../functions/core/webhook-contract";
import {
  METRIC_NAMESPACE,
  WEBHOOK_METRICS,
  WEBHOOK_OUTCOME_DIMENSION,
} from "../../functions/core/webhook-metrics";
import { ack } from "./nag";
import { OrchestratorFunction } from "./orchestrator-function";
import { functionEntry, WEBHOOK_FUNCTION } from "./paths";

export interface WebhookReceiverProps {
  /** Where the alarms on rejected and failed deliveries notify. */
  readonly alarmTopic: sns.ITopic;
  /**
   * How `Polytomic-Signature` is computed. Polytomic documents an HMAC of the body but not its
   * hash or encoding (docs/webhooks.md).
   * @default "hmac-sha256-hex" (assumed)
   */
  readonly signatureAlgorithm?: SignatureAlgorithm;
  /**
   * Deliveries created longer ago are rejected as stale (and so are replays of them).
   * @default Duration.seconds(900)
   */
  readonly maxAge?: Duration;
  /**
   * Deliveries created further ahead of the receiver's clock are rejected.
   * @default Duration.seconds(300)
   */
  readonly maxSkew?: Duration;
  /**
   * Rejected deliveries (bad signature, stale, not an event) in 15 minutes that raise the
   * alarm. The Function URL is public, so a stray request must not page on its own.
   * @default 5
   */
  readonly rejectedAlarmThreshold?: number;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding the handler entries, `<dir>/webhook/index.ts`.
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
}

const ALARM_PERIOD = Duration.minutes(15);

/**
 * The receiver of Polytomic's event deliveries (issue 16.1): a function behind a Function URL
 * that verifies each delivery's signature with the webhook secret and puts the event on this
 * stack's EventBridge bus (source `polytomic`, detail-type the event type, `detail` with
 * `id`, `execution_id`, `sync_id`). An organization has one webhook: anything else that needs
 * Polytomic's events subscribes to the bus with its own rule (docs/webhooks.md).
 *
 * The Function URL has no IAM auth (Polytomic cannot sign AWS requests): the HMAC signature is
 * the authentication, checked before anything else, and a request without a valid one is
 * answered 401 and counted. The secret is generated here; `webhook install` registers it.
 */
export class WebhookReceiver extends Construct {
  readonly function: lambda.IFunction;
  readonly url: lambda.FunctionUrl;
  readonly bus: events.EventBus;
  readonly secret: secretsmanager.Secret;
  /** Rejected deliveries, deliveries the bus refused, and the function's errors. */
  readonly alarms: cw.Alarm[] = [];

  constructor(scope: Construct, id: string, props: WebhookReceiverProps) {
    super(scope, id);
    const algorithm = props.signatureAlgorithm ?? DEFAULT_SIGNATURE_ALGORITHM;
    if (!isSignatureAlgorithm(algorithm)) {
      throw new Error(
        `webhook signatureAlgorithm must be one of ${SIGNATURE_ALGORITHMS.join(", ")}, got "${algorithm}"`,
      );
    }
    const maxAge = (props.maxAge ?? Duration.seconds(DEFAULT_MAX_AGE_SECONDS)).toSeconds();
    const maxSkew = (props.maxSkew ?? Duration.seconds(DEFAULT_MAX_SKEW_SECONDS)).toSeconds();
    if (maxAge < 1) throw new Error("webhook maxAge must be at least 1 second");
    this.bus = new events.EventBus(this, "Bus", {
      description: "Polytomic events received by the webhook receiver (source: polytomic)",
    });
    this.secret = new secretsmanager.Secret(this, "Secret", {
      description:
        "The Polytomic webhook secret: signs every delivery; register it with `polytomic-orchestrator webhook install`",
      generateSecretString: { passwordLength: 48, excludePunctuation: true },
    });
    const fn = new OrchestratorFunction(this, "Function", {
      entry: functionEntry(WEBHOOK_FUNCTION, props.functionsDir),
      description: "Verifies Polytomic webhook deliveries and puts their events on the bus",
      timeout: Duration.seconds(10),
      environment: {
        WEBHOOK_SECRET_ARN: this.secret.secretArn,
        EVENT_BUS_NAME: this.bus.eventBusName,
        WEBHOOK_SIGNATURE_ALGORITHM: algorithm,
        WEBHOOK_MAX_AGE_SECONDS: String(maxAge),
        WEBHOOK_MAX_SKEW_SECONDS: String(maxSkew),
      },
      logRetention: props.logRetention,
    });
    this.secret.grantRead(fn);
    this.bus.grantPutEventsTo(fn);
    this.function = fn;
    this.url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    this.addAlarms(props, fn);
    this.addOutputs();
    this.acknowledgeNagFindings(fn);
  }

  private addAlarms(props: WebhookReceiverProps, fn: lambda.IFunction): void {
    const action = new cwActions.SnsAction(props.alarmTopic);
    const alarm = (outcome: string, threshold: number, description: string) => {
      const metric =
        outcome === "errors"
          ? fn.metricErrors({ period: ALARM_PERIOD, statistic: cw.Stats.SUM })
          : deliveries(outcome);
      const a = metric.createAlarm(this, `Deliveries-${outcome}`, {
        alarmDescription: description,
        threshold,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
      });
      a.addAlarmAction(action);
      this.alarms.push(a);
    };
    alarm(
      "rejected",
      props.rejectedAlarmThreshold ?? 5,
      "Polytomic webhook deliveries were rejected (bad or missing signature, stale, or not an event): a wrong secret or signature algorithm rejects every event, so the pipelines fall back on polling. The receiver's log says why each was rejected.",
    );
    alarm(
      "failed",
      1,
      "The webhook receiver could not put an event on its EventBridge bus, or could not read its secret: Polytomic retries such deliveries up to five times, then drops them.",
    );
    alarm(
      "errors",
      1,
      "The webhook receiver's function failed (a configuration error at start-up, a timeout): Polytomic's deliveries got 5xx answers.",
    );
  }

  private addOutputs(): void {
    new CfnOutput(this, "Url", {
      description: "Register it: polytomic-orchestrator webhook install --live --endpoint <this>",
      value: this.url.url,
    }).overrideLogicalId("WebhookUrl");
    new CfnOutput(this, "SecretArn", {
      description: "The webhook secret install registers (POLYTOMIC_WEBHOOK_SECRET)",
      value: this.secret.secretArn,
    }).overrideLogicalId("WebhookSecretArn");
    new CfnOutput(this, "BusName", {
      description: `The bus Polytomic events are put on (source ${EVENT_SOURCE}): subscribe with a rule`,
      value: this.bus.eventBusName,
    }).overrideLogicalId("WebhookEventBusName");
  }

  private acknowledgeNagFindings(fn: lambda.IFunction): void {
    ack(
      this.secret,
      "SMG4",
      "The webhook secret is shared with Polytomic: rotating it needs a new registration (webhook install), which no rotation function can make. Rotate by putting a new value and running webhook install again.",
    );
    ack(
      fn.role ?? fn,
      "IAM5[Resource::*]",
      "X-Ray PutTraceSegments/PutTelemetryRecords support no resource ARNs.",
    );
  }
}

function deliveries(outcome: string): cw.Metric {
  return new cw.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: WEBHOOK_METRICS.deliveries.name,
    dimensionsMap: { [WEBHOOK_OUTCOME_DIMENSION]: outcome },
    statistic: cw.Stats.SUM,
    period: ALARM_PERIOD,
  });
}
