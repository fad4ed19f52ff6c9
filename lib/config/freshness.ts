/**
 * `freshness:` of the pipelines file: the rules between its fields (one sync kind per
 * entry, per-schema ages on bulk syncs only, no sync listed twice, ages the check interval
 * can see) and its typed form, the freshness function's input (functions/core/freshness.ts).
 * Whether a sync named here exists is known only to Polytomic: the function, `freshness`
 * and `doctor` report an unknown name when they resolve it.
 */
import type { FreshSync } from "../../functions/core/freshness";
import { formatConfigDuration, parseDuration } from "./duration";
import { isRecord, type Path, type Sink, valid } from "./load";
import type { FreshnessConfig } from "./model";
import {
  FRESHNESS_API_CALLS,
  FRESHNESS_CHECK_EVERY,
  FRESHNESS_PAGES,
  freshnessSchema,
  freshSyncSchema,
  type RawFreshness,
  type RawFreshSync,
} from "./schema";

/** The rules of `freshness` (at `at`) that relate fields to each other. */
export function checkFreshness(raw: Record<string, unknown>, at: Path, sink: Sink): void {
  const every = parseDuration(valid(freshnessSchema.shape.check_every, raw.check_every) ?? "");
  if (every !== undefined && every % 60 !== 0) {
    sink.add([...at, "check_every"], "use whole minutes, such as 5m or 15m");
  }
  const interval = every ?? FRESHNESS_CHECK_EVERY.default;
  if (!Array.isArray(raw.syncs)) return;
  const seen = new Map<string, number>();
  const labels = new Map<string, number>();
  raw.syncs.forEach((entry, index) => {
    if (!isRecord(entry)) return;
    const here = [...at, "syncs", index];
    const key = checkKind(entry, here, sink);
    if (key !== undefined) {
      const first = seen.get(key.identity);
      const sameLabel = labels.get(key.label);
      if (first !== undefined) {
        sink.add(here, `this sync is listed already, at freshness.syncs[${first}]`);
      } else if (sameLabel !== undefined) {
        sink.add(
          here,
          `freshness.syncs[${sameLabel}] is named "${key.label}" too: their metrics (dimension Sync) would mix; name one by id`,
        );
      }
      seen.set(key.identity, first ?? index);
      labels.set(key.label, sameLabel ?? index);
    }
    checkAge(entry.max_age, interval, [...here, "max_age"], sink);
    if (isRecord(entry.schemas)) {
      for (const [schema, value] of Object.entries(entry.schemas)) {
        const age = isRecord(value) ? value.max_age : undefined;
        checkAge(age, interval, [...here, "schemas", schema, "max_age"], sink);
      }
    }
  });
}

/**
 * One of bulk_sync and model_sync, per-schema ages on bulk syncs only.
 * @returns the entry's identity (type and id or name) and label, when it has a valid one
 */
function checkKind(
  entry: Record<string, unknown>,
  at: Path,
  sink: Sink,
): { identity: string; label: string } | undefined {
  const bulk = entry.bulk_sync !== undefined;
  const model = entry.model_sync !== undefined;
  if (bulk && model) {
    sink.add([...at, "model_sync"], "set either bulk_sync or model_sync, not both");
    return undefined;
  }
  if (!bulk && !model) {
    sink.add([...at, "bulk_sync"], "missing: set bulk_sync or model_sync");
    return undefined;
  }
  if (model && entry.schemas !== undefined) {
    sink.add(
      [...at, "schemas"],
      "per-schema max_age is for bulk syncs; this entry watches a model sync",
    );
  }
  const field = bulk ? "bulk_sync" : "model_sync";
  const ref = valid(freshSyncSchema.shape[field], entry[field]);
  if (ref === undefined) return undefined;
  return typeof ref === "string"
    ? { identity: `${field}:id:${ref.toLowerCase()}`, label: ref }
    : { identity: `${field}:name:${ref.name}`, label: ref.name };
}

/**
 * A max_age no longer than the check interval could never be seen fresh between two
 * checks: the sync would have to succeed more often than it is looked at.
 */
function checkAge(text: unknown, interval: number, at: Path, sink: Sink): void {
  const age = typeof text === "string" ? parseDuration(text) : undefined;
  if (age !== undefined && age <= interval) {
    sink.add(
      at,
      `${formatConfigDuration(age)} is not longer than check_every (${formatConfigDuration(interval)}): a sync is looked at only that often`,
    );
  }
}

/** The validated `freshness` as the function's input. */
export function toFreshness(raw: RawFreshness): FreshnessConfig {
  return {
    check_every_seconds: parseDuration(raw.check_every ?? "") ?? FRESHNESS_CHECK_EVERY.default,
    max_api_calls: raw.max_api_calls ?? FRESHNESS_API_CALLS.default,
    max_pages: raw.max_pages ?? FRESHNESS_PAGES.default,
    syncs: raw.syncs.map(toFreshSync),
  };
}

function toFreshSync(raw: RawFreshSync): FreshSync {
  const bulk = raw.bulk_sync !== undefined;
  const ref = (bulk ? raw.bulk_sync : raw.model_sync) as string | { name: string };
  const sync = typeof ref === "string" ? { id: ref } : { name: ref.name };
  return {
    type: bulk ? "bulk" : "model",
    sync,
    label: typeof ref === "string" ? ref : ref.name,
    max_age_seconds: parseDuration(raw.max_age) as number,
    schemas: Object.entries(raw.schemas ?? {}).map(([schema, s]) => ({
      schema,
      max_age_seconds: parseDuration(s.max_age) as number,
    })),
  };
}
