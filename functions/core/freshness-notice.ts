/**
 * The freshness notice (issue 14): when a sync's or schema's freshness alarm goes into
 * ALARM, say which sync it is and when it last succeeded. An EventBridge rule on the
 * alarm's "CloudWatch Alarm State Change" hands the alarm's `detail` to the
 * freshness-notice function with the watched syncs (lib/constructs/freshness.ts); this
 * re-reads that one sync's last success with the check's own code (checkFreshness, within
 * `max_api_calls` and `max_pages`) and publishes one message to the alarm topic.
 *
 * The notice is the page (the freshness alarms have no SNS action of their own), so it is
 * sent whatever Polytomic answers: when the last success cannot be read it says so and
 * why. Only a failed publish throws (Lambda retries; its dropped events alarm).
 *
 * Text from Polytomic and from the pipelines file (sync and schema names, error messages)
 * is quoted as JSON strings and kept to one line, so it cannot add lines or forge fields;
 * the whole message is redacted (the API key, URL query strings, Bearer tokens).
 */
import type { SyncType } from "./contract";
import type { Deps } from "./deps";
import { HandlerError } from "./errors";
import {
  checkFreshness,
  type FreshnessInput,
  type FreshnessRow,
  type FreshSync,
} from "./freshness";
import type { Logger, Notice } from "./ports";
import type { Budget } from "./runtime";

/** What the notice needs of the alarm's state change (its EventBridge `detail`). */
export interface AlarmChange {
  /** The alarm's name. */
  alarm: string;
  /** When it went into ALARM (`state.timestamp`), when the event says. */
  since?: string;
  /** The alarm metric's `Sync` dimension: the watched sync's label. */
  sync?: string;
  /** Its `Schema` dimension, for a schema's alarm. */
  schema?: string;
}

export interface FreshnessNoticeInput extends FreshnessInput {
  alarm: AlarmChange;
}

export interface FreshnessNoticeResult {
  alarm: string;
  sync?: string;
  schema?: string;
  /** What the re-read found; absent when the alarm names no watched sync. */
  status?: FreshnessRow["status"];
  api_calls: number;
  published: true;
}

/** Time kept back from the invocation's budget for publishing, whatever the reads took. */
export const PUBLISH_RESERVE_MS = 20_000;

/** The row of the alarmed sync or schema, re-read now; undefined when it is not watched. */
async function reread(
  input: FreshnessNoticeInput,
  deps: Deps,
  budget: Budget,
): Promise<{ watched?: FreshSync; row?: FreshnessRow; api_calls: number }> {
  const { sync, schema } = input.alarm;
  const watched = input.syncs.find((s) => s.label === sync);
  if (!watched) return { api_calls: 0 };
  const one: FreshSync = {
    ...watched,
    schemas: watched.schemas.filter((s) => s.schema === schema),
  };
  if (schema !== undefined && one.schemas.length === 0) return { api_calls: 0 };
  const report = await checkFreshness(
    { syncs: [one], max_api_calls: input.max_api_calls, max_pages: input.max_pages },
    deps.polytomic,
    deps.clock.now(),
    { deadline: budget.deadline - PUBLISH_RESERVE_MS },
  );
  const row = report.rows.find((r) => r.schema === schema);
  return { watched, ...(row ? { row } : {}), api_calls: report.api_calls };
}

/** Polytomic's or the file's text as data: a JSON string on one line, at most `max` characters. */
export function quoted(text: string, max = 200): string {
  const chars = Array.from(text);
  return JSON.stringify(chars.length > max ? `${chars.slice(0, max - 1).join("")}…` : text);
}

/** Text AWS gives (an alarm name, a time) on one line: control characters replaced, cut at `max`. */
function oneLine(text: string, max: number): string {
  return Array.from(text.replace(/\p{Cc}/gu, "?"))
    .slice(0, max)
    .join("");
}

/** A number of seconds, and the same in hours. */
function seconds(s: number): string {
  return `${s} s (${(s / 3600).toFixed(1)} h)`;
}

const STATUS_NOW: Record<FreshnessRow["status"], string> = {
  ok: "ok: it has succeeded again within max_age since the alarm fired",
  stale: "STALE",
  never: "never succeeded",
  unreadable: "unreadable",
};

