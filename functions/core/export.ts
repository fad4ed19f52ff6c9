/**
 * export-logs: copies a run's logs to the LogSink, streaming every file.
 * - bulk: the log export job (started with an Idempotency-Key, polled within bounds), then
 *   the archive it produces;
 * - model: the log files of the configured types (default errors and warnings);
 * - both: the console log entries, as one JSON file (bounded). Polytomic keeps only a run's
 *   latest 50; the file says `truncated` (with a `note`) when it may be missing some.
 * Keys: `<prefix>/<pipeline>/<YYYY-MM-DD>/<execution_name>/<step>/<file>`, the date being
 * the step's start date (UTC) so retries write the same keys.
 *
 * A failed export never throws: it returns `{exported: false, error}` so that it cannot
 * turn a succeeded step into a failed one. Signed URLs are never logged or returned.
 */
import type { ConsoleLogEntry } from "../polytomic/types";
import type { ExportLogsResult } from "./contract";
import type { Deps } from "./deps";
import { startKey } from "./idempotency";
import type { ModelLogType, StartedState } from "./input";
import type { Logger } from "./ports";
import type { Budget } from "./runtime";

/** Job polls: first wait, growth, cap. */
const JOB_POLL_MIN_MS = 1_000;
const JOB_POLL_MAX_MS = 10_000;
const MAX_JOB_POLLS = 60;
/**
 * The console log endpoints return "at most the most recent 50 entries", and a larger
 * `limit` is "capped to 50" (spec): ask for what they serve.
 */
const CONSOLE_RETAINED = 50;
const MAX_CONSOLE_PAGES = 50;

function safeSegment(s: string): string {
  const cleaned = s.replace(/[^A-Za-z0-9._=-]/g, "_").replace(/^\.+/, "_");
  return cleaned.length > 0 ? cleaned.slice(0, 200) : "_";
}

/** The key prefix (ending in "/") of a step run's log files. */
export function logKeyPrefix(prefix: string, state: StartedState): string {
  const date = new Date(state.start.started_at).toISOString().slice(0, 10);
  const parts = [state.pipeline, date, state.execution_name, state.step].map(safeSegment);
  const base = prefix.replace(/^\/+|\/+$/g, "");
  return `${base ? `${base}/` : ""}${parts.join("/")}/`;
}

/** The file name of a signed URL (its last path segment), without the query string. */
export function fileNameOf(url: string, fallback: string): string {
  try {
    const last = decodeURIComponent(new URL(url).pathname.split("/").pop() ?? "");
    return /^[A-Za-z0-9._-]{1,200}$/.test(last) && !last.startsWith(".") ? last : fallback;
  } catch {
    return fallback;
  }
}

export async function exportLogs(
  state: StartedState,
  logTypes: ModelLogType[],
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<ExportLogsResult> {
  const keys: string[] = [];
  const base = logKeyPrefix(deps.config.logsPrefix, state);
  const errors: string[] = [];
  const attempt = async (what: string, f: () => Promise<void>) => {
    try {
      await f();
    } catch (err) {
      const e = deps.redactor.error(err);
      errors.push(`${what}: ${e.name}: ${e.message}`);
      log.warn(`log export step failed: ${what}`, { error: e });
    }
  };

  if (state.sync_type === "bulk") {
    await attempt("bulk log archive", () =>
      exportBulkArchive(state, base, keys, deps, log, budget),
    );
  } else {
    for (const type of logTypes) {
      await attempt(`model ${type} logs`, () =>
        exportModelLogs(state, type, base, keys, deps, budget),
      );
    }
  }
  await attempt("console logs", () => exportConsole(state, base, keys, deps, log, budget));

  const result: ExportLogsResult = { exported: errors.length === 0, keys };
  if (errors.length > 0) result.error = deps.redactor.text(errors.join("; "));
  log.info(result.exported ? "logs exported" : "log export failed", {
    keys: keys.length,
    exported: result.exported,
  });
  return result;
}

async function streamTo(
  url: string,
  key: string,
  fallbackType: string,
  deps: Deps,
  budget: Budget,
): Promise<void> {
  // The client's timeouts end once the headers arrive; a body that stalls is cut off at
  // the invocation's deadline here, so a slow archive is a recorded export failure and
  // never a Lambda timeout.
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new Error(`the time to stream ${key} ran out`)),
    Math.max(0, budget.deadline - deps.clock.now()),
  );
  timer.unref?.();
  try {
    const response = await deps.polytomic.download(url, {
      deadline: budget.deadline,
      signal: controller.signal,
    });
    if (!response.body) throw new Error(`download for ${key} returned no body`);
    const type = response.headers.get("content-type") ?? fallbackType;
    await deps.logs.put(key, response.body, type, controller.signal);
  } finally {
    clearTimeout(timer);
  }
}

