/**
 * Pure text formatting for the command line: durations, counts, the progress bar and
 * aligned tables. No I/O, no ANSI sequences (those live in display.ts).
 */
import { isAbsolute, relative } from "node:path";

/** A path as people typed it: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
}

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

/** A count with thousands separators (`1,234,567`); `-` when unknown. */
export function formatCount(n: number | null | undefined): string {
  if (n === null || n === undefined || !Number.isFinite(n)) return "-";
  return Math.trunc(n).toLocaleString("en-US");
}

/** `singular` or its plural by count: `1 record`, `3 records`. */
export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
  return `${formatCount(n)} ${n === 1 ? singular : pluralForm}`;
}

export interface BarChars {
  filled: string;
  empty: string;
}

/** ASCII bar for logs and pipes. */
export const ASCII_BAR: BarChars = { filled: "#", empty: "-" };
/** Block characters for terminals. */
export const BLOCK_BAR: BarChars = { filled: "█", empty: "░" };

/**
 * `[####------]` with `width` cells between the brackets; a cell is filled only once its
 * share is fully done, so the bar is full only when `done === total`.
 */
export function progressBar(
  done: number,
  total: number,
  width: number,
  chars: BarChars = ASCII_BAR,
): string {
  const ratio = total <= 0 ? 1 : Math.min(1, Math.max(0, done / total));
  const filled = Math.floor(ratio * width);
  return `[${chars.filled.repeat(filled)}${chars.empty.repeat(width - filled)}]`;
}

export type Align = "left" | "right";

export interface Column {
  header: string;
  align?: Align;
}

/**
 * An aligned plain-text table: a header row, a rule, then the rows. Columns are separated
 * by two spaces; trailing spaces are trimmed.
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
): string {
  const widths = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    columns
      .map((c, i) => {
        const cell = cells[i] ?? "";
        const width = widths[i] ?? 0;
        return c.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join("  ");
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join("\n");
}

/** Cuts `text` to `width` characters, ending with `…` when cut. */
export function truncate(text: string, width: number): string {
  if (width <= 0) return "";
  const chars = Array.from(text);
  if (chars.length <= width) return text;
  return `${chars.slice(0, width - 1).join("")}…`;
}
