/**
 * The simulator's state: executions, log export jobs and signed files. Nothing runs in the
 * background: every status is computed from the clock when asked, so jumping a ManualClock
 * six hours ahead is instant and exact.
 */
import type {
  BulkExecution,
  BulkExecutionStatus,
  BulkFetchMode,
  BulkResyncMode,
  BulkSchemaExecution,
  BulkSchemaExecutionStatus,
  ConsoleLogEntry,
  Job,
  ModelExecution,
  ModelExecutionStatus,
} from "../functions/polytomic/types";
import type { Clock } from "./clock";
import { iso, uuidFrom } from "./ids";
import { OrganizationRegistry } from "./organizations";
import {
  momentAt,
  type Scenario,
  type SchemaScenario,
  type SyncOutcome,
  type SyncScenario,
} from "./scenario";
import { WebhookRegistry } from "./webhooks";

export const TERMINAL_STATUSES: ReadonlySet<string> = new Set([
  "completed",
  "failed",
  "canceled",
  "interrupted",
  "errors",
]);

/** Options a start request carried. */
export interface StartOptions {
  test: boolean;
  resync: boolean;
  identities?: string[];
  fetchMode?: BulkFetchMode;
  resyncMode?: BulkResyncMode;
  /** Bulk: the schemas this execution covers (null = all the sync's schemas). */
  requestedSchemas?: string[];
}

/** One execution as the simulator holds it. */
export interface ExecutionRecord {
  id: string;
  sync: SyncScenario;
  createdAt: number;
  queueMs: number;
  durationMs: number;
  cancelMs: number;
  outcome: SyncOutcome;
  /** Pre-dated run created from `history_seconds`. */
  history: boolean;
  cancelRequestedAt?: number;
  options: StartOptions;
  schemas: SchemaScenario[];
  records: number;
  errors: number;
  warnings: number;
}

/** An execution as tests see it, with its status computed from the clock. */
export interface SimulatorExecution {
  id: string;
  syncId: string;
  syncType: "model" | "bulk";
  status: string;
  terminal: boolean;
  createdAt: number;
  startedAt: number | null;
  completedAt: number | null;
  cancelRequestedAt: number | null;
  /** True for the pre-dated runs made from `history_seconds` (not started by a request). */
  history: boolean;
  options: StartOptions;
}

export interface Phase {
  status: string;
  terminal: boolean;
  startedAt: number | null;
  completedAt: number | null;
  /** Fraction of the work done, 0..1 (drives running counts). */
  progress: number;
  updatedAt: number;
}

export interface JobRecord {
  id: string;
  type: "exportlogs";
  syncId: string;
  executionId: string;
  createdAt: number;
  durationMs: number;
  outcome: "done" | "failed";
  /** Token of the archive file the job produces. */
  fileToken: string;
}

/** A file served under /_files/<token>/<name>. */
export type FileSpec =
  | { kind: "model-log"; execution: ExecutionRecord; logType: string; index: number }
  | { kind: "bulk-log"; execution: ExecutionRecord; schema: string }
  | { kind: "archive"; execution: ExecutionRecord };

export interface FileRecord {
  token: string;
  name: string;
  spec: FileSpec;
}

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

function outcomeStatus(outcome: SyncOutcome): string {
  return outcome === "completed_with_errors" ? "completed" : outcome;
}

/** The lifecycle of an execution at time `t`. */
export function phaseAt(e: ExecutionRecord, t: number): Phase {
  const runStart = e.createdAt + e.queueMs;
  const end = runStart + e.durationMs;
  const progressAt = (time: number) =>
    time < runStart ? 0 : e.durationMs === 0 ? 1 : Math.min(1, (time - runStart) / e.durationMs);
  if (e.cancelRequestedAt !== undefined) {
    const cancelEnd = e.cancelRequestedAt + e.cancelMs;
    const startedAt = e.cancelRequestedAt >= runStart ? runStart : null;
    const progress = progressAt(e.cancelRequestedAt);
    if (t < cancelEnd) {
      return {
        status: "canceling",
        terminal: false,
        startedAt,
        completedAt: null,
        progress,
        updatedAt: e.cancelRequestedAt,
      };
    }
    return {
      status: "canceled",
      terminal: true,
      startedAt,
      completedAt: cancelEnd,
      progress,
      updatedAt: cancelEnd,
    };
  }
  if (t < runStart) {
    const queued = e.sync.type === "model" ? "queued" : "scheduled";
    return {
      status: t <= e.createdAt ? "created" : queued,
      terminal: false,
      startedAt: null,
      completedAt: null,
      progress: 0,
      updatedAt: e.createdAt,
    };
  }
  if (t < end) {
    return {
      status: "running",
      terminal: false,
      startedAt: runStart,
      completedAt: null,
      progress: progressAt(t),
      updatedAt: runStart,
    };
  }
  return {
    status: outcomeStatus(e.outcome),
    terminal: true,
    startedAt: runStart,
    completedAt: end,
    progress: 1,
    updatedAt: end,
  };
}

