/**
 * The one redactor: every message, log line, error and payload this project writes passes
 * through these rules, the client's (http.ts, client.ts) and the handlers' (core/redact.ts
 * `Redactor`, which holds the secrets registered at run time) alike.
 * - URLs lose their query string (a signed URL's signature), fragment and credentials;
 * - known secrets (the API key, a signed URL's query values) are replaced wherever they appear;
 * - Bearer tokens and HTTP Basic credentials (`Basic base64(<organization id>:<key>)`, the
 *   form a partner key takes for an organization) are replaced;
 * - in structured values, fields whose name says secret are replaced whole.
 */

/** What replaces a secret. */
export const REDACTED = "[redacted]";

/**
 * Shortest secret worth replacing: shorter strings would mangle ordinary words. (An API key is
 * far longer; a 4-character secret is still replaced.)
 */
const MIN_SECRET_LENGTH = 4;

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;
const BEARER = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]+/gi;
/** Case-sensitive and 20+ characters, so prose such as "Basic auth" stays (a real one is 52+). */
const BASIC = /\b(Basic)\s+[A-Za-z0-9+/]{20,}={0,2}/g;
const SECRET_FIELD =
  /^(api[_-]?key|apikey|partner[_-]?key|authorization|secret|secret[_-]?string|password|token|signature|x-amz-signature)$/i;

/**
 * `scheme://host/path` of a URL: no query string, fragment or user info. Returns
 * `"(invalid URL)"` for text that does not parse, so the raw text is never echoed.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return "(invalid URL)";
  }
  // Not `origin`: it is "null" for schemes such as postgres:// or s3://.
  return `${parsed.protocol}//${parsed.host}${parsed.pathname}`;
}

/**
 * Removes secrets from free text: every URL in it is cut to scheme, host and path, Bearer
 * tokens, Basic credentials and every occurrence of each given secret (at least 4 characters) become
 * `[redacted]`.
 */
export function redactText(text: string, secrets: Iterable<string> = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    out = out.split(secret).join(REDACTED);
  }
  out = out.replace(URL_IN_TEXT, (match) => {
    const cut = redactUrl(match);
    return cut === "(invalid URL)" ? match.replace(/[?#].*$/, "") : cut;
  });
  return out.replace(BEARER, `$1 ${REDACTED}`).replace(BASIC, `$1 ${REDACTED}`);
}

/** A deep copy of `value` with every string redacted and secret-named fields replaced. */
export function redactValue(value: unknown, secrets: Iterable<string> = [], depth = 0): unknown {
  if (typeof value === "string") return redactText(value, secrets);
  if (value === null || typeof value !== "object") return value;
  if (depth > 8) return "[depth]";
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Error) return redactError(value, secrets);
  if (Array.isArray(value)) return value.map((v) => redactValue(v, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    out[k] = SECRET_FIELD.test(k) ? REDACTED : redactValue(v, secrets, depth + 1);
  }
  return out;
}

/** A redacted error, as logged and returned. */
export interface RedactedError {
  name: string;
  message: string;
  cause?: unknown;
}

/** `{name, message}` of an error (and of its causes), redacted. No stack: it can hold URLs. */
export function redactError(
  err: unknown,
  secrets: Iterable<string> = [],
  depth = 0,
): RedactedError {
  if (!(err instanceof Error)) return { name: "Error", message: redactText(String(err), secrets) };
  const out: RedactedError = { name: err.name, message: redactText(err.message, secrets) };
  if (err.cause !== undefined && depth < 3) out.cause = redactError(err.cause, secrets, depth + 1);
  return out;
}

/**
 * The secrets in a URL that must not be repeated: its query values (signatures, credentials,
 * tokens) and its user info. Used to scrub text a download's server sent back.
 */
export function urlSecrets(url: URL): string[] {
  const secrets: string[] = [];
  for (const [, value] of url.searchParams) secrets.push(value);
  if (url.search.length > 1) secrets.push(url.search.slice(1));
  if (url.password) secrets.push(url.password);
  if (url.username) secrets.push(url.username);
  return secrets.filter((s) => s.length >= MIN_SECRET_LENGTH);
}
