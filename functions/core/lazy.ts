/**
 * The Lambda entry point of a handler module: builds the AWS deps on the first invocation
 * (so importing the module needs no AWS environment) and reuses them afterwards.
 */
import type { Deps } from "./deps";
import type { Handler, InvocationContext } from "./runtime";

export function lazyHandler<R>(
  loadDeps: () => Promise<Deps>,
  makeHandler: (deps: Deps) => Handler<R>,
): Handler<R> {
  let handler: Promise<Handler<R>> | undefined;
  return async (event: unknown, context?: InvocationContext) => {
    handler ??= loadDeps().then(makeHandler);
    try {
      return await (await handler)(event, context);
    } finally {
      // A failed build (bad configuration) is retried on the next invocation.
      handler?.catch(() => {
        handler = undefined;
      });
    }
  };
}
