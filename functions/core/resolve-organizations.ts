/**
 * resolve-organizations: which organizations a partner fan-out runs a pipeline in
 * (docs/partners.md), from its `organizations:` (contract.ts `OrganizationsSpec`), through the
 * partner endpoints with the partner key as Bearer:
 * - `list`: each entry an organization UUID or name, matched against Get Organizations
 *   (`GET /api/organizations`, "every organization accessible to the calling partner");
 *   the result keeps the listed order;
 * - `all`: every organization Get Organizations lists (the partner's owner organization
 *   included: the spec lists it first), by name;
 * - `sharing_connection`: the organizations holding a shared copy of that connection, by
 *   name. List Partner Shared Connections needs the organization that owns the parent
 *   connection ("The `org_id` must match the organization that owns the parent connection"),
 *   which Get Partner Entity (`GET /api/organizations/entities/{id}`) gives.
 *
 * Neither list is paginated in the spec (`OrganizationsEnvelope` and
 * `ConnectionListResponseEnvelope` carry `data` only), so one call each.
 */
import { PolytomicNotFoundError } from "../polytomic/errors";
import type { Organization } from "../polytomic/types";
import {
  ORGANIZATION_NAME_MAX_BYTES,
  type OrganizationsSpec,
  type ResolvedOrganization,
  type ResolveOrganizationsInput,
  type ResolveOrganizationsResult,
} from "./contract";
import { HandlerError, invalidInput } from "./errors";
import { isUuid } from "./input";
import type { CallOptions, PolytomicPartnerApi } from "./ports";

export async function resolveOrganizations(
  input: ResolveOrganizationsInput,
  partner: PolytomicPartnerApi,
  options: CallOptions = {},
): Promise<ResolveOrganizationsResult> {
  const organizations = (await organizationsOf(input.organizations, partner, options)).map((o) => ({
    id: o.id,
    name: boundedName(o.name),
  }));
  if (organizations.length === 0) {
    throw new HandlerError(
      "Organization.NoneFound",
      `pipeline ${input.pipeline}: ${describeSpec(input.organizations)} names no organization, so there is nothing to run`,
    );
  }
  return { organizations, count: organizations.length };
}

async function organizationsOf(
  spec: OrganizationsSpec,
  partner: PolytomicPartnerApi,
  options: CallOptions,
): Promise<ResolvedOrganization[]> {
  const known = resolvable(await partner.listOrganizations(options));
  if ("list" in spec) return unique(spec.list.map((entry) => pick(entry, known)));
  if ("all" in spec) return byName(unique(known));
  const owners = await sharingOrganizations(spec.sharing_connection, partner, options);
  return byName(unique(known.filter((o) => owners.has(o.id.toLowerCase()))));
}

/** The organizations holding a shared copy of `connectionId` (lower-case ids). */
async function sharingOrganizations(
  connectionId: string,
  partner: PolytomicPartnerApi,
  options: CallOptions,
): Promise<Set<string>> {
  const entity = await partner.getPartnerEntity(connectionId, options).catch((err: unknown) => {
    if (!(err instanceof PolytomicNotFoundError)) throw err;
    throw new HandlerError(
      "Polytomic.NotFound",
      `sharing_connection ${connectionId}: no organization of the partner has a connection with this id`,
      { cause: err },
    );
  });
  if (entity.type !== "connection") {
    throw invalidInput(
      "organizations.sharing_connection",
      `${connectionId} is a ${entity.type ?? "resource"}, not a connection`,
    );
  }
  if (entity.organization_id === undefined) {
    throw new HandlerError(
      "Polytomic.MalformedResponse",
      `Get Partner Entity did not say which organization owns connection ${connectionId}`,
    );
  }
  const copies = await partner.listSharedConnections(entity.organization_id, connectionId, options);
  return new Set(
    copies.flatMap((c) => (c.organization_id ? [c.organization_id.toLowerCase()] : [])),
  );
}

/** The listed organizations that have an id (a name defaults to the id). */
function resolvable(listed: Organization[]): ResolvedOrganization[] {
  return listed.flatMap((o) => (o.id ? [{ id: o.id, name: o.name || o.id }] : []));
}

/** `name` within ORGANIZATION_NAME_MAX_BYTES of UTF-8, cut on a character and ending "…". */
export function boundedName(name: string): string {
  if (Buffer.byteLength(name) <= ORGANIZATION_NAME_MAX_BYTES) return name;
  const budget = ORGANIZATION_NAME_MAX_BYTES - Buffer.byteLength("…");
  let out = "";
  for (const ch of name) {
    if (Buffer.byteLength(out + ch) > budget) break;
    out += ch;
  }
  return `${out}…`;
}

/** One listed entry: a UUID matches the id, anything else the exact name. */
function pick(entry: string, known: ResolvedOrganization[]): ResolvedOrganization {
  const wanted = entry.trim();
  const byId = isUuid(wanted);
  const matches = known.filter((o) =>
    byId ? o.id.toLowerCase() === wanted.toLowerCase() : o.name === wanted,
  );
  const [first, second] = matches;
  if (first === undefined) {
    throw new HandlerError(
      "Organization.NotFound",
      `the partner key sees no organization ${byId ? "with id" : "named"} "${wanted}"`,
    );
  }
  if (second !== undefined) {
    throw new HandlerError(
      "Organization.AmbiguousName",
      `${matches.length} organizations are named "${wanted}" (ids: ${matches.map((o) => o.id).join(", ")}); list it by id`,
    );
  }
  return first;
}

function unique(organizations: ResolvedOrganization[]): ResolvedOrganization[] {
  const seen = new Set<string>();
  return organizations.filter((o) => {
    const id = o.id.toLowerCase();
    if (seen.has(id)) return false;
    seen.add(id);
    return true;
  });
}

/** By name, then id: the same order on every run, whatever order the API lists them in. */
function byName(organizations: ResolvedOrganization[]): ResolvedOrganization[] {
  const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  return [...organizations].sort((a, b) => cmp(a.name, b.name) || cmp(a.id, b.id));
}

function describeSpec(spec: OrganizationsSpec): string {
  if ("list" in spec) return "its organizations list";
  if ("all" in spec) return "organizations: all";
  return `organizations: sharing_connection ${spec.sharing_connection}`;
}
