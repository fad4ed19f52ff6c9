/**
 * Resolves a step's sync reference to an id: by id as given, by name through the list
 * endpoints, following every page of both (the bulk list is paginated too: its description
 * documents `pagination.next_page_token` and at most 50 syncs a page). Unknown names are `Sync.NotFound`; names matching several syncs
 * are `Sync.AmbiguousName` listing the ids.
 */
import type { CallOptions, Page } from "../polytomic/api";
import type { SyncRef, SyncType } from "./contract";
import { HandlerError } from "./errors";
import type { PolytomicApi } from "./ports";

/** Pages read at most when listing syncs (guards against a looping page token). */
const MAX_PAGES = 200;

export interface ResolvedSync {
  id: string;
  name?: string;
}

export async function resolveSync(
  api: PolytomicApi,
  type: SyncType,
  ref: SyncRef,
  options: CallOptions,
): Promise<ResolvedSync> {
  if (ref.id) return { id: ref.id };
  const name = ref.name ?? "";
  const all = await everyPage((pageToken) => {
    const query = pageToken ? { pageToken } : {};
    return type === "model"
      ? api.listModelSyncs(query, options)
      : api.listBulkSyncs(query, options);
  });
  const matches = all.filter((s) => s.name === name && s.id);
  const [first] = matches;
  if (!first?.id) {
    throw new HandlerError("Sync.NotFound", `no ${type} sync is named "${name}"`);
  }
  if (matches.length > 1) {
    throw new HandlerError(
      "Sync.AmbiguousName",
      `${matches.length} ${type} syncs are named "${name}" (ids: ${matches.map((m) => m.id).join(", ")}); name the sync by id`,
    );
  }
  return { id: first.id, name };
}

/** Every item of a paginated list, following `nextPageToken` to the end (at most MAX_PAGES). */
export async function everyPage<T>(
  fetchPage: (pageToken: string | undefined) => Promise<Page<T>>,
): Promise<T[]> {
  const all: T[] = [];
  let pageToken: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const r = await fetchPage(pageToken);
    all.push(...r.data);
    if (!r.nextPageToken || r.nextPageToken === pageToken) return all;
    pageToken = r.nextPageToken;
  }
  throw new HandlerError(
    "Polytomic.Error",
    `a list still had more pages after ${MAX_PAGES}; its page token may be looping`,
  );
}
