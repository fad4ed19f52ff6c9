/**
 * Counts the client's retries per unit of work (a handler invocation), whichever client
 * instance makes the calls: the caller runs the work inside `countRetries`, and every
 * retry the client waits for inside it is counted. Work outside any scope is not counted.
 */
import { AsyncLocalStorage } from "node:async_hooks";

interface Scope {
  retries: number;
}

const scopes = new AsyncLocalStorage<Scope>();

/** Called by the client before each retry's wait. */
export function noteRetry(): void {
  const scope = scopes.getStore();
  if (scope) scope.retries++;
}

/** Runs `work` and returns its result with the number of client retries it waited for. */
export async function countRetries<T>(
  work: () => Promise<T>,
): Promise<{ result: T; retries: number }> {
  const scope: Scope = { retries: 0 };
  const result = await scopes.run(scope, work);
  return { result, retries: scope.retries };
}
