/**
 * The payloads exchanged between the state machines and the Lambda handlers.
 * Every Lambda task uses `payloadResponseOnly: true`: a handler receives the state's
 * input and its return value becomes the task result (placed with ResultPath).
 *
 * Payloads stay small: ids, statuses, counts and S3 keys, never logs or records.
 * This file holds types and constants only, so CDK code may import it.
 */
import type { OutcomeErrorName } from "./error-names";

/** A UUID in any case, as Polytomic's ids are (syncs, executions, organizations). */
export const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export type SyncType = "model" | "bulk";
export type ConflictPolicy = "attach" | "fail" | "wait";
export type RunAfter = "success" | "completion";
export type PollStrategy = "adaptive" | "backoff" | "fixed";

/** A sync named by id, or by name to be resolved at run time. Exactly one is set. */
export interface SyncRef {
  id?: string;
  name?: string;
}

export interface ModelStartOptions {
  identities?: string[];
  resync?: boolean;
  test?: boolean;
}

export interface BulkStartOptions {
  schemas?: string[];
  fetch_mode?: "none" | "incremental" | "full";
  resync_mode?: "refetch" | "resync" | "rebuild";
  test?: boolean;
}

export interface FailurePolicy {
  /** Record errors tolerated in a completed run. Default 0. */
  max_errors: number;
  /** Fail a completed run that has warnings. Default false. */
  fail_on_warnings: boolean;
  /** Bulk: fail a completed run in which a schema failed. Default true. */
  fail_on_schema_errors: boolean;
  /**
   * What a run that otherwise succeeded must look like; outside it the step fails with
   * `Sync.ExpectationFailed`. Absent (the default): nothing is expected.
   */
  expect?: Expectations;
}

/** A step's `expect:` (docs/pipelines.md "Expectations"). Every field is optional. */
export interface Expectations {
  /** At least this many records (`counts.records`). */
  min_records?: number;
  /** At most this many records. */
  max_records?: number;
  /** At most this share of errors, in percent: errors / (records + errors) * 100. */
  max_error_rate_percent?: number;
  /** At most this running time (started_at to completed_at, Polytomic's timestamps). */
  max_duration_seconds?: number;
  /**
   * Bulk: at least `min_records` in each named schema (a schema not in the run saw 0).
   * A list, not a map keyed by schema name: a key ending in `.$` would be a JSONPath in
   * the pipeline machine's Parameters.
   */
  schemas?: SchemaExpectation[];
}

export interface SchemaExpectation {
  schema: string;
  min_records: number;
}

export interface PollSettings {
  strategy: PollStrategy;
  min_seconds: number;
  max_seconds: number;
}

/**
 * Input of the run-sync state machine (one child execution per step), built by the
 * pipeline state machine from the pipelines file. Also the input of start-sync.
 */
export interface StepInput {
  pipeline: string;
  step: string;
  /** Name of the pipeline's Step Functions execution (idempotency and log keys). */
  execution_name: string;
  sync_type: SyncType;
  sync: SyncRef;
  options: ModelStartOptions | BulkStartOptions;
  on_conflict: ConflictPolicy;
  policy: FailurePolicy;
  poll: PollSettings;
  /** Whole-step budget: after it the Polytomic execution is cancelled, the step fails. */
  timeout_seconds: number;
  /**
   * The pipeline execution's redrive count (`$$.Execution.RedriveCount`), part of the
   * Idempotency-Key so that a redriven pipeline really starts the failed step again
   * while a retried invocation within one attempt never starts a second run. Default 0.
   */
  attempt?: number;
  /**
   * True: do not run the sync. The run-sync machine ends at once with a skipped
   * StepResult (the pipeline machine sets it for a skipped step that a gate waits for);
   * the handlers never receive it. Default false.
   */
  skip?: boolean;
  /**
   * Set only for a pipeline with `organizations:` (docs/partners.md): the organization this
   * run belongs to. The per-organization pipeline machine fills it from
   * `$$.Execution.Input.organization_id`; the handlers then call that organization's
   * endpoints with `organizationCredentials(partnerKey, organization_id)`. Absent: the
   * secret's own credentials, as for any single-organization pipeline.
   */
  organization_id?: string;
  /** The organization's name, for messages (set with `organization_id`). */
  organization_name?: string;
}

/**
 * A pipeline's `organizations:` (issue 15). `list` entries are organization UUIDs or
 * organization names, as written in the pipelines file.
 */
export type OrganizationsSpec = { list: string[] } | { all: true } | { sharing_connection: string };