/** Selects the schemas a bulk execution covers, or returns the unknown schema name. */
export function selectSchemas(
  sync: SyncScenario,
  requested: string[] | undefined,
): { schemas: SchemaScenario[] } | { unknown: string } {
  if (requested === undefined || requested.length === 0) return { schemas: sync.schemas };
  if (sync.schemas.length === 0) {
    const share = Math.floor(sync.records / requested.length);
    const failing =
      sync.outcome === "failed" || sync.outcome === "canceled" || sync.outcome === "interrupted";
    return {
      schemas: requested.map((name, i) => ({
        name,
        outcome: failing ? (sync.outcome as SchemaScenario["outcome"]) : "completed",
        records: i === 0 ? sync.records - share * (requested.length - 1) : share,
        errors: i === 0 ? sync.errors : 0,
        warnings: i === 0 ? sync.warnings : 0,
      })),
    };
  }
  const out: SchemaScenario[] = [];
  for (const name of requested) {
    const s = sync.schemas.find((x) => x.name === name);
    if (!s) return { unknown: name };
    if (!out.includes(s)) out.push(s);
  }
  return { schemas: out };
}

/** Everything the simulator remembers. */
export class SimState {
  readonly executions: ExecutionRecord[] = [];
  readonly jobs = new Map<string, JobRecord>();
  /** Files by token, each with its valid signatures (signature -> expiry, epoch ms). */
  readonly files = new Map<string, FileRecord & { signatures: Map<string, number> }>();
  private readonly fileKeys = new Map<string, string>();
  private readonly counters = new Map<string, number>();
  private readonly started = new Map<string, number>();
  /** Creation time of the simulator; history and sync timestamps are placed before it. */
  readonly epoch: number;
  /** The organization's webhook (`/api/webhooks`). */
  readonly webhooks = new WebhookRegistry();
  /** The partner's organizations, their users, keys and connections. */
  readonly organizations: OrganizationRegistry;

  constructor(
    readonly scenario: Scenario,
    readonly clock: Clock,
  ) {
    this.epoch = clock.now();
    this.organizations = new OrganizationRegistry(scenario);
    for (const sync of Object.values(scenario.syncs)) this.addHistory(sync);
  }

  private nextId(kind: string, scope: string): string {
    const key = `${kind}:${scope}`;
    const n = (this.counters.get(key) ?? 0) + 1;
    this.counters.set(key, n);
    return uuidFrom(`${key}:${n}`);
  }

  /**
   * Pre-dated scheduled runs: the `last_succeeded` ones (one per distinct time of the sync
   * and its schemas; a schema fails in the runs after its own last success), and the
   * `history_seconds` ones a day apart before them (or ending an hour before the start).
   */
  private addHistory(sync: SyncScenario): void {
    const successes = this.successTimes(sync);
    const n = sync.history_seconds.length;
    const last = successes[0] ?? this.epoch - HOUR + DAY;
    sync.history_seconds.forEach((seconds, i) => {
      this.addPastRun(sync, last - (n - i) * DAY, seconds, () => "completed");
    });
    for (const end of successes) {
      this.addPastRun(sync, end, sync.duration_seconds, (s) =>
        end <= this.schemaSuccess(sync, s) ? "completed" : "failed",
      );
    }
  }

  /** The distinct times of the sync's and its schemas' last successes, oldest first. */
  private successTimes(sync: SyncScenario): number[] {
    if (sync.last_succeeded === undefined) return [];
    const times = [sync, ...sync.schemas].map((x) => this.schemaSuccess(sync, x));
    return [...new Set(times)].sort((a, b) => a - b);
  }

