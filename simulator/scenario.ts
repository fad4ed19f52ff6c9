/**
 * Simulator scenarios (DESIGN.md "Simulator scenario format"): how each sync behaves and
 * which faults to inject. Parsed from YAML or JSON and validated strictly: unknown keys,
 * impossible combinations and bad values are `ScenarioError`s naming the file and field.
 */
import { readFile } from "node:fs/promises";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import {
  DEFAULT_SIGNATURE_ALGORITHM,
  SIGNATURE_ALGORITHMS,
} from "../functions/core/webhook-contract";
import { parseDuration } from "../lib/config/duration";
import { ORGANIZATION_ID } from "./ids";

/** A scenario that cannot be used. The message names the source and the field path. */
export class ScenarioError extends Error {
  override readonly name = "ScenarioError";
}

const UUID_RE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Fault endpoint names (DESIGN.md, plus `download` for signed-URL files); `any` matches every
 * API endpoint but not downloads.
 */
export const FAULT_ENDPOINTS = [
  "start",
  "execution",
  "status",
  "executions",
  "cancel",
  "export",
  "job",
  "logs",
  "syncs",
  "download",
  "webhooks",
  "organizations",
  "any",
] as const;
export type FaultEndpoint = (typeof FAULT_ENDPOINTS)[number];

export const SYNC_OUTCOMES = [
  "completed",
  "failed",
  "canceled",
  "interrupted",
  "errors",
  "completed_with_errors",
] as const;
export type SyncOutcome = (typeof SYNC_OUTCOMES)[number];

export const SCHEMA_OUTCOMES = ["completed", "failed", "canceled", "interrupted"] as const;
export type SchemaOutcome = (typeof SCHEMA_OUTCOMES)[number];

/**
 * When something happened, relative to the simulator's start (`-26h`, `-1h30m`: a duration
 * as pipelines.yaml writes it, with a minus) or as an ISO date-time.
 * @returns epoch milliseconds, or undefined when `text` is neither
 */
export function momentAt(text: string, epoch: number): number | undefined {
  if (text.startsWith("-")) {
    const seconds = parseDuration(text.slice(1));
    return seconds === undefined ? undefined : epoch - seconds * 1000;
  }
  const at = ISO_TIME.test(text) ? Date.parse(text) : Number.NaN;
  return Number.isNaN(at) ? undefined : at;
}

const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})$/;

const moment = z
  .string()
  .refine((text) => momentAt(text, 0) !== undefined, {
    error: "expected a time before the simulator starts, such as -26h, or an ISO date-time",
  })
  .optional();

const count = z.number().int().nonnegative();
const seconds = z.number().nonnegative();

const schemaSchema = z.strictObject({
  /** Schema id as used in the start request's `schemas` (and shown in results). */
  name: z.string().min(1),
  /** @default the sync's outcome when it is failed/canceled/interrupted, else completed */
  outcome: z.enum(SCHEMA_OUTCOMES).optional(),
  /** @default an even share of the sync's records not given to other schemas */
  records: count.optional(),
  errors: count.default(0),
  warnings: count.default(0),
  /** The last run in which this schema completed (the runs after it fail it). @default the sync's */
  last_succeeded: moment,
});

const syncSchema = z.strictObject({
  type: z.enum(["bulk", "model"]),
  name: z.string().min(1).optional(),
  /** Whether the sync is active (shown by the list/get sync endpoints). */
  active: z.boolean().default(true),
  queue_seconds: seconds.default(2),
  duration_seconds: seconds.default(60),
  /** Time a cancel request spends in `canceling` before `canceled`. */
  cancel_seconds: seconds.default(2),
  outcome: z.enum(SYNC_OUTCOMES).default("completed"),
  records: count.optional(),
  errors: count.optional(),
  warnings: count.default(0),
  schemas: z.array(schemaSchema).optional(),
  history_seconds: z.array(seconds).default([]),
  /** The end of the sync's last successful run, seeded as a scheduled run (history_seconds go before it). */
  last_succeeded: moment,
  /** Bulk log export job: time from `created` to `done`/`failed`. */
  export_seconds: seconds.default(3),
  /** Bulk log export job result. */
  export_outcome: z.enum(["done", "failed"]).default("done"),
});