/** Input of resolve-organizations: the organizations a pipeline runs in. */
export interface ResolveOrganizationsInput {
  pipeline: string;
  organizations: OrganizationsSpec;
}

export interface ResolvedOrganization {
  id: string;
  /** At most ORGANIZATION_NAME_MAX_BYTES of UTF-8: a longer name is cut, ending "…". */
  name: string;
}

/**
 * The longest organization name resolve-organizations returns, in UTF-8 bytes. Polytomic
 * documents no limit (spec, `Organization.name`), and every name travels in the fan-out's
 * state (256 KB for all organizations at once), so a longer one is cut to this.
 */
export const ORGANIZATION_NAME_MAX_BYTES = 200;

/**
 * resolve-organizations' result: no duplicates; in the order listed for `list`, by name
 * otherwise.
 */
export interface ResolveOrganizationsResult {
  organizations: ResolvedOrganization[];
  count: number;
}

/** start-sync's result, at `$.start` in the run-sync state. */
export interface StartResult {
  sync_id: string;
  sync_name?: string;
  execution_id: string;
  status: string;
  /** ISO time the orchestrator started (or adopted) the run: the step's clock starts here. */
  started_at: string;
  /** ISO time after which check-status reports `timed_out`. */
  deadline: string;
  /** True when an already running execution was adopted (on_conflict: attach). */
  attached: boolean;
  /** Polytomic API calls retried while starting (after transient faults). */
  api_retries?: number;
  /**
   * With webhooks on, the token wait straight after the start (no check first) waits this
   * long for the run's end event before checking anyway: polling.ts's
   * `firstEventWaitSeconds`, within the step's deadline. 0 when the run has ended already
   * (an adopted run): the machine checks at once. Ignored without webhooks.
   */
  event_wait_seconds?: number;
}

/**
 * start-sync's answer when no run could be started yet: Polytomic answered the start
 * with a transient error (429, 5xx) or a 409 while `on_conflict` is "wait". The machine
 * waits `retry_after_seconds` and calls start-sync again with this at `$.start`.
 *
 * Why not a retried Task: Polytomic replays the first answer to an Idempotency-Key,
 * error answers included, so the next start must send another key, and which key is
 * next must survive the invocation. `key_index` is that durable state; a start that got
 * no answer at all (network, timeout) is retried by the Task with the same key.
 */
export interface StartPending {
  pending: true;
  sync_id: string;
  sync_name?: string;
  /** The Idempotency-Key the next start sends: 0 is the step's own key. */
  key_index: number;
  /** Starts answered with a transient error (429, 5xx) or a 409 with nothing running, so far. */
  errors: number;
  /** 409s waited out under `on_conflict: wait`, so far. */
  waits: number;
  /**
   * An earlier start may have created a run although it got no run back: it was
   * answered 5xx or 408, or got a 409 while an unanswered attempt with its key may still
   * have been in flight. A run created since `first_try_at` is then taken as this step's.
   */
  maybe_started?: boolean;
  /** ISO time of the step's first start: `on_conflict: wait` waits at most the step's timeout from here. */
  first_try_at: string;
  retry_after_seconds: number;
  /** Why no run was started, for the logs and the console. */
  reason: string;
  /** Polytomic API calls retried while starting (after transient faults). */
  api_retries?: number;
}

export function isStartPending(start: unknown): start is StartPending {
  return (
    typeof start === "object" && start !== null && (start as { pending?: unknown }).pending === true
  );
}

export type Outcome =
  | "succeeded"
  | "succeeded_with_warnings"
  | "completed_with_errors"
  | "failed"
  | "canceled"
  | "interrupted"
  | "timed_out"
  | "unknown";

export interface RunCounts {
  records: number;
  errors: number;
  warnings: number;
  inserts?: number;
  updates?: number;
  deletes?: number;
}

export interface SchemaResult {
  schema: string;
  status: string;
  records: number;
  errors: number;
  /**
   * A failed schema's `status_message` from Polytomic: redacted, on one line, at most
   * 200 characters (functions/core/failure-text.ts). Absent when Polytomic sent none.
   */
  message?: string;
}

