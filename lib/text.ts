/**
 * Plain-text formatting shared by the CLI and the run report (which the dashboard's
 * report widget bundles: keep this file free of imports).
 */

/**
 * Elapsed time for people watching a run: `42s`, `3m 20s`, `1h 02m 10s`; `-` when unknown.
 * Fractions are rounded down. For durations as pipelines.yaml writes them (`1h30m`) see
 * `formatConfigDuration` in lib/config/duration.ts.
 */
export function formatElapsed(seconds: number | null | undefined): string {
  if (seconds === null || seconds === undefined || !Number.isFinite(seconds)) return "-";
  const total = Math.max(0, Math.floor(seconds));
  const h = Math.floor(total / 3600);
  const m = Math.floor((total % 3600) / 60);
  const s = total % 60;
  if (h > 0) return `${h}h ${String(m).padStart(2, "0")}m ${String(s).padStart(2, "0")}s`;
  if (m > 0) return `${m}m ${String(s).padStart(2, "0")}s`;
  return `${s}s`;
}

/** Cuts `text` to `width` characters, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return `${chars.slice(0, width - 1).join("")}…`;
}