  /** When `x` (the sync or one of its schemas) last succeeded. */
  private schemaSuccess(sync: SyncScenario, x: { last_succeeded?: string }): number {
    const text = x.last_succeeded ?? sync.last_succeeded ?? "";
    return momentAt(text, this.epoch) ?? this.epoch;
  }

  private addPastRun(
    sync: SyncScenario,
    end: number,
    seconds: number,
    outcome: (s: SchemaScenario) => "completed" | "failed",
  ): void {
    const durationMs = Math.round(seconds * 1000);
    const queueMs = Math.round(sync.queue_seconds * 1000);
    this.executions.push({
      id: this.nextId("execution", sync.id),
      sync,
      createdAt: end - durationMs - queueMs,
      queueMs,
      durationMs,
      cancelMs: Math.round(sync.cancel_seconds * 1000),
      outcome: "completed",
      history: true,
      options: { test: false, resync: false },
      schemas: sync.schemas.map((s) => ({ ...s, outcome: outcome(s), errors: 0 })),
      records: sync.records,
      errors: 0,
      warnings: sync.warnings,
    });
  }

  /** The organization that owns the sync. */
  organizationOf(sync: SyncScenario): string {
    return sync.organization_id ?? this.organizations.ownerId;
  }

  /** The sync's executions, oldest first. */
  executionsOf(syncId: string): ExecutionRecord[] {
    return this.executions.filter((e) => e.sync.id === syncId);
  }

  findExecution(syncId: string, executionId: string): ExecutionRecord | undefined {
    const id = executionId.toLowerCase();
    return this.executions.find((e) => e.sync.id === syncId && e.id === id);
  }

  /** The sync's newest execution that is not terminal at `t`. */
  activeExecution(syncId: string, t: number): ExecutionRecord | undefined {
    return this.executionsOf(syncId)
      .reverse()
      .find((e) => !phaseAt(e, t).terminal);
  }

  /** Starts an execution (the caller has checked for conflicts). */
  start(sync: SyncScenario, options: StartOptions, schemas: SchemaScenario[]): ExecutionRecord {
    const all = schemas.length === sync.schemas.length;
    const sum = (f: (s: SchemaScenario) => number) => schemas.reduce((n, s) => n + f(s), 0);
    const record: ExecutionRecord = {
      id: this.nextId("execution", sync.id),
      sync,
      createdAt: this.clock.now(),
      queueMs: Math.round(sync.queue_seconds * 1000),
      durationMs: Math.round(sync.duration_seconds * 1000),
      cancelMs: Math.round(sync.cancel_seconds * 1000),
      outcome: sync.outcome,
      history: false,
      options,
      schemas,
      records: all || sync.schemas.length === 0 ? sync.records : sum((s) => s.records),
      errors: all || sync.schemas.length === 0 ? sync.errors : sum((s) => s.errors),
      warnings: all || sync.schemas.length === 0 ? sync.warnings : sum((s) => s.warnings),
    };
    this.executions.push(record);
    this.started.set(sync.id, (this.started.get(sync.id) ?? 0) + 1);
    return record;
  }

  startCount(syncId: string): number {
    return this.started.get(syncId.toLowerCase()) ?? 0;
  }

  /** Records a cancel request on a non-terminal execution. */
  cancel(e: ExecutionRecord): void {
    e.cancelRequestedAt = this.clock.now();
  }

  createJob(e: ExecutionRecord): JobRecord {
    const id = this.nextId("job", "exportlogs");
    const file = this.addFile({ kind: "archive", execution: e }, `logs-${e.id}.jsonl.gz`);
    const job: JobRecord = {
      id,
      type: "exportlogs",
      syncId: e.sync.id,
      executionId: e.id,
      createdAt: this.clock.now(),
      durationMs: Math.round(e.sync.export_seconds * 1000),
      outcome: e.sync.export_outcome,
      fileToken: file.token,
    };
    this.jobs.set(id, job);
    return job;
  }

  jobStatus(job: JobRecord, t: number): Job["status"] {
    if (t >= job.createdAt + job.durationMs) return job.outcome;
    return t <= job.createdAt ? "created" : "running";
  }

