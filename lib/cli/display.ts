/**
 * The live display of `run`: one line per step (state, elapsed simulated time, counts)
 * and an overall progress bar. On a terminal the block is redrawn in place with ANSI
 * cursor movement; elsewhere (pipes, CI logs) a plain line is appended each time a step
 * changes state.
 */
import type { RunEvent, StepProgress, StepState } from "../local/runner";
import { formatElapsed, truncate } from "../text";
import { ASCII_BAR, BLOCK_BAR, plural, progressBar } from "./format";

/** Where the display writes: a stream, or anything that looks like one. */
export interface Output {
  write(text: string): unknown;
  /** True for a terminal: redraw in place. */
  isTTY?: boolean;
  /**
   * Terminal width; lines are cut to it so that redrawing stays aligned. 0 (a pty that
   * reports no size, as under `script` or in some CI) counts as unknown.
   */
  columns?: number;
  /**
   * Terminal height; when the block would not fit, only the busiest steps are shown. 0
   * counts as unknown.
   */
  rows?: number;
}

/** The width used when the terminal does not say (or says 0), or output is not a terminal. */
export const DEFAULT_COLUMNS = 80;

/**
 * The width to fit: the terminal's, else the COLUMNS environment variable's (output that
 * is not a terminal), else DEFAULT_COLUMNS.
 */
export function outputColumns(
  out: Output,
  env: Readonly<Record<string, string | undefined>> = {},
): number {
  const fromEnv = env.COLUMNS === undefined ? undefined : terminalSize(Number(env.COLUMNS));
  return terminalSize(out.columns) ?? fromEnv ?? DEFAULT_COLUMNS;
}

/** What the step times of the live display and the summary's ELAPSED column measure. */
export const ELAPSED_MEANING = "step times are elapsed since each step started";

/**
 * A terminal dimension as reported, or undefined when it says nothing usable: missing,
 * 0 (a pty without a size), negative or not a finite number.
 */
export function terminalSize(value: number | undefined): number | undefined {
  return value !== undefined && Number.isFinite(value) && value >= 1
    ? Math.floor(value)
    : undefined;
}

export const ANSI = {
  hideCursor: "\x1b[?25l",
  showCursor: "\x1b[?25h",
  /** Erase the whole current line. */
  clearLine: "\x1b[2K",
  /** Move the cursor up `n` lines. */
  up: (n: number) => `\x1b[${n}A`,
} as const;

const ICONS: Record<StepState, string> = {
  waiting: "·",
  queued: "…",
  running: "▶",
  succeeded: "✔",
  failed: "✖",
  skipped: "↷",
  cancelled: "⊘",
  not_started: "·",
};

const DONE: ReadonlySet<StepState> = new Set([
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "not_started",
]);

export interface DisplayStep {
  id: string;
  sync_type: "model" | "bulk";
}

export interface LiveDisplayOptions {
  out: Output;
  pipeline: string;
  /** The pipeline's steps, in file order: every line exists from the start. */
  steps: readonly DisplayStep[];
  /**
   * Simulated now (epoch ms), to keep running steps' elapsed time moving between events.
   * Without it the elapsed time is the one the last event carried.
   */
  now?: () => number;
  /** Least real time between two redraws on a terminal. Default 50 ms; 0 redraws on every event. */
  minFrameMs?: number;
  /** Redraw running steps' elapsed time this often (real ms) on a terminal. Default 250; 0 disables. */
  tickMs?: number;
}

/** One step's line: icon, id, state, elapsed time (once started), counts, outcome. */
export function stepLine(
  p: StepProgress,
  idWidth: number,
  elapsedSeconds = p.elapsed_seconds,
): string {
  const parts = [
    `${ICONS[p.state]} ${truncate(stepLabel(p), idWidth).padEnd(idWidth)}`,
    stateLabel(p.state).padEnd(9),
  ];
  const started = p.state !== "waiting" && p.state !== "skipped" && p.state !== "not_started";
  parts.push(started ? formatElapsed(elapsedSeconds).padStart(10) : "");
  const counts: string[] = [];
  if (p.records !== undefined) counts.push(plural(p.records, "record"));
  if (p.errors) counts.push(plural(p.errors, "error"));
  if (p.warnings) counts.push(plural(p.warnings, "warning"));
  if (counts.length > 0) parts.push(counts.join(", "));
  if (DONE.has(p.state) && p.outcome !== undefined && p.outcome !== p.state)
    parts.push(`(${p.outcome})`);
  return parts.join("  ").trimEnd();
}

