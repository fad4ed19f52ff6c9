/**
 * Re-reads the API key once on a 401: wraps a PolytomicApi so that a call answered
 * `Polytomic.Unauthorized` triggers `refresh()` (the key store forces a fresh read) and is
 * retried exactly once with the new key. A second 401 is thrown as is. Downloads use signed
 * URLs, not the key, so they are not retried.
 */
import { PolytomicUnauthorizedError } from "../polytomic/errors";
import type { Logger, PolytomicApi, PolytomicPartnerApi } from "./ports";

export function withKeyRefresh<T extends PolytomicApi | PolytomicPartnerApi>(
  api: T,
  refresh: () => Promise<void>,
  logger?: Logger,
): T {
  return new Proxy(api, {
    get(target, prop, receiver) {
      const value: unknown = Reflect.get(target, prop, receiver);
      if (typeof value !== "function" || prop === "download") {
        return typeof value === "function" ? value.bind(target) : value;
      }
      const fn = value as (...args: unknown[]) => Promise<unknown>;
      return async (...args: unknown[]) => {
        try {
          return await fn.apply(target, args);
        } catch (err) {
          if (!(err instanceof PolytomicUnauthorizedError)) throw err;
          logger?.warn("API key rejected (401); re-reading it and retrying once", {
            call: String(prop),
          });
          await refresh();
          return await fn.apply(target, args);
        }
      };
    },
  });
}
