/**
 * The `Polytomic-Signature` of an event delivery: an HMAC of the raw request body with the
 * webhook's secret (Polytomic's events guide, "HMAC validation": "Polytomic signs each delivery
 * with that secret and passes the signature in the Polytomic-Signature header. Compute the same
 * HMAC on the request body and compare."). The guide does not say which hash or which encoding,
 * so both are configurable; the default, `hmac-sha256-hex`, is an assumption (the most common
 * choice for webhook HMACs), not a documented fact, until a real organization's delivery
 * confirms it (docs/webhooks.md). No AWS SDK here: the simulator signs with the same function.
 */
import { createHmac, timingSafeEqual } from "node:crypto";
import type { SignatureAlgorithm } from "./webhook-contract";

function parts(algorithm: SignatureAlgorithm): { hash: string; encoding: "hex" | "base64" } {
  const [, hash = "sha256", encoding] = algorithm.split("-");
  return { hash, encoding: encoding === "base64" ? "base64" : "hex" };
}

/** The signature of `body` as Polytomic would send it under `algorithm`. */
export function signBody(
  body: string | Buffer,
  secret: string,
  algorithm: SignatureAlgorithm,
): string {
  const { hash, encoding } = parts(algorithm);
  return createHmac(hash, secret).update(body).digest(encoding);
}

const HEX = /^[0-9a-f]+$/i;
const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The digest bytes a header value carries, or undefined when it is not of that encoding. */
function decodeSignature(value: string, algorithm: SignatureAlgorithm): Buffer | undefined {
  const { hash, encoding } = parts(algorithm);
  // A `sha256=` prefix (as GitHub writes its HMACs) is one plausible reading: accepted.
  const bare = value.toLowerCase().startsWith(`${hash}=`) ? value.slice(hash.length + 1) : value;
  if (encoding === "hex") {
    return HEX.test(bare) && bare.length % 2 === 0 ? Buffer.from(bare, "hex") : undefined;
  }
  return BASE64.test(bare) ? Buffer.from(bare, "base64") : undefined;
}

/**
 * Whether `header` holds a valid signature of the raw `body` under `secret`. Digests are
 * compared in constant time (`timingSafeEqual`); a header may list several signatures
 * separated by commas or spaces (a rotation), and one match is enough.
 */
export function verifySignature(
  body: Buffer,
  header: string | undefined,
  secret: string,
  algorithm: SignatureAlgorithm,
): boolean {
  if (!header || !secret) return false;
  const { hash } = parts(algorithm);
  const expected = createHmac(hash, secret).update(body).digest();
  let matched = false;
  for (const value of header.split(/[\s,]+/).filter(Boolean)) {
    const given = decodeSignature(value, algorithm);
    // Lengths are public (they follow from the algorithm); only the bytes need constant time.
    if (given?.length === expected.length && timingSafeEqual(given, expected)) matched = true;
  }
  return matched;
}
