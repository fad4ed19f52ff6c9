/** Deterministic identifiers, so runs of the same scenario produce the same ids and bytes. */
import { createHash } from "node:crypto";

/** A version-4-shaped uuid derived from `seed` (same seed, same uuid). */
export function uuidFrom(seed: string): string {
  const h = createHash("sha256").update(seed).digest("hex");
  const variant = ((Number.parseInt(h.charAt(16), 16) & 0x3) | 0x8).toString(16);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-${variant}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

/** The default organization's id (the scenario's `organization_id` overrides it). */
export const ORGANIZATION_ID = uuidFrom("organization");

/** ISO-8601 UTC timestamp of epoch ms. */
export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
