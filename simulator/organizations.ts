/**
 * The simulator's organizations (docs/partners.md): the default organization, which is the
 * partner's owner organization and owns the scenario's top-level syncs, and the partner's child
 * organizations, each with its own syncs, connections, users and user keys.
 *
 * Who a request is (`authenticate`) follows the spec's three security schemes:
 * - `bearerUserAPIKey`: the scenario's `api_key` (any non-empty key when it has none), which
 *   acts as the default organization, or a user key (a scenario user's `api_key`, or one minted
 *   by `POST /api/organizations/{org_id}/users/{id}/keys`), which acts as the user's
 *   organization;
 * - `bearerPartnerKey`: the scenario's `partner_key`, which reaches only the partner endpoints
 *   (`/api/organizations...`: "Partner keys are limited to the Organization and User endpoints");
 * - `orgScopedAPIKey`: HTTP Basic `base64(<organization id>:<key>)`, as Polytomic's Terraform
 *   provider sends a partner key for an organization (internal/providerclient/client.go:
 *   "Use Basic Auth with organization ID as username and partner key as password"). The key is
 *   the partner key (any organization of the partner), or, for the default organization, the
 *   `api_key` as before. An organization the partner does not have is refused (401).
 */
import { ORGANIZATION_ID, uuidFrom } from "./ids";
import type { ConnectionScenario, Scenario } from "./scenario";

export const DEFAULT_ORGANIZATION_NAME = "Simulated organization";

/** Who a request acts as: the partner itself, or one organization. */
export type Caller = { partner: true } | { partner: false; organizationId: string };

export interface OrganizationRecord {
  id: string;
  name: string;
  sso_domain?: string;
  issuer?: string;
  sso_org_id?: string;
}

export interface UserRecord {
  id: string;
  email: string;
  organization_id: string;
  role_ids: string[] | null;
}

export interface ConnectionRecord extends ConnectionScenario {
  organization_id: string;
}

/** Fields a create request may set (the spec's CreateOrganizationRequestSchema, minus OIDC secrets). */
export type OrganizationFields = Omit<OrganizationRecord, "id">;

/** The partner's organizations, owner first, with their users, keys and connections. */
export class OrganizationRegistry {
  readonly organizations: OrganizationRecord[];
  readonly users = new Map<string, UserRecord>();
  readonly connections: ConnectionRecord[] = [];
  /** User key -> user id. */
  private readonly keys = new Map<string, string>();
  private created = 0;
  private minted = 0;

  constructor(readonly scenario: Scenario) {
    const owner = {
      id: (scenario.organization_id ?? ORGANIZATION_ID).toLowerCase(),
      name: scenario.organization_name ?? DEFAULT_ORGANIZATION_NAME,
    };
    this.organizations = [owner];
    this.addConnections(owner.id, scenario.connections ?? []);
    for (const org of scenario.organizations ?? []) {
      this.organizations.push({ id: org.id, name: org.name });
      this.addConnections(org.id, org.connections);
      for (const user of org.users) {
        this.users.set(user.id, { ...user, organization_id: org.id, role_ids: null });
        if (user.api_key !== undefined) this.keys.set(user.api_key, user.id);
      }
    }
  }

  private addConnections(organizationId: string, list: readonly ConnectionScenario[]): void {
    for (const c of list) this.connections.push({ ...c, organization_id: organizationId });
  }

  /** The default organization: the partner's owner organization. */
  get ownerId(): string {
    return this.organizations[0]?.id ?? ORGANIZATION_ID;
  }

  get(id: string): OrganizationRecord | undefined {
    const wanted = id.toLowerCase();
    return this.organizations.find((o) => o.id === wanted);
  }

  /** A new child organization, or undefined when the name is taken ("must be unique"). */
  create(fields: OrganizationFields): OrganizationRecord | undefined {
    if (this.organizations.some((o) => o.name === fields.name)) return undefined;
    this.created += 1;
    const org = { ...fields, id: uuidFrom(`organization:created:${this.created}`) };
    this.organizations.push(org);
    return org;
  }

  usersOf(organizationId: string): UserRecord[] {
    return [...this.users.values()].filter((u) => u.organization_id === organizationId);
  }

  createUser(organizationId: string, email: string, roleIds: string[] | null): UserRecord {
    const id = uuidFrom(`user:${organizationId}:${this.users.size + 1}:${email}`);
    const user = { id, email, organization_id: organizationId, role_ids: roleIds };
    this.users.set(id, user);
    return user;
  }

  /** A new key for the user; `force` first revokes the user's other keys (the spec's words). */
  mintKey(userId: string, force: boolean): string {
    if (force) {
      for (const [key, owner] of this.keys) if (owner === userId) this.keys.delete(key);
    }
    this.minted += 1;
    const key = `sim-user-key-${uuidFrom(`key:${userId}:${this.minted}`)}`;
    this.keys.set(key, userId);
    return key;
  }

  /** The user a Bearer user key belongs to. */
  userOfKey(key: string): UserRecord | undefined {
    const id = this.keys.get(key);
    return id === undefined ? undefined : this.users.get(id);
  }

  connection(id: string): ConnectionRecord | undefined {
    const wanted = id.toLowerCase();
    return this.connections.find((c) => c.id === wanted);
  }

  /** The shared copies of a parent connection, in every organization. */
  sharedCopies(parentId: string): ConnectionRecord[] {
    return this.connections.filter((c) => c.shared_from === parentId);
  }
}

/** The caller an Authorization header names, or why it is refused (a 401's message). */
export function authenticate(
  header: string,
  scenario: Scenario,
  orgs: OrganizationRegistry,
): { caller: Caller } | { denied: string } {
  const bearer = /^Bearer\s+(\S.*)$/i.exec(header)?.[1]?.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim())?.[1];
  if (basic !== undefined) return basicCaller(basic, scenario, orgs);
  if (!bearer) return { denied: "missing API key (Bearer, or Basic organization id and key)" };
  if (scenario.partner_key !== undefined && bearer === scenario.partner_key) {
    return { caller: { partner: true } };
  }
  const user = orgs.userOfKey(bearer);
  if (user) return { caller: { partner: false, organizationId: user.organization_id } };
  if (scenario.api_key !== undefined && bearer !== scenario.api_key) {
    return { denied: "invalid API key" };
  }
  return { caller: { partner: false, organizationId: orgs.ownerId } };
}

/** HTTP Basic `<organization id>:<key>`: the partner key for any of its organizations. */
function basicCaller(
  token: string,
  scenario: Scenario,
  orgs: OrganizationRegistry,
): { caller: Caller } | { denied: string } {
  const decoded = Buffer.from(token, "base64").toString("utf8");
  const colon = decoded.indexOf(":");
  const orgId = colon > 0 ? decoded.slice(0, colon) : "";
  const key = colon > 0 ? decoded.slice(colon + 1) : "";
  if (!key) return { denied: "missing API key (Bearer, or Basic organization id and key)" };
  const org = orgs.get(orgId);
  if (!org) return { denied: "Basic credentials name an unknown organization" };
  const caller: Caller = { partner: false, organizationId: org.id };
  const partnerOk = scenario.partner_key === undefined || key === scenario.partner_key;
  if (org.id !== orgs.ownerId) return partnerOk ? { caller } : { denied: "invalid API key" };
  const userOk = scenario.api_key === undefined || key === scenario.api_key;
  if (userOk || (scenario.partner_key !== undefined && key === scenario.partner_key)) {
    return { caller };
  }
  return { denied: "invalid API key" };
}
