/**
 * The endpoints the simulator implements, one handler each. Handlers are synchronous and
 * compute everything from the clock; the server (server.ts) does auth, faults, idempotency and
 * spec checks before calling them.
 */
import type {
  ApiErrorBody,
  BulkExecution,
  BulkFetchMode,
  BulkResyncMode,
  BulkSync,
  BulkSyncStatus,
  Job,
  ModelSync,
  ModelSyncListItem,
  ModelSyncStatus,
} from "../functions/polytomic/types";
import type { EndpointName } from "./faults";
import { modelLogLineCount } from "./files";
import { iso, uuidFrom } from "./ids";
import type { Caller } from "./organizations";
import { type Assumptions, DEFAULT_ASSUMPTIONS, type SyncScenario } from "./scenario";
import {
  bulkExecutionView,
  consoleEntries,
  type ExecutionRecord,
  modelExecutionView,
  phaseAt,
  type SimState,
  selectSchemas,
} from "./state";

/** What a handler gets. `query` holds spec-coerced values (booleans, integers). */
export interface RouteContext {
  state: SimState;
  now: number;
  baseUrl: string;
  params: Record<string, string>;
  query: Record<string, unknown>;
  body: unknown;
  /** A fresh random URL signature. */
  sign: () => string;
  /** Who the request acts as (organizations.ts); organization routes get an organization. */
  caller: Caller;
}

export interface RouteResult {
  status: number;
  body: unknown;
  headers?: Record<string, string>;
}

export interface Route {
  method: "GET" | "POST" | "PUT" | "DELETE";
  /** The spec's path template. */
  template: string;
  endpoint: EndpointName;
  /** The path parameter holding the sync id (for `sync` fault filters). */
  syncParam?: string;
  /**
   * Who may call it: an organization (a user key, or HTTP Basic), or the partner (its Bearer
   * partner key); the other answers 403. @default "organization"
   */
  scope?: "organization" | "partner";
  handle(ctx: RouteContext): RouteResult;
}

/** Signed URLs stay valid this long (clock time). */
export const SIGNED_URL_TTL_SECONDS = 900;
const MODEL_EXECUTIONS_PAGE = 50;
const BULK_EXECUTIONS_DEFAULT_LIMIT = 50;
const BULK_EXECUTIONS_MAX_LIMIT = 100;
const SYNCS_MAX_LIMIT = 50;
const CONSOLE_MAX = 50;

/** An ApiError response. */
export function apiError(status: number, key: string, message: string): RouteResult {
  const body: ApiErrorBody = { key, message, status };
  return { status, body };
}

/** A 200 with `body`. */
export const ok = (body: unknown): RouteResult => ({ status: 200, body });

/** The organization an organization route acts on (the server refuses partner callers). */
export function callerOrganization(ctx: RouteContext): string {
  return ctx.caller.partner ? "" : ctx.caller.organizationId;
}

/** Whether the caller's organization owns the sync: another organization's is a 404. */
const ownSync = (ctx: RouteContext, sync: SyncScenario) =>
  ctx.state.organizationOf(sync) === callerOrganization(ctx);

function findSync(
  ctx: RouteContext,
  param: string,
  type: "model" | "bulk",
): SyncScenario | RouteResult {
  const id = (ctx.params[param] ?? "").toLowerCase();
  const sync = ctx.state.scenario.syncs[id];
  if (!sync || sync.type !== type || !ownSync(ctx, sync)) {
    return apiError(404, "not_found", `${type === "bulk" ? "bulk sync" : "sync"} ${id} not found`);
  }
  return sync;
}

function findExecution(
  ctx: RouteContext,
  syncParam: string,
  execParam: string,
  type: "model" | "bulk",
): ExecutionRecord | RouteResult {
  const sync = findSync(ctx, syncParam, type);
  if ("status" in sync) return sync;
  const e = ctx.state.findExecution(sync.id, ctx.params[execParam] ?? "");
  if (!e)
    return apiError(
      404,
      "not_found",
      `execution ${ctx.params[execParam]} not found for sync ${sync.id}`,
    );
  return e;
}

