/**
 * The CloudWatch metric of the webhook receiver: defined once here, written by the receiver
 * (functions/core/webhook.ts) and alarmed on by lib/constructs/webhook-receiver.ts.
 * Constants only, so CDK code may import it.
 *
 * The receiver writes it as a CloudWatch embedded metric format (EMF) line on stdout, which
 * Lambda's log pipeline turns into a metric ("Using the embedded metric format with Lambda"):
 * unlike the other functions' PutMetricData, no call on the path that answers Polytomic and
 * no extra permission. It is written with process.stdout.write, not console.log, which the
 * Lambda JSON log format would wrap (the EMF client library's note on Node.js 4.1.1+).
 */
export { METRIC_NAMESPACE } from "./metrics";

/** The dimension holding a delivery's outcome: accepted, duplicate, rejected or failed. */
export const WEBHOOK_OUTCOME_DIMENSION = "Outcome";

export const WEBHOOK_METRICS = {
  /** 1 per delivery, by outcome. */
  deliveries: { name: "WebhookDeliveries", unit: "Count" },
} as const;