const faultSchema = z.strictObject({
  endpoint: z.enum(FAULT_ENDPOINTS),
  /** Only requests about this sync id. */
  sync: z.string().optional(),
  status: z.number().int().min(400).max(599).optional(),
  retry_after_seconds: seconds.optional(),
  malformed: z.boolean().default(false),
  delay_seconds: seconds.optional(),
  /** Destroy the connection without answering. */
  reset: z.boolean().default(false),
  /**
   * The API itself answered the status and recorded it for the request's
   * Idempotency-Key, so a retry with the same key gets it again (Polytomic replays the
   * first answer to a key, errors included). Default: the fault happened in front of
   * the API (a gateway's 502, a rate limiter's 429) and a retry is handled afresh.
   */
  recorded: z.boolean().default(false),
  times: z.number().int().min(1).default(1),
});

/**
 * Kinds of random fault: `rate_limited` is a 429 with `Retry-After: 1`, `server_error` 500,
 * `bad_gateway` 502, `unavailable` 503, `reset` drops the connection, `malformed` answers
 * 200 with a truncated JSON body. None of them lets the request change anything.
 */
export const RANDOM_FAULT_KINDS = [
  "rate_limited",
  "server_error",
  "bad_gateway",
  "unavailable",
  "reset",
  "malformed",
] as const;
export type RandomFaultKind = (typeof RANDOM_FAULT_KINDS)[number];

const randomFaultsSchema = z.strictObject({
  /** Probability in [0, 1] that an API request gets a fault. */
  rate: z.number().min(0).max(1),
  /** Seed of the decisions: the same seed and the same requests give the same faults. */
  seed: z.number().int().default(1),
  /** @default every kind */
  kinds: z
    .array(z.enum(RANDOM_FAULT_KINDS))
    .min(1)
    .default([...RANDOM_FAULT_KINDS]),
  /** @default every API endpoint (`any`); `download` must be named to be faulted */
  endpoints: z.array(z.enum(FAULT_ENDPOINTS)).min(1).default(["any"]),
});

/**
 * The simulator's choices where Polytomic's spec and guides are silent (docs/simulator.md).
 * The code must work under every value; tests run the alternatives.
 */
const assumptionsSchema = z.strictObject({
  /** The ApiError `key` of the 409 for an Idempotency-Key still in flight (body undocumented). */
  in_flight_409_key: z.string().min(1).default("idempotency_conflict"),
  /** What `only_completed=true` keeps on the model executions list: any terminal run, or `completed` only. */
  only_completed: z.enum(["terminal", "completed"]).default("terminal"),
  /** The shape of a done `exportlogs` job's `result` ("depends on the job type"). */
  export_result: z.enum(["url_object", "url_string", "urls_array"]).default("url_object"),
  /** Whether the bulk executions list carries each run's `schemas` (the get endpoint does). */
  list_schemas: z.enum(["included", "omitted"]).default("included"),
  /** Whether an inactive (paused) sync's executions list still shows its earlier runs. */
  paused_executions: z.enum(["kept", "dropped"]).default("kept"),
});
export type Assumptions = z.output<typeof assumptionsSchema>;
export const DEFAULT_ASSUMPTIONS: Assumptions = assumptionsSchema.parse({});

/**
 * How the simulator delivers events to a registered webhook (simulator/webhooks.ts). Loss,
 * duplicates and reordering are decided per event by a hash of `seed` and the event id.
 */
const webhooksSchema = z.strictObject({
  /** Probability in [0, 1] that an event is never delivered (delivery is at most once). */
  loss: z.number().min(0).max(1).default(0),
  /** Probability in [0, 1] that an event is delivered twice. */
  duplicates: z.number().min(0).max(1).default(0),
  /** Seconds from the event to its delivery. */
  delay_seconds: z.number().nonnegative().default(0),
  /** Up to this many more seconds, at random per delivery, so events can overtake each other. */
  reorder_seconds: z.number().nonnegative().default(0),
  /** How deliveries are signed (the hash and encoding Polytomic uses are not documented). */
  signature: z.enum(SIGNATURE_ALGORITHMS).default(DEFAULT_SIGNATURE_ALGORITHM),
  /** First retry after a non-2xx answer; each next one waits twice as long (five retries). */
  retry_backoff_seconds: z.number().positive().default(10),
  seed: z.number().int().default(1),
});
export type WebhooksScenario = z.output<typeof webhooksSchema>;
export const DEFAULT_WEBHOOKS: WebhooksScenario = webhooksSchema.parse({});

