/**
 * What a local run reports: the progress events of the live display and the run's result
 * (the `--json` report is built from it).
 */
import type { RunReport } from "../report/model";
import type { LocalExecutionResult } from "./engine";

/**
 * Where a step is. `cancelled`: its run was going when the run was interrupted, and was
 * cancelled; `not_started`: the run was interrupted before the step started.
 */
export type StepState =
  | "waiting"
  | "queued"
  | "running"
  | "succeeded"
  | "failed"
  | "skipped"
  | "cancelled"
  | "not_started";

export interface StepProgress {
  step: string;
  /** A fan-out's step (issue 15): the organization it runs in. */
  organization?: { id: string; name: string };
  state: StepState;
  sync_type: "model" | "bulk";
  sync_id?: string;
  execution_id?: string;
  started_at?: string;
  elapsed_seconds: number;
  records?: number;
  errors?: number;
  warnings?: number;
  outcome?: string;
  logs?: string[];
}

export type RunEvent =
  | { type: "step"; progress: StepProgress }
  | { type: "pipeline"; status: "running" | "succeeded" | "failed" | "interrupted" };

/** What cancel-sync said of a step's run after the step was stopped. */
export interface CancelReport {
  /** Whether the cancellation took effect: Polytomic shows the run ended. */
  confirmed: boolean;
  /** The run's last status Polytomic reported. */
  status: string;
}

export interface StepReport {
  id: string;
  /** A fan-out's step (issue 15): the organization it ran in; one report per organization. */
  organization?: { id: string; name: string };
  sync_type: "model" | "bulk";
  sync_id: string | null;
  status: "succeeded" | "failed" | "skipped" | "cancelled" | "not_started";
  outcome: string;
  execution_id: string | null;
  /** Polytomic's running time of the run (else the step's elapsed time). */
  duration_seconds: number | null;
  /**
   * Seconds from the step's start (its run-sync execution) to its end, on the run's clock:
   * the time the live display shows. Null for a step that never started.
   */
  elapsed_seconds: number | null;
  records: number;
  errors: number;
  warnings: number;
  logs: string[];
  error?: { name: string; message: string };
  /** Set when the step's run-sync execution was stopped and cancel-sync ran for it. */
  cancel?: CancelReport;
}

export interface LocalRunResult {
  pipeline: string;
  /** `interrupted`: stopped from outside (Ctrl-C) before it ended. */
  status: "succeeded" | "failed" | "interrupted";
  started_at: string;
  finished_at: string;
  steps: StepReport[];
  /** State transitions across the pipeline execution and every child execution. */
  state_transitions: number;
  /** check-status invocations. */
  polls: number;
  /** The pipeline execution's own error, when it failed. */
  error?: { name: string; message: string };
  /** Every execution that ran (pipeline first), for benchmarks and diagnostics. */
  executions: Array<Omit<LocalExecutionResult, "output">>;
  /**
   * The run report built from those executions' histories (lib/report/build.ts): each
   * step's times, the critical path. Set by the runner; absent in results built by hand.
   */
  timeline?: RunReport;
  /**
   * A fan-out's run (issue 15): each organization's own run report (its per-organization
   * execution and its steps' children), by organization id.
   */
  organization_timelines?: Record<string, RunReport>;
}

export function iso(ms: number): string {
  return new Date(ms).toISOString();
}
