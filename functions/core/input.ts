/**
 * Validation of every handler's input. Bad input is a permanent `Input.Invalid` error whose
 * message starts with the offending field's path: `sync_type: must be "model" or "bulk"`.
 * Hand-written (no schema library) to keep the Lambda bundles small. Unknown top-level keys
 * are allowed (the run-sync state carries other steps' results); unknown keys inside
 * `options`, `policy` and `poll` are errors.
 */
import {
  type BulkStartOptions,
  type CheckResult,
  type Expectations,
  type ExportLogsResult,
  type FailurePolicy,
  isStartPending,
  type ModelStartOptions,
  type OrganizationsSpec,
  type PollSettings,
  type ResolveOrganizationsInput,
  type RunState,
  type StartPending,
  type StartResult,
  type StepInput,
  type SyncRef,
  type SyncType,
  UUID_PATTERN,
} from "./contract";
import { invalidInput } from "./errors";
import type { FreshnessInput, FreshSync } from "./freshness";
import { FRESHNESS_SCHEMA_DIMENSION, FRESHNESS_SYNC_DIMENSION } from "./freshness-metrics";
import type { AlarmChange, FreshnessNoticeInput } from "./freshness-notice";

type Obj = Record<string, unknown>;

/** Whether `v` is a UUID (any case), as Polytomic's ids are. */
export function isUuid(v: string): boolean {
  return UUID_PATTERN.test(v);
}

function isObj(v: unknown): v is Obj {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function describe(v: unknown): string {
  if (v === undefined) return "missing";
  if (v === null) return "null";
  if (Array.isArray(v)) return "an array";
  if (typeof v === "string") return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  return typeof v === "object" ? "an object" : String(v);
}

function obj(v: unknown, path: string): Obj {
  if (!isObj(v)) throw invalidInput(path, `must be an object, got ${describe(v)}`);
  return v;
}

function onlyKeys(o: Obj, path: string, allowed: readonly string[]): void {
  for (const k of Object.keys(o)) {
    if (!allowed.includes(k)) {
      throw invalidInput(`${path}.${k}`, `unknown field (allowed: ${allowed.join(", ")})`);
    }
  }
}

function str(v: unknown, path: string): string {
  if (typeof v !== "string" || v.trim() === "") {
    throw invalidInput(path, `must be a non-empty string, got ${describe(v)}`);
  }
  return v;
}

function optStr(v: unknown, path: string): string | undefined {
  return v === undefined ? undefined : str(v, path);
}

function bool(v: unknown, path: string): boolean {
  if (typeof v !== "boolean") throw invalidInput(path, `must be true or false, got ${describe(v)}`);
  return v;
}

function optBool(v: unknown, path: string): boolean | undefined {
  return v === undefined ? undefined : bool(v, path);
}

function int(v: unknown, path: string, min: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < min) {
    throw invalidInput(path, `must be an integer >= ${min}, got ${describe(v)}`);
  }
  return v;
}

function num(v: unknown, path: string, min: number): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw invalidInput(path, `must be a number >= ${min}, got ${describe(v)}`);
  }
  return v;
}

function oneOf<T extends string>(v: unknown, path: string, values: readonly T[]): T {
  if (typeof v !== "string" || !(values as readonly string[]).includes(v)) {
    const list = values.map((x) => `"${x}"`);
    const expected = list.length === 2 ? `${list[0]} or ${list[1]}` : `one of ${list.join(", ")}`;
    throw invalidInput(path, `must be ${expected}, got ${describe(v)}`);
  }
  return v as T;
}

function list(v: unknown, path: string, what = ""): unknown[] {
  if (!Array.isArray(v)) throw invalidInput(path, `must be a list${what}, got ${describe(v)}`);
  return v;
}

function strList(v: unknown, path: string): string[] {
  return list(v, path, " of strings").map((x, i) => str(x, `${path}[${i}]`));
}

function iso(v: unknown, path: string): string {
  const s = str(v, path);
  if (Number.isNaN(Date.parse(s)))
    throw invalidInput(path, `must be an ISO date-time, got ${describe(v)}`);
  return s;
}

