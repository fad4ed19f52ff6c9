/**
 * The Polytomic API key from Secrets Manager: the secret string is either the raw key or
 * JSON `{"api_key": "..."}`. Cached across invocations for a TTL; `refresh()` forces a
 * re-read (after a 401; concurrent refreshes share one read; `minRefreshIntervalMs` can
 * throttle them). The key is registered with the Redactor as soon as it is read.
 */
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { HandlerError } from "../core/errors";
import type { Clock } from "../core/ports";
import type { Redactor } from "../core/redact";
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
  private value: string | undefined;
  private readAt = 0;
  private inflight: Promise<string> | undefined;
  private readonly ttlMs: number;
  private readonly minRefreshIntervalMs: number;
  private readonly clock: Clock;

  constructor(private readonly options: SecretKeyStoreOptions) {
    this.ttlMs = options.ttlMs ?? 300_000;
    this.minRefreshIntervalMs = options.minRefreshIntervalMs ?? 0;
    this.clock = options.clock ?? { now: () => Date.now() };
  }

  /** The cached key, read again once the TTL has passed. */
  async get(): Promise<string> {
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

  private read(): Promise<string> {
    this.inflight ??= this.fetch().finally(() => {
      this.inflight = undefined;
    });
    return this.inflight;
  }

  private async fetch(): Promise<string> {
    const arn = this.options.secretArn;
    let secret: string | undefined;
    try {
      const out = await this.options.client.send(new GetSecretValueCommand({ SecretId: arn }));
      secret = out.SecretString;
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
    const key = parseSecret(secret);
    if (key === undefined) {
      throw new HandlerError(
        "Config.MissingSecret",
        `secret ${arn} holds no API key (expected the key itself or JSON {"api_key": "..."})`,
      );
    }
    this.options.redactor.register(key);
    if (secret) this.options.redactor.register(secret);
    this.value = key;
    this.readAt = this.clock.now();
    return key;
  }
}

/** The key in a secret string: JSON `{"api_key": "..."}` or the raw key. */
export function parseSecret(secret: string | undefined): string | undefined {
  const s = secret?.trim();
  if (!s) return undefined;
  if (s.startsWith("{")) {
    try {
      const parsed = JSON.parse(s) as { api_key?: unknown };
      return typeof parsed.api_key === "string" && parsed.api_key.trim() !== ""
        ? parsed.api_key.trim()
        : undefined;
    } catch {
      return undefined;
    }
  }
  return s;
}
