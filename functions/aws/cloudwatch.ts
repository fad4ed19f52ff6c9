/**
 * MetricsSink on CloudWatch: one PutMetricData call; throttling and transient faults are
 * retried with exponential backoff (bounded), then thrown for the caller to report.
 */
import {
  CloudWatchClient,
  PutMetricDataCommand,
  type StandardUnit,
} from "@aws-sdk/client-cloudwatch";
import type { MetricDatum, MetricsSink, Sleep } from "../core/ports";
import type { AdapterContext } from "./aws-deps";
import { isTransient } from "./aws-errors";

export interface CloudWatchSinkOptions {
  /** Attempts in all. @default 4 */
  maxAttempts?: number;
  /** First backoff wait. @default 200 */
  baseDelayMs?: number;
  /** @default a setTimeout promise */
  sleep?: Sleep;
}

export class CloudWatchMetricsSink implements MetricsSink {
  private readonly maxAttempts: number;
  private readonly baseDelayMs: number;
  private readonly sleep: Sleep;

  constructor(
    private readonly client: CloudWatchClient,
    options: CloudWatchSinkOptions = {},
  ) {
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 4);
    this.baseDelayMs = options.baseDelayMs ?? 200;
    this.sleep = options.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms)));
  }

  async put(data: MetricDatum[], namespace: string): Promise<void> {
    const command = new PutMetricDataCommand({
      Namespace: namespace,
      MetricData: data.map((d) => ({
        MetricName: d.MetricName,
        Unit: d.Unit as StandardUnit,
        Value: d.Value,
        Timestamp: d.Timestamp,
        Dimensions: d.Dimensions.map((x) => ({ Name: x.Name, Value: x.Value })),
      })),
    });
    for (let attempt = 1; ; attempt++) {
      try {
        await this.client.send(command);
        return;
      } catch (err) {
        if (attempt >= this.maxAttempts || !isTransient(err)) throw err;
        await this.sleep(this.baseDelayMs * 2 ** (attempt - 1));
      }
    }
  }
}

let shared: CloudWatchClient | undefined;

/**
 * One client per container, created when first needed. The SDK's own retries are off
 * (`maxAttempts: 1`): the sink's loop is the one bounded retry, instead of up to 3 SDK
 * attempts inside each of its 4.
 */
export function sharedCloudWatchClient(): CloudWatchClient {
  if (!shared) shared = new CloudWatchClient({ maxAttempts: 1 });
  return shared;
}

/** The CloudWatch sink (no environment needed). */
export function cloudWatchFromEnv(
  _ctx: AdapterContext,
  client: CloudWatchClient = sharedCloudWatchClient(),
): MetricsSink {
  return new CloudWatchMetricsSink(client);
}