const isResult = (x: object): x is RouteResult => "status" in x && "body" in x;

function encodeToken(offset: number): string {
  return Buffer.from(`offset:${offset}`).toString("base64url");
}

function decodeToken(token: unknown): number | undefined {
  if (token === undefined || token === "") return 0;
  const m = /^offset:(\d+)$/.exec(Buffer.from(String(token), "base64url").toString());
  return m ? Number(m[1]) : undefined;
}

function page<T>(
  items: T[],
  token: unknown,
  size: number,
): { data: T[]; pagination: { next_page_token?: string } } | RouteResult {
  const offset = decodeToken(token);
  if (offset === undefined)
    return apiError(400, "bad_request", "query parameter page_token: invalid page token");
  const data = items.slice(offset, offset + size);
  const next = offset + size < items.length ? encodeToken(offset + size) : undefined;
  return { data, pagination: next === undefined ? {} : { next_page_token: next } };
}

function conflict(sync: SyncScenario, active: ExecutionRecord, now: number): RouteResult {
  return apiError(
    409,
    "conflict",
    `sync ${sync.id} already has an execution in progress (${active.id}, ${phaseAt(active, now).status})`,
  );
}

function sortedExecutions(
  ctx: RouteContext,
  sync: SyncScenario,
  terminalOnly: boolean,
  ascending: boolean,
): ExecutionRecord[] {
  let list = ctx.state.executionsOf(sync.id);
  if (!sync.active && assumptionsOf(ctx).paused_executions === "dropped") list = [];
  if (terminalOnly) {
    list = list
      .filter((e) => phaseAt(e, ctx.now).terminal)
      .sort((a, b) => phaseAt(a, ctx.now).updatedAt - phaseAt(b, ctx.now).updatedAt);
  } else {
    list = list.sort((a, b) => a.createdAt - b.createdAt);
  }
  return ascending ? list : list.reverse();
}

/** A bulk execution as the list shows it: with or without `schemas` (assumption switch). */
function listedBulkExecution(ctx: RouteContext, e: ExecutionRecord): BulkExecution {
  const { schemas, ...rest } = bulkExecutionView(e, ctx.now);
  return assumptionsOf(ctx).list_schemas === "included" ? { ...rest, schemas } : rest;
}

/** `only_completed=true` keeps any terminal run, or `completed` only (assumption switch). */
function keptByOnlyCompleted(ctx: RouteContext, status: string | undefined): boolean {
  return assumptionsOf(ctx).only_completed === "terminal" || status === "completed";
}

function assumptionsOf(ctx: RouteContext): Assumptions {
  return ctx.state.scenario.assumptions ?? DEFAULT_ASSUMPTIONS;
}

function cancelExecution(ctx: RouteContext, e: ExecutionRecord): RouteResult {
  const p = phaseAt(e, ctx.now);
  if (p.terminal) {
    return apiError(
      400,
      "invalid_state",
      `execution ${e.id} is already ${p.status} and cannot be canceled`,
    );
  }
  if (p.status === "canceling") return ok({ data: { message: "Cancellation already requested" } });
  ctx.state.cancel(e);
  return ok({ data: { message: "Cancellation requested" } });
}

// --- syncs (list/get) --------------------------------------------------------------------------

function syncTimes(ctx: RouteContext, sync: SyncScenario): { created: string; updated: string } {
  const index = Object.keys(ctx.state.scenario.syncs).indexOf(sync.id);
  const day = 86_400_000;
  return {
    created: iso(ctx.state.epoch - 90 * day),
    updated: iso(ctx.state.epoch - 7 * day - index * 3_600_000),
  };
}

function modelListItem(ctx: RouteContext, sync: SyncScenario): ModelSyncListItem {
  const t = syncTimes(ctx, sync);
  return {
    id: sync.id,
    name: sync.name,
    active: sync.active,
    mode: "updateOrCreate",
    organization_id: ctx.state.organizationOf(sync),
    created_at: t.created,
    updated_at: t.updated,
    model_ids: [uuidFrom(`model:${sync.id}`)],
    target_connection_id: uuidFrom(`target-connection:${sync.id}`),
    target_object: "Contact",
    schedule: { frequency: "manual" },
  };
}