/** check-status's result, at `$.check` in the run-sync state. */
export interface CheckResult {
  status: string;
  terminal: boolean;
  /** Set once terminal (or timed out). */
  outcome?: Outcome;
  /** Whether the step's failure policy fails the step. Only meaningful when terminal. */
  step_failed: boolean;
  /** The error the run-sync machine fails with when `step_failed`. */
  error_name?: OutcomeErrorName;
  /**
   * Why the step failed, on one line, ending with Polytomic's own failure text when it
   * sent any (`. Polytomic: <text>`): the run-sync machine's Fail Cause.
   */
  error_message?: string;
  counts: RunCounts;
  /** Bulk: per-schema results, at most 25 (failed ones first). */
  schemas?: SchemaResult[];
  /** Bulk: schemas left out of `schemas`. */
  schemas_omitted?: number;
  queue_seconds?: number;
  run_seconds?: number;
  /** Polytomic's `created_at` of the run (when it was queued), once the API gives it. */
  created_at?: string;
  /** Polytomic's `started_at` of the run (when it began running), once the API gives it. */
  started_at?: string;
  /** Polytomic's `completed_at` of the run. */
  completed_at?: string;
  /**
   * Seconds the Wait state waits before the next check; in the retry loop (polling.ts) the
   * interval of the check Task's retry, rounded down to POLL_BUCKETS.
   */
  next_poll_seconds: number;
  /**
   * Seconds a token wait (webhooks on, docs/webhooks.md) waits for the run's end event before
   * checking anyway: polling.ts's `eventWaitSeconds`, at least `next_poll_seconds`.
   */
  event_wait_seconds: number;
  /**
   * Checks made so far, this one included, as `$.check` carries them. In the retry loop the
   * checks retried within one entry of "Check status" are not in it (a retry's input is the
   * same): the histories count them (lib/report/build.ts adds the still-running failures).
   */
  polls: number;
  /** The step's deadline passed before the run ended: cancel, then fail Sync.TimedOut. */
  timed_out: boolean;
  /** Polytomic API calls retried by every check of this run so far (cumulative). */
  api_retries?: number;
  /**
   * No run was started yet (`$.start` is a StartPending): nothing was checked, and the
   * machine goes back to start-sync after `next_poll_seconds`.
   */
  start_pending?: true;
  /**
   * Webhooks trusted: the first check after the start read nothing (the start's answer says
   * the run exists) and only hands start-sync's `event_wait_seconds` to the token wait, so a
   * run whose end event arrives costs one status call (check.ts `firstTrustedWait`). Not a poll.
   */
  unread?: true;
}

/** The run-sync state as it flows through the machine. */
export interface RunState extends StepInput {
  start?: StartResult;
  /** publish-metrics: the StartPending at `$.start` of a step that never started a run. */
  pending_start?: StartPending;
  check?: CheckResult;
  logs?: ExportLogsResult;
  metrics?: PublishMetricsResult;
  cancel?: CancelResult;
}

export interface ExportLogsResult {
  exported: boolean;
  /** S3 keys (or local paths in the local runner) written. */
  keys: string[];
  /** Why an export failed; the step's outcome does not change. */
  error?: string;
  /** Polytomic API calls retried while exporting. */
  api_retries?: number;
}

export interface PublishMetricsResult {
  published: boolean;
  metric_count: number;
  error?: string;
}

/**
 * Step Functions statuses after which a run-sync's Polytomic run may be orphaned, because
 * the machine may not have cleaned up itself: the deployed EventBridge rule
 * (SyncCancellation) and the local runner send cancel-sync exactly these. FAILED too: an
 * execution that exceeds the 25,000-event history limit, or meets a States.Runtime
 * error, fails without running its Catch. cancel-sync cancels only the runs the
 * execution's own history says it started, so an execution that failed after cleaning
 * up (or before starting anything) costs a history read and cancels nothing.
 */
export const CANCEL_ON_STATUSES = ["ABORTED", "TIMED_OUT", "FAILED"] as const;

export interface CancelResult {
  /** Final status seen after the cancel took effect, or the last one seen. */
  status: string;
  canceled: boolean;
  /** The execution was already terminal: nothing to cancel. */
  already_terminal: boolean;
  /**
   * After a run-sync execution stopped before exporting its run's logs (the EventBridge
   * path): the log keys cancel-sync exported for it, and whether it published the metrics.
   */
  logs?: string[];
  metrics_published?: boolean;
}

/** The output of the run-sync state machine when the step ends (success or outcome failure). */
export interface StepResult {
  step: string;
  sync_type: SyncType;
  sync_id: string;
  execution_id: string;
  status: "succeeded" | "failed" | "skipped";
  outcome: Outcome | "skipped";
  counts: RunCounts;
  duration_seconds?: number;
  logs: string[];
  error?: { name: string; message: string };
}
