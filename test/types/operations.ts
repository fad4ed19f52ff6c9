/**
 * Type-level test of the client's typed calls (functions/polytomic/operations.ts): checked by
 * `npx tsc --noEmit`, not run. Each `@ts-expect-error` line is a typo that must fail to
 * compile; if the typing ever went loose (a path, a parameter or a field no longer checked),
 * the directive would be unused and tsc would fail on it.
 */
import type { ApiCall, PathsWith, Reading, ReadResult } from "../../functions/polytomic/operations";
import type { BulkSyncStatus, ModelExecution } from "../../functions/polytomic/types";

/** Accepts exactly what the client's private `call` accepts. */
function check<M extends "GET" | "POST", P extends PathsWith<M>, R extends Reading<M, P>>(
  spec: ApiCall<M, P, R>,
): ReadResult<M, P, R> {
  return spec as never;
}

// Well-typed calls compile, and their results are the spec's types.
const execution: ModelExecution = check({
  method: "GET",
  template: "/api/syncs/{sync_id}/executions/{id}",
  params: { sync_id: "s", id: "e" },
  read: "data",
});
const page = check({
  method: "GET",
  template: "/api/syncs/{sync_id}/executions",
  params: { sync_id: "s" },
  query: { page_token: "t", only_completed: true, ascending: undefined },
  read: "page",
});
const firstStatus: string | undefined = page.data[0]?.status;
const started = check({
  method: "POST",
  template: "/api/syncs/{id}/executions",
  params: { id: "s" },
  body: { resync: true },
  read: "data",
});
const exported = check({
  method: "POST",
  template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs/export",
  params: { sync_id: "s", execution_id: "e" },
  query: { notify: true },
  read: (json) => json as never,
});

// A typo in a path template.
check({
  method: "GET",
  // @ts-expect-error "/api/sync/{id}/status" is not a path of the spec
  template: "/api/sync/{id}/status",
  read: "data",
});
// A path without that method (status has no POST).
check({
  method: "POST",
  // @ts-expect-error no POST /api/bulk/syncs/{id}/status in the spec
  template: "/api/bulk/syncs/{id}/status",
  read: "data",
});
// A typo in a path parameter's name.
check({
  method: "GET",
  template: "/api/bulk/syncs/{id}/executions/{exec_id}",
  // @ts-expect-error the parameter is exec_id, not execution_id
  params: { id: "s", execution_id: "e" },
  read: "data",
});
// A missing path parameter.
// @ts-expect-error params is required for a templated path
check({ method: "GET", template: "/api/bulk/syncs/{id}", read: "data" });
// A typo in a query parameter's name.
check({
  method: "GET",
  template: "/api/bulk/syncs/{id}/executions",
  params: { id: "s" },
  // @ts-expect-error the query parameter is only_terminal
  query: { only_terminl: true },
  read: "page",
});
// A query parameter of the wrong type.
check({
  method: "POST",
  template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs/export",
  params: { sync_id: "s", execution_id: "e" },
  // @ts-expect-error notify is a boolean
  query: { notify: "yes" },
  read: (json) => json as never,
});
// A typo in a request body field.
check({
  method: "POST",
  template: "/api/syncs/{id}/executions",
  params: { id: "s" },
  // @ts-expect-error StartSyncRequest has `resync`, not `resynk`
  body: { resynk: true },
  read: "data",
});
// A typo in a response field.
const status = check({
  method: "GET",
  template: "/api/syncs/{id}/status",
  params: { id: "s" },
  read: "data",
});
// @ts-expect-error SyncStatusResponse has no `statuss`
status.statuss;
// A result read as the wrong operation's type.
// @ts-expect-error a model sync's status is not a bulk sync's
const wrong: BulkSyncStatus = status;

export { execution, exported, firstStatus, started, wrong };