function modelSync(ctx: RouteContext, sync: SyncScenario): ModelSync {
  const t = syncTimes(ctx, sync);
  return {
    id: sync.id,
    name: sync.name,
    active: sync.active,
    mode: "updateOrCreate",
    organization_id: ctx.state.organizationOf(sync),
    created_at: t.created,
    updated_at: t.updated,
    model_ids: [uuidFrom(`model:${sync.id}`)],
    target: { connection_id: uuidFrom(`target-connection:${sync.id}`), object: "Contact" },
    schedule: { frequency: "manual" },
    fields: [],
    filters: [],
    overrides: [],
  };
}

function bulkSync(ctx: RouteContext, sync: SyncScenario): BulkSync {
  const t = syncTimes(ctx, sync);
  return {
    id: sync.id,
    name: sync.name,
    active: sync.active,
    mode: "replicate",
    organization_id: ctx.state.organizationOf(sync),
    created_at: t.created,
    updated_at: t.updated,
    source_connection_id: uuidFrom(`source-connection:${sync.id}`),
    destination_connection_id: uuidFrom(`destination-connection:${sync.id}`),
    default_schedule: { frequency: "manual" },
    disable_record_timestamps: false,
  };
}

function byUpdatedDescending(
  a: { id?: string; updated_at?: string },
  b: { id?: string; updated_at?: string },
): number {
  return (
    (b.updated_at ?? "").localeCompare(a.updated_at ?? "") || (a.id ?? "").localeCompare(b.id ?? "")
  );
}

/** The `limit` query parameter, capped at `max` (`max` when absent or not positive). */
function pageLimit(ctx: RouteContext, max: number, fallback = max): number {
  const requested = ctx.query.limit as number | undefined;
  return requested === undefined || requested <= 0 ? fallback : Math.min(requested, max);
}

function syncsOf(ctx: RouteContext, type: "model" | "bulk"): SyncScenario[] {
  const active = ctx.query.active as boolean | undefined;
  return Object.values(ctx.state.scenario.syncs).filter(
    (s) => s.type === type && ownSync(ctx, s) && (active === undefined || s.active === active),
  );
}

// --- routes ------------------------------------------------------------------------------------

