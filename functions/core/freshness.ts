/**
 * Freshness (issue 14.2): when did each watched sync, and each watched schema of a bulk
 * sync, last succeed, and is that longer ago than its max_age? The freshness Lambda
 * (functions/freshness) publishes the ages; `polytomic-orchestrator freshness` prints them.
 *
 * What the spec documents, and what this relies on:
 * - `GET /api/syncs/{sync_id}/executions`: "ordered by start time descending", cursor
 *   pages (`pagination.next_page_token`). `only_completed` is not sent (what it keeps is
 *   undocumented): a success is picked by status.
 * - `GET /api/bulk/syncs/{id}/executions`: with `only_terminal=true`, "ordered by
 *   `updated_at` so recently completed runs appear first"; `limit` up to 100.
 * - `GET /api/bulk/syncs/{id}/executions/{exec_id}`: "including per-schema execution
 *   status". Whether the list carries `schemas` is not said: a listed run without them is
 *   read one by one when a schema's age is wanted.
 * - `GET /api/syncs` and `GET /api/bulk/syncs` give each sync's name and `active`.
 *
 * Safe under every reading of what is not documented: the last success is the latest
 * success time among the runs read (never a younger one); reading stops early only while
 * the pages really are in the documented order; a sync whose history was dropped, or that
 * never succeeded, is "never" and counts as stale; a sync not read within the bounds
 * (`max_pages` per sync, `max_api_calls` per check) is "unreadable", never given an age.
 */
import type { CallOptions, Page } from "../polytomic/api";
import type { BulkExecution, ModelExecution } from "../polytomic/types";
import type { SyncRef, SyncType } from "./contract";
import type { PolytomicApi } from "./ports";
import { everyPage } from "./resolve";

export interface FreshSchema {
  schema: string;
  max_age_seconds: number;
}

/** One watched sync, as the pipelines file's `freshness.syncs` gives it. */
export interface FreshSync {
  type: SyncType;
  sync: SyncRef;
  /** Its name when given by name, else its id: the `Sync` dimension and the alarm's name. */
  label: string;
  max_age_seconds: number;
  /** Bulk only: schemas with their own max_age. */
  schemas: FreshSchema[];
}

/** The freshness function's input (the schedule's constant payload). */
export interface FreshnessInput {
  syncs: FreshSync[];
  /** Polytomic calls one check makes at most. */
  max_api_calls: number;
  /** Execution pages read per sync at most. */
  max_pages: number;
}

/**
 * ok: succeeded within max_age; stale: longer ago; never: no successful run in its whole
 * history (counted as stale); unreadable: not known (an API error, an unknown name, a bound
 * reached).
 */
export type FreshnessStatus = "ok" | "stale" | "never" | "unreadable";

export interface FreshnessRow {
  sync: string;
  type: SyncType;
  sync_id?: string;
  /** Its name in Polytomic's sync list, when read (a sync watched by id shows it too). */
  name?: string;
  schema?: string;
  /** From the sync list; absent when the list could not be read. */
  active?: boolean;
  max_age_seconds: number;
  last_success?: string;
  age_seconds?: number;
  status: FreshnessStatus;
  /** Why a row is unreadable. */
  reason?: string;
}

export interface FreshnessReport {
  checked_at: string;
  api_calls: number;
  max_api_calls: number;
  rows: FreshnessRow[];
}

/** Whether a row needs attention: stale, never succeeded or unreadable. */
export function isFresh(row: FreshnessRow): boolean {
  return row.status === "ok";
}

/** The call bound of one check was reached. */
export class CallBoundReached extends Error {
  override name = "CallBoundReached";
}

/** Counts the check's Polytomic calls and refuses the one past `max`. */
export class CallCounter {
  used = 0;
  constructor(readonly max: number) {}

  call<T>(request: () => Promise<T>): Promise<T> {
    if (this.used >= this.max) {
      return Promise.reject(
        new CallBoundReached(
          `the check's bound of ${this.max} API calls (max_api_calls) was reached`,
        ),
      );
    }
    this.used++;
    return request();
  }
}

interface Listed {
  id: string;
  name?: string;
  active?: boolean;
}

