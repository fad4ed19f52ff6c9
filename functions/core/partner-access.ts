/**
 * A partner key's reach (docs/partners.md), built the same way on Lambda
 * (functions/aws/polytomic-from-env.ts) and in the local runner (lib/local/local-deps.ts):
 * the partner endpoints with the key as Bearer, and one client per organization with the key
 * as HTTP Basic `<organization id>:<partner key>` (`organizationCredentials`, the Terraform
 * provider's form), cached for the life of the container.
 *
 * The key is read when a call needs it (so a rotated key is picked up), registered with the
 * redactor with every organization's Basic form, and never put in a message. A secret with no
 * partner key fails the call with `Config.Invalid`, saying so.
 */
import {
  basicToken,
  organizationCredentials,
  type PolytomicCredentials,
} from "../polytomic/client";
import { withKeyRefresh } from "./auth-refresh";
import { HandlerError } from "./errors";
import type { Logger, PartnerAccess, PolytomicApi, PolytomicPartnerApi } from "./ports";
import type { Redactor } from "./redact";

export interface PartnerAccessOptions {
  /** The partner key, read when a call needs it; undefined when the source holds none. */
  partnerKey: () => Promise<string | undefined>;
  /** Where the key comes from, for the error when there is none (e.g. `secret <arn>`). */
  source: string;
  /** A client for these credentials (the function's base URL, retries and logger). */
  client: (apiKey: () => Promise<PolytomicCredentials>) => PolytomicApi & PolytomicPartnerApi;
  redactor: Redactor;
  /** Forces a fresh read of the key: a call answered 401 is retried once after it. */
  refresh?: () => Promise<void>;
  logger?: Logger;
}

export function partnerAccess(options: PartnerAccessOptions): PartnerAccess {
  const { redactor } = options;
  const key = async (): Promise<string> => {
    const partnerKey = await options.partnerKey();
    if (partnerKey === undefined) {
      throw new HandlerError(
        "Config.Invalid",
        `${options.source} holds no partner key, which a partner fan-out needs (organization-scoped steps, resolve-organizations): store JSON {"partner_key": "..."} (docs/partners.md)`,
      );
    }
    redactor.register(partnerKey);
    return partnerKey;
  };
  const refreshed = <T extends PolytomicApi | PolytomicPartnerApi>(api: T): T =>
    options.refresh ? withKeyRefresh(api, options.refresh, options.logger) : api;
  const partner = refreshed<PolytomicPartnerApi>(options.client(key));
  const organizations = new Map<string, PolytomicApi>();
  return {
    partner,
    organization(organizationId) {
      const id = organizationId.toLowerCase();
      let api = organizations.get(id);
      if (!api) {
        api = refreshed<PolytomicApi>(
          options.client(async () => {
            const partnerKey = await key();
            redactor.register(basicToken(organizationId, partnerKey));
            return organizationCredentials(partnerKey, organizationId);
          }),
        );
        organizations.set(id, api);
      }
      return api;
    },
  };
}