/** Every implemented (method, template). Literal segments win over parameters when matching. */
export const ROUTES: Route[] = [
  // model syncs
  {
    method: "POST",
    template: "/api/syncs/{id}/executions",
    endpoint: "start",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "model");
      if (isResult(sync)) return sync;
      const active = ctx.state.activeExecution(sync.id, ctx.now);
      if (active) return conflict(sync, active, ctx.now);
      const body = (ctx.body ?? {}) as {
        identities?: string[] | null;
        resync?: boolean;
        test?: boolean;
      };
      const e = ctx.state.start(
        sync,
        {
          test: body.test ?? false,
          resync: body.resync ?? false,
          ...(body.identities ? { identities: body.identities } : {}),
        },
        [],
      );
      const view = modelExecutionView(e, ctx.now);
      return ok({ data: { id: view.id, status: view.status, created_at: view.created_at } });
    },
  },
  {
    method: "GET",
    template: "/api/syncs/{sync_id}/executions/{id}",
    endpoint: "execution",
    syncParam: "sync_id",
    handle(ctx) {
      const e = findExecution(ctx, "sync_id", "id", "model");
      if (isResult(e)) return e;
      return ok({ data: modelExecutionView(e, ctx.now) });
    },
  },
  {
    method: "GET",
    template: "/api/syncs/{id}/status",
    endpoint: "status",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "model");
      if (isResult(sync)) return sync;
      const data: ModelSyncStatus = { next_execution_time: null };
      const current = ctx.state.activeExecution(sync.id, ctx.now);
      if (current) data.current_execution = modelExecutionView(current, ctx.now);
      const last = sortedExecutions(ctx, sync, true, false)[0];
      if (last) data.last_execution = modelExecutionView(last, ctx.now);
      return ok({ data });
    },
  },
  {
    method: "GET",
    template: "/api/syncs/{sync_id}/executions",
    endpoint: "executions",
    syncParam: "sync_id",
    handle(ctx) {
      const sync = findSync(ctx, "sync_id", "model");
      if (isResult(sync)) return sync;
      const onlyCompleted = ctx.query.only_completed === true;
      const list = sortedExecutions(ctx, sync, onlyCompleted, ctx.query.ascending === true)
        .map((e) => modelExecutionView(e, ctx.now))
        .filter((e) => !onlyCompleted || keptByOnlyCompleted(ctx, e.status));
      const result = page(list, ctx.query.page_token, MODEL_EXECUTIONS_PAGE);
      return isResult(result) ? result : ok(result);
    },
  },
  {
    method: "POST",
    template: "/api/syncs/{sync_id}/executions/{id}/cancel",
    endpoint: "cancel",
    syncParam: "sync_id",
    handle(ctx) {
      const e = findExecution(ctx, "sync_id", "id", "model");
      if (isResult(e)) return e;
      return cancelExecution(ctx, e);
    },
  },
  {
    method: "GET",
    template: "/api/syncs/{sync_id}/executions/{id}/consolelog",
    endpoint: "logs",
    syncParam: "sync_id",
    handle: (ctx) => consoleLog(ctx, "model", "id"),
  },
  {
    method: "GET",
    template: "/api/syncs/{sync_id}/executions/{id}/{type}",
    endpoint: "logs",
    syncParam: "sync_id",
    handle(ctx) {
      const e = findExecution(ctx, "sync_id", "id", "model");
      if (isResult(e)) return e;
      const type = ctx.params.type ?? "records";
      const urls: string[] = [];
      if (modelLogLineCount(e, type) > 0) {
        const file = ctx.state.addFile(
          { kind: "model-log", execution: e, logType: type, index: 1 },
          `${type}-0001.jsonl`,
          `model-log:${e.id}:${type}`,
        );
        urls.push(ctx.state.signedUrl(ctx.baseUrl, file.token, SIGNED_URL_TTL_SECONDS, ctx.sign()));
      }
      return ok({ data: { urls, expires: iso(ctx.now + SIGNED_URL_TTL_SECONDS * 1000) } });
    },
  },
  {
    method: "GET",
    template: "/api/syncs",
    endpoint: "syncs",
    handle(ctx) {
      const items = syncsOf(ctx, "model")
        .map((s) => modelListItem(ctx, s))
        .sort(byUpdatedDescending);
      const mode = ctx.query.mode as string | undefined;
      const target = (ctx.query.target_connection_id as string | undefined)?.toLowerCase();
      const filtered = items.filter(
        (s) =>
          (mode === undefined || s.mode === mode) &&
          (target === undefined || s.target_connection_id === target),
      );
      const result = page(filtered, ctx.query.page_token, pageLimit(ctx, SYNCS_MAX_LIMIT));
      return isResult(result) ? result : ok(result);
    },
  },
  {
    method: "GET",
    template: "/api/syncs/{id}",
    endpoint: "syncs",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "model");
      if (isResult(sync)) return sync;
      return ok({ data: modelSync(ctx, sync) });
    },
  },

  // bulk syncs
  {
    method: "POST",
    template: "/api/bulk/syncs/{id}/executions",
    endpoint: "start",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "bulk");
      if (isResult(sync)) return sync;
      const body = (ctx.body ?? {}) as {
        schemas?: string[] | null;
        fetch_mode?: BulkFetchMode;
        resync_mode?: BulkResyncMode;
        test?: boolean;
      };
      if (body.test === true && body.resync_mode !== undefined) {
        return apiError(
          400,
          "bad_request",
          "body.test: test and resync_mode are mutually exclusive",
        );
      }
      const selected = selectSchemas(sync, body.schemas ?? undefined);
      if ("unknown" in selected) {
        return apiError(
          400,
          "bad_request",
          `body.schemas: unknown schema "${selected.unknown}" for bulk sync ${sync.id}`,
        );
      }
      const active = ctx.state.activeExecution(sync.id, ctx.now);
      if (active) return conflict(sync, active, ctx.now);
      const e = ctx.state.start(
        sync,
        {
          test: body.test ?? false,
          resync: body.resync_mode !== undefined,
          ...(body.fetch_mode ? { fetchMode: body.fetch_mode } : {}),
          ...(body.resync_mode ? { resyncMode: body.resync_mode } : {}),
          ...(body.schemas && body.schemas.length > 0 ? { requestedSchemas: body.schemas } : {}),
        },
        selected.schemas,
      );
      return ok({ data: bulkExecutionView(e, ctx.now) });
    },
  },
  {
    method: "GET",
    template: "/api/bulk/syncs/{id}/executions/{exec_id}",
    endpoint: "execution",
    syncParam: "id",
    handle(ctx) {
      const e = findExecution(ctx, "id", "exec_id", "bulk");
      if (isResult(e)) return e;
      return ok({ data: bulkExecutionView(e, ctx.now) });
    },
  },
  {
    method: "GET",
    template: "/api/bulk/syncs/{id}/status",
    endpoint: "status",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "bulk");
      if (isResult(sync)) return sync;
      const data: BulkSyncStatus = { next_execution_time: null };
      const current = ctx.state.activeExecution(sync.id, ctx.now);
      if (current) data.current_execution = bulkExecutionView(current, ctx.now);
      const last = sortedExecutions(ctx, sync, true, false)[0];
      if (last) data.last_execution = bulkExecutionView(last, ctx.now);
      return ok({ data });
    },
  },
  {
    method: "GET",
    template: "/api/bulk/syncs/{id}/executions",
    endpoint: "executions",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "bulk");
      if (isResult(sync)) return sync;
      const limit = pageLimit(ctx, BULK_EXECUTIONS_MAX_LIMIT, BULK_EXECUTIONS_DEFAULT_LIMIT);
      const list = sortedExecutions(
        ctx,
        sync,
        ctx.query.only_terminal === true,
        ctx.query.ascending === true,
      ).map((e) => listedBulkExecution(ctx, e));
      const result = page(list, ctx.query.page_token, limit);
      return isResult(result) ? result : ok(result);
    },
  },
  {
    method: "POST",
    template: "/api/bulk/syncs/{id}/executions/{exec_id}/cancel",
    endpoint: "cancel",
    syncParam: "id",
    handle(ctx) {
      const e = findExecution(ctx, "id", "exec_id", "bulk");
      if (isResult(e)) return e;
      return cancelExecution(ctx, e);
    },
  },
  {
    method: "POST",
    template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs/export",
    endpoint: "export",
    syncParam: "sync_id",
    handle(ctx) {
      const e = findExecution(ctx, "sync_id", "execution_id", "bulk");
      if (isResult(e)) return e;
      const job = ctx.state.createJob(e);
      const view = jobView(ctx, job.id);
      const body: { job: Job; data?: { url: string } } = { job: view };
      const result = view.result as { url?: string } | undefined;
      if (view.status === "done" && typeof result?.url === "string") {
        body.data = { url: result.url };
      }
      return ok(body);
    },
  },
  {
    method: "GET",
    template: "/api/jobs/{type}/{id}",
    endpoint: "job",
    handle(ctx) {
      if (ctx.params.type !== "exportlogs") {
        return apiError(
          400,
          "bad_request",
          `path parameter type: unsupported job type "${ctx.params.type}"`,
        );
      }
      const id = (ctx.params.id ?? "").toLowerCase();
      const job = ctx.state.jobs.get(id);
      const sync = job ? ctx.state.scenario.syncs[job.syncId] : undefined;
      if (!sync || !ownSync(ctx, sync)) return apiError(404, "not_found", `job ${id} not found`);
      return ok({ data: jobView(ctx, id) });
    },
  },
  {
    method: "GET",
    template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs",
    endpoint: "logs",
    syncParam: "sync_id",
    handle(ctx) {
      const e = findExecution(ctx, "sync_id", "execution_id", "bulk");
      if (isResult(e)) return e;
      const names = ["execution", ...e.schemas.map((s) => s.name)];
      const urls = names.map((name) => {
        const file = ctx.state.addFile(
          { kind: "bulk-log", execution: e, schema: name },
          `${name}.jsonl`,
          `bulk-log:${e.id}:${name}`,
        );
        return ctx.state.signedUrl(ctx.baseUrl, file.token, SIGNED_URL_TTL_SECONDS, ctx.sign());
      });
      return ok({ data: { URLs: urls, Expires: iso(ctx.now + SIGNED_URL_TTL_SECONDS * 1000) } });
    },
  },
  {
    method: "GET",
    template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/consolelog",
    endpoint: "logs",
    syncParam: "sync_id",
    handle: (ctx) => consoleLog(ctx, "bulk", "execution_id"),
  },
  {
    method: "GET",
    template: "/api/bulk/syncs",
    endpoint: "syncs",
    handle(ctx) {
      // The operation's description: ordered by updated_at descending (id breaks ties),
      // opaque `pagination.next_page_token`, default and maximum page size 50.
      const items = syncsOf(ctx, "bulk")
        .map((s) => bulkSync(ctx, s))
        .sort(byUpdatedDescending);
      const result = page(items, ctx.query.page_token, pageLimit(ctx, SYNCS_MAX_LIMIT));
      return isResult(result) ? result : ok(result);
    },
  },
  {
    method: "GET",
    template: "/api/bulk/syncs/{id}",
    endpoint: "syncs",
    syncParam: "id",
    handle(ctx) {
      const sync = findSync(ctx, "id", "bulk");
      if (isResult(sync)) return sync;
      return ok({ data: bulkSync(ctx, sync) });
    },
  },
];

