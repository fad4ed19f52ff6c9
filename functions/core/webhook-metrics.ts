/**
 * The CloudWatch metric of the webhook receiver: defined once here, written by the receiver
 * (functions/core/webhook.ts) and alarmed on by lib/constructs/webhook-receiver.ts.
 * Constants only, so CDK code may import it.
 *
 * The receiver writes it as a CloudWatch embedded metric format (EMF) log line, which Lambda's
 * log pipeline turns into a metric: no PutMetricData call and no extra permission.
 */
export { METRIC_NAMESPACE } from "./metrics";

/** The dimension holding a delivery's outcome: accepted, duplicate, rejected or failed. */
export const WEBHOOK_OUTCOME_DIMENSION = "Outcome";

export const WEBHOOK_METRICS = {
  /** 1 per delivery, by outcome. */
  deliveries: { name: "WebhookDeliveries", unit: "Count" },
} as const;
