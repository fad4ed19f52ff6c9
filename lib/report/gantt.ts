/**
 * Where the Gantt timeline of report.html draws each step's bars: pure geometry from the
 * run report's times, so that tests can check positions without a browser too.
 *
 * A step's row has up to four segments, each from one time of the report to the next:
 * waiting on dependencies (the pipeline's start to the step's run-sync start, or to its
 * release when it never ran), queued in Polytomic (queued_at to started_at), running
 * (started_at to finished_at) and the detection delay (finished_at to detected_at).
 */
import type { ReportStep, RunReport } from "./model";

export type SegmentKind = "waiting" | "queued" | "running" | "detection";

export interface Segment {
  kind: SegmentKind;
  /** Epoch milliseconds. */
  from: number;
  to: number;
  x: number;
  width: number;
}

export interface GanttGeometry {
  /** The chart area: x of the pipeline's start, width up to its end. */
  left: number;
  width: number;
  top: number;
  height: number;
  rowHeight: number;
  rows: Array<{ y: number; segments: Segment[] }>;
  ticks: Array<{ x: number; label: string }>;
}

export interface GanttSize {
  /** Width of the labels column. @default 220 */
  left?: number;
  /** Width of the chart area. @default 960 */
  width?: number;
  /** Height of a step's row. @default 18 */
  rowHeight?: number;
}

const TOP = 28;

/** The time spans of a step's segments, in order; empty spans left out. */
export function stepSegments(
  step: ReportStep,
  pipelineStart: number,
): Array<{ kind: SegmentKind; from: number; to: number }> {
  const t = (iso: string | null) => (iso === null ? undefined : Date.parse(iso));
  const submitted = t(step.submitted_at);
  const started = t(step.started_at);
  const finished = t(step.finished_at);
  const detected = t(step.detected_at);
  const ended = t(step.ended_at);
  const spans: Array<{ kind: SegmentKind; from?: number; to?: number }> = [
    { kind: "waiting", from: pipelineStart, to: submitted ?? t(step.released_at) },
    { kind: "queued", from: t(step.queued_at) ?? submitted, to: started ?? detected ?? ended },
    { kind: "running", from: started, to: finished ?? detected ?? ended },
    { kind: "detection", from: finished, to: detected },
  ];
  return spans.filter(
    (s): s is { kind: SegmentKind; from: number; to: number } =>
      s.from !== undefined && s.to !== undefined && s.to > s.from,
  );
}

export function ganttGeometry(report: RunReport, size: GanttSize = {}): GanttGeometry {
  const left = size.left ?? 220;
  const width = size.width ?? 960;
  const rowHeight = size.rowHeight ?? 18;
  const t0 = Date.parse(report.started_at);
  const span = Math.max(1, Date.parse(report.finished_at) - t0);
  const xOf = (ms: number) => round(left + ((ms - t0) / span) * width);
  const rows = report.steps.map((step, i) => ({
    y: TOP + i * rowHeight,
    segments: stepSegments(step, t0).map((s) => ({
      ...s,
      x: xOf(s.from),
      width: round(xOf(s.to) - xOf(s.from)),
    })),
  }));
  const ticks = tickTimes(t0, span).map((ms) => ({ x: xOf(ms), label: tickLabel(ms - t0) }));
  return {
    left,
    width,
    top: TOP,
    height: TOP + report.steps.length * rowHeight,
    rowHeight,
    rows,
    ticks,
  };
}

const round = (n: number) => Math.round(n * 100) / 100;

const TICK_STEPS_S = [1, 5, 10, 15, 30, 60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200];

/** Times of the axis ticks from the start: a round step giving at most 10 ticks. */
function tickTimes(t0: number, span: number): number[] {
  const step = (TICK_STEPS_S.find((s) => span / (s * 1000) <= 10) ?? 86400) * 1000;
  const ticks: number[] = [];
  for (let ms = 0; ms <= span; ms += step) ticks.push(t0 + ms);
  return ticks;
}

/** `+0`, `+30s`, `+15m`, `+1h30m`: time since the pipeline started. */
function tickLabel(ms: number): string {
  const s = Math.round(ms / 1000);
  if (s === 0) return "+0";
  if (s < 60) return `+${s}s`;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (h === 0) return `+${m}m`;
  return m === 0 ? `+${h}h` : `+${h}h${String(m).padStart(2, "0")}m`;
}
