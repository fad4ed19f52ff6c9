/**
 * The Polytomic clients for Lambda: the credentials from Secrets Manager (SecretKeyStore, cached
 * with a TTL, re-read once on a 401): a key sent as Bearer, or an organization id and key sent
 * as HTTP Basic (secrets.ts lists the secret's formats); and, for the partner fan-out, the
 * secret's partner key for the partner endpoints and any organization (partnerFromEnv).
 * - POLYTOMIC_SECRET_ARN (required), POLYTOMIC_SECRET_TTL_SECONDS (default 300);
 * - POLYTOMIC_API_URL, POLYTOMIC_API_VERSION (optional client overrides).
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { withKeyRefresh } from "../core/auth-refresh";
import { partnerAccess } from "../core/partner-access";
import type { PartnerAccess, PolytomicApi } from "../core/ports";
import { PolytomicClient, type PolytomicCredentials } from "../polytomic/client";
import type { AdapterContext } from "./aws-deps";
import { numberEnv, optionalEnv, requireEnv } from "./env";
import { SecretKeyStore } from "./secrets";

let shared: SecretsManagerClient | undefined;

/** One client per container, created when first needed. */
function sharedClient(): SecretsManagerClient {
  if (!shared) shared = new SecretsManagerClient({});
  return shared;
}

/** One key store per set of deps: the function's own client and its partner access share it. */
const stores = new WeakMap<AdapterContext, SecretKeyStore>();

function keyStore(ctx: AdapterContext, client: SecretsManagerClient): SecretKeyStore {
  let keys = stores.get(ctx);
  if (!keys) {
    keys = new SecretKeyStore({
      client,
      secretArn: requireEnv(ctx.env, "POLYTOMIC_SECRET_ARN"),
      redactor: ctx.redactor,
      ttlMs: numberEnv(ctx.env, "POLYTOMIC_SECRET_TTL_SECONDS", 300) * 1000,
    });
    stores.set(ctx, keys);
  }
  return keys;
}

/** A client with the environment's base URL and version, logging through the function's logger. */
function clientFromEnv(
  ctx: AdapterContext,
  apiKey: () => Promise<PolytomicCredentials>,
): PolytomicClient {
  const { env, logger } = ctx;
  const baseUrl = optionalEnv(env, "POLYTOMIC_API_URL");
  const apiVersion = optionalEnv(env, "POLYTOMIC_API_VERSION");
  return new PolytomicClient({
    apiKey,
    ...(baseUrl ? { baseUrl } : {}),
    ...(apiVersion ? { apiVersion } : {}),
    logger: {
      debug: (msg, data) => logger.debug(msg, { ...data }),
      warn: (msg, data) => logger.warn(msg, { ...data }),
    },
  });
}

export function polytomicFromEnv(
  ctx: AdapterContext,
  client: SecretsManagerClient = sharedClient(),
): PolytomicApi {
  const keys = keyStore(ctx, client);
  const api = clientFromEnv(ctx, () => keys.get());
  return withKeyRefresh(api, () => keys.refresh(), ctx.logger);
}

/**
 * The secret's partner key: the partner endpoints (Bearer) and one cached client per
 * organization (Basic `<organization id>:<partner key>`), for the partner fan-out.
 */
export function partnerFromEnv(
  ctx: AdapterContext,
  client: SecretsManagerClient = sharedClient(),
): PartnerAccess {
  const keys = keyStore(ctx, client);
  return partnerAccess({
    partnerKey: () => keys.partnerKey(),
    source: `secret ${keys.arn}`,
    client: (apiKey) => clientFromEnv(ctx, apiKey),
    redactor: ctx.redactor,
    refresh: () => keys.refresh(),
    logger: ctx.logger,
  });
}
