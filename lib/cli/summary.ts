/**
 * What `run` prints when the pipeline ends: the summary table for people, or the JSON
 * document for programs (`--json`).
 */
import { dirname, relative, resolve, sep } from "node:path";
import type { PipelineConfig } from "../config/model";
import type { LocalRunResult, StepReport } from "../local/runner";
import type { JsonOrganization, JsonReport, JsonStep, RunReport } from "../report/model";
import { formatElapsed, truncate } from "../text";
import { stateLabel, stepLabel } from "./display";
import { type Column, displayPath, formatCount, plural, renderTable, wrapText } from "./format";

/**
 * The result as the `--json` document (its format: schemas/run-report.schema.json): the
 * documented fields, in the documented order; each step carries its times from the
 * result's timeline (built from the run's histories).
 * @param outDir the run's output directory: step logs (keys under it) become absolute paths
 * @param reportPath the run's report.html, null when it was not written
 */
export function jsonReport(
  result: LocalRunResult,
  outDir: string,
  reportPath: string | null = null,
): JsonReport {
  const report: JsonReport = {
    pipeline: result.pipeline,
    status: result.status,
    message: outcomeLine(result),
    started_at: result.started_at,
    finished_at: result.finished_at,
    steps: result.steps.map((s) =>
      jsonStep(
        s,
        outDir,
        s.organization ? result.organization_timelines?.[s.organization.id] : result.timeline,
      ),
    ),
    state_transitions: result.state_transitions,
    polls: result.polls,
    critical_path: result.timeline?.critical_path ?? [],
    report: reportPath,
  };
  const organizations = organizationOutcomes(result.steps);
  if (organizations.length > 0) report.organizations = organizations;
  const own = ownError(result);
  if (own !== undefined) report.error = { name: own.name, message: own.message };
  return report;
}

/**
 * A fan-out's organizations, in the order they started, each with its outcome: failed when
 * one of its steps failed, interrupted when the run stopped it; none for another pipeline.
 */
export function organizationOutcomes(steps: readonly StepReport[]): JsonOrganization[] {
  const byId = new Map<string, JsonOrganization>();
  for (const step of steps) {
    if (!step.organization) continue;
    const { id, name } = step.organization;
    const organization = byId.get(id) ?? { id, name, status: "succeeded", failed_steps: [] };
    byId.set(id, organization);
    if (step.status === "failed") {
      organization.status = "failed";
      organization.failed_steps.push(step.id);
    } else if (
      (step.status === "cancelled" || step.status === "not_started") &&
      organization.status === "succeeded"
    ) {
      organization.status = "interrupted";
    }
  }
  return [...byId.values()];
}

/**
 * The pipeline's own error, when no step's error explains the failure (a failed step makes
 * the pipeline fail with an error whose cause repeats every step's output: no news).
 */
function ownError(result: LocalRunResult): LocalRunResult["error"] {
  // A fan-out's own error is news: it names the failed organizations and what fail_when did.
  if (result.steps.some((s) => s.organization !== undefined)) return result.error;
  const stepError = result.steps.some((s) => s.status === "failed" && s.error !== undefined);
  return stepError ? undefined : result.error;
}

/**
 * The pipeline's own error message on one line, without the JSON list a fan-out's cause ends
 * with: that list is for the console; the "Organizations:" line above already names them.
 */
