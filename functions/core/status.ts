/**
 * Status semantics (DESIGN.md "Status semantics"): which execution statuses are terminal
 * for each sync type, and how a terminal run maps to an outcome under the step's failure
 * policy.
 *
 * Unknown statuses: a status outside the spec's enum for the sync type (an API change,
 * a model status seen on a bulk sync) is treated as TERMINAL and FAILED with
 * `Sync.UnknownStatus`. Treating it as non-terminal could poll until the step's timeout
 * for a run that may never change again; treating it as success could report data as
 * delivered when it was not. Failing loudly, at once, with the status in the message is
 * the only choice that neither hangs nor lies.
 */

import type {
  BulkExecutionStatus,
  BulkSchemaExecutionStatus,
  ModelExecutionStatus,
} from "../polytomic/types";
import type { FailurePolicy, Outcome, RunCounts, SyncType } from "./contract";
import type { OutcomeErrorName } from "./error-names";
import { type ExpectedRun, missedExpectations } from "./expect";

/**
 * Every status of the spec's enums, typed as a record over the generated enum types so
 * that a status added to or dropped from the spec fails the type check (`npm run
 * gen:types` after a spec update) instead of silently changing what counts as known.
 */
const MODEL_STATUS_SET: Record<ModelExecutionStatus, true> = {
  created: true,
  scheduled: true,
  queued: true,
  waiting: true,
  running: true,
  processing: true,
  canceling: true,
  canceled: true,
  completed: true,
  failed: true,
  interrupted: true,
};

const BULK_STATUS_SET: Record<BulkExecutionStatus, true> = {
  created: true,
  scheduled: true,
  running: true,
  exporting: true,
  canceling: true,
  canceled: true,
  completed: true,
  failed: true,
  processing: true,
  errors: true,
  interrupted: true,
};

const BULK_SCHEMA_STATUS_SET: Record<BulkSchemaExecutionStatus, true> = {
  created: true,
  scheduled: true,
  running: true,
  exporting: true,
  canceled: true,
  completed: true,
  failed: true,
  interrupted: true,
  processing: true,
};

export const MODEL_STATUSES = Object.keys(MODEL_STATUS_SET) as readonly ModelExecutionStatus[];
export const BULK_STATUSES = Object.keys(BULK_STATUS_SET) as readonly BulkExecutionStatus[];

const KNOWN: Record<SyncType, ReadonlySet<string>> = {
  model: new Set(MODEL_STATUSES),
  bulk: new Set(BULK_STATUSES),
};

const TERMINAL: Record<SyncType, ReadonlySet<string>> = {
  model: new Set(["completed", "failed", "canceled", "interrupted"]),
  bulk: new Set(["completed", "failed", "canceled", "interrupted", "errors"]),
};

/** Statuses in which the run has not started running yet (waiting for a worker). */
const QUEUED: ReadonlySet<string> = new Set(["created", "scheduled", "queued", "waiting"]);

/** Bulk schema statuses that mean the schema's data did not land. */
const FAILED_SCHEMA: ReadonlySet<string> = new Set(["failed", "canceled", "interrupted"]);
const KNOWN_SCHEMA: ReadonlySet<string> = new Set(Object.keys(BULK_SCHEMA_STATUS_SET));

export function isKnownStatus(type: SyncType, status: string): boolean {
  return KNOWN[type].has(status);
}

/** Terminal statuses, plus every unknown status (see the module comment). */
export function isTerminalStatus(type: SyncType, status: string): boolean {
  return TERMINAL[type].has(status) || !isKnownStatus(type, status);
}

/**
 * Only the spec's terminal statuses: the run has ended for certain. Where acting on a
 * run that may still be going is the safe side (cancel-sync), an unknown status is not
 * taken as ended.
 */
export function isSpecTerminalStatus(type: SyncType, status: string): boolean {
  return TERMINAL[type].has(status);
}