async function exportBulkArchive(
  state: StartedState,
  base: string,
  keys: string[],
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<void> {
  const urls = await bulkArchiveUrls(state, deps, log, budget);
  for (const [i, url] of urls.entries()) {
    const key = `${base}${fileNameOf(url, urls.length === 1 ? "logs-archive" : `logs-archive-${i + 1}`)}`;
    await streamTo(url, key, "application/octet-stream", deps, budget);
    keys.push(key);
  }
}

/** Starts the bulk log export and polls its job until it gives the archive's URL(s). */
async function bulkArchiveUrls(
  state: StartedState,
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<string[]> {
  const api = deps.polytomic;
  const { sync_id, execution_id } = state.start;
  const idempotencyKey = `${startKey(state.execution_name, state.step, state.attempt ?? 0, state.organization_id)}-logs`;
  const started = await api.exportBulkLogs(sync_id, execution_id, {
    idempotencyKey,
    deadline: budget.deadline,
  });
  if (started.data?.url) return [started.data.url];
  const jobId = started.job?.job_id;
  if (!jobId) throw new Error("the log export answered neither a url nor a job id");
  let wait = JOB_POLL_MIN_MS;
  for (let polls = 0; polls < MAX_JOB_POLLS && budget.fits(wait + 5_000); polls++) {
    await deps.sleep(wait);
    wait = Math.min(JOB_POLL_MAX_MS, wait * 2);
    const job = await api.getJob("exportlogs", jobId, { deadline: budget.deadline });
    if (job.status === "failed") {
      throw new Error(`log export job ${jobId} failed${job.error ? `: ${job.error}` : ""}`);
    }
    if (job.status === "done") {
      const found = jobResultUrls(job.result);
      if ("urls" in found) {
        log.debug("log archive ready", { job_id: jobId, files: found.urls.length });
        return found.urls;
      }
      log.warn("log export job is done but its result has no URL this code knows", {
        job_id: jobId,
        result_shape: found.shape,
      });
      throw new Error(
        `log export job ${jobId} is done but its result has no url (result shape: ${found.shape})`,
      );
    }
  }
  throw new Error(`log export job ${jobId} did not finish in time`);
}

/**
 * The URLs in a done export job's `result`, whose shape the spec leaves open ("depends on
 * the job type"; the guide: "the final response contains a signed url"). Accepted: a URL
 * string, `{url}`, `{urls: [...]}`. Anything else: a description of the shape (its type and
 * keys, never its values, which may be signed URLs) for the step's logs.
 */
export function jobResultUrls(result: unknown): { urls: string[] } | { shape: string } {
  if (typeof result === "string" && result !== "") return { urls: [result] };
  if (typeof result === "object" && result !== null && !Array.isArray(result)) {
    const r = result as Record<string, unknown>;
    if (typeof r.url === "string" && r.url !== "") return { urls: [r.url] };
    const urls = Array.isArray(r.urls)
      ? r.urls.filter((u) => typeof u === "string" && u !== "")
      : [];
    if (urls.length > 0) return { urls: urls as string[] };
    const names = Object.keys(r)
      .slice(0, 20)
      .map((k) => k.slice(0, 40));
    return { shape: names.length > 0 ? `object with keys ${names.join(", ")}` : "empty object" };
  }
  return { shape: result === null ? "null" : Array.isArray(result) ? "array" : typeof result };
}

async function exportModelLogs(
  state: StartedState,
  type: ModelLogType,
  base: string,
  keys: string[],
  deps: Deps,
  budget: Budget,
): Promise<void> {
  const { sync_id, execution_id } = state.start;
  const r = await deps.polytomic.getModelLogUrls(sync_id, execution_id, type, {
    deadline: budget.deadline,
  });
  const urls = r.urls ?? [];
  for (const [i, url] of urls.entries()) {
    const key = `${base}${type}/${fileNameOf(url, `${type}-${i + 1}`)}`;
    await streamTo(url, key, "application/octet-stream", deps, budget);
    keys.push(key);
  }
}

async function exportConsole(
  state: StartedState,
  base: string,
  keys: string[],
  deps: Deps,
  log: Logger,
  budget: Budget,
): Promise<void> {
  const api = deps.polytomic;
  const { sync_id, execution_id } = state.start;
  const entries: ConsoleLogEntry[] = [];
  let after: string | undefined;
  let cut = false;
  for (let page = 0; page < MAX_CONSOLE_PAGES; page++) {
    const query = after ? { limit: CONSOLE_RETAINED, after } : { limit: CONSOLE_RETAINED };
    const options = { deadline: budget.deadline };
    const r =
      state.sync_type === "model"
        ? await api.getModelConsoleLogs(sync_id, execution_id, query, options)
        : await api.getBulkConsoleLogs(sync_id, execution_id, query, options);
    entries.push(...(r.entries ?? []));
    if (entries.length >= deps.config.maxConsoleEntries) {
      cut = true;
      entries.length = deps.config.maxConsoleEntries;
      break;
    }
    if (!r.next_cursor || r.next_cursor === after || (r.entries ?? []).length === 0) break;
    after = r.next_cursor;
  }
  const note = consoleTruncation(entries.length, cut, deps.config.maxConsoleEntries);
  if (note) log.info("console log truncated", { entries: entries.length, note });
  const key = `${base}console.json`;
  const body = JSON.stringify(
    { sync_id, execution_id, truncated: note !== undefined, ...(note ? { note } : {}), entries },
    null,
    1,
  );
  await deps.logs.put(key, deps.redactor.text(body), "application/json");
  keys.push(key);
}

/** Why the exported console log may be incomplete, or undefined when it is whole. */
function consoleTruncation(count: number, cut: boolean, max: number): string | undefined {
  if (cut) return `cut at ${max} entries`;
  if (count >= CONSOLE_RETAINED) {
    return `Polytomic keeps only the latest ${CONSOLE_RETAINED} console entries of a run; earlier ones may be missing`;
  }
  return undefined;
}
