/**
 * What every handler shares: the invocation's time budget, the mapping of any thrown error
 * to a contract error (error-names.ts) with a redacted message, and start/end log lines.
 */
import { PolytomicError } from "../polytomic/errors";
import { countRetries } from "../polytomic/retry-scope";
import type { Deps } from "./deps";
import { HandlerError, isHandlerErrorName } from "./errors";
import type { Logger } from "./ports";
import type { Redactor } from "./redact";

/** The part of the Lambda context the handlers use. */
export interface InvocationContext {
  getRemainingTimeInMillis?: () => number;
  awsRequestId?: string;
}

export type Handler<R> = (event: unknown, context?: InvocationContext) => Promise<R>;

/** The time an invocation may spend: every client call and sleep stays before `deadline`. */
export class Budget {
  constructor(
    private readonly deps: Pick<Deps, "clock">,
    /** Epoch ms after which no call starts and no sleep ends. */
    readonly deadline: number,
  ) {}

  static of(deps: Pick<Deps, "clock" | "config">, context?: InvocationContext): Budget {
    const remaining = context?.getRemainingTimeInMillis?.() ?? deps.config.defaultBudgetMs;
    const usable = Math.max(0, remaining - deps.config.safetyMarginMs);
    return new Budget(deps, deps.clock.now() + usable);
  }

  remainingMs(): number {
    return Math.max(0, this.deadline - this.deps.clock.now());
  }

  /** Whether `ms` more milliseconds (plus a call) still fit. */
  fits(ms: number): boolean {
    return this.remainingMs() > ms;
  }
}

/**
 * A contract error for anything thrown: client errors keep their name, handler errors pass
 * through, anything else becomes `Internal.Error`. Messages are redacted.
 */
export function toHandlerError(err: unknown, redactor: Redactor): HandlerError {
  if (err instanceof HandlerError) {
    const out = new HandlerError(err.name, redactor.text(err.message), { cause: err.cause });
    return out;
  }
  if (err instanceof PolytomicError && isHandlerErrorName(err.name)) {
    return new HandlerError(err.name, redactor.text(err.message), { cause: err });
  }
  if (err instanceof Error && isHandlerErrorName(err.name)) {
    return new HandlerError(err.name, redactor.text(err.message), { cause: err });
  }
  const e = redactor.error(err);
  return new HandlerError("Internal.Error", `unexpected ${e.name}: ${e.message}`, { cause: err });
}

/** Log fields naming the step and the Step Functions execution. */
export function stepFields(input: {
  pipeline?: string;
  step?: string;
  execution_name?: string;
  sync?: { id?: string; name?: string };
  start?: { sync_id?: string; execution_id?: string };
  organization_id?: string | undefined;
  organization_name?: string | undefined;
}): Record<string, unknown> {
  const f: Record<string, unknown> = {};
  if (input.pipeline) f.pipeline = input.pipeline;
  if (input.organization_id) f.organization_id = input.organization_id;
  if (input.organization_name) f.organization_name = input.organization_name;
  if (input.step) f.step = input.step;
  if (input.execution_name) f.sfn_execution = input.execution_name;
  const syncId = input.start?.sync_id ?? input.sync?.id;
  if (syncId) f.sync_id = syncId;
  if (input.sync?.name) f.sync_name = input.sync.name;
  if (input.start?.execution_id) f.execution_id = input.start.execution_id;
  return f;
}

/** Best-effort context fields from an input that may not be valid yet. */
function looseFields(event: unknown): Record<string, unknown> {
  if (typeof event !== "object" || event === null) return {};
  const o = event as Record<string, unknown>;
  const s = (v: unknown) => (typeof v === "string" ? v : undefined);
  const sync =
    typeof o.sync === "object" && o.sync !== null ? (o.sync as Record<string, unknown>) : {};
  const start =
    typeof o.start === "object" && o.start !== null ? (o.start as Record<string, unknown>) : {};
  return stepFields({
    pipeline: s(o.pipeline),
    step: s(o.step),
    execution_name: s(o.execution_name),
    sync: { id: s(sync.id), name: s(sync.name) },
    start: { sync_id: s(start.sync_id), execution_id: s(start.execution_id) },
    organization_id: s(o.organization_id),
    organization_name: s(o.organization_name),
  });
}

/** For handlers whose retries are not accumulated from an earlier result. */
export const NO_CARRIED_RETRIES = { carried: () => 0 };

export interface InvokeOptions {
  /**
   * Report the Polytomic API retries in the result's `api_retries`: this invocation's,
   * plus what the event already carried (check-status accumulates across its checks).
   */
  retries?: { carried: (event: unknown) => number };
}

/**
 * Runs one invocation: logs start and end with the step's context, maps errors. `body`
 * receives a logger carrying the context and the invocation's budget.
 */
export async function invoke<R>(
  name: string,
  deps: Deps,
  event: unknown,
  context: InvocationContext | undefined,
  body: (log: Logger, budget: Budget) => Promise<R>,
  options: InvokeOptions = {},
): Promise<R> {
  const log = deps.logger.child({ handler: name, ...looseFields(event) });
  const budget = Budget.of(deps, context);
  log.info(`${name} invoked`);
  try {
    const { result, retries } = await countRetries(() => body(log, budget));
    if (options.retries && typeof result === "object" && result !== null) {
      const carried = options.retries.carried(event);
      (result as { api_retries?: number }).api_retries = carried + retries;
    }
    if (retries > 0)
      log.warn(`${name} retried ${retries} Polytomic call(s)`, { api_retries: retries });
    log.info(`${name} done`, { result: result as unknown });
    return result;
  } catch (err) {
    const mapped = toHandlerError(err, deps.redactor);
    log.error(`${name} failed`, { error: deps.redactor.error(err), error_name: mapped.name });
    throw mapped;
  }
}