export function isQueuedStatus(status: string): boolean {
  return QUEUED.has(status);
}

/**
 * A schema whose data did not land: failed, canceled, interrupted, or a status outside
 * the spec's enum (missing included), which is never taken for success.
 */
export function isFailedSchemaStatus(status: string): boolean {
  return FAILED_SCHEMA.has(status) || !KNOWN_SCHEMA.has(status);
}

/** What the policy needs to know about a terminal run (run_seconds and schemas: for `expect`). */
export interface TerminalRun extends ExpectedRun {
  status: string;
  counts: RunCounts;
  /** Bulk: number of schemas whose status is failed, canceled, interrupted or unknown. */
  failedSchemas: number;
}

export interface Verdict {
  outcome: Outcome;
  step_failed: boolean;
  error_name?: OutcomeErrorName;
  error_message?: string;
}

function fail(outcome: Outcome, name: OutcomeErrorName, message: string): Verdict {
  return { outcome, step_failed: true, error_name: name, error_message: message };
}

/**
 * The outcome of a terminal run and whether the step's failure policy fails the step.
 *
 * Order of the checks on a completed run: failed schemas, then record errors, then
 * warnings, then the step's expectations (only a run that otherwise succeeded is held to
 * them); the first rule that fails the step names the error. A tolerated problem still
 * shows in the outcome (`completed_with_errors`, `succeeded_with_warnings`).
 */
export function evaluateTerminal(type: SyncType, run: TerminalRun, policy: FailurePolicy): Verdict {
  const { status, counts } = run;
  const what = `${type} sync execution`;
  if (!isKnownStatus(type, status)) {
    return fail(
      "unknown",
      "Sync.UnknownStatus",
      `${what} reported status "${status}", which is not a known ${type} status; not treated as success`,
    );
  }
  switch (status) {
    case "failed":
      return fail("failed", "Sync.Failed", `${what} failed`);
    case "canceled":
      return fail("canceled", "Sync.Canceled", `${what} was canceled`);
    case "interrupted":
      return fail("interrupted", "Sync.Interrupted", `${what} was interrupted`);
    case "errors":
      // Bulk "errors": the run ended with errors; always fails, whatever max_errors says.
      return fail(
        "completed_with_errors",
        "Sync.CompletedWithErrors",
        `${what} ended with status "errors" (${counts.errors} record errors); this status always fails the step`,
      );
    case "completed":
      break;
    default:
      // Known but not terminal: callers only evaluate terminal runs.
      return { outcome: "unknown", step_failed: false };
  }

  if (type === "bulk" && run.failedSchemas > 0 && policy.fail_on_schema_errors) {
    return fail(
      "completed_with_errors",
      "Sync.SchemaErrors",
      `${what} completed but ${run.failedSchemas} schema(s) failed (fail_on_schema_errors is true)`,
    );
  }
  if (counts.errors > policy.max_errors) {
    return fail(
      "completed_with_errors",
      "Sync.CompletedWithErrors",
      `${what} completed with ${counts.errors} record errors (max_errors is ${policy.max_errors})`,
    );
  }
  if (counts.warnings > 0 && policy.fail_on_warnings) {
    return fail(
      "succeeded_with_warnings",
      "Sync.WarningsNotAllowed",
      `${what} completed with ${counts.warnings} warnings (fail_on_warnings is true)`,
    );
  }
  const outcome: Outcome =
    counts.errors > 0 || run.failedSchemas > 0
      ? "completed_with_errors"
      : counts.warnings > 0
        ? "succeeded_with_warnings"
        : "succeeded";
  const missed = policy.expect ? missedExpectations(policy.expect, run) : [];
  if (missed.length > 0) {
    return fail(
      outcome,
      "Sync.ExpectationFailed",
      `${what} completed outside the step's expectations: ${missed.join("; ")}`,
    );
  }
  return { outcome, step_failed: false };
}
