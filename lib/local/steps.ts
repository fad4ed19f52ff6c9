/**
 * What the local runner knows of each step of the pipeline it runs: fed by the handlers'
 * answers, the child executions' ends and the pipeline's own events, it sends the live
 * display its progress events and builds the steps of the run's report.
 */

import { checkInvocation, type StillRunning } from "../../functions/core/check";
import {
  type CancelResult,
  type CheckResult,
  isStartPending,
  type RunState,
  type StartResult,
  type StepResult,
} from "../../functions/core/contract";
import { isStillRunningErrorName } from "../../functions/core/error-names";
import type { PipelineConfig } from "../config/model";
import type { FunctionName } from "../constructs/paths";
import type { EventLog, LocalExecutionResult } from "./engine";
import { iso, type RunEvent, type StepReport, type StepState } from "./report";
import type { LocalClock } from "./virtual-clock";

type StepConfig = PipelineConfig["steps"][number];

/** The organization a fan-out's step runs in (issue 15). */
export interface StepOrganization {
  id: string;
  name: string;
}

interface StepTrack {
  config: StepConfig;
  /** Set for a step of a pipeline with `organizations:`: each runs once per organization. */
  organization?: StepOrganization;
  state: StepState;
  start?: StartResult;
  check?: CheckResult;
  logs: string[];
  startedAtMs?: number;
  endedAtMs?: number;
  result?: StepResult;
  error?: { name: string; message: string };
  cancel?: CancelResult;
}

const ENDED: ReadonlySet<StepState> = new Set([
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "not_started",
]);
const QUEUED_STATUSES: ReadonlySet<string> = new Set(["queued", "scheduled", "created", "waiting"]);

export class StepTracker {
  private readonly steps: Map<string, StepTrack>;
  /** check-status invocations that checked a run. */
  polls = 0;

  constructor(
    private readonly pipeline: PipelineConfig,
    private readonly clock: LocalClock,
    private readonly onEvent?: (event: RunEvent) => void,
  ) {
    // A fan-out's steps are known once their organization starts (organizationStarted).
    this.steps = new Map(
      pipeline.fan_out
        ? []
        : pipeline.steps.map((step) => [step.id, { config: step, state: "waiting", logs: [] }]),
    );
  }

  /**
   * A fan-out's per-organization execution starts (its input names the organization):
   * the pipeline's steps, in that organization, join the run.
   */
  organizationStarted(input: unknown): void {
    const organization = organizationOf(input);
    if (!organization) return;
    for (const config of this.pipeline.steps) {
      const key = trackKey(organization.id, config.id);
      if (this.steps.has(key)) continue;
      const track: StepTrack = { config, organization, state: "waiting", logs: [] };
      this.steps.set(key, track);
      this.emit(track);
    }
  }

  /** Sends every step's progress (at the start, so the display lists them all). */
  emitAll(): void {
    for (const track of this.steps.values()) this.emit(track);
  }

  /** Learns from a run-sync task's answer: the run started, its status, its logs. */
  observeTask(fn: FunctionName, input: unknown, output: unknown): void {
    const track = this.trackOf(fn === "check-status" ? stateOf(input) : input);
    if (!track) return;
    if (fn === "start-sync") {
      // A StartPending started nothing yet: the step stays queued until a run exists.
      if (!isStartPending(output)) track.start = output as StartResult;
      this.setState(track, "queued");
    } else if (fn === "check-status") {
      this.observeCheck(track, output as CheckResult);
    } else if (fn === "export-logs") {
      track.logs = (output as { keys?: string[] }).keys ?? [];
    }
  }

  /**
   * Learns from a run-sync task that threw: in the retry loop, a check that found the run
   * still going throws StillRunning (functions/core/check.ts), a check like any other.
   */
  observeTaskError(fn: FunctionName, input: unknown, error: unknown): void {
    if (fn !== "check-status" || !isStillRunning(error)) return;
    const track = this.trackOf(stateOf(input));
    if (track) this.observeCheck(track, error.check);
  }

  private observeCheck(track: StepTrack, check: CheckResult): void {
    if (check.start_pending || check.unread) return;
    this.polls++;
    track.check = check;
    if (!check.terminal) {
      this.setState(track, QUEUED_STATUSES.has(check.status) ? "queued" : "running");
    }
    this.emit(track);
  }

  /**
   * A run-sync child starts. Returns its step, or nothing for a `skip: true` child (a
   * skipped step some gate waits for), which is not the step's run.
   */
  childStarted(childInput: unknown): string | undefined {
    if ((childInput as { skip?: unknown } | null)?.skip === true) return undefined;
    const track = this.trackOf(childInput);
    if (!track) return undefined;
    track.startedAtMs = this.clock.now();
    this.setState(track, "queued");
    return trackKey(track.organization?.id, track.config.id);
  }

  /**
   * A step's run-sync child ended (`step`: what childStarted returned); `interrupted`: it
   * was stopped by the run's interruption.
   */
  childEnded(step: string, result: LocalExecutionResult, interrupted: boolean): void {
    const track = this.steps.get(step);
    if (!track) return;
    if (result.status === "SUCCEEDED") {
      track.result = result.output as StepResult;
      this.setState(track, "succeeded");
      return;
    }
    track.error = {
      name: result.error ?? `States.${result.status === "TIMED_OUT" ? "Timeout" : "Aborted"}`,
      message: result.cause ?? `run-sync execution ${result.status}`,
    };
    this.setState(track, interrupted && result.status === "ABORTED" ? "cancelled" : "failed");
  }