function syncRef(v: unknown, path: string): SyncRef {
  const o = obj(v, path);
  onlyKeys(o, path, ["id", "name"]);
  const id = optStr(o.id, `${path}.id`);
  const name = optStr(o.name, `${path}.name`);
  if ((id === undefined) === (name === undefined)) {
    throw invalidInput(path, "must have exactly one of id or name");
  }
  if (id !== undefined) {
    if (!UUID_PATTERN.test(id))
      throw invalidInput(`${path}.id`, `must be a UUID, got ${describe(id)}`);
    return { id };
  }
  return { name: name as string };
}

function modelOptions(v: unknown, path: string): ModelStartOptions {
  const o = obj(v ?? {}, path);
  onlyKeys(o, path, ["identities", "resync", "test"]);
  const out: ModelStartOptions = {};
  if (o.identities !== undefined) out.identities = strList(o.identities, `${path}.identities`);
  const resync = optBool(o.resync, `${path}.resync`);
  if (resync !== undefined) out.resync = resync;
  const test = optBool(o.test, `${path}.test`);
  if (test !== undefined) out.test = test;
  return out;
}

function bulkOptions(v: unknown, path: string): BulkStartOptions {
  const o = obj(v ?? {}, path);
  onlyKeys(o, path, ["schemas", "fetch_mode", "resync_mode", "test"]);
  const out: BulkStartOptions = {};
  if (o.schemas !== undefined) out.schemas = strList(o.schemas, `${path}.schemas`);
  if (o.fetch_mode !== undefined) {
    out.fetch_mode = oneOf(o.fetch_mode, `${path}.fetch_mode`, [
      "none",
      "incremental",
      "full",
    ] as const);
  }
  if (o.resync_mode !== undefined) {
    out.resync_mode = oneOf(o.resync_mode, `${path}.resync_mode`, [
      "refetch",
      "resync",
      "rebuild",
    ] as const);
  }
  const test = optBool(o.test, `${path}.test`);
  if (test !== undefined) out.test = test;
  if (out.test === true && out.resync_mode !== undefined) {
    throw invalidInput(`${path}.test`, "cannot be combined with resync_mode");
  }
  return out;
}

function policy(v: unknown, path: string, type: SyncType): FailurePolicy {
  const o = obj(v ?? {}, path);
  onlyKeys(o, path, ["max_errors", "fail_on_warnings", "fail_on_schema_errors", "expect"]);
  const out: FailurePolicy = {
    max_errors: o.max_errors === undefined ? 0 : int(o.max_errors, `${path}.max_errors`, 0),
    fail_on_warnings: optBool(o.fail_on_warnings, `${path}.fail_on_warnings`) ?? false,
    fail_on_schema_errors:
      optBool(o.fail_on_schema_errors, `${path}.fail_on_schema_errors`) ?? true,
  };
  if (o.expect !== undefined && o.expect !== null) {
    out.expect = expectations(o.expect, `${path}.expect`, type);
  }
  return out;
}

const EXPECT_NUMBERS = ["min_records", "max_records", "max_duration_seconds"] as const;

/** A step's expectations: counts and seconds >= 0, a percent in [0, 100], bulk-only schemas. */
function expectations(v: unknown, path: string, type: SyncType): Expectations {
  const o = obj(v, path);
  onlyKeys(o, path, [...EXPECT_NUMBERS, "max_error_rate_percent", "schemas"]);
  const out: Expectations = {};
  for (const k of EXPECT_NUMBERS) {
    if (o[k] !== undefined) out[k] = int(o[k], `${path}.${k}`, 0);
  }
  if (o.max_error_rate_percent !== undefined) {
    const rate = num(o.max_error_rate_percent, `${path}.max_error_rate_percent`, 0);
    if (rate > 100) {
      throw invalidInput(`${path}.max_error_rate_percent`, `must be at most 100, got ${rate}`);
    }
    out.max_error_rate_percent = rate;
  }
  if (o.schemas !== undefined) {
    if (type !== "bulk") throw invalidInput(`${path}.schemas`, "is for bulk syncs only");
    out.schemas = list(o.schemas, `${path}.schemas`).map((v, i) => {
      const at = `${path}.schemas[${i}]`;
      const s = obj(v, at);
      onlyKeys(s, at, ["schema", "min_records"]);
      return {
        schema: str(s.schema, `${at}.schema`),
        min_records: int(s.min_records, `${at}.min_records`, 0),
      };
    });
  }
  return out;
}

