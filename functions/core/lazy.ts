/**
 * The Lambda entry point of a handler module: builds the AWS deps on the first invocation
 * (so importing the module needs no AWS environment) and reuses them afterwards. A failed
 * build is thrown as `Config.Invalid` (or its own contract name) and retried next time.
 */
import type { Deps } from "./deps";
import { HandlerError } from "./errors";
import { Redactor } from "./redact";
import type { Handler, InvocationContext } from "./runtime";

export function lazyHandler<R>(
  loadDeps: () => Promise<Deps>,
  makeHandler: (deps: Deps) => Handler<R>,
): Handler<R> {
  let handler: Handler<R> | undefined;
  return async (event: unknown, context?: InvocationContext) => {
    if (!handler) {
      try {
        handler = makeHandler(await loadDeps());
      } catch (err) {
        if (err instanceof HandlerError) throw err;
        const e = new Redactor().error(err);
        throw new HandlerError(
          "Config.Invalid",
          `cannot set up the handler: ${e.name}: ${e.message}`,
          {
            cause: err,
          },
        );
      }
    }
    return handler(event, context);
  };
}
