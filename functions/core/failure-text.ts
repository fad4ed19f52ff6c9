/**
 * Polytomic's own words on why a run failed, made fit for an error message, a Fail
 * state's Cause, a report and an e-mail.
 *
 * Where the text comes from (spec: polytomic-openapi.json): a model execution's
 * `errors: string[]` (GetExecutionResponseSchema), a bulk execution's `status_message`
 * (BulkSyncExecution) and each bulk schema execution's `status_message`
 * (BulkSyncSchemaExecution). The spec says nothing of their length, of line breaks or of
 * what they may quote (a connection string, a signed URL, a request), so every piece is
 * redacted first (a secret cut in half by the length limit would otherwise leak its
 * first half), then put on one line, then cut with a visible marker.
 *
 * Sizes: the text travels in `$.check` (state payload 256 KB) and becomes the run-sync
 * Fail state's Cause (at most 32,768 characters), which the pipeline sums over up to 200
 * steps; so a step's text is at most MAX_FAILURE_TEXT characters and each schema's at
 * most MAX_SCHEMA_MESSAGE.
 */
import type { Redactor } from "./redact";

/** Polytomic's text in a step's error message, at most (marker included). */
export const MAX_FAILURE_TEXT = 1000;
/**
 * A step's whole error message, at most: ours (which may quote an API value, such as an
 * unknown status) and Polytomic's text together.
 */
export const MAX_ERROR_MESSAGE = 1500;
/** One bulk schema's `status_message` in `$.check.schemas[]`, at most (marker included). */
export const MAX_SCHEMA_MESSAGE = 200;
/** What joins two pieces of Polytomic's text on the one line. */
export const FAILURE_TEXT_SEPARATOR = " | ";

/** The text on one line: every run of whitespace (line breaks included) is one space. */
export function singleLine(text: string): string {
  return text.replace(/\s+/g, " ").trim();
}

/**
 * At most `max` characters (code points): a longer text keeps its start and ends with a
 * marker saying how much was cut, so a reader knows the text is not whole.
 */
export function cutText(text: string, max: number): string {
  const chars = Array.from(text);
  if (chars.length <= max) return text;
  const marker = (n: number) => ` …[${n} more characters]`;
  // The marker's own length depends on the number it shows; size it for the worst case.
  const keep = Math.max(0, max - marker(chars.length).length);
  return `${chars.slice(0, keep).join("").trimEnd()}${marker(chars.length - keep)}`;
}

/** One piece of Polytomic's text: redacted, on one line, at most `max` characters. */
export function cleanText(redactor: Redactor, text: string, max: number): string {
  return cutText(singleLine(redactor.text(text)), max);
}

/**
 * Polytomic's pieces of text as one line of at most MAX_FAILURE_TEXT characters, empty
 * pieces dropped; undefined when nothing is left.
 */
export function failureText(redactor: Redactor, pieces: readonly string[]): string | undefined {
  const lines = pieces.map((p) => singleLine(redactor.text(p))).filter((p) => p !== "");
  if (lines.length === 0) return undefined;
  return cutText(lines.join(FAILURE_TEXT_SEPARATOR), MAX_FAILURE_TEXT);
}

/** What precedes Polytomic's own text in a step's error message (reports find it by it). */
export const POLYTOMIC_TEXT_MARKER = ". Polytomic: ";

/**
 * A step's error message: ours, then Polytomic's text when it sent any
 * (`<message>. Polytomic: <text>`); redacted, on one line, at most MAX_ERROR_MESSAGE.
 */
export function stepErrorMessage(
  redactor: Redactor,
  message: string,
  pieces: readonly string[],
): string {
  const text = failureText(redactor, pieces);
  const whole = text === undefined ? message : `${message}${POLYTOMIC_TEXT_MARKER}${text}`;
  return cleanText(redactor, whole, MAX_ERROR_MESSAGE);
}