function poll(v: unknown, path: string): PollSettings {
  const o = obj(v ?? {}, path);
  onlyKeys(o, path, ["strategy", "min_seconds", "max_seconds"]);
  const strategy =
    o.strategy === undefined
      ? "adaptive"
      : oneOf(o.strategy, `${path}.strategy`, ["adaptive", "backoff", "fixed"]);
  const min = o.min_seconds === undefined ? 10 : num(o.min_seconds, `${path}.min_seconds`, 1);
  const max =
    o.max_seconds === undefined ? Math.max(min, 600) : num(o.max_seconds, `${path}.max_seconds`, 1);
  if (max < min)
    throw invalidInput(`${path}.max_seconds`, `must be >= min_seconds (${min}), got ${max}`);
  return { strategy, min_seconds: min, max_seconds: max };
}

/** The run-sync machine's input (start-sync's input), with defaults applied. */
export function parseStepInput(event: unknown): StepInput {
  const o = obj(event, "input");
  const sync_type: SyncType = oneOf(o.sync_type, "sync_type", ["model", "bulk"]);
  const out: StepInput = {
    pipeline: str(o.pipeline, "pipeline"),
    step: str(o.step, "step"),
    execution_name: str(o.execution_name, "execution_name"),
    sync_type,
    sync: syncRef(o.sync, "sync"),
    options:
      sync_type === "model"
        ? modelOptions(o.options, "options")
        : bulkOptions(o.options, "options"),
    on_conflict:
      o.on_conflict === undefined
        ? "attach"
        : oneOf(o.on_conflict, "on_conflict", ["attach", "fail", "wait"]),
    policy: policy(o.policy, "policy", sync_type),
    poll: poll(o.poll, "poll"),
    timeout_seconds: num(o.timeout_seconds, "timeout_seconds", 1),
  };
  if (o.attempt !== undefined && o.attempt !== null) out.attempt = int(o.attempt, "attempt", 0);
  if (o.skip !== undefined && o.skip !== null) {
    const skip = bool(o.skip, "skip");
    if (skip) out.skip = true;
  }
  return withOrganization(out, o);
}

/** A partner fan-out's `organization_id` (a UUID) and `organization_name`, when set. */
function withOrganization(out: StepInput, o: Obj): StepInput {
  const id = o.organization_id === null ? undefined : optStr(o.organization_id, "organization_id");
  const name =
    o.organization_name === null ? undefined : optStr(o.organization_name, "organization_name");
  if (id === undefined) {
    if (name !== undefined) throw invalidInput("organization_name", "needs organization_id");
    return out;
  }
  if (!UUID_PATTERN.test(id)) {
    throw invalidInput("organization_id", `must be an organization's UUID, got ${describe(id)}`);
  }
  out.organization_id = id;
  if (name !== undefined) out.organization_name = name;
  return out;
}

/** The longest wait a StartPending may ask for: a day, the longest step timeout. */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

function startPending(v: unknown, path: string): StartPending {
  const o = obj(v, path);
  const out: StartPending = {
    pending: true,
    sync_id: startSyncId(o, path),
    key_index: int(o.key_index, `${path}.key_index`, 1),
    errors: int(o.errors ?? 0, `${path}.errors`, 0),
    waits: int(o.waits ?? 0, `${path}.waits`, 0),
    first_try_at: iso(o.first_try_at, `${path}.first_try_at`),
    retry_after_seconds: int(o.retry_after_seconds, `${path}.retry_after_seconds`, 1),
    reason: str(o.reason, `${path}.reason`),
  };
  if (out.retry_after_seconds > MAX_RETRY_AFTER_SECONDS) {
    throw invalidInput(
      `${path}.retry_after_seconds`,
      `must be at most ${MAX_RETRY_AFTER_SECONDS} (a day), got ${out.retry_after_seconds}`,
    );
  }
  if (o.maybe_started !== undefined && bool(o.maybe_started, `${path}.maybe_started`)) {
    out.maybe_started = true;
  }
  return withStartExtras(out, o, path);
}

/**
 * start-sync's input: the step input, and at `start` its own previous answer when that
 * was a StartPending (the machine calls it again after waiting). Any other `start` is
 * ignored: start-sync runs before a run exists.
 */
