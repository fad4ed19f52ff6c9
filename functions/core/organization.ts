/**
 * An organization-scoped step (partner fan-out, docs/partners.md): a step input with
 * `organization_id` runs against THAT organization's endpoints, with the partner key sent as
 * HTTP Basic `<organization id>:<partner key>` (deps.partner), and every error it ends with
 * names the organization, so that a failure notice says which customer failed. A step input
 * without `organization_id` runs exactly as before, with the function's own credentials.
 */
import type { Deps } from "./deps";
import { HandlerError } from "./errors";
import { cutText, MAX_ERROR_MESSAGE, POLYTOMIC_TEXT_MARKER } from "./failure-text";
import type { PartnerAccess } from "./ports";
import { toHandlerError } from "./runtime";

/** The organization fields of a step input. */
export interface OrganizationScope {
  organization_id?: string;
  organization_name?: string;
}

/** `Acme (<uuid>)`, or the id alone when the input has no name; undefined when unscoped. */
export function organizationLabel(scope: OrganizationScope): string | undefined {
  const id = scope.organization_id;
  if (id === undefined) return undefined;
  return scope.organization_name === undefined ? id : `${scope.organization_name} (${id})`;
}

/**
 * `message` naming the organization (once): `... in organization Acme (<uuid>)`, before
 * Polytomic's own text (`. Polytomic: ...`, which reports read to the end) and within
 * MAX_ERROR_MESSAGE, the organization kept whatever is cut.
 */
export function namingOrganization(message: string, scope: OrganizationScope): string {
  const label = organizationLabel(scope);
  if (label === undefined || message.includes(`organization ${label}`)) return message;
  const suffix = ` in organization ${label}`;
  const at = message.indexOf(POLYTOMIC_TEXT_MARKER);
  const ours = at < 0 ? message : message.slice(0, at);
  const theirs = at < 0 ? "" : message.slice(at);
  const named = `${cutText(ours, MAX_ERROR_MESSAGE - suffix.length)}${suffix}${theirs}`;
  return cutText(named, MAX_ERROR_MESSAGE);
}

/** The deps' partner access; `Config.Invalid` when the function was built without one. */
export function partnerOf(deps: Deps): PartnerAccess {
  if (!deps.partner) {
    throw new HandlerError(
      "Config.Invalid",
      "this function has no partner key access configured, which the partner fan-out needs",
    );
  }
  return deps.partner;
}

/** The deps whose Polytomic client acts in the input's organization (deps itself if none). */
export function organizationDeps(deps: Deps, scope: OrganizationScope): Deps {
  const id = scope.organization_id;
  if (id === undefined) return deps;
  return { ...deps, polytomic: partnerOf(deps).organization(id) };
}

/**
 * Runs `body` with the deps of the input's organization; its error, or the `error_message`
 * of its result (check-status's, the run-sync machine's Fail cause), names the organization.
 */
export async function inOrganization<R>(
  deps: Deps,
  scope: OrganizationScope,
  body: (deps: Deps) => Promise<R>,
): Promise<R> {
  if (scope.organization_id === undefined) return body(deps);
  let result: R;
  try {
    result = await body(organizationDeps(deps, scope));
  } catch (err) {
    const mapped = toHandlerError(err, deps.redactor);
    throw new HandlerError(mapped.name, namingOrganization(mapped.message, scope), {
      cause: mapped.cause ?? err,
    });
  }
  const named = result as { error_message?: unknown };
  if (typeof named === "object" && named !== null && typeof named.error_message === "string") {
    named.error_message = namingOrganization(named.error_message, scope);
  }
  return result;
}
