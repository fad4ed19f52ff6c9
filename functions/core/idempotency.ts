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

export function startKey(executionName: string, step: string, attempt = 0): string {
  return deriveKey("start", executionName, step, attempt);
}