/** "When it last succeeded", whatever the re-read found. */
function lastSuccess(row: FreshnessRow | undefined): string {
  if (!row) return "could not be read: this alarm names no sync the freshness check watches";
  if (row.last_success !== undefined) return row.last_success;
  if (row.status === "never") return "never succeeded (its whole run history was read)";
  return `could not be read: ${quoted(row.reason ?? "unknown reason", 500)}`;
}

/** The sync's line: its label, its name in Polytomic when that differs, its type and id. */
function syncLine(type: SyncType | undefined, label: string, row: FreshnessRow | undefined) {
  const name = row?.name !== undefined && row.name !== label ? `, named ${quoted(row.name)}` : "";
  const id = row?.sync_id !== undefined ? `, id ${row.sync_id}` : "";
  const paused = row?.active === false ? " (paused in Polytomic)" : "";
  return `${quoted(label)}${name} (${type ?? "unknown type"} sync${id})${paused}`;
}

/** SNS's rule for a subject: printable ASCII, one line, under 100 characters. */
export function subjectLine(text: string): string {
  const ascii = text.replace(/[^\x20-\x7e]/g, "?");
  return ascii.length > 99 ? `${ascii.slice(0, 98)}~` : ascii;
}

function subjectOf(alarm: AlarmChange): string {
  const what = `${alarm.sync ?? alarm.alarm}${alarm.schema !== undefined ? ` / ${alarm.schema}` : ""}`;
  return subjectLine(`Polytomic sync not fresh: ${what}`);
}

/** The notice's text (pure). */
export function freshnessNotice(
  alarm: AlarmChange,
  watched: FreshSync | undefined,
  row: FreshnessRow | undefined,
): Notice {
  const label = alarm.sync ?? "(no Sync dimension)";
  const maxAge =
    row?.max_age_seconds ??
    (alarm.schema === undefined
      ? watched?.max_age_seconds
      : watched?.schemas.find((s) => s.schema === alarm.schema)?.max_age_seconds);
  const lines = [
    "A Polytomic sync has not succeeded within its max_age (or never did, or its last success could not be read).",
    "",
    `Sync:          ${syncLine(watched?.type, label, row)}`,
    ...(alarm.schema !== undefined ? [`Schema:        ${quoted(alarm.schema)}`] : []),
    `Last success:  ${lastSuccess(row)}`,
    `Age:           ${row?.age_seconds !== undefined ? seconds(row.age_seconds) : "-"}`,
    `max_age:       ${maxAge !== undefined ? seconds(maxAge) : "-"}`,
    ...(row ? [`Status now:    ${STATUS_NOW[row.status]}`] : []),
    `Alarm:         ${oneLine(alarm.alarm, 255)}, in ALARM${alarm.since ? ` since ${oneLine(alarm.since, 40)}` : ""}`,
    "",
    "Where to look:",
    `- the ${watched ? `${watched.type} ` : ""}sync in Polytomic${row?.sync_id ? ` (id ${row.sync_id})` : ""}: its runs and their errors;`,
    "- `polytomic-orchestrator freshness --live`: every watched sync, read now;",
    '- the freshness function\'s log: one "sync stale", "sync never succeeded" or "sync unreadable" line per check.',
  ];
  return { subject: subjectOf(alarm), message: `${lines.join("\n")}\n` };
}

/** Re-reads the alarmed sync's last success and publishes the notice (one Publish). */
export async function sendFreshnessNotice(
  input: FreshnessNoticeInput,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<FreshnessNoticeResult> {
  const notices = deps.notices;
  if (!notices) throw new HandlerError("Internal.Error", "no notice topic is configured");
  const { alarm } = input;
  const { watched, row, api_calls } = await reread(input, deps, budget);
  if (!watched) log.warn("the alarm names no watched sync", { alarm: alarm.alarm });
  const notice = freshnessNotice(alarm, watched, row);
  await notices.publish({
    subject: subjectLine(deps.redactor.text(notice.subject)),
    message: deps.redactor.text(notice.message),
  });
  const result: FreshnessNoticeResult = {
    alarm: alarm.alarm,
    ...(alarm.sync !== undefined ? { sync: alarm.sync } : {}),
    ...(alarm.schema !== undefined ? { schema: alarm.schema } : {}),
    ...(row ? { status: row.status } : {}),
    api_calls,
    published: true,
  };
  log.info("freshness notice sent", { ...result });
  return result;
}
