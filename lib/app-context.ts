/**
 * The CDK app's context values that are not plain strings, parsed with a clear error.
 */
import { Duration } from "aws-cdk-lib";
import {
  isSignatureAlgorithm,
  SIGNATURE_ALGORITHMS,
  type SignatureAlgorithm,
} from "../functions/core/webhook-contract";

/** A context value that cannot be used; the message names the key and what it takes. */
export class ContextError extends Error {
  override name = "ContextError";
}

/**
 * `logsExpirationDays`: how long exported run logs are kept, in whole days (1 or more).
 * `-c logsExpirationDays=30` arrives as the string "30"; cdk.json may give a number.
 * @returns undefined when not set (the stack's default applies)
 */
export function logsExpirationFrom(value: unknown): Duration | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  const days = typeof value === "string" && /^\d+$/.test(value.trim()) ? Number(value) : value;
  if (typeof days !== "number" || !Number.isInteger(days) || days < 1) {
    throw new ContextError(
      `context logsExpirationDays: must be a whole number of days, 1 or more (e.g. -c logsExpirationDays=90), got ${JSON.stringify(value)}`,
    );
  }
  return Duration.days(days);
}

/**
 * `schedulesEnabled`: `true` or `false` (`-c schedulesEnabled=true` arrives as a string;
 * cdk.json may give a boolean).
 * @returns undefined when not set (the stack's default applies)
 */
export function schedulesEnabledFrom(value: unknown): boolean | undefined {
  return booleanFrom("schedulesEnabled", value);
}

/** A `true`/`false` context value (a string from `-c`, a boolean from cdk.json). */
function booleanFrom(key: string, value: unknown): boolean | undefined {
  if (value === undefined || value === null || value === "") return undefined;
  if (value === true || value === "true") return true;
  if (value === false || value === "false") return false;
  throw new ContextError(
    `context ${key}: must be true or false (e.g. -c ${key}=true), got ${JSON.stringify(value)}`,
  );
}

/**
 * `webhooks` (`true`/`false`, default false) and `webhookSignatureAlgorithm`: the webhook
 * receiver's opt-in and the signature algorithm it checks (docs/webhooks.md).
 * @returns the stack's `webhooks` prop: undefined (no receiver) unless `webhooks` is true
 */
export function webhooksFrom(
  enabled: unknown,
  algorithm: unknown,
): { signatureAlgorithm?: SignatureAlgorithm } | undefined {
  const on = booleanFrom("webhooks", enabled) ?? false;
  if (algorithm === undefined || algorithm === null || algorithm === "") {
    return on ? {} : undefined;
  }
  if (typeof algorithm !== "string" || !isSignatureAlgorithm(algorithm)) {
    throw new ContextError(
      `context webhookSignatureAlgorithm: must be one of ${SIGNATURE_ALGORITHMS.join(", ")}, got ${JSON.stringify(algorithm)}`,
    );
  }
  if (!on) {
    throw new ContextError(
      "context webhookSignatureAlgorithm is set but webhooks is not true: add -c webhooks=true",
    );
  }
  return { signatureAlgorithm: algorithm };
}
