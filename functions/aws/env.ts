/** Reading the Lambda environment: missing or malformed variables are `Config.Invalid`. */
import { HandlerError } from "../core/errors";

export type Env = Record<string, string | undefined>;

export function requireEnv(env: Env, name: string): string {
  const value = env[name]?.trim();
  if (!value) {
    throw new HandlerError("Config.Invalid", `environment variable ${name} is not set`);
  }
  return value;
}

export function optionalEnv(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  return value ? value : undefined;
}

export function numberEnv(env: Env, name: string, fallback: number, min = 0): number {
  const raw = optionalEnv(env, name);
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min) {
    throw new HandlerError(
      "Config.Invalid",
      `environment variable ${name} must be a number >= ${min}, got "${raw}"`,
    );
  }
  return n;
}
