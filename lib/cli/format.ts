/**
 * Pure text formatting for the command line: durations, counts, the progress bar and
 * aligned tables. No I/O, no ANSI sequences (those live in display.ts).
 */
import { isAbsolute, relative } from "node:path";
import { truncate } from "../text";

/** A path as people typed it: relative to `cwd` when inside it. */
export function displayPath(path: string, cwd: string): string {
  const rel = relative(cwd, path);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : path;
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
  /**
   * For a table that must fit a width: columns with the lowest `keep` are dropped first.
   * @default - never dropped
   */
  keep?: number;
  /**
   * For a table that must fit a width: the column may shrink to this many characters,
   * its cells cut with `…`.
   * @default - never shrunk
   */
  min?: number;
}

const GAP = 2;

/**
 * An aligned plain-text table: a header row, a rule, then the rows. Columns are separated
 * by two spaces; trailing spaces are trimmed. Given `maxWidth`, no line is longer: columns
 * shrink (down to their `min`) and, when that is not enough, drop (lowest `keep` first).
 */
export function renderTable(
  columns: readonly Column[],
  rows: readonly (readonly string[])[],
  maxWidth = Number.POSITIVE_INFINITY,
): string {
  const natural = columns.map((c, i) =>
    Math.max(c.header.length, ...rows.map((r) => Array.from(r[i] ?? "").length)),
  );
  const { shown, widths } = fitColumns(columns, natural, maxWidth);
  const line = (cells: readonly string[]) =>
    shown
      .map((i, k) => {
        const width = widths[k] ?? 0;
        const cell = truncate(cells[i] ?? "", width);
        const pad = " ".repeat(Math.max(0, width - Array.from(cell).length));
        return columns[i]?.align === "right" ? pad + cell : cell + pad;
      })
      .join(" ".repeat(GAP))
      .trimEnd();
  const rule = widths.map((w) => "-".repeat(w)).join(" ".repeat(GAP));
  return [line(columns.map((c) => c.header)), rule, ...rows.map(line)].join("\n");
}

/**
 * Which columns a table of `maxWidth` shows (indexes) and how wide: while too wide, the
 * widest shrinkable column gives up a character if shrinking could be enough, else the
 * column with the lowest `keep` goes.
 */
function fitColumns(
  columns: readonly Column[],
  natural: readonly number[],
  maxWidth: number,
): { shown: number[]; widths: number[] } {
  const shown = columns.map((_, i) => i);
  const widths = new Map(shown.map((i) => [i, natural[i] ?? 0]));
  const floor = (i: number) =>
    Math.min(widths.get(i) ?? 0, columns[i]?.min ?? Number.POSITIVE_INFINITY);
  const total = (measure: (i: number) => number) =>
    shown.reduce((sum, i) => sum + measure(i), 0) + GAP * Math.max(0, shown.length - 1);
  while (total((i) => widths.get(i) ?? 0) > maxWidth) {
    if (total(floor) <= maxWidth) {
      const widest = shown
        .filter((i) => (widths.get(i) ?? 0) > floor(i))
        .reduce((a, b) => ((widths.get(b) ?? 0) > (widths.get(a) ?? 0) ? b : a));
      widths.set(widest, (widths.get(widest) ?? 0) - 1);
      continue;
    }
    const droppable = shown.filter((i) => columns[i]?.keep !== undefined);
    if (droppable.length === 0) {
      for (const i of shown) widths.set(i, floor(i));
      break;
    }
    const first = droppable.reduce((a, b) =>
      (columns[b]?.keep ?? 0) < (columns[a]?.keep ?? 0) ? b : a,
    );
    shown.splice(shown.indexOf(first), 1);
  }
  return { shown, widths: shown.map((i) => widths.get(i) ?? 0) };
}

/**
 * `text` in lines of at most `width` characters, broken between words; continuation lines
 * start with `indent`. A word longer than a line (a long path) is split after a `/`, or
 * as a last resort anywhere, so that no line is wider than `width`.
 */
export function wrapText(text: string, width: number, indent = "  "): string[] {
  if (Array.from(text).length <= width) return [text];
  const room = Math.max(1, width - indent.length);
  const words = text.split(/ +/).flatMap((word) => splitWord(word, room));
  const lines: string[] = [];
  let line = "";
  for (const word of words) {
    const candidate = line === "" ? word : `${line} ${word}`;
    if (line === "" || Array.from(candidate).length <= width) {
      line = candidate;
      continue;
    }
    lines.push(line);
    line = `${indent}${word}`;
  }
  lines.push(line);
  return lines;
}

/** A word in pieces of at most `room` characters, cut after a `/` where one is. */
function splitWord(word: string, room: number): string[] {
  const pieces: string[] = [];
  let rest = Array.from(word);
  while (rest.length > room) {
    const slash = rest.lastIndexOf("/", room - 1);
    const cut = slash > 0 ? slash + 1 : room;
    pieces.push(rest.slice(0, cut).join(""));
    rest = rest.slice(cut);
  }
  pieces.push(rest.join(""));
  return pieces;
}
