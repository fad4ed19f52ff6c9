/**
 * webhook: the Lambda behind the stack's Function URL that receives Polytomic's event
 * deliveries (functions/core/webhook.ts does the work). The Function URL has no IAM auth:
 * the HMAC signature is the authentication (docs/webhooks.md).
 *
 * Environment: WEBHOOK_SECRET_ARN (the secret registered with Polytomic), EVENT_BUS_NAME,
 * WEBHOOK_SIGNATURE_ALGORITHM (default hmac-sha256-hex, see webhook-signature.ts),
 * WEBHOOK_MAX_AGE_SECONDS (default 900), WEBHOOK_MAX_SKEW_SECONDS (default 300),
 * WEBHOOK_SECRET_TTL_SECONDS (how long the secret is cached; default 300), LOG_LEVEL.
 */
import { EventBridgeClient } from "@aws-sdk/client-eventbridge";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { type Env, numberEnv, optionalEnv, requireEnv } from "../aws/env";
import { eventBusPublisher } from "../aws/eventbridge";
import { readSecretString } from "../aws/secrets";
import { HandlerError } from "../core/errors";
import { JsonLogger, parseLogLevel } from "../core/logger";
import { Redactor } from "../core/redact";
import {
  DEFAULT_WEBHOOK_WINDOW,
  RecentIds,
  receiveDelivery,
  type WebhookDeps,
} from "../core/webhook";
import { DEFAULT_SIGNATURE_ALGORITHM, isSignatureAlgorithm } from "../core/webhook-contract";

/** The parts of a Lambda Function URL (payload format 2.0) event the receiver reads. */
export interface FunctionUrlEvent {
  body?: string;
  isBase64Encoded?: boolean;
  headers?: Record<string, string | undefined>;
}

export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** Builds the receiver's deps from the environment; clients are injectable for tests. */
export function webhookDepsFromEnv(
  env: Env,
  clients: { secrets: SecretsManagerClient; events: EventBridgeClient },
): WebhookDeps {
  const algorithm = optionalEnv(env, "WEBHOOK_SIGNATURE_ALGORITHM") ?? DEFAULT_SIGNATURE_ALGORITHM;
  if (!isSignatureAlgorithm(algorithm)) {
    throw new HandlerError(
      "Config.Invalid",
      `environment variable WEBHOOK_SIGNATURE_ALGORITHM: unknown algorithm "${algorithm}"`,
    );
  }
  const maxAgeMs =
    numberEnv(env, "WEBHOOK_MAX_AGE_SECONDS", DEFAULT_WEBHOOK_WINDOW.maxAgeMs / 1000, 1) * 1000;
  const maxSkewMs =
    numberEnv(env, "WEBHOOK_MAX_SKEW_SECONDS", DEFAULT_WEBHOOK_WINDOW.maxSkewMs / 1000) * 1000;
  const ttlMs = numberEnv(env, "WEBHOOK_SECRET_TTL_SECONDS", 300) * 1000;
  const secretArn = requireEnv(env, "WEBHOOK_SECRET_ARN");
  const redactor = new Redactor();
  const clock = { now: () => Date.now() };
  return {
    secret: cachedSecret(clients.secrets, secretArn, ttlMs, redactor, clock),
    publish: eventBusPublisher(clients.events, requireEnv(env, "EVENT_BUS_NAME")),
    clock,
    logger: new JsonLogger({ redactor, level: parseLogLevel(optionalEnv(env, "LOG_LEVEL")) }),
    config: { algorithm, maxAgeMs, maxSkewMs },
    seen: new RecentIds(maxAgeMs + maxSkewMs),
  };
}

/** The secret, read once per `ttlMs` (a rotation takes effect within it), never logged. */
function cachedSecret(
  client: SecretsManagerClient,
  arn: string,
  ttlMs: number,
  redactor: Redactor,
  clock: { now(): number },
): () => Promise<string> {
  let value: string | undefined;
  let readAt = 0;
  return async () => {
    if (value !== undefined && clock.now() - readAt < ttlMs) return value;
    const secret = (await readSecretString(client, arn))?.trim();
    if (!secret) throw new HandlerError("Config.MissingSecret", `secret ${arn} is empty`);
    redactor.register(secret);
    value = secret;
    readAt = clock.now();
    return secret;
  };
}

export function makeHandler(deps: WebhookDeps) {
  return async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
    const raw = event.body ?? "";
    const body = Buffer.from(raw, event.isBase64Encoded ? "base64" : "utf8");
    const headers: Record<string, string | undefined> = {};
    for (const [k, v] of Object.entries(event.headers ?? {})) headers[k.toLowerCase()] = v;
    const res = await receiveDelivery({ body, headers }, deps);
    return {
      statusCode: res.statusCode,
      headers: { "content-type": "application/json" },
      body: res.body,
    };
  };
}

let built: ((event: FunctionUrlEvent) => Promise<FunctionUrlResult>) | undefined;

/** The Lambda entry point (deps built on the first invocation, reused after). */
export const handler = async (event: FunctionUrlEvent): Promise<FunctionUrlResult> => {
  built ??= makeHandler(
    webhookDepsFromEnv(process.env, {
      secrets: new SecretsManagerClient({}),
      events: new EventBridgeClient({}),
    }),
  );
  return built(event);
};