const uuid = z.string().regex(UUID_RE, "must be a uuid");

/** A connection of an organization; `shared_from` makes it a shared copy of a parent one. */
const connectionSchema = z.strictObject({
  id: uuid,
  name: z.string().min(1),
  /** The parent connection (in the partner's owner organization) this is a shared copy of. */
  shared_from: uuid.optional(),
});

/** A user of an organization; `api_key` is a user key it already has (Bearer). */
const userSchema = z.strictObject({
  id: uuid,
  email: z.string().min(1),
  api_key: z.string().min(1).optional(),
});

/** A child organization of the partner, with its own syncs (docs/partners.md). */
const organizationSchema = z.strictObject({
  id: uuid,
  name: z.string().min(1),
  syncs: z.record(z.string(), syncSchema).default({}),
  connections: z.array(connectionSchema).default([]),
  users: z.array(userSchema).default([]),
});

const scenarioSchema = z.strictObject({
  api_key: z.string().min(1).optional(),
  /** The organization id HTTP Basic credentials must name. @default the simulator's own id */
  organization_id: z.string().min(1).optional(),
  /** The default (partner owner) organization's name. @default "Simulated organization" */
  organization_name: z.string().min(1).optional(),
  /** The partner key: Bearer for partner endpoints, HTTP Basic `<org id>:<key>` for an organization's. */
  partner_key: z.string().min(1).optional(),
  /** The default organization's connections (parents of shared connections live here). */
  connections: z.array(connectionSchema).default([]),
  /** The partner's child organizations, each with its own syncs. */
  organizations: z.array(organizationSchema).default([]),
  assumptions: assumptionsSchema.default(DEFAULT_ASSUMPTIONS),
  syncs: z.record(z.string(), syncSchema).default({}),
  faults: z.array(faultSchema).default([]),
  /** Faults injected at random (after the scripted `faults`), seeded and reproducible. */
  random_faults: randomFaultsSchema.optional(),
  webhooks: webhooksSchema.optional(),
});

type RawScenario = z.output<typeof scenarioSchema>;
type RawSync = z.output<typeof syncSchema>;
type RawOrganization = z.output<typeof organizationSchema>;

export type ConnectionScenario = z.output<typeof connectionSchema>;
export type UserScenario = z.output<typeof userSchema>;

/** A child organization of the partner; its syncs are in `Scenario.syncs`, tagged with its id. */
export interface OrganizationScenario {
  id: string;
  name: string;
  connections: ConnectionScenario[];
  users: UserScenario[];
}

/** One per-schema result of a bulk sync, with defaults applied. */
export interface SchemaScenario {
  name: string;
  outcome: SchemaOutcome;
  records: number;
  errors: number;
  warnings: number;
  /** See `momentAt`. */
  last_succeeded?: string;
}

/** One sync's behaviour, with defaults applied. Counts are totals for a finished run. */
export interface SyncScenario {
  id: string;
  type: "bulk" | "model";
  name: string;
  active: boolean;
  queue_seconds: number;
  duration_seconds: number;
  cancel_seconds: number;
  outcome: SyncOutcome;
  records: number;
  errors: number;
  warnings: number;
  /** Bulk only; empty when the scenario gives none (the start request's schemas are used). */
  schemas: SchemaScenario[];
  history_seconds: number[];
  /** See `momentAt`. */
  last_succeeded?: string;
  export_seconds: number;
  export_outcome: "done" | "failed";
  /** The child organization that owns the sync. @default the default organization */
  organization_id?: string;
}

export type FaultScenario = RawScenario["faults"][number];
export type RandomFaultsScenario = NonNullable<RawScenario["random_faults"]>;

