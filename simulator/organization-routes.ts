/**
 * The partner endpoints (docs/partners.md): organizations, their users and user keys, shared
 * connections and the entity lookup, plus `GET /api/organization` (the caller's own). The
 * registry lives in the simulator's state (organizations.ts). Every route but the last needs
 * the Bearer partner key ("Requires partner key" in the spec); the server answers 403 otherwise.
 */
import type { OrganizationFields, OrganizationRecord } from "./organizations";
import {
  apiError,
  callerOrganization,
  ok,
  type Route,
  type RouteContext,
  type RouteResult,
} from "./routes";
import type { ExecutionRecord } from "./state";

/** A handler of a path naming an organization in `{param}`: 404 for one the partner lacks. */
function inOrganization(
  param: string,
  handle: (ctx: RouteContext, org: OrganizationRecord) => RouteResult,
): Route["handle"] {
  return (ctx) => {
    const id = ctx.params[param] ?? "";
    const org = ctx.state.organizations.get(id);
    return org ? handle(ctx, org) : apiError(404, "not_found", `organization ${id} not found`);
  };
}

/** A route only the partner key (Bearer) may call ("Requires partner key"). */
const partnerRoute = (
  method: Route["method"],
  template: string,
  handle: Route["handle"],
): Route => ({ method, template, endpoint: "organizations", scope: "partner", handle });

/** The spec's rules for a new user's roles: not both `role` and `role_ids`, and not `[]`. */
function createUser(ctx: RouteContext, org: OrganizationRecord): RouteResult {
  const body = ctx.body as { email: string; role?: string; role_ids?: string[] };
  if (body.role !== undefined && body.role_ids !== undefined) {
    return apiError(422, "invalid_roles", "setting both role and role_ids is rejected");
  }
  if (body.role_ids?.length === 0) {
    return apiError(422, "invalid_roles", "role_ids must contain at least one entry when provided");
  }
  const user = ctx.state.organizations.createUser(org.id, body.email, body.role_ids ?? null);
  return ok({ data: user });
}

function mintKey(ctx: RouteContext, org: OrganizationRecord): RouteResult {
  const id = (ctx.params.id ?? "").toLowerCase();
  const user = ctx.state.organizations.users.get(id);
  if (!user || user.organization_id !== org.id) {
    return apiError(404, "not_found", `user ${id} not found in organization ${org.id}`);
  }
  const force = ctx.query.force === true;
  return ok({ data: { value: ctx.state.organizations.mintKey(user.id, force) } });
}

function sharedConnections(ctx: RouteContext): RouteResult {
  // "The org_id must match the organization that owns the parent connection. If it does
  // not, the endpoint returns 404 rather than exposing information about the parent."
  const orgs = ctx.state.organizations;
  const id = (ctx.params.connection_id ?? "").toLowerCase();
  const parent = orgs.connection(id);
  const orgId = (ctx.params.org_id ?? "").toLowerCase();
  if (!parent || parent.organization_id !== orgId) {
    return apiError(404, "not_found", `connection ${id} not found in organization ${orgId}`);
  }
  return ok({ data: orgs.sharedCopies(id).map((c) => connectionView(ctx, c.id)) });
}

function connectionView(ctx: RouteContext, id: string) {
  const c = ctx.state.organizations.connection(id);
  if (!c) return undefined;
  return {
    id: c.id,
    name: c.name,
    organization_id: c.organization_id,
    ...(c.shared_from === undefined ? {} : { parent_connection_id: c.shared_from }),
    type: { id: "postgresql", name: "PostgreSQL" },
    saved: true,
    status: "healthy",
  };
}

interface Entity {
  id: string;
  type: string;
  canonical_path: string;
  organization_id: string;
  relationships?: Record<string, { id: string; path: string }>;
}

/** What a sync or an execution id resolves to, in the spec's words and paths. */
function syncEntity(ctx: RouteContext, id: string): Entity | undefined {
  const sync = ctx.state.scenario.syncs[id];
  if (sync) {
    const bulk = sync.type === "bulk";
    return {
      id,
      type: bulk ? "bulk_sync" : "sync",
      canonical_path: bulk ? `/api/bulk/syncs/${id}` : `/api/syncs/${id}`,
      organization_id: ctx.state.organizationOf(sync),
    };
  }
  const e = ctx.state.executions.find((x) => x.id === id);
  return e ? executionEntity(ctx, e) : undefined;
}