/** How a step is named: its id, after its organization's name in a fan-out (`Acme / load`). */
export function stepLabel(p: { step: string; organization?: { name: string } }): string {
  return p.organization ? `${p.organization.name} / ${p.step}` : p.step;
}

/** A step's progress key: its id, within its organization's in a fan-out. */
function progressKey(p: StepProgress): string {
  return p.organization ? `${p.organization.id}/${p.step}` : p.step;
}

/** A step state as people read it ("not started"). */
export function stateLabel(state: StepState): string {
  return state.replace("_", " ");
}

export class LiveDisplay {
  private readonly out: Output;
  private readonly tty: boolean;
  private readonly progress = new Map<string, StepProgress>();
  private idWidth: number;
  private pipelineStatus: string = "waiting";
  private drawnLines = 0;
  private lastDraw = Number.NEGATIVE_INFINITY;
  private pending: NodeJS.Timeout | undefined;
  private ticker: NodeJS.Timeout | undefined;
  private finished = false;
  /** When each step last changed state (a counter), to show the latest on a small terminal. */
  private readonly changed = new Map<string, number>();
  private changes = 0;

  constructor(private readonly options: LiveDisplayOptions) {
    this.out = options.out;
    this.tty = options.out.isTTY === true;
    this.idWidth = Math.max(4, ...options.steps.map((s) => s.id.length));
    for (const s of options.steps) {
      this.progress.set(s.id, {
        step: s.id,
        state: "waiting",
        sync_type: s.sync_type,
        elapsed_seconds: 0,
      });
    }
  }

  /** Steps done (succeeded, failed or skipped) and the total. */
  get counts(): { done: number; total: number } {
    let done = 0;
    for (const p of this.progress.values()) if (DONE.has(p.state)) done++;
    return { done, total: this.progress.size };
  }

  /** Draws the initial block (terminal) and starts the elapsed-time ticker. */
  start(): void {
    if (!this.tty) return;
    this.out.write(ANSI.hideCursor);
    this.draw();
    const tickMs = this.options.tickMs ?? 250;
    if (tickMs > 0 && this.options.now !== undefined) {
      this.ticker = setInterval(() => this.requestDraw(), tickMs);
      this.ticker.unref();
    }
  }

  /** Takes one runner event: updates the step and redraws (terminal) or appends a line. */
  handle(event: RunEvent): void {
    if (this.finished) return;
    if (event.type === "pipeline") {
      if (!this.pipelineStatus.startsWith("stopping") || event.status !== "running") {
        this.pipelineStatus = event.status;
      }
      if (this.tty) this.requestDraw();
      return;
    }
    const p = event.progress;
    const key = progressKey(p);
    const before = this.progress.get(key);
    this.progress.set(key, p);
    // A fan-out's steps arrive with their organization: the id column grows to fit.
    if (before === undefined) this.idWidth = Math.max(this.idWidth, stepLabel(p).length);
    if (before?.state !== p.state) this.changed.set(key, ++this.changes);
    if (this.tty) {
      this.requestDraw();
    } else if (before === undefined || before.state !== p.state) {
      this.out.write(`${this.plainLine(p)}\n`);
    }
  }

  /** Says in the header that the pipeline is being stopped (after an interrupt). */
  stopping(): void {
    this.pipelineStatus = "stopping: cancelling running syncs (interrupt again to quit now)";
    if (this.tty) this.requestDraw();
  }

  /** Final frame (terminal) and cursor back. Idempotent. */
  finish(): void {
    if (this.finished) return;
    if (this.pending !== undefined) clearTimeout(this.pending);
    if (this.ticker !== undefined) clearInterval(this.ticker);
    this.pending = undefined;
    this.ticker = undefined;
    if (this.tty) {
      this.draw();
      this.out.write(ANSI.showCursor);
    }
    this.finished = true;
  }