/** The sync lists, read at most once per type per check. */
class Directory {
  private readonly lists = new Map<SyncType, Promise<Listed[]>>();

  constructor(
    private readonly api: PolytomicApi,
    private readonly calls: CallCounter,
    private readonly options: CallOptions,
  ) {}

  list(type: SyncType): Promise<Listed[]> {
    let list = this.lists.get(type);
    if (!list) {
      list = everyPage<Listed>(
        (pageToken) =>
          this.calls.call(() => {
            const query = pageToken ? { pageToken } : {};
            return type === "model"
              ? this.api.listModelSyncs(query, this.options)
              : this.api.listBulkSyncs(query, this.options);
          }) as Promise<Page<Listed>>,
      );
      this.lists.set(type, list);
    }
    return list;
  }

  /** The sync a reference names, with what the list says of it. */
  async find(type: SyncType, ref: SyncRef): Promise<Listed> {
    if (ref.id) {
      const id = ref.id.toLowerCase();
      // Known by id without the list; the list only adds `active`.
      const listed = await this.list(type).catch(() => []);
      return listed.find((s) => s.id?.toLowerCase() === id) ?? { id: ref.id };
    }
    const matches = (await this.list(type)).filter((s) => s.name === ref.name && s.id);
    const [first] = matches;
    if (!first) throw new Error(`no ${type} sync is named "${ref.name}"`);
    if (matches.length > 1) {
      const ids = matches.map((m) => m.id).join(", ");
      throw new Error(`${matches.length} ${type} syncs are named "${ref.name}" (ids: ${ids})`);
    }
    return first;
  }
}

/** The latest success found of the sync and of each watched schema, and whether the search ended. */
interface Found {
  sync?: number;
  schemas: Map<string, number>;
  /** The history was read to its end: what was not found never happened. */
  exhausted: boolean;
}

/** What one sync's search needs. */
interface Search {
  api: PolytomicApi;
  calls: CallCounter;
  options: CallOptions;
  maxPages: number;
}

const time = (...values: (string | null | undefined)[]): number | undefined => {
  for (const v of values) {
    const t = v ? Date.parse(v) : Number.NaN;
    if (!Number.isNaN(t)) return t;
  }
  return undefined;
};

/** The later of two times (either may be missing). */
const latest = (a: number | undefined, b: number | undefined) =>
  a === undefined ? b : b === undefined ? a : Math.max(a, b);

/**
 * Walks the newest-first pages of a sync's executions (at most `maxPages`), handing each
 * to `take`, until `done` says every wanted success is found while the pages are still in
 * order (`key` non-increasing), or the history ends.
 */
async function walk<T>(
  search: Search,
  page: (token: string | undefined) => Promise<Page<T>>,
  key: (item: T) => number | undefined,
  take: (item: T) => Promise<void>,
  done: () => boolean,
): Promise<boolean> {
  let token: string | undefined;
  let previous = Number.POSITIVE_INFINITY;
  let ordered = true;
  for (let n = 0; n < search.maxPages; n++) {
    const p = await search.calls.call(() => page(token));
    for (const item of p.data) {
      const k = key(item);
      if (k === undefined || k > previous) ordered = false;
      else previous = k;
      await take(item);
    }
    if (!p.nextPageToken) return true;
    // A token that repeats would loop: the history was not read to its end.
    if (p.nextPageToken === token || (ordered && done())) return false;
    token = p.nextPageToken;
  }
  return false;
}

/** A model sync's last `completed` run (its completion time, or its start when missing). */
async function modelSuccess(search: Search, syncId: string): Promise<Found> {
  const found: Found = { schemas: new Map(), exhausted: false };
  const take = async (e: ModelExecution) => {
    if (e.status === "completed") {
      found.sync = latest(found.sync, time(e.completed_at, e.started_at, e.created_at));
    }
  };
  found.exhausted = await walk(
    search,
    (pageToken) =>
      search.api.listModelExecutions(syncId, pageToken ? { pageToken } : {}, search.options),
    (e) => time(e.started_at, e.created_at),
    take,
    () => found.sync !== undefined,
  );
  return found;
}

/**
 * A bulk sync's last `completed` run that was not a test, and each watched schema's last
 * run in which that schema `completed` (whatever the rest of the run did).
 */
