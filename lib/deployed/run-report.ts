/**
 * A deployed run's steps' progress, for the live display and the report's text, from its
 * report (lib/report/deployed-run.ts) and which of its children still run.
 */
import type { DeployedRun } from "../../functions/aws/run-histories";
import type { StepProgress } from "../local/report";
import type { ReportStep, RunReport } from "../report/model";

/** The steps whose run-sync child is still running (its input names the step). */
export function runningSteps(run: DeployedRun): Set<string> {
  const running = new Set<string>();
  for (const child of run.children.values()) {
    if (child.status !== "RUNNING") continue;
    const input = child.events.find((e) => e.type === "ExecutionStarted")?.input;
    const step = (input as { step?: unknown } | undefined)?.step;
    if (typeof step === "string") running.add(step);
  }
  return running;
}

/**
 * A step's progress as the live display shows it. While the pipeline runs, a step with no
 * child yet is waiting, and one whose child runs is queued or running (Polytomic's
 * started_at says which); otherwise the report's status.
 */
export function stepProgress(
  step: ReportStep,
  running: ReadonlySet<string>,
  pipelineRunning: boolean,
  now: number,
): StepProgress {
  const started = step.started_at !== null ? Date.parse(step.started_at) : undefined;
  const finished = step.finished_at !== null ? Date.parse(step.finished_at) : undefined;
  const state: StepProgress["state"] = running.has(step.id)
    ? started === undefined
      ? "queued"
      : "running"
    : pipelineRunning && step.submitted_at === null
      ? "waiting"
      : step.status;
  const end = running.has(step.id) ? now : (finished ?? now);
  return {
    step: step.id,
    state,
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
export function runProgress(run: DeployedRun, report: RunReport, now: number): StepProgress[] {
  const running = runningSteps(run);
  const live = run.execution.status === "RUNNING";
  return report.steps.map((s) => stepProgress(s, running, live, now));
}
