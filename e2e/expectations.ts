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
  /** The execution's error name (failed executions whose error the check names). */
  error?: string;
  /**
   * A fan-out (`organizations:`): each organization's end, by organization id. Its steps'
   * results are in its child execution; the pipeline's own `steps` stay empty.
   */
  organizations?: Record<string, OrganizationExpectation>;
}

/** One organization of a fan-out: its child execution and what it published. */
export interface OrganizationExpectation {
  name: string;
  /** Its child execution's status (a failed one is named in the fan-out's cause). */
  status: "SUCCEEDED" | "FAILED";
  /** Its steps' results; a failed step's error message must name the organization. */
  steps: Record<string, Omit<StepExpectation, "metrics">>;
  /** The Sum of OrganizationStepFailures for it (0: no datapoint, the metric is published on failure only). */
  step_failures: number;
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
  // e2e_partner, one organization each (E2E Globex's push never starts).
  "e2e00000-0000-4000-8000-0000000001a1": "completed",
  "e2e00000-0000-4000-8000-0000000001a2": "completed",
  "e2e00000-0000-4000-8000-0000000001b1": "failed",
  "e2e00000-0000-4000-8000-0000000001c1": "completed",
};

/** e2e_partner's organizations (e2e/scenario.yaml). */
export const PARTNER_ORGANIZATIONS = {
  acme: "e2e00000-0000-4000-8000-0000000001a0",
  globex: "e2e00000-0000-4000-8000-0000000001b0",
  initech: "e2e00000-0000-4000-8000-0000000001c0",
} as const;

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
  e2e_partner: {
    status: "FAILED",
    error: "Pipeline.OrganizationsFailed",
    steps: {},
    organizations: {
      [PARTNER_ORGANIZATIONS.acme]: {
        name: "E2E Acme",
        status: "SUCCEEDED",
        steps: { load_partner: ok("bulk"), push_partner: ok("model") },
        step_failures: 0,
      },
      [PARTNER_ORGANIZATIONS.globex]: {
        name: "E2E Globex",
        status: "FAILED",
        steps: {
          load_partner: { sync_type: "bulk", status: "failed", error: "Sync.Failed", logs: true },
          push_partner: { sync_type: "model", status: "skipped", logs: false },
        },
        step_failures: 1,
      },
      [PARTNER_ORGANIZATIONS.initech]: {
        name: "E2E Initech",
        status: "FAILED",
        steps: {
          load_partner: ok("bulk"),
          // Fails before any run: no logs to export.
          push_partner: {
            sync_type: "model",
            status: "failed",
            error: "Sync.NotFound",
            logs: false,
          },
        },
        step_failures: 1,
      },
    },
    alarms_in_alarm: [
      "Pipeline-e2e_partner/ExecutionFailed",
      "Pipeline-e2e_partner/StepFailed-load_partner",
      "Pipeline-e2e_partner/StepFailed-push_partner",
    ],
    metrics: { succeeded: 3, timedOut: 0 },
  },
};