function jobView(ctx: RouteContext, id: string): Job {
  const job = ctx.state.jobs.get(id);
  if (!job) throw new Error(`no job ${id}`);
  const status = ctx.state.jobStatus(job, ctx.now);
  const view: Job = { job_id: job.id, type: job.type, status, error: null };
  if (status === "done") {
    const url = ctx.state.signedUrl(ctx.baseUrl, job.fileToken, SIGNED_URL_TTL_SECONDS, ctx.sign());
    view.result = exportResult(assumptionsOf(ctx).export_result, url);
  } else if (status === "failed") {
    view.error = "Simulated log export failure: the archive could not be written";
  }
  return view;
}

/** A done export job's `result` in the scenario's assumed shape (the spec leaves it open). */
function exportResult(shape: Assumptions["export_result"], url: string): unknown {
  switch (shape) {
    case "url_string":
      return url;
    case "urls_array":
      return { urls: [url] };
    case "url_object":
      return { url };
  }
}

function consoleLog(ctx: RouteContext, type: "model" | "bulk", execParam: string): RouteResult {
  const e = findExecution(ctx, "sync_id", execParam, type);
  if (isResult(e)) return e;
  const requested = ctx.query.limit as number | undefined;
  if (requested !== undefined && requested <= 0) {
    return apiError(400, "bad_request", "query parameter limit: must be > 0");
  }
  const limit = Math.min(requested ?? CONSOLE_MAX, CONSOLE_MAX);
  const after = ctx.query.after as string | undefined;
  // "Returns at most the most recent 50 entries retained": older entries are gone.
  const all = consoleEntries(e, ctx.now).slice(-CONSOLE_MAX);
  const start = after === undefined ? 0 : all.findIndex((x) => x.id === after) + 1;
  if (after !== undefined && start === 0) {
    return apiError(400, "bad_request", `query parameter after: unknown cursor "${after}"`);
  }
  const entries = all.slice(start, start + limit);
  const last = entries.at(-1);
  return ok({ data: { entries, next_cursor: last?.id ?? after ?? null } });
}
