/**
 * The handlers' redactor: the rules of ../polytomic/redact.ts (the one set of redaction rules)
 * applied with the secrets registered at run time (the API key, once loaded), for anything
 * that may reach a log line, an error message or a payload.
 */
import {
  REDACTED,
  type RedactedError,
  redactError,
  redactText,
  redactValue,
} from "../polytomic/redact";

export { REDACTED };

export class Redactor {
  private readonly secrets = new Set<string>();

  /** Adds a value (e.g. the API key) that must never appear anywhere. Ignores short values. */
  register(secret: string | undefined): void {
    if (secret) this.secrets.add(secret);
  }

  /** The text with secrets, URL query strings and Bearer tokens replaced. */
  text(input: string): string {
    return redactText(input, this.secrets);
  }

  /** A deep copy of `value` with every string redacted and secret-named fields replaced. */
  value(value: unknown): unknown {
    return redactValue(value, this.secrets);
  }

  /** `{name, message}` of an error (and of its causes), redacted. No stack: it can hold URLs. */
  error(err: unknown): RedactedError {
    return redactError(err, this.secrets);
  }
}