  /**
   * Registers a downloadable file (once per `key`: asking again returns the same file);
   * `signedUrl` makes a URL for it.
   */
  addFile(spec: FileSpec, name: string, key?: string): FileRecord {
    const existing = key === undefined ? undefined : this.fileKeys.get(key);
    const known = existing === undefined ? undefined : this.files.get(existing);
    if (known) return known;
    const token = this.nextId("file", "all").replaceAll("-", "");
    const record = { token, name, spec, signatures: new Map<string, number>() };
    this.files.set(token, record);
    if (key !== undefined) this.fileKeys.set(key, token);
    return record;
  }

  /** A fresh signed URL for a file, valid for `ttlSeconds` of clock time. */
  signedUrl(baseUrl: string, token: string, ttlSeconds: number, signature: string): string {
    const file = this.files.get(token);
    if (!file) throw new Error(`no file ${token}`);
    file.signatures.set(signature, this.clock.now() + ttlSeconds * 1000);
    const q = new URLSearchParams({
      "X-Amz-Algorithm": "AWS4-HMAC-SHA256",
      "X-Amz-Date": iso(this.clock.now()).replace(/[-:]|\.\d{3}/g, ""),
      "X-Amz-Expires": String(ttlSeconds),
      "X-Amz-Signature": signature,
    });
    return `${baseUrl}/_files/${token}/${encodeURIComponent(file.name)}?${q.toString()}`;
  }

  /** The tests' view of every execution. */
  view(t: number): SimulatorExecution[] {
    return this.executions.map((e) => {
      const p = phaseAt(e, t);
      return {
        id: e.id,
        syncId: e.sync.id,
        syncType: e.sync.type,
        status: p.status,
        terminal: p.terminal,
        createdAt: e.createdAt,
        startedAt: p.startedAt,
        completedAt: p.completedAt,
        cancelRequestedAt: e.cancelRequestedAt ?? null,
        history: e.history,
        options: e.options,
      };
    });
  }
}

function scaled(n: number, progress: number): number {
  return progress >= 1 ? n : Math.floor(n * progress);
}

function executionType(e: ExecutionRecord): string {
  if (e.history) return "scheduled";
  if (e.options.test) return "test";
  if (e.options.resync || e.options.resyncMode) return "resync";
  if (e.options.identities && e.options.identities.length > 0) return "partial";
  return "manual";
}

/** The model execution (GetExecutionResponseSchema) at time `t`. */
export function modelExecutionView(e: ExecutionRecord, t: number): ModelExecution {
  const p = phaseAt(e, t);
  const records = scaled(e.records, p.progress);
  const insert = Math.floor(records * 0.6);
  const update = Math.floor(records * 0.3);
  const errors: string[] = [];
  if (p.status === "failed")
    errors.push("Simulated failure: the destination rejected the batch (HTTP 500)");
  if (p.status === "interrupted") errors.push("Simulated interruption: the worker was restarted");
  return {
    id: e.id,
    type: executionType(e),
    status: p.status as ModelExecutionStatus,
    created_at: iso(e.createdAt),
    started_at: p.startedAt === null ? null : iso(p.startedAt),
    completed_at: p.completedAt === null ? null : iso(p.completedAt),
    counts: {
      total: records,
      insert,
      update,
      delete: records - insert - update,
      upserts: insert + update,
      error: scaled(e.errors, p.progress),
      warnings: scaled(e.warnings, p.progress),
    },
    errors,
  };
}

function schemaStatus(s: SchemaScenario, p: Phase): BulkSchemaExecutionStatus {
  if (p.status === "created" || p.status === "scheduled") return "scheduled";
  if (p.status === "canceled")
    return s.outcome === "completed" && p.progress >= 1 ? "completed" : "canceled";
  if (!p.terminal) return "running";
  return s.outcome;
}

