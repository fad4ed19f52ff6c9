/**
 * Deterministic Idempotency-Keys. The key of a start is derived from the pipeline
 * execution's name, the step id and the redrive attempt, so a retried invocation of
 * start-sync sends the same key (the API replays the first answer: no second run) while a
 * redriven pipeline (attempt + 1) really starts again.
 */
import { createHash } from "node:crypto";

/** `po-` + 48 hex characters of SHA-256 over the parts: within the API's 8-255 [A-Za-z0-9_-]. */
export function deriveKey(...parts: (string | number)[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${String(p).length}:${String(p)}|`);
  return `po-${h.digest("hex").slice(0, 48)}`;
}

/**
 * The step's start key. In a partner fan-out the organization is part of it: whether
 * Polytomic scopes Idempotency-Keys per organization is not documented, and two
 * organizations' runs of a step must never share one. Without one, the key is as before.
 */
export function startKey(
  executionName: string,
  step: string,
  attempt = 0,
  organizationId?: string,
): string {
  return deriveKey("start", executionName, step, attempt, ...organizationPart(organizationId));
}

/** The organization as a key part (lower case), or nothing outside a partner fan-out. */
export function organizationPart(organizationId: string | undefined): string[] {
  return organizationId === undefined ? [] : [organizationId.toLowerCase()];
}
