/**
 * The CloudWatch metric of the webhook receiver: defined once here, written by the receiver
 * (functions/core/webhook.ts) and alarmed on by lib/constructs/webhook-receiver.ts.
 * Constants and one pure formatter only, so CDK code may import it.
 *
 * The receiver writes it as a CloudWatch embedded metric format (EMF) log line, which Lambda's
 * log pipeline turns into a metric: no PutMetricData call and no extra permission.
 */
import { METRIC_NAMESPACE } from "./metrics";

export { METRIC_NAMESPACE };

/** The dimension holding a delivery's outcome: accepted, duplicate, rejected or failed. */
export const WEBHOOK_OUTCOME_DIMENSION = "Outcome";

export const WEBHOOK_METRICS = {
  /** 1 per delivery, by outcome. */
  deliveries: { name: "WebhookDeliveries", unit: "Count" },
} as const;

/** The EMF line counting one delivery with `outcome` at `nowMs`. */
export function webhookMetricLine(outcome: string, nowMs: number): string {
  const { name, unit } = WEBHOOK_METRICS.deliveries;
  return JSON.stringify({
    _aws: {
      Timestamp: nowMs,
      CloudWatchMetrics: [
        {
          Namespace: METRIC_NAMESPACE,
          Dimensions: [[WEBHOOK_OUTCOME_DIMENSION]],
          Metrics: [{ Name: name, Unit: unit }],
        },
      ],
    },
    [WEBHOOK_OUTCOME_DIMENSION]: outcome,
    [name]: 1,
  });
}
