/**
 * `whereis <uuid>`: which of a partner's organizations a UUID (a sync, an execution, a
 * connection, a user, an organization) belongs to, and its canonical path, through
 * Polytomic's Get Partner Entity (`GET /api/organizations/entities/{id}`) and the
 * organizations list for the name. Both need the partner key, sent as Bearer (the spec's
 * `bearerPartnerKey`); an organization's or a user's key is refused, and the command says so.
 * Against the embedded simulator by default (the scenario's `partner_key`); `--live` asks
 * the real API with POLYTOMIC_PARTNER_KEY. docs/partners.md.
 */
import { UUID_PATTERN } from "../../../functions/core/contract";
import type { Organization, PartnerEntity } from "../../../functions/polytomic/types";
import { emptyScenario, ManualClock } from "../../../simulator";
import {
  CredentialError,
  commandSpec,
  flag,
  parseCommandArgs,
  stringValue,
  UsageError,
} from "../args";
import { SCENARIO_OPTION } from "../config";
import { helpRequested } from "../help";
import type { CliIO } from "../io";
import { targetError } from "../preflight";
import { type ApiTarget, chooseTarget, openTarget, type TargetChoice } from "../target";

export const WHEREIS = commandSpec({
  name: "whereis",
  usage: "whereis <uuid> [--live | --scenario FILE] [--json]",
  description:
    "Resolves a UUID a partner was handed (a sync or an execution from an alarm or a " +
    "support ticket, a connection, a user) to the organization that owns it, its type and " +
    "its canonical API path, with Polytomic's Get Partner Entity. Needs the partner key: " +
    "an organization's or a user's key is refused (docs/partners.md).",
  positionals: 1,
  options: [
    {
      name: "live",
      type: "boolean",
      description: "ask the real Polytomic API (POLYTOMIC_PARTNER_KEY, POLYTOMIC_API_URL)",
    },
    { ...SCENARIO_OPTION, default: "an empty scenario, which has no partner key" },
    { name: "json", type: "boolean", description: "print only the answer, as JSON" },
  ],
  environment: [
    ["POLYTOMIC_PARTNER_KEY", "the partner key --live sends (never printed)"],
    ["POLYTOMIC_API_URL", "the API --live asks (default https://app.polytomic.com)"],
  ],
  exitCodes:
    "0 found, 1 no organization of the partner has the UUID, 2 usage or credential error " +
    "(no partner key, or a key that is not a partner key).",
});

/** Where the lookups go. */
interface Target extends ApiTarget {
  /** The API's base URL the canonical path is joined to; none for the embedded simulator. */
  apiUrl?: string;
}

/** The answer, as `--json` prints it. */
export interface WhereIs {
  id: string;
  type: string;
  organization: { id: string; name: string | null };
  canonical_path: string;
  url: string | null;
  relationships: Record<string, { id?: string; path?: string }>;
}

/** @returns the exit code (see WHEREIS.exitCodes) */
export async function whereisCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(WHEREIS, args);
  if (helpRequested(WHEREIS, parsed, io)) return 0;
  const id = (parsed.positionals[0] ?? "").trim();
  if (!UUID_PATTERN.test(id)) {
    throw new UsageError(
      `whereis: expected a UUID (a sync, execution or connection id), got "${id}"`,
    );
  }
  const target = await openPartnerApi(
    chooseTarget("whereis", flag(parsed, "live"), { scenario: stringValue(parsed, "scenario") }),
    io,
  );
  try {
    const found = await lookUp(target, id.toLowerCase());
    if (found === undefined) {
      io.stderr.write(
        `whereis: no organization of the partner has ${id} (${target.description})\n`,
      );
      return 1;
    }
    io.stdout.write(flag(parsed, "json") ? `${JSON.stringify(found, null, 2)}\n` : describe(found));
    return 0;
  } finally {
    await target.close();
  }
}

/** The entity and its organization's name; undefined for a UUID no organization has. */
async function lookUp(target: Target, id: string): Promise<WhereIs | undefined> {
  let entity: PartnerEntity;
  let organizations: Organization[];
  try {
    entity = await target.client.getPartnerEntity(id);
    organizations = await target.client.listOrganizations();
  } catch (err) {
    if ((err as Error).name === "Polytomic.NotFound") return undefined;
    throw refused(err, target);
  }
  const orgId = entity.organization_id ?? "";
  const path = entity.canonical_path ?? "";
  return {
    id: entity.id ?? id,
    type: entity.type ?? "unknown",
    organization: { id: orgId, name: organizations.find((o) => o.id === orgId)?.name ?? null },
    canonical_path: path,
    url: target.apiUrl !== undefined && path.startsWith("/") ? `${target.apiUrl}${path}` : null,
    relationships: entity.relationships ?? {},
  };
}

/** A refused key names the partner key; anything else is the usual target error. */
function refused(err: unknown, target: Target): Error {
  const name = (err as Error).name;
  if (name === "Polytomic.Unauthorized" || name === "Polytomic.Forbidden") {
    const status = name === "Polytomic.Unauthorized" ? "401" : "403";
    return new CredentialError(
      `whereis needs a partner key: ${target.description} refused the key (${status}); ` +
        `check ${target.keyHint} (an organization's or a user's key cannot look up entities)`,
    );
  }
  return targetError(err, target);
}

function describe(w: WhereIs): string {
  const org =
    w.organization.name === null
      ? w.organization.id
      : `${w.organization.name} (${w.organization.id})`;
  const rows: [string, string][] = [
    [w.type, w.id],
    ["organization", org],
    ["path", w.canonical_path],
  ];
  if (w.url !== null) rows.push(["url", w.url]);
  for (const [name, r] of Object.entries(w.relationships)) rows.push([name, r.path ?? r.id ?? ""]);
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}\n`).join("");
}

/** The partner's API; the real one's URL is the one the canonical path is joined to. */
async function openPartnerApi(choice: TargetChoice, io: CliIO): Promise<Target> {
  const target = await openTarget(choice, io, {
    command: "whereis",
    clock: new ManualClock(Date.now()),
    credential: "partner",
    fallback: { scenario: emptyScenario, name: "empty" },
  });
  return choice.live ? { ...target, apiUrl: target.baseUrl } : target;
}
