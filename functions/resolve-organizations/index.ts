/**
 * resolve-organizations: the organizations a partner fan-out runs a pipeline in
 * (docs/partners.md). Input: ResolveOrganizationsInput. Output: ResolveOrganizationsResult.
 * Calls only the partner endpoints, with the partner key from the Polytomic secret as Bearer.
 */

import { awsDeps } from "../aws/aws-deps";
import { partnerFromEnv } from "../aws/polytomic-from-env";
import type { ResolveOrganizationsResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseResolveOrganizationsInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { partnerOf } from "../core/organization";
import { resolveOrganizations } from "../core/resolve-organizations";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<ResolveOrganizationsResult> {
  return (event, context) =>
    invoke("resolve-organizations", deps, event, context, (_log, budget) => {
      const input = parseResolveOrganizationsInput(event);
      return resolveOrganizations(input, partnerOf(deps).partner, { deadline: budget.deadline });
    });
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(() => awsDeps({ partner: partnerFromEnv }), makeHandler);
