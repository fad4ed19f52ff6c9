/**
 * A deployed run's steps' progress, for the live display and the report's text, from its
 * report (lib/report/deployed-run.ts).
 */
import type { StepProgress } from "../local/report";
import { isLive, type ReportStep, type RunReport } from "../report/model";

/**
 * A step's progress as the live display shows it: the report's status (a live run's
 * steps are waiting, queued or running there, lib/report/build.ts), its elapsed time up
 * to `now` while it goes on.
 */
export function stepProgress(step: ReportStep, now: number): StepProgress {
  const started = step.started_at !== null ? Date.parse(step.started_at) : undefined;
  const finished = step.finished_at !== null ? Date.parse(step.finished_at) : undefined;
  const end = isLive(step) ? now : (finished ?? now);
  return {
    step: step.id,
    state: step.status,
    sync_type: step.sync_type,
    ...(step.execution_id !== null ? { execution_id: step.execution_id } : {}),
    ...(step.started_at !== null ? { started_at: step.started_at } : {}),
    elapsed_seconds: started === undefined ? 0 : Math.max(0, (end - started) / 1000),
    records: step.records,
    errors: step.errors,
    warnings: step.warnings,
    outcome: step.outcome,
    logs: step.logs,
  };
}

/** Every step's progress in the run as it stands at `now`. */
export function runProgress(report: RunReport, now: number): StepProgress[] {
  return report.steps.map((s) => stepProgress(s, now));
}
