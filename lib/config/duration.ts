/**
 * Durations as written in pipelines.yaml: a whole number with a unit, `45s`, `90m`,
 * `2h`, or units combined from largest to smallest, `1h30m`.
 */

const DURATION = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/** The JSON Schema pattern of a duration (kept beside the parser it mirrors). */
export const DURATION_PATTERN = "^(?:\\d+h)?(?:\\d+m)?(?:\\d+s)?$";

/** Seconds in the duration, or undefined when it is not a valid duration. */
export function parseDuration(text: string): number | undefined {
  const match = DURATION.exec(text);
  if (!match || text === "") return undefined;
  const [, h = "0", m = "0", s = "0"] = match;
  return Number(h) * 3600 + Number(m) * 60 + Number(s);
}

/**
 * A duration as pipelines.yaml writes it (what `parseDuration` reads back):
 * `7200` -> `2h`, `5400` -> `1h30m`, `45` -> `45s`, the shortest exact form.
 * For elapsed time on screen (`1h 30m 00s`) see `formatElapsed` in lib/cli/format.ts.
 */
export function formatConfigDuration(seconds: number): string {
  if (seconds === 0) return "0s";
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${h ? `${h}h` : ""}${m ? `${m}m` : ""}${s ? `${s}s` : ""}`;
}