export function parseStartInput(event: unknown): StepInput & { previous?: StartPending } {
  const input = parseStepInput(event);
  const start = (event as Obj).start;
  if (!isStartPending(start)) return input;
  const previous = startPending(start, "start");
  if (input.sync.id && previous.sync_id.toLowerCase() !== input.sync.id.toLowerCase()) {
    throw invalidInput(
      "start.sync_id",
      `must be the step's sync ${input.sync.id}, got ${describe(previous.sync_id)}`,
    );
  }
  return { ...input, previous };
}

/** The `start` of a state that has one, when it is a StartPending: no run was started. */
export function pendingStartOf(event: unknown): StartPending | undefined {
  const start = isObj(event) ? event.start : undefined;
  return isStartPending(start) ? startPending(start, "start") : undefined;
}

function startResult(v: unknown, path: string): StartResult {
  const o = obj(v, path);
  const out: StartResult = {
    sync_id: startSyncId(o, path),
    execution_id: str(o.execution_id, `${path}.execution_id`),
    status: str(o.status, `${path}.status`),
    started_at: iso(o.started_at, `${path}.started_at`),
    deadline: iso(o.deadline, `${path}.deadline`),
    attached: o.attached === undefined ? false : bool(o.attached, `${path}.attached`),
  };
  // The first token wait's timeout (webhooks on): read by check.ts firstTrustedWait.
  if (o.event_wait_seconds !== undefined) {
    out.event_wait_seconds = num(o.event_wait_seconds, `${path}.event_wait_seconds`, 0);
  }
  return withStartExtras(out, o, path);
}

/** The `sync_id` of a start-sync answer (StartResult or StartPending): a UUID. */
function startSyncId(o: Obj, path: string): string {
  const id = str(o.sync_id, `${path}.sync_id`);
  if (!UUID_PATTERN.test(id))
    throw invalidInput(`${path}.sync_id`, `must be a UUID, got ${describe(id)}`);
  return id;
}

/** The optional fields both start-sync answers carry: `sync_name`, `api_retries`. */
function withStartExtras<T extends StartResult | StartPending>(out: T, o: Obj, path: string): T {
  const name = optStr(o.sync_name, `${path}.sync_name`);
  if (name !== undefined) out.sync_name = name;
  const retries = optRetries(o.api_retries, `${path}.api_retries`);
  if (retries !== undefined) out.api_retries = retries;
  return out;
}

/** `api_retries` of a handler's earlier result: a count, when present. */
function optRetries(v: unknown, path: string): number | undefined {
  return v === undefined || v === null ? undefined : int(v, path, 0);
}

/** The run-sync state after start-sync: `start` is required. */
export type StartedState = RunState & { start: StartResult };

export function parseStartedState(event: unknown): StartedState {
  const input = parseStepInput(event);
  const o = event as Obj;
  return { ...(o as unknown as RunState), ...input, start: startResult(o.start, "start") };
}

function counts(v: unknown, path: string): CheckResult["counts"] {
  const o = obj(v, path);
  const out: CheckResult["counts"] = {
    records: num(o.records ?? 0, `${path}.records`, 0),
    errors: num(o.errors ?? 0, `${path}.errors`, 0),
    warnings: num(o.warnings ?? 0, `${path}.warnings`, 0),
  };
  for (const k of ["inserts", "updates", "deletes"] as const) {
    if (o[k] !== undefined) out[k] = num(o[k], `${path}.${k}`, 0);
  }
  return out;
}

/** The previous check's result (check-status carries `polls` forward). */
export function parsePreviousCheck(v: unknown): CheckResult | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, "check");
  const out = { ...(o as unknown as CheckResult) };
  out.polls = o.polls === undefined ? 0 : int(o.polls, "check.polls", 0);
  return out;
}

/** A check result as publish-metrics reads it (after the run ended). */
export function parseCheckForMetrics(v: unknown): CheckResult | undefined {
  if (v === undefined || v === null) return undefined;
  const o = obj(v, "check");
  const out = { ...(o as unknown as CheckResult) };
  out.status = str(o.status, "check.status");
  out.terminal = bool(o.terminal, "check.terminal");
  out.step_failed = bool(o.step_failed ?? false, "check.step_failed");
  out.timed_out = bool(o.timed_out ?? false, "check.timed_out");
  out.counts = counts(o.counts ?? {}, "check.counts");
  for (const k of ["queue_seconds", "run_seconds"] as const) {
    if (o[k] !== undefined && o[k] !== null) out[k] = num(o[k], `check.${k}`, 0);
  }
  if (o.completed_at !== undefined && o.completed_at !== null) {
    out.completed_at = iso(o.completed_at, "check.completed_at");
  }
  return out;
}

