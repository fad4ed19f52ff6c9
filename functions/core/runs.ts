/**
 * One view of model and bulk executions, so start/check/cancel logic is written once.
 */
import type { CallOptions, MutatingCallOptions } from "../polytomic/api";
import { PolytomicMalformedResponseError } from "../polytomic/errors";
import type { BulkExecution, BulkSchemaExecution, ModelExecution } from "../polytomic/types";
import type { BulkStartOptions, ModelStartOptions, RunCounts, SyncType } from "./contract";
import type { PolytomicApi } from "./ports";
import { isTerminalStatus } from "./status";

export interface RunView {
  id: string;
  status: string;
  created_at?: string;
  started_at?: string;
  completed_at?: string;
  counts: RunCounts;
  /**
   * Polytomic's own failure text, as the API sent it (not redacted): a model
   * execution's `errors[]`, a bulk execution's `status_message` (empty ones dropped).
   */
  messages: string[];
  /** Bulk only. */
  schemas?: BulkSchemaExecution[];
}

function requireField<T>(value: T | undefined | null, what: string): T {
  if (value === undefined || value === null || value === "") {
    throw new PolytomicMalformedResponseError(`response has no ${what}`);
  }
  return value;
}

function opt(v: string | null | undefined): string | undefined {
  return v === null || v === undefined || v === "" ? undefined : v;
}

export function modelRun(e: ModelExecution): RunView {
  const c = e.counts ?? {};
  const counts: RunCounts = {
    records: c.total ?? 0,
    errors: c.error ?? 0,
    warnings: c.warnings ?? 0,
    inserts: c.insert ?? 0,
    updates: c.update ?? 0,
    deletes: c.delete ?? 0,
  };
  return {
    id: requireField(e.id, "execution id"),
    status: requireField(e.status, "execution status"),
    ...dates(e),
    counts,
    messages: textsOf(Array.isArray(e.errors) ? e.errors : []),
  };
}

export function bulkRun(e: BulkExecution): RunView {
  return {
    id: requireField(e.id, "execution id"),
    status: requireField(e.status, "execution status"),
    ...dates(e),
    counts: {
      records: e.record_count ?? 0,
      errors: e.error_count ?? 0,
      warnings: e.warning_count ?? 0,
    },
    messages: textsOf([e.status_message]),
    schemas: e.schemas ?? [],
  };
}

/** The non-empty strings: an answer off the spec (null, a number) carries no text. */
function textsOf(values: readonly unknown[]): string[] {
  return values.filter((v): v is string => typeof v === "string" && v !== "");
}

function dates(e: {
  created_at?: string;
  started_at?: string | null;
  completed_at?: string | null;
}): Pick<RunView, "created_at" | "started_at" | "completed_at"> {
  const out: Pick<RunView, "created_at" | "started_at" | "completed_at"> = {};
  const c = opt(e.created_at);
  const s = opt(e.started_at);
  const d = opt(e.completed_at);
  if (c) out.created_at = c;
  if (s) out.started_at = s;
  if (d) out.completed_at = d;
  return out;
}

export async function getRun(
  api: PolytomicApi,
  type: SyncType,
  syncId: string,
  executionId: string,
  options: CallOptions,
): Promise<RunView> {
  return type === "model"
    ? modelRun(await api.getModelExecution(syncId, executionId, options))
    : bulkRun(await api.getBulkExecution(syncId, executionId, options));
}

/** The sync's current execution (if any) and last one, from the status endpoint. */
export async function getSyncStatus(
  api: PolytomicApi,
  type: SyncType,
  syncId: string,
  options: CallOptions,
): Promise<{ current?: RunView; last?: RunView }> {
  const s =
    type === "model"
      ? await api.getModelSyncStatus(syncId, options)
      : await api.getBulkSyncStatus(syncId, options);
  const view = (e: ModelExecution | BulkExecution | undefined) =>
    e === undefined || e.id === undefined
      ? undefined
      : type === "model"
        ? modelRun(e as ModelExecution)
        : bulkRun(e as BulkExecution);
  const out: { current?: RunView; last?: RunView } = {};
  const current = view(s.current_execution);
  const last = view(s.last_execution);
  if (current) out.current = current;
  if (last) out.last = last;
  return out;
}

/** What a start answers: the new execution. */
export interface StartedRun {
  id: string;
  status: string;
  created_at?: string;
}

export async function startRun(
  api: PolytomicApi,
  type: SyncType,
  syncId: string,
  options: ModelStartOptions | BulkStartOptions,
  call: MutatingCallOptions,
): Promise<StartedRun> {
  if (type === "model") {
    const o = options as ModelStartOptions;
    const r = await api.startModelSync(
      syncId,
      {
        resync: o.resync ?? false,
        test: o.test ?? false,
        ...(o.identities ? { identities: o.identities } : {}),
      },
      call,
    );
    const out = { id: requireField(r.id, "execution id"), status: r.status ?? "created" };
    return r.created_at ? { ...out, created_at: r.created_at } : out;
  }
  const o = options as BulkStartOptions;
  const body: Record<string, unknown> = {};
  if (o.schemas) body.schemas = o.schemas;
  if (o.fetch_mode) body.fetch_mode = o.fetch_mode;
  if (o.resync_mode) body.resync_mode = o.resync_mode;
  if (o.test !== undefined) body.test = o.test;
  const r = await api.startBulkSync(syncId, body, call);
  const out = { id: requireField(r.id, "execution id"), status: r.status ?? "created" };
  return r.created_at ? { ...out, created_at: r.created_at } : out;
}

export async function cancelRun(
  api: PolytomicApi,
  type: SyncType,
  syncId: string,
  executionId: string,
  call: MutatingCallOptions,
): Promise<void> {
  if (type === "model") await api.cancelModelExecution(syncId, executionId, call);
  else await api.cancelBulkExecution(syncId, executionId, call);
}

/**
 * Up to `limit` recent ended runs, newest first (one list call). What ended is decided here,
 * from each run's status: the model list's `only_completed` is undocumented (any terminal
 * run, or `completed` only?), so it is not sent; a run that failed or was canceled must not
 * be missed (start-sync adopts it rather than start a second one). The bulk list's
 * `only_terminal` is documented ("only return executions that have finished").
 */
export async function recentRuns(
  api: PolytomicApi,
  type: SyncType,
  syncId: string,
  limit: number,
  options: CallOptions,
): Promise<RunView[]> {
  const page =
    type === "model"
      ? (await api.listModelExecutions(syncId, { ascending: false }, options)).data.map((e) =>
          safe(() => modelRun(e)),
        )
      : (
          await api.listBulkExecutions(
            syncId,
            { onlyTerminal: true, ascending: false, limit },
            options,
          )
        ).data.map((e) => safe(() => bulkRun(e)));
  return page
    .filter((r): r is RunView => r !== undefined && isTerminalStatus(type, r.status))
    .slice(0, limit);
}

function safe<T>(f: () => T): T | undefined {
  try {
    return f();
  } catch {
    return undefined;
  }
}

/** Seconds between two ISO times, when both are present and ordered. */
export function secondsBetween(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  const a = Date.parse(from);
  const b = Date.parse(to);
  if (Number.isNaN(a) || Number.isNaN(b) || b < a) return undefined;
  return Math.round((b - a) / 1000);
}