/** "A model sync execution resolves to a `sync_execution` and includes a `sync` relationship." */
function executionEntity(ctx: RouteContext, e: ExecutionRecord): Entity {
  const bulk = e.sync.type === "bulk";
  const parent = bulk ? `/api/bulk/syncs/${e.sync.id}` : `/api/syncs/${e.sync.id}`;
  return {
    id: e.id,
    type: bulk ? "bulk_sync_execution" : "sync_execution",
    canonical_path: `${parent}/executions/${e.id}`,
    organization_id: ctx.state.organizationOf(e.sync),
    relationships: { [bulk ? "bulk_sync" : "sync"]: { id: e.sync.id, path: parent } },
  };
}

/** Any UUID the partner can see: an organization, a user, a connection, a sync, an execution. */
function resolveEntity(ctx: RouteContext, id: string): Entity | undefined {
  const orgs = ctx.state.organizations;
  const org = orgs.get(id);
  if (org) {
    const path = `/api/organizations/${org.id}`;
    return { id, type: "organization", canonical_path: path, organization_id: org.id };
  }
  const user = orgs.users.get(id);
  if (user) {
    const path = `/api/organizations/${user.organization_id}/users/${id}`;
    return { id, type: "user", canonical_path: path, organization_id: user.organization_id };
  }
  const c = orgs.connection(id);
  if (c) {
    const path = `/api/connections/${id}`;
    return { id, type: "connection", canonical_path: path, organization_id: c.organization_id };
  }
  return syncEntity(ctx, id);
}

/** The request's kept fields (never `client_secret`: "Write-only; never returned"). */
function createOrganization(ctx: RouteContext): RouteResult {
  const body = ctx.body as Record<string, string | undefined>;
  const fields: OrganizationFields = { name: body.name ?? "" };
  for (const k of ["sso_domain", "issuer", "sso_org_id"] as const) {
    const v = body[k];
    if (v !== undefined) fields[k] = v;
  }
  const org = ctx.state.organizations.create(fields);
  if (!org) {
    return apiError(409, "organization_exists", `an organization named "${fields.name}" exists`);
  }
  return ok({ data: org });
}

export const ORGANIZATION_ROUTES: Route[] = [
  {
    method: "GET",
    template: "/api/organization",
    endpoint: "organizations",
    handle(ctx) {
      const org = ctx.state.organizations.get(callerOrganization(ctx));
      return org ? ok({ data: org }) : apiError(404, "not_found", "organization not found");
    },
  },
  // "The partner owner organization is returned first, followed by child organizations."
  partnerRoute("GET", "/api/organizations", (ctx) =>
    ok({ data: ctx.state.organizations.organizations.map((o) => ({ ...o })) }),
  ),
  partnerRoute("POST", "/api/organizations", createOrganization),
  partnerRoute(
    "GET",
    "/api/organizations/{id}",
    inOrganization("id", (_, org) => ok({ data: org })),
  ),
  partnerRoute(
    "GET",
    "/api/organizations/{org_id}/users",
    inOrganization("org_id", (ctx, org) => ok({ data: ctx.state.organizations.usersOf(org.id) })),
  ),
  partnerRoute("POST", "/api/organizations/{org_id}/users", inOrganization("org_id", createUser)),
  partnerRoute(
    "POST",
    "/api/organizations/{org_id}/users/{id}/keys",
    inOrganization("org_id", mintKey),
  ),
  partnerRoute("GET", "/api/organizations/entities/{id}", (ctx) => {
    const id = (ctx.params.id ?? "").toLowerCase();
    const entity = resolveEntity(ctx, id);
    return entity ? ok({ data: entity }) : apiError(404, "not_found", `entity ${id} not found`);
  }),
  partnerRoute(
    "GET",
    "/api/organizations/{org_id}/connections/{connection_id}/shared",
    sharedConnections,
  ),
];