/** publish-metrics' input: the step input; start, check and logs when the run got that far. */
export function parseMetricsState(event: unknown): RunState {
  const input = parseStepInput(event);
  const o = event as Obj;
  const out: RunState = { ...input };
  // A StartPending means no run was started: nothing to measure about one but the
  // retries of its starts; the check then is check-status's pass-through, not a check.
  if (isStartPending(o.start)) out.pending_start = startPending(o.start, "start");
  else if (o.start !== undefined && o.start !== null) out.start = startResult(o.start, "start");
  const check = out.pending_start ? undefined : parseCheckForMetrics(o.check);
  if (check) out.check = check;
  if (o.logs !== undefined && o.logs !== null) {
    const l = obj(o.logs, "logs");
    const logs: ExportLogsResult = {
      exported: bool(l.exported, "logs.exported"),
      keys: l.keys === undefined ? [] : strList(l.keys, "logs.keys"),
    };
    const retries = optRetries(l.api_retries, "logs.api_retries");
    if (retries !== undefined) logs.api_retries = retries;
    out.logs = logs;
  }
  return out;
}

/** The two shapes cancel-sync accepts. */
export type CancelInput =
  | { kind: "run"; state: StartedState }
  | {
      kind: "event";
      /** The Step Functions execution status (ABORTED, TIMED_OUT, FAILED, ...). */
      status: string;
      /** ARN or name of the run-sync execution that stopped. */
      execution: string;
      input: StepInput;
      /** When the run-sync execution started (epoch ms). */
      startDate: number;
      /** When it stopped (epoch ms), when the event says. */
      stopDate?: number;
    };

/**
 * Either the run-sync state (timeout path) or an EventBridge "Step Functions Execution
 * Status Change" event whose `detail.input` is the run-sync execution's JSON input.
 */
export function parseCancelInput(event: unknown): CancelInput {
  const o = obj(event, "input");
  if (o["detail-type"] !== undefined || (o.source !== undefined && o.detail !== undefined)) {
    const detail = obj(o.detail, "detail");
    const status = str(detail.status, "detail.status");
    const raw = detail.input;
    let parsed: unknown = raw;
    if (typeof raw === "string") {
      try {
        parsed = JSON.parse(raw);
      } catch {
        throw invalidInput("detail.input", "must be the execution's JSON input");
      }
    }
    let input: StepInput;
    try {
      input = parseStepInput(parsed);
    } catch (err) {
      if (err instanceof Error) err.message = `detail.input.${err.message}`;
      throw err;
    }
    const startDate =
      typeof detail.startDate === "string" ? Number(detail.startDate) : detail.startDate;
    const stopDate =
      typeof detail.stopDate === "string" ? Number(detail.stopDate) : detail.stopDate;
    const out: CancelInput = {
      kind: "event",
      status,
      execution: str(detail.executionArn ?? detail.name ?? "unknown", "detail.executionArn"),
      input,
      startDate: num(startDate, "detail.startDate", 0),
    };
    if (stopDate !== undefined && stopDate !== null)
      out.stopDate = num(stopDate, "detail.stopDate", 0);
    return out;
  }
  return { kind: "run", state: parseStartedState(event) };
}

/** Log types accepted for model syncs (ExecutionLogType). */
export const MODEL_LOG_TYPES = [
  "records",
  "errors",
  "warnings",
  "inserts",
  "updates",
  "deletes",
] as const;
export type ModelLogType = (typeof MODEL_LOG_TYPES)[number];

/** A comma-separated LOG_TYPES value, or a list from the input. */
export function parseLogTypes(v: unknown, path: string): ModelLogType[] {
  const list =
    typeof v === "string"
      ? v
          .split(",")
          .map((s) => s.trim())
          .filter(Boolean)
      : v;
  if (!Array.isArray(list))
    throw invalidInput(path, `must be a list of log types, got ${describe(v)}`);
  return list.map((t, i) => oneOf(t, `${path}[${i}]`, MODEL_LOG_TYPES));
}