  /** What cancel-sync answered for a step's stopped child. */
  cancelled(step: string, cancel: CancelResult): void {
    const track = this.steps.get(step);
    if (!track) return;
    track.cancel = cancel;
    // The logs cancel-sync exported for a run its execution stopped before exporting.
    if (cancel.logs) track.logs = cancel.logs;
  }

  /**
   * Steps are skipped by Pass states: reads the results the pipeline records as it goes
   * (a fan-out's per-organization execution: `organization` is its organization id).
   */
  observePipeline(event: EventLog, organization?: string): void {
    if (event.type !== "StateExited") return;
    const results = (event.state.output as { results?: Record<string, { status?: string }> } | null)
      ?.results;
    for (const [id, result] of Object.entries(results ?? {})) {
      const track = this.steps.get(trackKey(organization, id));
      if (track && result?.status === "skipped" && track.state === "waiting") {
        this.setState(track, "skipped");
      }
    }
  }

  /**
   * The steps of the run's report, once the pipeline ended. A step still waiting then
   * never started: skipped, or `not_started` when the run was interrupted.
   */
  reports(interrupted: boolean): StepReport[] {
    // In the pipeline's step order; a fan-out's organization by organization, as they started.
    return [...this.steps.values()].map((track) => {
      if (!ENDED.has(track.state)) {
        const started = track.startedAtMs !== undefined;
        this.setState(track, started ? "failed" : interrupted ? "not_started" : "skipped");
      }
      return report(track);
    });
  }

  private trackOf(input: unknown): StepTrack | undefined {
    const step = (input as Partial<RunState> | null)?.step ?? "";
    return this.steps.get(trackKey(organizationOf(input)?.id, step));
  }

  private setState(track: StepTrack, state: StepState): void {
    if (track.state === state) return;
    track.state = state;
    if (ENDED.has(state) && !track.endedAtMs) track.endedAtMs = this.clock.now();
    this.emit(track);
  }

  private emit(track: StepTrack): void {
    const counts = track.check?.counts;
    this.onEvent?.({
      type: "step",
      progress: {
        step: track.config.id,
        ...(track.organization ? { organization: track.organization } : {}),
        state: track.state,
        sync_type: track.config.sync_type,
        sync_id: track.start?.sync_id ?? track.config.sync.id,
        execution_id: track.start?.execution_id,
        started_at: track.startedAtMs === undefined ? undefined : iso(track.startedAtMs),
        elapsed_seconds: elapsedSeconds(track, this.clock.now()),
        records: counts?.records,
        errors: counts?.errors,
        warnings: counts?.warnings,
        outcome: track.result?.outcome ?? track.check?.outcome,
        logs: track.logs.length > 0 ? track.logs : undefined,
      },
    });
  }
}

/** check-status's run-sync state, under its retry-loop payload or not (undefined if malformed). */
function stateOf(input: unknown): unknown {
  try {
    return checkInvocation(input).state;
  } catch {
    return undefined;
  }
}

function isStillRunning(error: unknown): error is StillRunning {
  return (
    error instanceof Error &&
    isStillRunningErrorName(error.name) &&
    typeof (error as { check?: unknown }).check === "object"
  );
}

/** A step's key: its id, within its organization's in a fan-out. */
function trackKey(organization: string | undefined, step: string): string {
  return organization === undefined ? step : `${organization}/${step}`;
}

/** The organization an input (a step's, or a per-organization execution's) names, if any. */
function organizationOf(input: unknown): StepOrganization | undefined {
  const { organization_id: id, organization_name: name } =
    (input as { organization_id?: unknown; organization_name?: unknown } | null) ?? {};
  if (typeof id !== "string") return undefined;
  return { id, name: typeof name === "string" ? name : id };
}

function elapsedSeconds(track: StepTrack, now: number): number {
  if (track.startedAtMs === undefined) return 0;
  return Math.round(((track.endedAtMs ?? now) - track.startedAtMs) / 1000);
}

/** A step's line of the run's report. */
function report(track: StepTrack): StepReport {
  const { config, state } = track;
  const counts = track.result?.counts ?? track.check?.counts;
  const ownOutcome = state === "skipped" || state === "not_started" || state === "cancelled";
  return {
    id: config.id,
    ...(track.organization ? { organization: track.organization } : {}),
    sync_type: config.sync_type,
    sync_id: track.start?.sync_id ?? config.sync.id ?? null,
    status: state as StepReport["status"],
    outcome: ownOutcome ? state : (track.result?.outcome ?? track.check?.outcome ?? state),
    execution_id: track.start?.execution_id ?? null,
    duration_seconds:
      track.check?.run_seconds ??
      (track.startedAtMs !== undefined && track.endedAtMs !== undefined
        ? Math.round((track.endedAtMs - track.startedAtMs) / 1000)
        : null),
    elapsed_seconds:
      track.startedAtMs === undefined
        ? null
        : elapsedSeconds(track, track.endedAtMs ?? track.startedAtMs),
    records: counts?.records ?? 0,
    errors: counts?.errors ?? 0,
    warnings: counts?.warnings ?? 0,
    logs: track.result?.logs ?? track.logs,
    ...(track.error && (state === "failed" || state === "cancelled") ? { error: track.error } : {}),
    ...(track.cancel
      ? {
          cancel: {
            confirmed: track.cancel.canceled || track.cancel.already_terminal,
            status: track.cancel.status,
          },
        }
      : {}),
  };
}