/** The bulk execution (BulkSyncExecution) at time `t`, with per-schema results. */
export function bulkExecutionView(e: ExecutionRecord, t: number): BulkExecution {
  const p = phaseAt(e, t);
  const schemas: BulkSchemaExecution[] = e.schemas.map((s) => {
    const status = schemaStatus(s, p);
    const updatedAt = p.updatedAt;
    return {
      schema: s.name,
      output_name: s.name.toLowerCase(),
      status,
      record_count: scaled(s.records, p.progress),
      error_count: scaled(s.errors, p.progress),
      warning_count: scaled(s.warnings, p.progress),
      created_at: iso(e.createdAt),
      updated_at: iso(updatedAt),
      started_at: p.startedAt === null ? null : iso(p.startedAt),
      completed_at: p.completedAt === null ? null : iso(p.completedAt),
      status_message: status === "failed" ? `Simulated failure in ${s.name}` : "",
    };
  });
  const failedSchemas = schemas.filter((s) => s.status === "failed").length;
  let message = "";
  if (p.status === "failed") message = "Simulated failure: the source connection was refused";
  else if (p.status === "errors")
    message = `Completed with errors in ${Math.max(failedSchemas, 1)} schema(s)`;
  else if (p.status === "interrupted") message = "Simulated interruption: the worker was restarted";
  else if (p.status === "canceled") message = "Canceled";
  else if (p.status === "completed" && (e.errors > 0 || failedSchemas > 0)) {
    message = `Completed with ${e.errors} record error(s) and ${failedSchemas} failed schema(s)`;
  }
  const resyncMode = e.options.resyncMode;
  return {
    id: e.id,
    type: executionType(e),
    status: p.status as BulkExecutionStatus,
    status_message: message,
    created_at: iso(e.createdAt),
    updated_at: iso(p.updatedAt),
    started_at: p.startedAt === null ? null : iso(p.startedAt),
    completed_at: p.completedAt === null ? null : iso(p.completedAt),
    record_count: scaled(e.records, p.progress),
    error_count: scaled(e.errors, p.progress),
    warning_count: scaled(e.warnings, p.progress),
    is_test: e.options.test,
    is_resync: resyncMode !== undefined,
    is_partial: (e.options.requestedSchemas?.length ?? 0) > 0,
    fetch_mode: e.options.fetchMode ?? "none",
    output_disposition:
      resyncMode === "rebuild" ? "rebuild" : resyncMode === "resync" ? "truncate" : "retain",
    schemas,
  };
}

/** Console log entries produced so far (at time `t`), oldest first. */
export function consoleEntries(e: ExecutionRecord, t: number): ConsoleLogEntry[] {
  const p = phaseAt(e, t);
  const out: ConsoleLogEntry[] = [];
  const add = (at: number, level: string, message: string) => {
    out.push({ id: String(out.length + 1), level, message, timestamp: iso(at) });
  };
  add(e.createdAt, "info", `Execution ${e.id} created`);
  if (e.queueMs > 0 && t > e.createdAt) add(e.createdAt + 1, "info", "Waiting for a worker");
  if (p.startedAt !== null) {
    add(p.startedAt, "info", `Sync "${e.sync.name}" started`);
    const steps = 10;
    const reached = p.terminal
      ? p.progress
      : Math.min(p.progress, (t - p.startedAt) / Math.max(e.durationMs, 1));
    for (let i = 1; i < steps; i++) {
      if (reached < i / steps) break;
      add(
        p.startedAt + Math.floor((e.durationMs * i) / steps),
        "info",
        `Processed ${Math.floor((e.records * i) / steps)} of ${e.records} records`,
      );
    }
    for (const s of e.schemas) {
      if (p.terminal && s.outcome === "failed" && p.status !== "canceled") {
        add(p.completedAt ?? t, "error", `Schema ${s.name} failed: simulated failure`);
      }
    }
  }
  if (e.cancelRequestedAt !== undefined)
    add(e.cancelRequestedAt, "warning", "Cancellation requested");
  if (p.terminal && p.completedAt !== null) {
    const level = p.status === "completed" ? (e.errors > 0 ? "warning" : "info") : "error";
    add(
      p.completedAt,
      level,
      `Execution ${p.status}: ${e.records} records, ${e.errors} errors, ${e.warnings} warnings`,
    );
  }
  out.sort((a, b) => (a.timestamp ?? "").localeCompare(b.timestamp ?? ""));
  return out.map((entry, i) => ({ ...entry, id: String(i + 1) }));
}

/** For tests: the default organization's fixed id. */
export { ORGANIZATION_ID } from "./ids";