function freshSync(v: unknown, path: string): FreshSync {
  const o = obj(v, path);
  onlyKeys(o, path, ["type", "sync", "label", "max_age_seconds", "schemas"]);
  const type = oneOf(o.type, `${path}.type`, ["model", "bulk"] as const);
  const schemas = list(o.schemas, `${path}.schemas`).map((s, i) => {
    const at = `${path}.schemas[${i}]`;
    const schema = obj(s, at);
    onlyKeys(schema, at, ["schema", "max_age_seconds"]);
    return {
      schema: str(schema.schema, `${at}.schema`),
      max_age_seconds: int(schema.max_age_seconds, `${at}.max_age_seconds`, 1),
    };
  });
  if (type === "model" && schemas.length > 0) {
    throw invalidInput(`${path}.schemas`, "per-schema ages are for bulk syncs");
  }
  return {
    type,
    sync: syncRef(o.sync, `${path}.sync`),
    label: str(o.label, `${path}.label`),
    max_age_seconds: int(o.max_age_seconds, `${path}.max_age_seconds`, 1),
    schemas,
  };
}

/** The freshness function's input: the watched syncs and the check's bounds. */
export function parseFreshnessInput(event: unknown): FreshnessInput {
  const o = obj(event, "input");
  return {
    syncs: list(o.syncs, "syncs").map((s, i) => freshSync(s, `syncs[${i}]`)),
    max_api_calls: int(o.max_api_calls, "max_api_calls", 1),
    max_pages: int(o.max_pages, "max_pages", 1),
  };
}

/** The metric dimensions of a CloudWatch alarm state change's first metric that has any. */
function alarmDimensions(configuration: unknown): Obj {
  const metrics =
    isObj(configuration) && Array.isArray(configuration.metrics) ? configuration.metrics : [];
  for (const m of metrics) {
    const stat = isObj(m) ? m.metricStat : undefined;
    const metric = isObj(stat) ? stat.metric : undefined;
    if (isObj(metric) && isObj(metric.dimensions)) return metric.dimensions;
  }
  return {};
}

/**
 * The `detail` of a "CloudWatch Alarm State Change" event: the alarm's name is required;
 * its time and its metric's Sync/Schema dimensions are read when present (the notice says
 * what it could not tell rather than failing: it is the page).
 */
function alarmChange(v: unknown, path: string): AlarmChange {
  const o = obj(v, path);
  const out: AlarmChange = { alarm: str(o.alarmName, `${path}.alarmName`) };
  const since = isObj(o.state) ? o.state.timestamp : undefined;
  if (typeof since === "string") out.since = since;
  const dims = alarmDimensions(o.configuration);
  const sync = dims[FRESHNESS_SYNC_DIMENSION];
  const schema = dims[FRESHNESS_SCHEMA_DIMENSION];
  if (typeof sync === "string") out.sync = sync;
  if (typeof schema === "string") out.schema = schema;
  return out;
}

/** The freshness-notice function's input: the watched syncs, the bounds and the alarm's change. */
export function parseFreshnessNoticeInput(event: unknown): FreshnessNoticeInput {
  const o = obj(event, "input");
  return { ...parseFreshnessInput(event), alarm: alarmChange(o.alarm, "alarm") };
}

/** resolve-organizations' input: the pipeline and its `organizations:` (contract.ts). */
export function parseResolveOrganizationsInput(event: unknown): ResolveOrganizationsInput {
  const o = obj(event, "input");
  return {
    pipeline: str(o.pipeline, "pipeline"),
    organizations: organizationsSpec(o.organizations, "organizations"),
  };
}

function organizationsSpec(v: unknown, path: string): OrganizationsSpec {
  const o = obj(v, path);
  const keys = Object.keys(o);
  if (keys.length !== 1) {
    throw invalidInput(path, "must have exactly one of list, all, sharing_connection");
  }
  if (o.list !== undefined) return { list: strList(o.list, `${path}.list`) };
  if (o.all !== undefined) {
    if (o.all !== true) throw invalidInput(`${path}.all`, `must be true, got ${describe(o.all)}`);
    return { all: true };
  }
  if (o.sharing_connection !== undefined) {
    const id = str(o.sharing_connection, `${path}.sharing_connection`);
    if (!UUID_PATTERN.test(id)) {
      throw invalidInput(
        `${path}.sharing_connection`,
        `must be a connection's UUID, got ${describe(id)}`,
      );
    }
    return { sharing_connection: id };
  }
  throw invalidInput(
    path,
    `has an unknown key ${keys[0]}; expected list, all or sharing_connection`,
  );
}
