/**
 * Redaction for every message and log line the client writes: URLs lose their query string
 * (a signed URL's signature), fragment and credentials, and known secrets (the API key, a
 * signed URL's query values) are replaced wherever they appear.
 */

/** What replaces a secret in text. */
export const REDACTED = "[REDACTED]";

/**
 * `origin + path` of a URL: no query string, fragment or user info. Returns
 * `"(invalid URL)"` for text that does not parse, so the raw text is never echoed.
 */
export function redactUrl(url: string | URL): string {
  let parsed: URL;
  try {
    parsed = typeof url === "string" ? new URL(url) : url;
  } catch {
    return "(invalid URL)";
  }
  return `${parsed.origin}${parsed.pathname}`;
}

const URL_IN_TEXT = /\b[a-z][a-z0-9+.-]*:\/\/[^\s"'<>]+/gi;

/** Shortest secret worth replacing: shorter strings would mangle ordinary words. */
const MIN_SECRET_LENGTH = 6;

/**
 * Removes secrets from free text: every URL in it is cut to origin + path, and every
 * occurrence of each given secret (at least 6 characters) becomes `[REDACTED]`.
 */
export function redactText(text: string, secrets: readonly string[] = []): string {
  let out = text.replace(URL_IN_TEXT, (match) => {
    const cut = redactUrl(match);
    return cut === "(invalid URL)" ? match.replace(/[?#].*$/, "") : cut;
  });
  for (const secret of secrets) {
    if (secret.length < MIN_SECRET_LENGTH) continue;
    out = out.split(secret).join(REDACTED);
  }
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
