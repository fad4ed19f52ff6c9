/**
 * What each e2e pipeline (e2e/pipelines.yaml, e2e/scenario.yaml) must end with, checked
 * through the AWS APIs by e2e/checks.ts.
 */
import type { SyncType } from "../functions/core/contract";
import type { PipelineMetricKey, StepMetricKey } from "../functions/core/metrics";

export interface StepExpectation {
  sync_type: SyncType;
  status: "succeeded" | "failed" | "skipped";
  /** The step's error name (failed steps). */
  error?: string;
  /** Its run's logs are in S3. */
  logs: boolean;
  /** Per-step metrics (Sum over the run) that must have been published. */
  metrics?: Partial<Record<StepMetricKey, number>>;
}

export interface PipelineExpectation {
  /** The driver stops the execution once the step's Polytomic run is going. */
  stop_when_running?: { step: string; sync_id: string };
  status: "SUCCEEDED" | "FAILED" | "ABORTED";
  /** Step results (absent for an aborted pipeline: it has none). */
  steps: Record<string, StepExpectation>;
  /** Alarms (paths below Monitoring, e.g. `Pipeline-x/ExecutionFailed`) that must fire. */
  alarms_in_alarm: string[];
  /** A gate of `step` on `dependency` must attach to the dependency's running child. */
  attach?: { step: string; dependency: string };
  /** Per-pipeline metrics (Sum over the run's steps) that must have been published. */
  metrics?: Partial<Record<PipelineMetricKey, number>>;
}

/** The simulator's runs once everything ended: final status per sync id; absent = never started. */
export const FINAL_RUN_STATUS: Record<string, string> = {
  "e2e00000-0000-4000-8000-000000000001": "completed",
  "e2e00000-0000-4000-8000-000000000002": "completed",
  "e2e00000-0000-4000-8000-000000000003": "completed",
  "e2e00000-0000-4000-8000-000000000004": "completed",
  "e2e00000-0000-4000-8000-000000000005": "failed",
  "e2e00000-0000-4000-8000-000000000007": "canceled",
  "e2e00000-0000-4000-8000-000000000008": "canceled",
};

const ok = (sync_type: SyncType): StepExpectation => ({
  sync_type,
  status: "succeeded",
  logs: true,
  metrics: { failed: 0 },
});

export const EXPECTATIONS: Record<string, PipelineExpectation> = {
  e2e_gate: {
    status: "SUCCEEDED",
    steps: {
      load_contacts: ok("bulk"),
      load_accounts: ok("bulk"),
      push_hubspot: ok("model"),
      push_salesforce: ok("model"),
    },
    alarms_in_alarm: [],
    attach: { step: "push_hubspot", dependency: "load_accounts" },
    metrics: { succeeded: 4, timedOut: 0 },
  },
  e2e_failing: {
    status: "FAILED",
    steps: {
      load_orders: {
        sync_type: "bulk",
        status: "failed",
        error: "Sync.Failed",
        logs: true,
        metrics: { failed: 1 },
      },
      push_orders: { sync_type: "model", status: "skipped", logs: false },
    },
    alarms_in_alarm: [
      "Pipeline-e2e_failing/ExecutionFailed",
      "Pipeline-e2e_failing/StepFailed-load_orders",
    ],
    metrics: { succeeded: 0 },
  },
  e2e_timeout: {
    status: "FAILED",
    steps: {
      load_events: {
        sync_type: "bulk",
        status: "failed",
        error: "Sync.TimedOut",
        logs: true,
        metrics: { failed: 1 },
      },
    },
    alarms_in_alarm: [
      "Pipeline-e2e_timeout/ExecutionFailed",
      "Pipeline-e2e_timeout/StepFailed-load_events",
    ],
    metrics: { timedOut: 1, succeeded: 0 },
  },
  e2e_abort: {
    stop_when_running: { step: "load_billing", sync_id: "e2e00000-0000-4000-8000-000000000008" },
    status: "ABORTED",
    steps: {},
    alarms_in_alarm: [],
  },
};