/** A parsed, validated scenario. Sync ids (keys of `syncs`) are lower case. */
export interface Scenario {
  /** Where it came from (file name), used in messages. */
  source: string;
  api_key?: string;
  organization_id?: string;
  /** @default "Simulated organization" */
  organization_name?: string;
  /** Partner key (docs/partners.md). @default none: partner endpoints answer 403 */
  partner_key?: string;
  /** The default organization's connections. @default none */
  connections?: ConnectionScenario[];
  /** The partner's child organizations (their syncs are in `syncs`). @default none */
  organizations?: OrganizationScenario[];
  /** @default DEFAULT_ASSUMPTIONS */
  assumptions?: Assumptions;
  syncs: Record<string, SyncScenario>;
  faults: FaultScenario[];
  random_faults?: RandomFaultsScenario;
  /** @default no loss, duplicates, delay or reordering; hmac-sha256-hex */
  webhooks?: WebhooksScenario;
}

function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out === "" ? "(root)" : out;
}

/**
 * Where a problem is, as pipelines-file problems say it: `sync "<id>", field "outcome"`,
 * `fault #1, field "status"`, `field "api_key"`.
 */
function location(path: readonly PropertyKey[]): string {
  const [head, key, ...rest] = path;
  const field = (parts: readonly PropertyKey[]) =>
    parts.length > 0 ? [`field "${formatPath(parts)}"`] : [];
  if (head === "syncs" && key !== undefined) {
    return [`sync "${String(key)}"`, ...field(rest)].join(", ");
  }
  if (head === "faults" && typeof key === "number") {
    return [`fault #${key + 1}`, ...field(rest)].join(", ");
  }
  return field(path)[0] ?? "the whole file";
}

function fail(source: string, problems: string[]): never {
  throw new ScenarioError(problems.map((p) => `${source}: ${p}`).join("\n"));
}

function checkSync(id: string, sync: RawSync, problems: string[]): void {
  const at = (field: string) => location(["syncs", id, field]);
  if (!UUID_RE.test(id)) problems.push(`${location(["syncs", id])}: sync id must be a uuid`);
  if (sync.type === "model") {
    if (sync.outcome === "errors") {
      problems.push(
        `${at("outcome")}: "errors" is a bulk outcome; a model sync can be completed, failed, canceled, interrupted or completed_with_errors`,
      );
    }
    if (sync.schemas !== undefined) problems.push(`${at("schemas")}: only bulk syncs have schemas`);
  }
  if (sync.outcome === "completed_with_errors") {
    const schemaErrors = (sync.schemas ?? []).some((s) => s.errors > 0 || s.outcome === "failed");
    if ((sync.errors ?? 0) === 0 && !schemaErrors) {
      problems.push(`${at("errors")}: must be > 0 when outcome is completed_with_errors`);
    }
  }
  const names = new Set<string>();
  for (const [i, s] of (sync.schemas ?? []).entries()) {
    if (names.has(s.name))
      problems.push(`${at(`schemas[${i}].name`)}: duplicate schema "${s.name}"`);
    names.add(s.name);
  }
  checkLastSucceeded(id, sync, problems);
  if (sync.schemas !== undefined && sync.records !== undefined) {
    const given = sync.schemas.reduce((n, s) => n + (s.records ?? 0), 0);
    if (given > sync.records) {
      problems.push(
        `${at("records")}: ${sync.records} is less than the schemas' records (${given})`,
      );
    }
  }
}

/** A schema's last success needs the sync's, and cannot be later than it. */
function checkLastSucceeded(id: string, sync: RawSync, problems: string[]): void {
  const syncAt = sync.last_succeeded === undefined ? undefined : momentAt(sync.last_succeeded, 0);
  for (const [i, s] of (sync.schemas ?? []).entries()) {
    if (s.last_succeeded === undefined) continue;
    const at = location(["syncs", id, `schemas[${i}].last_succeeded`]);
    if (syncAt === undefined) {
      problems.push(`${at}: set the sync's last_succeeded too`);
    } else if (
      // Comparable when both are relative or both absolute.
      s.last_succeeded.startsWith("-") === sync.last_succeeded?.startsWith("-") &&
      (momentAt(s.last_succeeded, 0) ?? 0) > syncAt
    ) {
      problems.push(`${at}: later than the sync's last_succeeded (${sync.last_succeeded})`);
    }
  }
}

