/**
 * Resolves a step's sync reference to an id: by id as given, by name through the list
 * endpoints (every page). Unknown names are `Sync.NotFound`; names matching several syncs
 * are `Sync.AmbiguousName` listing the ids.
 */
import type { CallOptions } from "../polytomic/api";
import type { SyncRef, SyncType } from "./contract";
import { HandlerError } from "./errors";
import type { PolytomicApi } from "./ports";

/** Pages read at most when listing model syncs (guards against a looping page token). */
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
  const all: { id?: string; name?: string }[] = [];
  if (type === "model") {
    let pageToken: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const r = await api.listModelSyncs(pageToken ? { pageToken } : {}, options);
      all.push(...r.data);
      if (!r.nextPageToken || r.nextPageToken === pageToken) break;
      pageToken = r.nextPageToken;
    }
  } else {
    all.push(...(await api.listBulkSyncs({}, options)));
  }
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
