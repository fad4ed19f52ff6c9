/**
 * Removes secrets from anything that may reach a log line, an error message or a payload:
 * registered secret values (the API key, once loaded), every URL's query string (signed
 * URLs carry their signature there), Bearer tokens, and fields whose name says secret.
 */

const URL_QUERY = /\b(https?:\/\/[^\s"'<>?#]*)\?[^\s"'<>#]*/gi;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
const SECRET_FIELD =
  /^(api[_-]?key|apikey|authorization|secret|secret[_-]?string|password|token|signature|x-amz-signature)$/i;

export const REDACTED = "[redacted]";

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Adds a value (e.g. the API key) that must never appear anywhere. Ignores short values. */
  register(secret: string | undefined): void {
    if (secret && secret.length >= 4) this.secrets.add(secret);
  }

  /** The text with secrets, URL query strings and Bearer tokens replaced. */
  text(input: string): string {
    let out = input;
    for (const s of this.secrets) out = out.split(s).join(REDACTED);
    out = out.replace(URL_QUERY, `$1?${REDACTED}`);
    out = out.replace(BEARER, `$1 ${REDACTED}`);
    return out;
  }

  /** A deep copy of `value` with every string redacted and secret-named fields removed. */
  value(value: unknown, depth = 0): unknown {
    if (typeof value === "string") return this.text(value);
    if (value === null || typeof value !== "object") return value;
    if (depth > 8) return "[depth]";
    if (value instanceof Date) return value.toISOString();
    if (value instanceof Error) return this.error(value);
    if (Array.isArray(value)) return value.map((v) => this.value(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      out[k] = SECRET_FIELD.test(k) ? REDACTED : this.value(v, depth + 1);
    }
    return out;
  }

  /** `{name, message}` of an error (and of its causes), redacted. No stack: it can hold URLs. */
  error(err: unknown, depth = 0): { name: string; message: string; cause?: unknown } {
    if (err instanceof Error) {
      const out: { name: string; message: string; cause?: unknown } = {
        name: err.name,
        message: this.text(err.message),
      };
      if (err.cause !== undefined && depth < 3) out.cause = this.error(err.cause, depth + 1);
      return out;
    }
    return { name: "Error", message: this.text(String(err)) };
  }
}