function buildSync(id: string, raw: RawSync): SyncScenario {
  const failing =
    raw.outcome === "failed" || raw.outcome === "canceled" || raw.outcome === "interrupted";
  const defaultSchemaOutcome: SchemaOutcome = failing
    ? (raw.outcome as SchemaOutcome)
    : "completed";
  const rawSchemas = raw.schemas ?? [];
  const given = rawSchemas.reduce((n, s) => n + (s.records ?? 0), 0);
  const unspecified = rawSchemas.filter((s) => s.records === undefined).length;
  const total =
    raw.records ??
    (unspecified > 0 || rawSchemas.length === 0 ? given + 1000 * Math.max(unspecified, 1) : given);
  const remainder = Math.max(0, total - given);
  const share = unspecified > 0 ? Math.floor(remainder / unspecified) : 0;
  let leftover = unspecified > 0 ? remainder - share * unspecified : 0;
  const schemas: SchemaScenario[] = rawSchemas.map((s) => {
    let records = s.records;
    if (records === undefined) {
      records = share + leftover;
      leftover = 0;
    }
    return {
      name: s.name,
      outcome: s.outcome ?? defaultSchemaOutcome,
      records,
      errors: s.errors,
      warnings: s.warnings,
      ...(s.last_succeeded !== undefined ? { last_succeeded: s.last_succeeded } : {}),
    };
  });
  const schemaErrors = schemas.reduce((n, s) => n + s.errors, 0);
  const schemaWarnings = schemas.reduce((n, s) => n + s.warnings, 0);
  return {
    id,
    type: raw.type,
    name: raw.name ?? `${raw.type === "bulk" ? "Bulk sync" : "Model sync"} ${id.slice(0, 8)}`,
    active: raw.active,
    queue_seconds: raw.queue_seconds,
    duration_seconds: raw.duration_seconds,
    cancel_seconds: raw.cancel_seconds,
    outcome: raw.outcome,
    records: total,
    errors: raw.errors ?? schemaErrors,
    warnings: Math.max(raw.warnings, schemaWarnings),
    schemas,
    history_seconds: raw.history_seconds,
    ...(raw.last_succeeded !== undefined ? { last_succeeded: raw.last_succeeded } : {}),
    export_seconds: raw.export_seconds,
    export_outcome: raw.export_outcome,
  };
}

function checkFault(i: number, f: FaultScenario, problems: string[]): void {
  const at = location(["faults", i]);
  const field = (name: string) => location(["faults", i, name]);
  if (f.status === undefined && !f.malformed && f.delay_seconds === undefined && !f.reset) {
    problems.push(`${at}: needs at least one of status, malformed, delay_seconds, reset`);
  }
  if (f.malformed && (f.status !== undefined || f.reset)) {
    problems.push(`${field("malformed")}: cannot be combined with status or reset`);
  }
  if (f.reset && f.status !== undefined) {
    problems.push(`${field("reset")}: cannot be combined with status`);
  }
  if (f.recorded && f.status === undefined) {
    problems.push(`${field("recorded")}: only meaningful with a status`);
  }
  if (f.retry_after_seconds !== undefined && f.status === undefined) {
    problems.push(
      `${field("retry_after_seconds")}: only meaningful with a status (e.g. 429 or 503)`,
    );
  }
  if (f.sync !== undefined && !UUID_RE.test(f.sync)) {
    problems.push(`${field("sync")}: must be a uuid`);
  }
}

/**
 * Parses and validates a scenario from YAML or JSON text.
 * @param source the file name used in error messages
 * @throws ScenarioError naming `source` and the field path of every problem
 */