function ownMessage(message: string): string {
  const json = message.search(/:\s*\[\{/);
  return oneLine(json >= 0 ? message.slice(0, json) : message);
}

/**
 * `pipeline fanout failed: push_hubspot (Sync.Failed) failed; 1 skipped (report)`; an
 * interrupted run names what it cancelled and what never started.
 */
function outcomeLine(result: LocalRunResult): string {
  const head = `pipeline ${result.pipeline} ${result.status}`;
  const failed = result.steps.filter((s) => s.status === "failed");
  const parts: string[] = [];
  if (failed.length > 0) {
    const named = failed.map(
      (s) => `${stepName(s)}${s.error !== undefined ? ` (${s.error.name})` : ""}`,
    );
    parts.push(`${truncate(named.join(", "), 200)} failed`);
  }
  for (const status of ["skipped", "cancelled", "not_started"] as const) {
    const ids = result.steps.filter((s) => s.status === status).map(stepName);
    if (ids.length > 0) {
      parts.push(`${ids.length} ${stateLabel(status)} (${truncate(ids.join(", "), 100)})`);
    }
  }
  const own = ownError(result);
  if (own !== undefined) parts.push(`${own.name}: ${oneLine(own.message, 200)}`);
  if (parts.length === 0) return `${head}: ${plural(result.steps.length, "step")}`;
  return `${head}: ${parts.join("; ")}`;
}

/** A step as messages name it: `Acme / load` in a fan-out, else its id. */
function stepName(s: StepReport): string {
  return stepLabel({ step: s.id, ...(s.organization ? { organization: s.organization } : {}) });
}

function jsonStep(s: StepReport, outDir: string, timeline?: RunReport): JsonStep {
  const t = timeline?.steps.find((step) => step.id === s.id);
  // elapsed_seconds is the terminal's; the JSON has the times it is made of.
  const { error, cancel, elapsed_seconds: _elapsed, ...base } = s;
  // The documented field order: the step report, its times, then error and cancel.
  return {
    ...base,
    logs: s.logs.map((key) => resolve(outDir, key)),
    after: t?.after ?? [],
    waiting_on: t?.waiting_on ?? [],
    released_at: t?.released_at ?? null,
    submitted_at: t?.submitted_at ?? null,
    queued_at: t?.queued_at ?? null,
    started_at: t?.started_at ?? null,
    finished_at: t?.finished_at ?? null,
    detected_at: t?.detected_at ?? null,
    ended_at: t?.ended_at ?? null,
    polls: t?.polls ?? 0,
    api_retries: t?.api_retries ?? 0,
    failure_text: t?.failure_text ?? null,
    critical: t?.critical ?? false,
    ...(error !== undefined ? { error } : {}),
    ...(cancel !== undefined ? { cancel } : {}),
  };
}

/** How the sync column names a step's sync: the name the file gives, else the id. */
function syncLabel(report: StepReport, pipeline: PipelineConfig | undefined): string {
  const configured = pipeline?.steps.find((s) => s.id === report.id);
  return configured?.sync.name ?? report.sync_id ?? configured?.sync.id ?? "-";
}

/** An error message on one line, cut to a readable length (full text: --json, logs). */
function oneLine(message: string, max = 300): string {
  return truncate(message.replace(/\s*\n\s*/g, " "), max);
}

/** The deepest directory holding every file (absolute paths). */
export function commonDirectory(files: readonly string[]): string | undefined {
  let common: string[] | undefined;
  for (const file of files) {
    const parts = dirname(file).split(sep);
    if (common === undefined) {
      common = parts;
      continue;
    }
    let n = 0;
    while (n < common.length && n < parts.length && common[n] === parts[n]) n++;
    common = common.slice(0, n);
  }
  return common === undefined ? undefined : common.join(sep) || sep;
}

function logsLabel(files: readonly string[], base: string | undefined): string {
  const first = files[0];
  if (first === undefined || base === undefined) return "-";
  const shown = relative(base, first);
  return files.length > 1 ? `${shown} (+${files.length - 1})` : shown;
}

export interface SummaryOptions {
  /** The pipeline's configuration, for sync names. */
  pipeline?: PipelineConfig;
  /** The run's output directory: step logs are keys under it. */
  outDir: string;
  /** Paths are shown relative to it. */
  cwd: string;
  /** Whether times are on a simulated clock (embedded runs); said in the closing line. */
  simulated: boolean;
  /**
   * The terminal's width: no line is longer (table columns shrink or drop, text wraps
   * between words; only a path longer than a line stays whole).
   * @default - unlimited
   */
  columns?: number;
}

/** The summary table's columns; those with `keep` drop in that order when space runs out. */
const SUMMARY_COLUMNS = [
  { header: "STEP", min: 10 },
  { header: "SYNC", keep: 3, min: 12 },
  { header: "OUTCOME", min: 9 },
  { header: "ELAPSED", align: "right" },
  { header: "RUNNING", align: "right", keep: 4 },
  { header: "RECORDS", align: "right", keep: 6 },
  { header: "ERRORS", align: "right", keep: 5 },
  { header: "WARNINGS", align: "right", keep: 2 },
  { header: "LOGS", keep: 1, min: 10 },
] as const satisfies readonly Column[];

/** A fan-out's first column: the organization each step ran in. */
const ORGANIZATION_COLUMN = { header: "ORGANIZATION", min: 8 } as const satisfies Column;

/** `Organizations: Acme succeeded; Globex failed (load_salesforce)`. */
function organizationsLine(organizations: readonly JsonOrganization[]): string {
  const each = organizations.map(
    (o) =>
      `${o.name} ${o.status}${o.failed_steps.length > 0 ? ` (${o.failed_steps.join(", ")})` : ""}`,
  );
  return `Organizations: ${each.join("; ")}`;
}

/** What the two times of the table are, under it. */
const TIMES_LEGEND =
  "ELAPSED: from the step's start to its end, as the live display counts; RUNNING (when shown): Polytomic's running time of the sync (started_at to completed_at).";

/**
 * The summary table (step, sync, outcome, elapsed and running time, records, errors,
 * warnings, logs), each failed step's error, and a closing line with the pipeline's status.
 */
export function summaryText(result: LocalRunResult, options: SummaryOptions): string {
  const { pipeline, cwd } = options;
  const width = options.columns ?? Number.POSITIVE_INFINITY;
  const files = result.steps.map((s) => s.logs.map((key) => resolve(options.outDir, key)));
  const logsDir = commonDirectory(files.flat());
  const fanOut = result.steps.some((s) => s.organization !== undefined);
  const rows = result.steps.map((s, i) => [
    ...(fanOut ? [s.organization?.name ?? "-"] : []),
    s.id,
    syncLabel(s, pipeline),
    s.outcome === s.status ? stateLabel(s.status) : s.outcome,
    formatElapsed(s.elapsed_seconds),
    formatElapsed(s.status === "skipped" || s.status === "not_started" ? null : s.duration_seconds),
    formatCount(s.records),
    formatCount(s.errors),
    formatCount(s.warnings),
    logsLabel(files[i] ?? [], logsDir),
  ]);
  const columns = fanOut ? [ORGANIZATION_COLUMN, ...SUMMARY_COLUMNS] : SUMMARY_COLUMNS;
  const lines = [renderTable(columns, rows, width), TIMES_LEGEND, ""];
  if (logsDir !== undefined) lines.push(`Logs under ${displayPath(logsDir, cwd)}`, "");
  for (const s of result.steps) {
    if (s.status === "failed" && s.error !== undefined) {
      lines.push(`${stepName(s)} failed: ${s.error.name}: ${oneLine(s.error.message)}`);
    }
  }
  const organizations = organizationOutcomes(result.steps);
  if (organizations.length > 0) lines.push(organizationsLine(organizations));
  const own = ownError(result);
  if (result.status === "interrupted") lines.push(...interruptionLines(result.steps));
  else if (own !== undefined) lines.push(`pipeline error: ${own.name}: ${ownMessage(own.message)}`);
  lines.push(closingLine(result, options.simulated));
  return `${fitLines(lines, width).join("\n")}\n`;
}

/** Every line within `width`, long ones wrapped between words (the table's already fit). */
export function fitLines(lines: readonly string[], width: number): string[] {
  return lines.flatMap((text) => text.split("\n").flatMap((line) => wrapText(line, width)));
}

/** `Pipeline p succeeded in 1h 05m of simulated time: 6 steps (...), N state transitions, N polls.` */
function closingLine(result: LocalRunResult, simulated: boolean): string {
  const tally = (["succeeded", "failed", "skipped", "cancelled", "not_started"] as const)
    .map((status) => [status, result.steps.filter((s) => s.status === status).length] as const)
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${stateLabel(status)}`)
    .join(", ");
  const elapsed = (Date.parse(result.finished_at) - Date.parse(result.started_at)) / 1000;
  return (
    `Pipeline ${result.pipeline} ${result.status} in ${formatElapsed(elapsed)}${simulated ? " of simulated time" : ""}: ` +
    `${result.steps.length} steps${tally ? ` (${tally})` : ""}, ` +
    `${plural(result.state_transitions, "state transition")}, ${plural(result.polls, "poll")}.`
  );
}

/** What an interrupted run left: the runs it cancelled, and the steps that never started. */
function interruptionLines(steps: readonly StepReport[]): string[] {
  const lines: string[] = [];
  for (const s of steps.filter((step) => step.status === "cancelled")) {
    const run = s.execution_id !== null ? `run ${s.execution_id}` : "its run (not started yet)";
    const confirmed =
      s.cancel === undefined
        ? "cancellation not confirmed: check it in Polytomic"
        : s.cancel.confirmed
          ? `Polytomic reports it ${s.cancel.status}`
          : `cancellation not confirmed (Polytomic reports it ${s.cancel.status}): check it in Polytomic`;
    lines.push(`${s.id}: cancelled ${run}; ${confirmed}`);
  }
  const notStarted = steps.filter((step) => step.status === "not_started").map((step) => step.id);
  if (notStarted.length > 0) lines.push(`never started: ${notStarted.join(", ")}`);
  return lines;
}
