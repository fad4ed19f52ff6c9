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

/**
 * A fan-out's progress as lines to append (the live display draws steps; a fan-out's
 * children are organizations): one line per organization whose status changed since the
 * last read, with how many have ended. Organizations still waiting are not announced.
 */
export class OrganizationProgress {
  private readonly seen = new Map<string, string>();

  /** The lines the report adds to those already given. */
  lines(report: RunReport): string[] {
    const organizations = report.organizations ?? [];
    const total = organizations.length;
    const ended = organizations.filter((o) => ENDED.has(o.status)).length;
    const lines: string[] = [];
    for (const o of organizations) {
      if (o.status === "waiting" || this.seen.get(o.id) === o.status) continue;
      this.seen.set(o.id, o.status);
      const error = o.error !== null ? ` (${o.error})` : "";
      lines.push(
        `[${ended}/${total} organizations ended] ${o.name}: ${o.status.replace("_", " ")}${error}`,
      );
    }
    return lines;
  }
}

const ENDED: ReadonlySet<string> = new Set(["succeeded", "failed", "interrupted", "not_started"]);
