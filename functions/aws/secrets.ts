/**
 * The Polytomic credentials from Secrets Manager. The secret string is one of:
 * - the raw key, or JSON `{"api_key": "..."}`: sent as `Authorization: Bearer <key>`;
 * - JSON `{"organization_id": "<uuid>", "api_key": "..."}`: an organization-scoped key (the
 *   spec's `orgScopedAPIKey`, e.g. a partner key), sent as HTTP Basic
 *   `base64(<organization_id>:<api_key>)` as Polytomic's Terraform provider does;
 * - JSON `{"partner_key": "...", "organization_id"?: "<uuid>"}`: the same, for a partner key
 *   (docs/partners.md): Bearer without an organization (the partner endpoints), else Basic.
 * Cached across invocations for a TTL; `refresh()` forces a
 * re-read (after a 401; concurrent refreshes share one read; `minRefreshIntervalMs` can
 * throttle them). The key is registered with the Redactor as soon as it is read.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { HandlerError } from "../core/errors";
import { isUuid } from "../core/input";
import type { Clock } from "../core/ports";
import type { Redactor } from "../core/redact";
import { basicToken, type PolytomicCredentials } from "../polytomic/client";
import { isThrottling, isTransient } from "./aws-errors";

export interface SecretKeyStoreOptions {
  client: SecretsManagerClient;
  secretArn: string;
  redactor: Redactor;
  /** @default 300_000 (5 minutes) */
  ttlMs?: number;
  /** A refresh within this long of the last read reuses it. @default 0 */
  minRefreshIntervalMs?: number;
  /** @default Date.now */
  clock?: Clock;
}

export class SecretKeyStore {
  private value: SecretValue | undefined;
  private readAt = 0;
  private inflight: Promise<SecretValue> | undefined;
  private readonly ttlMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: SecretKeyStoreOptions) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 0;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** The cached credentials, read again once the TTL has passed. */
  async get(): Promise<PolytomicCredentials> {
    return (await this.secret()).credentials;
  }

  /** The secret's partner key (cached as `get()`), undefined when it holds none. */
  async partnerKey(): Promise<string | undefined> {
    return (await this.secret()).partnerKey;
  }

  /** The name of the secret, for messages. */
  get arn(): string {
    return this.options.secretArn;
  }

  private async secret(): Promise<SecretValue> {
    if (this.value !== undefined && this.clock.now() - this.readAt < this.ttlMs) return this.value;
    return this.read();
  }

  /** Forces a fresh read (unless one happened within `minRefreshIntervalMs`). */
  async refresh(): Promise<void> {
    if (this.inflight) {
      await this.inflight;
      return;
    }
    if (this.value !== undefined && this.clock.now() - this.readAt < this.minRefreshIntervalMs) {
      return;
    }
    await this.read();
  }

  private read(): Promise<SecretValue> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(): Promise<SecretValue> {
    const arn = this.options.secretArn;
    const secret = await readSecretString(this.options.client, arn);
    if (secret) this.options.redactor.register(secret);
    const value = parseSecretValue(secret);
    if (value === undefined) {
      throw new HandlerError(
        "Config.MissingSecret",
        `secret ${arn} holds no API key (expected the key itself, JSON {"api_key": "..."}, JSON {"organization_id": "<uuid>", "api_key": "..."}, or a partner key: JSON {"partner_key": "..."}, optionally with "organization_id")`,
      );
    }
    const key = value.credentials;
    if (typeof key === "string") this.options.redactor.register(key);
    else {
      this.options.redactor.register(key.key);
      this.options.redactor.register(basicToken(key.organizationId, key.key));
    }
    this.value = value;
    this.readAt = this.clock.now();
    return value;
  }
}

/**
 * A secret's string, with the failures named for the contract: a missing secret is
 * `Config.MissingSecret`, throttling `Aws.Throttled`, transient trouble `Aws.Unavailable`,
 * anything else `Config.Invalid`.
 */
export async function readSecretString(
  client: SecretsManagerClient,
  arn: string,
): Promise<string | undefined> {
  try {
    const out = await client.send(new GetSecretValueCommand({ SecretId: arn }));
    return out.SecretString;
  } catch (err) {
    const name = (err as { name?: string }).name ?? "Error";
    if (name === "ResourceNotFoundException") {
      throw new HandlerError("Config.MissingSecret", `secret ${arn} does not exist`, {
        cause: err,
      });
    }
    if (isThrottling(err)) {
      throw new HandlerError("Aws.Throttled", `reading secret ${arn} was throttled`, {
        cause: err,
      });
    }
    if (isTransient(err)) {
      throw new HandlerError("Aws.Unavailable", `reading secret ${arn} failed: ${name}`, {
        cause: err,
      });
    }
    throw new HandlerError("Config.Invalid", `cannot read secret ${arn}: ${name}`, {
      cause: err,
    });
  }
}

/** What a secret holds: the credentials it names, and its partner key if it has one. */
export interface SecretValue {
  credentials: PolytomicCredentials;
  /**
   * The partner key: `partner_key`, or `api_key` beside an `organization_id` (the older name
   * of the same organization-scoped form, docs/partners.md). Absent for a user key, which
   * cannot act for another organization.
   */
  partnerKey?: string;
}

/**
 * The credentials in a secret string: the raw key, JSON `{"api_key": "..."}` (or
 * `{"partner_key": "..."}`), either with `"organization_id": "<uuid>"`; undefined when it
 * holds none usable.
 */
export function parseSecret(secret: string | undefined): PolytomicCredentials | undefined {
  return parseSecretValue(secret)?.credentials;
}

/** `parseSecret`, with the partner key the secret holds (if any). */
export function parseSecretValue(secret: string | undefined): SecretValue | undefined {
  const s = secret?.trim();
  if (!s) return undefined;
  if (!s.startsWith("{")) return { credentials: s };
  let parsed: { api_key?: unknown; partner_key?: unknown; organization_id?: unknown };
  try {
    parsed = JSON.parse(s) as typeof parsed;
  } catch {
    return undefined;
  }
  // Both named is ambiguous: which one is meant cannot be guessed.
  if (parsed.api_key !== undefined && parsed.partner_key !== undefined) return undefined;
  const raw = parsed.api_key ?? parsed.partner_key;
  const key = typeof raw === "string" ? raw.trim() : "";
  if (key === "") return undefined;
  if (parsed.organization_id === undefined) {
    return parsed.partner_key === undefined
      ? { credentials: key }
      : { credentials: key, partnerKey: key };
  }
  const org = typeof parsed.organization_id === "string" ? parsed.organization_id.trim() : "";
  return isUuid(org) ? { credentials: { organizationId: org, key }, partnerKey: key } : undefined;
}