  /**
   * The terminal block: a header with the progress bar, then one line per step. When the
   * steps do not fit the terminal (cursor movement cannot reach above the screen), the
   * block keeps a fixed height: running and queued steps first, then failed, then the
   * latest others, in file order, with a last line counting the rest.
   */
  frame(): string[] {
    const { done, total } = this.counts;
    const header = `${this.options.pipeline}  ${progressBar(done, total, 24, BLOCK_BAR)}  ${done}/${total} steps  ${this.pipelineStatus}`;
    const idWidth = this.idWidthFor(this.width());
    const all = [...this.progress.values()];
    const rows = terminalSize(this.out.rows);
    const room = rows !== undefined ? Math.max(3, rows - 2) : Number.POSITIVE_INFINITY;
    let shown = all;
    if (all.length > room) {
      const rank = (p: StepProgress) =>
        p.state === "running" || p.state === "queued" ? 0 : p.state === "failed" ? 1 : 2;
      const order = all
        .map((p, i) => ({ p, i, changed: this.changed.get(progressKey(p)) ?? 0 }))
        .sort((a, b) => rank(a.p) - rank(b.p) || b.changed - a.changed || a.i - b.i)
        .slice(0, room - 1)
        .sort((a, b) => a.i - b.i);
      shown = order.map((o) => o.p);
    }
    const lines = [header];
    for (const p of shown) lines.push(`  ${stepLine(p, idWidth, this.elapsed(p))}`);
    const hidden = all.filter((p) => !shown.includes(p));
    if (hidden.length > 0) {
      const tally = (
        ["succeeded", "failed", "skipped", "cancelled", "not_started", "waiting"] as const
      )
        .map((state) => [state, hidden.filter((p) => p.state === state).length] as const)
        .filter(([, n]) => n > 0)
        .map(([state, n]) => `${n} ${stateLabel(state)}`)
        .join(", ");
      lines.push(`  … ${hidden.length} more (${tally})`);
    }
    return lines;
  }

  /** The appended line for a state change: progress first, then the step's line. */
  plainLine(p: StepProgress): string {
    const { done, total } = this.counts;
    const width = String(total).length;
    return `${progressBar(done, total, 10, ASCII_BAR)} ${String(done).padStart(width)}/${total}  ${stepLine(p, this.idWidth, this.elapsed(p))}`;
  }

  /** The drawing width: the terminal's less one column (a full line would wrap on some). */
  private width(): number {
    return Math.max(20, outputColumns(this.out) - 1);
  }

  /**
   * The id column's width in `width`: every id's, or less (ids cut with …) so that the
   * state, time and a count still fit; never under 8.
   */
  private idWidthFor(width: number): number {
    const rest = 2 + 2 + 2 + 9 + 2 + 10 + 2 + 16; // indent, icon, gaps, state, time, a count
    return Math.min(this.idWidth, Math.max(8, width - rest));
  }

  private elapsed(p: StepProgress): number {
    const now = this.options.now;
    if (p.state === "running" && p.started_at !== undefined && now !== undefined) {
      const started = Date.parse(p.started_at);
      if (Number.isFinite(started)) return Math.max(p.elapsed_seconds, (now() - started) / 1000);
    }
    return p.elapsed_seconds;
  }

  private requestDraw(): void {
    const minFrame = this.options.minFrameMs ?? 50;
    const wait = this.lastDraw + minFrame - Date.now();
    if (wait <= 0) {
      this.draw();
      return;
    }
    if (this.pending === undefined) {
      this.pending = setTimeout(() => {
        this.pending = undefined;
        this.draw();
      }, wait);
      this.pending.unref();
    }
  }

  private draw(): void {
    if (this.finished) return;
    this.lastDraw = Date.now();
    const width = this.width();
    let text = this.drawnLines > 0 ? ANSI.up(this.drawnLines) : "";
    const lines = this.frame();
    // A shorter frame than the last one blanks the lines left over.
    while (lines.length < this.drawnLines) lines.push("");
    for (const line of lines) text += `\r${ANSI.clearLine}${truncate(line, width)}\n`;
    this.drawnLines = lines.length;
    this.out.write(text);
  }
}
