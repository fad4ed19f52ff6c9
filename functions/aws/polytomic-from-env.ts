/**
 * The Polytomic client for Lambda: the credentials from Secrets Manager (SecretKeyStore, cached
 * with a TTL, re-read once on a 401): a key sent as Bearer, or an organization id and key sent
 * as HTTP Basic (secrets.ts lists the secret's formats).
 * - POLYTOMIC_SECRET_ARN (required), POLYTOMIC_SECRET_TTL_SECONDS (default 300);
 * - POLYTOMIC_API_URL, POLYTOMIC_API_VERSION (optional client overrides).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { withKeyRefresh } from "../core/auth-refresh";
import type { PolytomicApi } from "../core/ports";
import { PolytomicClient } from "../polytomic/client";
import type { AdapterContext } from "./aws-deps";
import { numberEnv, optionalEnv, requireEnv } from "./env";
import { SecretKeyStore } from "./secrets";

let shared: SecretsManagerClient | undefined;

/** One client per container, created when first needed. */
function sharedClient(): SecretsManagerClient {
  if (!shared) shared = new SecretsManagerClient({});
  return shared;
}

export function polytomicFromEnv(
  ctx: AdapterContext,
  client: SecretsManagerClient = sharedClient(),
): PolytomicApi {
  const { env, logger, redactor } = ctx;
  const keys = new SecretKeyStore({
    client,
    secretArn: requireEnv(env, "POLYTOMIC_SECRET_ARN"),
    redactor,
    ttlMs: numberEnv(env, "POLYTOMIC_SECRET_TTL_SECONDS", 300) * 1000,
  });
  const baseUrl = optionalEnv(env, "POLYTOMIC_API_URL");
  const apiVersion = optionalEnv(env, "POLYTOMIC_API_VERSION");
  const api = new PolytomicClient({
    apiKey: () => keys.get(),
    ...(baseUrl ? { baseUrl } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    logger: {
      debug: (msg, data) => logger.debug(msg, { ...data }),
      warn: (msg, data) => logger.warn(msg, { ...data }),
    },
  });
  return withKeyRefresh(api, () => keys.refresh(), logger);
}
