/**
 * wake: the target of the stack's EventBridge rule on the webhook bus (source `polytomic`, every
 * event type of the events guide): marks the event's execution seen (functions/core/delivery.ts)
 * and, for an event that ends a run, resumes each run-sync execution waiting for it
 * (functions/core/event-wait.ts). An error other than a closed token is thrown, so
 * EventBridge retries the invocation.
 *
 * Environment: WAITS_BUCKET (the waits' bucket), LOG_LEVEL.
 */
import { S3Client } from "@aws-sdk/client-s3";
import { SFNClient } from "@aws-sdk/client-sfn";
import { type Env, optionalEnv, requireEnv } from "../aws/env";
import { S3DeliveryStore, S3WaitStore, SfnTaskTokens } from "../aws/event-wait";
import { type WakeDeps, type WakeResult, wakeWaiters } from "../core/event-wait";
import { JsonLogger, parseLogLevel } from "../core/logger";
import { Redactor } from "../core/redact";
import type { EventDetail } from "../core/webhook-contract";

/** The part of an EventBridge event wake reads. */
export interface BusEventInput {
  detail?: EventDetail;
}

export function wakeDepsFromEnv(env: Env, clients: { s3: S3Client; sfn: SFNClient }): WakeDeps {
  const bucket = requireEnv(env, "WAITS_BUCKET");
  return {
    store: new S3WaitStore(clients.s3, bucket),
    delivery: new S3DeliveryStore(clients.s3, bucket),
    tokens: new SfnTaskTokens(clients.sfn),
    clock: { now: () => Date.now() },
    logger: new JsonLogger({
      redactor: new Redactor(),
      level: parseLogLevel(optionalEnv(env, "LOG_LEVEL")),
    }),
  };
}

export function makeHandler(deps: WakeDeps) {
  return async (event: BusEventInput): Promise<WakeResult> => {
    const detail = event.detail;
    if (!detail || typeof detail.type !== "string") {
      return { woken: 0, closed: 0, ignored: "event type" };
    }
    return wakeWaiters(detail, deps);
  };
}

let built: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point (deps built on the first invocation, reused after). */
export const handler = (event: BusEventInput) => {
  built ??= makeHandler(
    wakeDepsFromEnv(process.env, { s3: new S3Client({}), sfn: new SFNClient({}) }),
  );
  return built(event);
};