async function bulkSuccess(search: Search, syncId: string, schemas: string[]): Promise<Found> {
  const found: Found = { schemas: new Map(), exhausted: false };
  const take = async (listed: BulkExecution) => {
    if (listed.is_test === true) return;
    const when = time(listed.completed_at, listed.started_at, listed.created_at);
    if (listed.status === "completed") found.sync = latest(found.sync, when);
    const missing = schemas.filter((s) => !found.schemas.has(s));
    if (missing.length === 0 && !listed.schemas?.length) return;
    // A listed run's schemas count for every watched schema (the pages may be out of order);
    // a run is read on its own only when the list leaves them out and one is still missing.
    const e = listed.schemas?.length
      ? listed
      : await search.calls.call(() =>
          search.api.getBulkExecution(syncId, listed.id ?? "", search.options),
        );
    for (const s of e.schemas ?? []) {
      if (s.schema === undefined || s.status !== "completed" || !schemas.includes(s.schema))
        continue;
      const at = time(s.completed_at) ?? when ?? 0;
      found.schemas.set(s.schema, latest(found.schemas.get(s.schema), at) ?? at);
    }
  };
  found.exhausted = await walk(
    search,
    (pageToken) =>
      search.api.listBulkExecutions(
        syncId,
        { onlyTerminal: true, limit: 100, ...(pageToken ? { pageToken } : {}) },
        search.options,
      ),
    (e) => time(e.updated_at),
    take,
    () => found.sync !== undefined && found.schemas.size === schemas.length,
  );
  return found;
}

/** The row of a sync or schema whose success time was searched for. */
function ageRow(
  base: FreshnessRow,
  success: number | undefined,
  found: Found,
  now: number,
): FreshnessRow {
  if (success === undefined) {
    return found.exhausted
      ? { ...base, status: "never" }
      : {
          ...base,
          status: "unreadable",
          reason: "no successful run in the pages read (max_pages)",
        };
  }
  const age = Math.max(0, Math.round((now - success) / 1000));
  return {
    ...base,
    last_success: new Date(success).toISOString(),
    age_seconds: age,
    status: age > base.max_age_seconds ? "stale" : "ok",
  };
}

/** The rows of one watched sync: the sync's own, then one per watched schema. */
async function checkSync(
  watched: FreshSync,
  directory: Directory,
  search: Search,
  now: number,
): Promise<FreshnessRow[]> {
  const base: FreshnessRow = {
    sync: watched.label,
    type: watched.type,
    max_age_seconds: watched.max_age_seconds,
    status: "unreadable",
  };
  const bases = [
    base,
    ...watched.schemas.map((s) => ({
      ...base,
      schema: s.schema,
      max_age_seconds: s.max_age_seconds,
    })),
  ];
  try {
    const listed = await directory.find(watched.type, watched.sync);
    const known = {
      sync_id: listed.id,
      ...(listed.name !== undefined ? { name: listed.name } : {}),
      ...(listed.active !== undefined ? { active: listed.active } : {}),
    };
    const found =
      watched.type === "model"
        ? await modelSuccess(search, listed.id)
        : await bulkSuccess(
            search,
            listed.id,
            watched.schemas.map((s) => s.schema),
          );
    return bases.map((b) =>
      ageRow(
        { ...b, ...known },
        b.schema === undefined ? found.sync : found.schemas.get(b.schema),
        found,
        now,
      ),
    );
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    return bases.map((b) => ({ ...b, reason }));
  }
}

/** Checks every watched sync, one after the other, within the call bound. */
export async function checkFreshness(
  input: FreshnessInput,
  api: PolytomicApi,
  now: number,
  options: CallOptions = {},
): Promise<FreshnessReport> {
  const calls = new CallCounter(input.max_api_calls);
  const directory = new Directory(api, calls, options);
  const search: Search = { api, calls, options, maxPages: input.max_pages };
  const rows: FreshnessRow[] = [];
  for (const watched of input.syncs)
    rows.push(...(await checkSync(watched, directory, search, now)));
  return {
    checked_at: new Date(now).toISOString(),
    api_calls: calls.used,
    max_api_calls: input.max_api_calls,
    rows,
  };
}