export function parseScenario(text: string, source = "scenario"): Scenario {
  let data: unknown;
  try {
    data = parseYaml(text);
  } catch (err) {
    fail(source, [`not valid YAML/JSON: ${(err as Error).message.split("\n")[0]}`]);
  }
  if (data === null || data === undefined) data = {};
  const result = scenarioSchema.safeParse(data);
  if (!result.success) {
    const problems = result.error.issues.map((issue) => {
      if (issue.code === "unrecognized_keys") {
        return issue.keys
          .map((k) => `${location([...issue.path, k])}: unknown key`)
          .join(`\n${source}: `);
      }
      return `${location(issue.path)}: ${issue.message}`;
    });
    fail(source, problems);
  }
  const raw = result.data;
  const problems: string[] = [];
  const syncs: Record<string, SyncScenario> = {};
  for (const [id, sync] of Object.entries(raw.syncs)) {
    checkSync(id, sync, problems);
    syncs[id.toLowerCase()] = buildSync(id.toLowerCase(), sync);
  }
  const organizations = raw.organizations.map((org, i) => addOrganization(org, i, syncs, problems));
  checkOrganizations(raw, problems);
  raw.faults.forEach((f, i) => {
    checkFault(i, f, problems);
  });
  if (problems.length > 0) fail(source, problems);
  const faults = raw.faults.map((f) => (f.sync ? { ...f, sync: f.sync.toLowerCase() } : f));
  return {
    source,
    ...(raw.api_key !== undefined ? { api_key: raw.api_key } : {}),
    ...(raw.organization_id !== undefined ? { organization_id: raw.organization_id } : {}),
    ...(raw.organization_name !== undefined ? { organization_name: raw.organization_name } : {}),
    ...(raw.partner_key !== undefined ? { partner_key: raw.partner_key } : {}),
    connections: raw.connections.map(lowerConnection),
    organizations,
    assumptions: raw.assumptions,
    syncs,
    faults,
    ...(raw.random_faults !== undefined ? { random_faults: raw.random_faults } : {}),
    ...(raw.webhooks !== undefined ? { webhooks: raw.webhooks } : {}),
  };
}

const lowerConnection = (c: ConnectionScenario): ConnectionScenario => ({
  ...c,
  id: c.id.toLowerCase(),
  ...(c.shared_from === undefined ? {} : { shared_from: c.shared_from.toLowerCase() }),
});

/** A child organization: its syncs join `syncs`, tagged with its id (a sync id is global). */
function addOrganization(
  raw: RawOrganization,
  index: number,
  syncs: Record<string, SyncScenario>,
  problems: string[],
): OrganizationScenario {
  const id = raw.id.toLowerCase();
  for (const [syncId, sync] of Object.entries(raw.syncs)) {
    const key = syncId.toLowerCase();
    const at = `organization #${index + 1}, sync "${syncId}"`;
    const before = problems.length;
    checkSync(syncId, sync, problems);
    for (let i = before; i < problems.length; i++) problems[i] = `${at}: ${problems[i]}`;
    if (syncs[key]) problems.push(`${at}: the sync id is already used by another organization`);
    syncs[key] = { ...buildSync(key, sync), organization_id: id };
  }
  const users = raw.users.map((u) => ({ ...u, id: u.id.toLowerCase() }));
  return { id, name: raw.name, connections: raw.connections.map(lowerConnection), users };
}

/** Organization ids and names unique; shared connections' parents in the owner organization. */
function checkOrganizations(raw: RawScenario, problems: string[]): void {
  const owner = (raw.organization_id ?? ORGANIZATION_ID).toLowerCase();
  const ids = new Set<string>([owner]);
  const names = new Set<string>([raw.organization_name ?? ""]);
  const parents = new Set(raw.connections.map((c) => c.id.toLowerCase()));
  raw.organizations.forEach((org, i) => {
    const at = `organization #${i + 1}`;
    if (ids.has(org.id.toLowerCase()))
      problems.push(`${at}, field "id": duplicate organization id`);
    if (names.has(org.name)) problems.push(`${at}, field "name": duplicate organization name`);
    ids.add(org.id.toLowerCase());
    names.add(org.name);
    for (const c of org.connections) {
      if (c.shared_from !== undefined && !parents.has(c.shared_from.toLowerCase())) {
        problems.push(
          `${at}, connection "${c.id}": shared_from must name a connection of the default (partner owner) organization`,
        );
      }
    }
  });
  const partnered = raw.partner_key !== undefined || raw.organizations.length > 0;
  if (partnered && raw.organization_id !== undefined && !UUID_RE.test(raw.organization_id)) {
    problems.push(`field "organization_id": must be a uuid with partner_key or organizations`);
  }
  if (raw.partner_key !== undefined && raw.partner_key === raw.api_key) {
    problems.push(`field "partner_key": must differ from api_key`);
  }
}

/** Reads and parses a scenario file (YAML or JSON). */
export async function loadScenario(path: string): Promise<Scenario> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    throw new ScenarioError(`${path}: cannot read scenario: ${(err as Error).message}`);
  }
  return parseScenario(text, path);
}

/** An empty scenario (no syncs, no faults), handy for tests. */
export function emptyScenario(): Scenario {
  return { source: "empty", assumptions: DEFAULT_ASSUMPTIONS, syncs: {}, faults: [] };
}
