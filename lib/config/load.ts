/**
 * Loads pipelines.yaml into the typed, defaults-applied model (lib/config/model.ts).
 * Every problem in the file is collected (YAML syntax, schema, cross-field rules and the
 * dependency graph) and thrown together as one ConfigError, each naming the file, the
 * pipeline, the step and the field.
 */
import { resolve } from "node:path";
import { type Document, isMap, isScalar, LineCounter, parseDocument } from "yaml";
import { z } from "zod";
import type { Expectations } from "../../functions/core/contract";
import { cronToEventBridge, rateToEventBridge } from "./cron";
import { validateDag } from "./dag";
import { formatConfigDuration, parseDuration } from "./duration";
import { checkFreshness, toFreshness } from "./freshness";
import { historyProblems } from "./history";
import type {
  FanOutConfig,
  PipelineConfig,
  PipelinesConfig,
  ScheduleConfig,
  StepConfig,
} from "./model";
import { readTextFile, TextFileError } from "./read-text";
import {
  BULK_ONLY_FIELDS,
  expectSchema,
  MAX_ORGANIZATIONS,
  MODEL_ONLY_FIELDS,
  ORGANIZATION_CONCURRENCY,
  PIPELINE_TIMEOUT,
  POLL_DEFAULTS,
  pipelineSchema,
  pipelinesFileSchema,
  pollSchema,
  type RawExpect,
  type RawPipeline,
  type RawStep,
  type RawStepDefaults,
  STEP_TIMEOUT,
  stepDefaultsSchema,
  stepSchema,
} from "./schema";
import { closest } from "./suggest";

/** One thing wrong with a pipelines file. */
export interface ConfigProblem {
  /** The file as the caller named it. */
  file: string;
  pipeline?: string;
  /** The step id, or `#3` (1-based position) when the step has no usable id. */
  step?: string;
  /** Path of the field inside the step or pipeline (`after`, `poll.min`, `schedule.cron`); empty for the whole file. */
  field: string;
  message: string;
  /** 1-based position in the file, when known. */
  line?: number;
  column?: number;
}

/**
 * `pipelines.yaml:12:7: pipeline "nightly", step "push_hubspot", field "after": unknown step ...`,
 * the position as compilers print it (1-based line and column) when it is known and
 * `position` is not false; `pipelines.yaml: pipeline ...` otherwise.
 */
export function formatProblem(problem: ConfigProblem, { position = true } = {}): string {
  const at =
    position && problem.line !== undefined
      ? `:${problem.line}${problem.column !== undefined ? `:${problem.column}` : ""}`
      : "";
  const where: string[] = [];
  if (problem.pipeline !== undefined) where.push(`pipeline "${problem.pipeline}"`);
  if (problem.step !== undefined) {
    where.push(problem.step.startsWith("#") ? `step ${problem.step}` : `step "${problem.step}"`);
  }
  if (problem.field !== "") where.push(`field "${problem.field}"`);
  const location = where.length > 0 ? ` ${where.join(", ")}:` : "";
  return `${problem.file}${at}:${location} ${problem.message}`;
}

/**
 * A pipelines file that cannot be used. The message lists every problem, one per line,
 * without positions (each problem keeps its own `line` and `column`; `formatProblem`
 * prints them, as the command line does).
 */
export class ConfigError extends Error {
  override name = "ConfigError";
  readonly problems: ConfigProblem[];

  constructor(problems: ConfigProblem[], options?: ErrorOptions) {
    super(problems.map((p) => formatProblem(p, { position: false })).join("\n"), options);
    this.problems = problems;
  }
}

export type Path = readonly PropertyKey[];

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function fieldPath(path: Path): string {
  let out = "";
  for (const part of path) {
    if (typeof part === "number") out += `[${part}]`;
    else out += out === "" ? String(part) : `.${String(part)}`;
  }
  return out;
}

/** The keys a strict object accepts at `path` in the file schema. */
function allowedKeys(path: Path): string[] {
  let schema: z.ZodType = pipelinesFileSchema;
  for (const part of path) {
    while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
    if (schema instanceof z.ZodObject) schema = schema.shape[String(part)] as z.ZodType;
    else if (schema instanceof z.ZodRecord) schema = schema.valueType as z.ZodType;
    else if (schema instanceof z.ZodArray) schema = schema.element as z.ZodType;
    else if (schema instanceof z.ZodUnion) {
      schema = (schema.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) as z.ZodType;
    }
    if (schema === undefined) return [];
  }
  while (schema instanceof z.ZodOptional) schema = schema.unwrap() as z.ZodType;
  if (schema instanceof z.ZodUnion) {
    schema = (schema.options as z.ZodType[]).find((o) => o instanceof z.ZodObject) as z.ZodType;
  }
  return schema instanceof z.ZodObject ? Object.keys(schema.shape) : [];
}

function unknownKeyMessage(key: string, allowed: string[]): string {
  const close = closest(key, allowed);
  const hint = close ? `did you mean "${close}"?` : `allowed: ${allowed.join(", ")}`;
  return `unknown key "${key}" (${hint})`;
}

function valueAt(root: unknown, path: Path): unknown {
  let value = root;
  for (const part of path) {
    if (Array.isArray(value) && typeof part === "number") value = value[part];
    else if (isRecord(value)) value = value[String(part)];
    else return undefined;
  }
  return value;
}

function issueMessage(issue: z.core.$ZodIssue, input: unknown, pathIsPipelineKey: boolean): string {
  switch (issue.code) {
    case "invalid_type":
      if (input === undefined) return "required";
      if (issue.message.startsWith("Invalid input:")) {
        const got = Array.isArray(input)
          ? "a list"
          : input === null
            ? "null"
            : typeof input === "object"
              ? "a mapping"
              : JSON.stringify(input);
        const expected =
          issue.expected === "object"
            ? "a mapping"
            : issue.expected === "array"
              ? "a list"
              : `a ${issue.expected}`;
        return `expected ${expected}, got ${got}`;
      }
      return issue.message;
    case "invalid_value":
      return `${JSON.stringify(input)} is not one of: ${issue.values.map(String).join(", ")}`;
    case "invalid_key":
      if (pathIsPipelineKey)
        return `invalid pipeline name "${String(issue.path.at(-1))}": use 1 to 64 letters, digits, - and _`;
      return issue.issues[0]?.message ?? issue.message;
    default:
      return issue.message;
  }
}

interface Located {
  pipeline?: string;
  pipelineIndex: number;
  step?: string;
  stepIndex: number;
  field: string;
}

/** Turns a path in the document into pipeline / step / field. */
function locate(raw: unknown, path: Path): Located {
  const pipelines = isRecord(raw) && isRecord(raw.pipelines) ? Object.keys(raw.pipelines) : [];
  if (path[0] !== "pipelines" || path.length < 2) {
    return { pipelineIndex: -1, stepIndex: -1, field: fieldPath(path) };
  }
  const pipeline = String(path[1]);
  const pipelineIndex = pipelines.indexOf(pipeline);
  if (path[2] === "steps" && typeof path[3] === "number") {
    const stepIndex = path[3];
    const id = valueAt(raw, [...path.slice(0, 4), "id"]);
    return {
      pipeline,
      pipelineIndex,
      step: stepLabel(id, stepIndex),
      stepIndex,
      field: fieldPath(path.slice(4)),
    };
  }
  return { pipeline, pipelineIndex, stepIndex: -1, field: fieldPath(path.slice(2)) };
}

function stepLabel(id: unknown, index: number): string {
  return typeof id === "string" && id !== "" ? id : `#${index + 1}`;
}

/** Parses `value` with `schema`; the result when valid, undefined otherwise. */
export function valid<T>(schema: z.ZodType<T>, value: unknown): T | undefined {
  const result = schema.safeParse(value);
  return result.success ? result.data : undefined;
}

export interface Sink {
  /**
   * Records a problem at `path`. With `key`, the problem is about that key of the mapping
   * at `path`: it is located at the key and, unless `keyInField` is false, named in the field.
   */
  add(path: Path, message: string, key?: string, keyInField?: boolean): void;
}

/** Rules between fields, checked on the raw document so that they run beside schema errors. */
function checkPipeline(name: string, raw: Record<string, unknown>, sink: Sink): void {
  const base: Path = ["pipelines", name];
  const pipelineTimeout =
    raw.timeout === undefined
      ? PIPELINE_TIMEOUT.default
      : parseDuration(valid(pipelineSchema.shape.timeout, raw.timeout) ?? "");
  if (isRecord(raw.schedule)) checkSchedule(raw.schedule, [...base, "schedule"], sink);
  const defaults = isRecord(raw.defaults) ? raw.defaults : {};
  const defaultsPoll = checkDefaults(defaults, pipelineTimeout, [...base, "defaults"], sink);
  if (!Array.isArray(raw.steps)) return;
  const context: StepContext = { defaults, defaultsPoll, pipelineTimeout, sink };
  raw.steps.forEach((step, index) => {
    if (isRecord(step)) checkStep(step, [...base, "steps", index], context);
  });
  checkGraph(raw.steps, [...base, "steps"], sink);
  checkOrganizations(raw, base, sink);
}

/** Fields that only a pipeline with `organizations:` may set. */
const FAN_OUT_ONLY = ["max_concurrent_organizations", "fail_when"] as const;

/**
 * `organizations:` and its companions: these need it, a list names each organization
 * once, and every step names its sync by name (an id belongs to one organization).
 */
function checkOrganizations(raw: Record<string, unknown>, base: Path, sink: Sink): void {
  if (raw.organizations === undefined) {
    for (const key of FAN_OUT_ONLY) {
      if (raw[key] !== undefined) {
        sink.add([...base, key], `"${key}" is only valid with organizations:`);
      }
    }
    return;
  }
  if (Array.isArray(raw.organizations)) {
    if (raw.organizations.length > MAX_ORGANIZATIONS) {
      sink.add(
        [...base, "organizations"],
        `${raw.organizations.length} organizations: a pipeline runs in at most ${MAX_ORGANIZATIONS} (one execution history holds them all; docs/pipelines.md#one-pipeline-across-organizations)`,
      );
    }
    const seen = new Set<string>();
    raw.organizations.forEach((entry, index) => {
      if (typeof entry !== "string") return;
      if (seen.has(entry.trim())) {
        sink.add([...base, "organizations", index], `"${entry}" is listed twice`);
      }
      seen.add(entry.trim());
    });
  }
  if (!Array.isArray(raw.steps)) return;
  raw.steps.forEach((step, index) => {
    if (!isRecord(step)) return;
    for (const key of ["bulk_sync", "model_sync"] as const) {
      if (typeof step[key] !== "string") continue;
      sink.add(
        [...base, "steps", index, key],
        `with organizations:, name the sync ({ name: ... }) instead of giving its uuid: sync ids differ per organization, so the step looks its sync up by name in each one`,
      );
    }
  });
}

/** Exactly one of cron and rate. */
function checkSchedule(schedule: Record<string, unknown>, at: Path, sink: Sink): void {
  const { cron, rate } = schedule;
  if (cron !== undefined && rate !== undefined) {
    sink.add(at, "set either cron or rate, not both");
  } else if (cron === undefined && rate === undefined) {
    sink.add(at, "set cron or rate (or leave schedule out to run on demand only)");
  }
}

/** A value of `defaults` when it is valid on its own (the invalid ones are reported already). */
function validDefault(defaults: Record<string, unknown>, key: keyof RawStepDefaults): unknown {
  return valid(stepDefaultsSchema.shape[key] as z.ZodType, defaults[key]);
}

/**
 * The rules of the pipeline's `defaults` (at `at`).
 * @returns its valid poll durations, which the steps inherit
 */
function checkDefaults(
  defaults: Record<string, unknown>,
  pipelineTimeout: number | undefined,
  at: Path,
  sink: Sink,
): PollFields {
  const timeout = validDefault(defaults, "timeout") as string | undefined;
  checkTimeout(timeout, pipelineTimeout, [...at, "timeout"], sink);
  const poll = pollFields(defaults.poll);
  checkPoll(poll, {}, (message) => sink.add([...at, "poll"], message));
  const seconds = stepTimeout(undefined, defaults, pipelineTimeout);
  const expect = valid(expectSchema, defaults.expect) ?? {};
  checkExpectFields(expect, {}, { seconds, own: timeout !== undefined }, [...at, "expect"], sink);
  if (
    validDefault(defaults, "test") === true &&
    validDefault(defaults, "resync_mode") !== undefined
  ) {
    sink.add([...at, "test"], "test and resync_mode cannot be combined");
  }
  return poll;
}

/** A step or defaults timeout must fit in the pipeline's. */
function checkTimeout(
  text: string | undefined,
  pipelineTimeout: number | undefined,
  at: Path,
  sink: Sink,
): void {
  const timeout = parseDuration(text ?? "");
  if (timeout !== undefined && pipelineTimeout !== undefined && timeout > pipelineTimeout) {
    sink.add(
      at,
      `${formatConfigDuration(timeout)} is longer than the pipeline's timeout ${formatConfigDuration(pipelineTimeout)}`,
    );
  }
}

/** What every step's rules need of its pipeline. */
interface StepContext {
  defaults: Record<string, unknown>;
  defaultsPoll: PollFields;
  pipelineTimeout: number | undefined;
  sink: Sink;
}

/** The rules of one step (at `at`, `["pipelines", name, "steps", index]`). */
function checkStep(step: Record<string, unknown>, at: Path, context: StepContext): void {
  const { sink } = context;
  checkSyncKind(step, at, context);
  const timeout = valid(stepSchema.shape.timeout, step.timeout);
  checkTimeout(timeout, context.pipelineTimeout, [...at, "timeout"], sink);
  checkExpect(step, at, context);
  const rawPoll = step.poll;
  if (isRecord(rawPoll)) {
    const own = pollFields(rawPoll);
    // Only when the step's own durations are valid (the invalid ones are reported already).
    const invalid = (["min", "max"] as const).some(
      (key) => rawPoll[key] !== undefined && own[key] === undefined,
    );
    if (!invalid && (own.min !== undefined || own.max !== undefined)) {
      checkPoll(own, context.defaultsPoll, (message) => sink.add([...at, "poll"], message));
    }
  }
}

/**
 * The rules of an `expect` (merged over inherited fields, at `at`): min_records at most
 * max_records, and a max_duration that the timeout `timeoutSeconds` (which cancels the
 * run first) leaves room for. Reported where `own` or `ownTimeout` sets a field involved;
 * what the defaults alone set is reported once, at defaults.
 */
function checkExpectFields(
  own: RawExpect,
  inherited: RawExpect,
  timeout: { seconds: number; own: boolean },
  at: Path,
  sink: Sink,
): void {
  const merged = { ...inherited, ...own };
  const { min_records: min, max_records: max } = merged;
  if (min !== undefined && max !== undefined && min > max) {
    if (own.min_records !== undefined || own.max_records !== undefined) {
      const from = own.min_records === undefined || own.max_records === undefined;
      sink.add(
        [...at, own.max_records !== undefined ? "max_records" : "min_records"],
        `min_records (${min}) is greater than max_records (${max})${from ? ", with defaults" : ""}`,
      );
    }
  }
  const limit = parseDuration(merged.max_duration ?? "");
  if (limit === undefined || limit <= timeout.seconds) return;
  const [text, wait] = [formatConfigDuration(limit), formatConfigDuration(timeout.seconds)];
  if (own.max_duration !== undefined) {
    sink.add(
      [...at, "max_duration"],
      `${text} is longer than the step's timeout ${wait}, which cancels the run first`,
    );
  } else if (timeout.own) {
    sink.add(
      [...at.slice(0, -1), "timeout"],
      `${wait} is shorter than expect.max_duration ${text} (from defaults): the timeout cancels the run first`,
    );
  }
}

/** A step's `expect`: its fields' rules, and per-schema expectations on bulk steps only. */
function checkExpect(step: Record<string, unknown>, at: Path, context: StepContext): void {
  const own = valid(expectSchema, step.expect) ?? {};
  const inherited = valid(expectSchema, context.defaults.expect) ?? {};
  const ownTimeout = valid(stepSchema.shape.timeout, step.timeout);
  const timeout = {
    seconds: stepTimeout(ownTimeout, context.defaults, context.pipelineTimeout),
    own: ownTimeout !== undefined,
  };
  checkExpectFields(own, inherited, timeout, [...at, "expect"], context.sink);
  if (step.model_sync !== undefined && isRecord(step.expect) && step.expect.schemas !== undefined) {
    context.sink.add(
      [...at, "expect", "schemas"],
      "per-schema expectations are for bulk syncs; this step runs a model sync",
    );
  }
}

/** The timeout a step runs with: its own, the defaults', or the default within the pipeline's. */
function stepTimeout(
  own: string | undefined,
  defaults: Record<string, unknown>,
  pipelineTimeout: number | undefined,
): number {
  const text = own ?? (validDefault(defaults, "timeout") as string | undefined);
  const fallback = Math.min(STEP_TIMEOUT.default, pipelineTimeout ?? STEP_TIMEOUT.default);
  return parseDuration(text ?? "") ?? fallback;
}

/** One of bulk_sync and model_sync, and only the options of that kind of sync. */
function checkSyncKind(step: Record<string, unknown>, at: Path, context: StepContext): void {
  const { sink } = context;
  const hasBulk = step.bulk_sync !== undefined;
  const hasModel = step.model_sync !== undefined;
  if (hasBulk && hasModel) {
    sink.add([...at, "model_sync"], "set either bulk_sync or model_sync, not both");
    return;
  }
  if (!hasBulk && !hasModel) {
    sink.add([...at, "bulk_sync"], "missing: set bulk_sync or model_sync");
    return;
  }
  const type = hasBulk ? "bulk" : "model";
  const other = hasBulk ? "model" : "bulk";
  const foreign: readonly string[] = hasBulk ? MODEL_ONLY_FIELDS : BULK_ONLY_FIELDS;
  for (const key of foreign) {
    if (step[key] !== undefined) {
      sink.add([...at, key], `"${key}" is a ${other} sync option; this step runs a ${type} sync`);
    }
  }
  if (hasBulk) checkBulkTest(step, at, context);
}

/** A bulk step's `test` and `resync_mode`, its own or from defaults, cannot be combined. */
function checkBulkTest(step: Record<string, unknown>, at: Path, context: StepContext): void {
  const own = (key: keyof RawStep): unknown => valid(stepSchema.shape[key] as z.ZodType, step[key]);
  const ownTest = own("test");
  const ownMode = own("resync_mode");
  const test = ownTest ?? validDefault(context.defaults, "test");
  const mode = ownMode ?? validDefault(context.defaults, "resync_mode");
  // Both from defaults: reported once, at defaults.
  if (test !== true || mode === undefined || (ownTest === undefined && ownMode === undefined)) {
    return;
  }
  const from = ownMode === undefined ? ", from defaults" : "";
  context.sink.add(
    [...at, ownTest !== undefined ? "test" : "resync_mode"],
    `test and resync_mode cannot be combined (resync_mode: ${String(mode)}${from})`,
  );
}

/** The dependency graph's problems (unknown steps, cycles, duplicates), each at its step. */
function checkGraph(steps: unknown[], at: Path, sink: Sink): void {
  const nodes: { id: string; after: string[]; index: number }[] = [];
  steps.forEach((step, index) => {
    if (!isRecord(step) || typeof step.id !== "string") return;
    const after = Array.isArray(step.after)
      ? step.after.filter((a): a is string => typeof a === "string")
      : [];
    nodes.push({ id: step.id, after, index });
  });
  for (const problem of validateDag(nodes)) {
    const index = nodes[problem.index]?.index ?? 0;
    sink.add([...at, index, problem.field], problem.message);
  }
}

interface PollFields {
  min?: string;
  max?: string;
}

/** The poll durations that are valid on their own (the others are reported by the schema). */
function pollFields(raw: unknown): PollFields {
  if (!isRecord(raw)) return {};
  const fields: PollFields = {};
  const min = valid(pollSchema.shape.min, raw.min);
  const max = valid(pollSchema.shape.max, raw.max);
  if (min !== undefined) fields.min = min;
  if (max !== undefined) fields.max = max;
  return fields;
}

function checkPoll(
  own: PollFields,
  inherited: PollFields,
  report: (message: string) => void,
): void {
  const minText = own.min ?? inherited.min;
  const maxText = own.max ?? inherited.max;
  const min = minText === undefined ? POLL_DEFAULTS.min : parseDuration(minText);
  const max = maxText === undefined ? POLL_DEFAULTS.max : parseDuration(maxText);
  if (min === undefined || max === undefined || min <= max) return;
  const describe = (seconds: number, text: string | undefined) =>
    text === undefined
      ? `${formatConfigDuration(seconds)}, the default`
      : formatConfigDuration(seconds);
  report(
    `poll.min (${describe(min, minText)}) is greater than poll.max (${describe(max, maxText)})`,
  );
}

/** The YAML syntax errors of `doc`, each at its line and column. */
function syntaxProblems(doc: Document, source: string): ConfigProblem[] {
  return doc.errors.map((error) => {
    const pos = error.linePos?.[0];
    const where = pos ? `line ${pos.line}, column ${pos.col}: ` : "";
    // Pretty messages end their first line with " at line L, column C:" and a code excerpt.
    const message = (error.message.split("\n")[0] ?? "").replace(/ at line \d+, column \d+:?$/, "");
    return {
      file: source,
      field: "",
      message: `YAML syntax error at ${where}${message}`,
      ...(pos ? { line: pos.line, column: pos.col } : {}),
    };
  });
}

/**
 * The document as plain data.
 * @throws ConfigError when it cannot be, or is empty
 */
function plainData(doc: Document, source: string): unknown {
  let raw: unknown;
  try {
    raw = doc.toJS();
  } catch (error) {
    // yaml refuses aliases that expand past its maxAliasCount (a "billion laughs" file).
    throw new ConfigError(
      [
        {
          file: source,
          field: "",
          message: `YAML aliases (*name) expand into too much data: write the values out (${(error as Error).message})`,
        },
      ],
      { cause: error },
    );
  }
  if (raw === null || raw === undefined) {
    throw new ConfigError([
      { file: source, field: "", message: "the file is empty: expected a `pipelines:` mapping" },
    ]);
  }
  return raw;
}

/** A problem with the pipeline, step and place in the file it sorts by. */
type Found = ConfigProblem & { order: [number, number, number] };

/** The offset in the text where the node at `path` (or its key `key`) starts. */
function offsetOf(doc: Document, path: Path, key: string | undefined): number | undefined {
  const node = doc.getIn(path, true);
  let offset = isScalar(node) || isMap(node) ? node.range?.[0] : undefined;
  if (key !== undefined && isMap(node)) {
    const pair = node.items.find((p) => isScalar(p.key) && p.key.value === key);
    if (pair && isScalar(pair.key)) offset = pair.key.range?.[0];
  } else if (node && typeof node === "object" && "range" in node) {
    offset = (node.range as [number, number, number] | undefined)?.[0];
  }
  return offset;
}

/** A sink that locates each problem (pipeline, step, field, line and column) into `found`. */
function locatingSink(
  doc: Document,
  lineCounter: LineCounter,
  raw: unknown,
  source: string,
  found: Found[],
): Sink {
  return {
    add(path, message, key, keyInField = true) {
      const where = locate(raw, path);
      const offset = offsetOf(doc, path, key);
      const pos = offset === undefined ? undefined : lineCounter.linePos(offset);
      found.push({
        file: source,
        ...(where.pipeline !== undefined ? { pipeline: where.pipeline } : {}),
        ...(where.step !== undefined ? { step: where.step } : {}),
        field:
          key === undefined || !keyInField
            ? where.field
            : where.field === ""
              ? key
              : `${where.field}.${key}`,
        message,
        ...(pos ? { line: pos.line, column: pos.col } : {}),
        order: [where.pipelineIndex, where.stepIndex, found.length],
      });
    },
  };
}

/** Reports the schema's issues, unknown keys with a suggestion and bad pipeline names at the key. */
function reportSchemaIssues(issues: readonly z.core.$ZodIssue[], raw: unknown, sink: Sink): void {
  for (const issue of issues) {
    if (issue.code === "unrecognized_keys") {
      const allowed = allowedKeys(issue.path);
      for (const key of issue.keys) sink.add(issue.path, unknownKeyMessage(key, allowed), key);
      continue;
    }
    const input = valueAt(raw, issue.path);
    if (issue.code === "invalid_key" && issue.path.length === 2) {
      const name = String(issue.path[1]);
      sink.add(["pipelines"], issueMessage(issue, input, true), name, false);
      continue;
    }
    sink.add(issue.path, issueMessage(issue, input, false));
  }
}

/** Checks the rules between fields of every pipeline in the file. */
function checkPipelines(raw: unknown, sink: Sink): void {
  if (!isRecord(raw) || !isRecord(raw.pipelines)) return;
  const names = Object.keys(raw.pipelines);
  if (names.length === 0) sink.add(["pipelines"], "define at least one pipeline");
  for (const name of names) {
    const pipeline = raw.pipelines[name];
    if (isRecord(pipeline)) checkPipeline(name, pipeline, sink);
  }
}

/**
 * Parses and validates the text of a pipelines file. `source` names the file in the
 * problems and, resolved, becomes `PipelinesConfig.source`.
 *
 * @throws ConfigError listing every problem found.
 */
export function parsePipelinesConfig(text: string, source: string): PipelinesConfig {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: true, merge: true });
  if (doc.errors.length > 0) throw new ConfigError(syntaxProblems(doc, source));
  const raw = plainData(doc, source);
  const found: Found[] = [];
  const sink = locatingSink(doc, lineCounter, raw, source, found);
  const parsed = pipelinesFileSchema.safeParse(raw);
  if (!parsed.success) reportSchemaIssues(parsed.error.issues, raw, sink);
  checkPipelines(raw, sink);
  if (isRecord(raw) && isRecord(raw.freshness)) checkFreshness(raw.freshness, ["freshness"], sink);
  if (found.length > 0 || !parsed.success) {
    found.sort(
      (a, b) => a.order[0] - b.order[0] || a.order[1] - b.order[1] || a.order[2] - b.order[2],
    );
    throw new ConfigError(found.map(({ order: _, ...problem }) => problem));
  }
  const config: PipelinesConfig = {
    source: resolve(source),
    pipelines: Object.entries(parsed.data.pipelines).map(([name, p]) => toPipeline(name, p)),
    ...(parsed.data.freshness ? { freshness: toFreshness(parsed.data.freshness) } : {}),
  };
  const tooLong = historyProblems(config);
  if (tooLong.length > 0) {
    throw new ConfigError(tooLong.map((p) => ({ file: source, field: "poll.min", ...p })));
  }
  return config;
}

/**
 * Reads and validates a pipelines file (synchronously: CDK synth is synchronous).
 *
 * @throws ConfigError listing every problem found, or that the file cannot be read.
 */
export function loadPipelinesConfig(path: string): PipelinesConfig {
  let text: string;
  try {
    text = readTextFile(path);
  } catch (error) {
    const reason = error instanceof TextFileError ? error.reason : String(error);
    throw new ConfigError([{ file: path, field: "", message: `cannot read the file: ${reason}` }], {
      cause: error,
    });
  }
  return parsePipelinesConfig(text, path);
}

function seconds(text: string | undefined, fallback: number): number {
  return text === undefined ? fallback : (parseDuration(text) as number);
}

function toSchedule(raw: NonNullable<RawPipeline["schedule"]>): ScheduleConfig {
  const timezone = raw.timezone ?? "UTC";
  if (raw.cron !== undefined) {
    return { cron: raw.cron, timezone, expression: cronToEventBridge(raw.cron) };
  }
  const rate = raw.rate as string;
  return { rate, timezone, expression: rateToEventBridge(rate) };
}

function toPipeline(name: string, raw: RawPipeline): PipelineConfig {
  const timeout_seconds = seconds(raw.timeout, PIPELINE_TIMEOUT.default);
  const defaults = raw.defaults ?? {};
  return {
    name,
    ...(raw.description !== undefined ? { description: raw.description } : {}),
    ...(raw.schedule ? { schedule: toSchedule(raw.schedule) } : {}),
    timeout_seconds,
    notify: raw.notify ?? [],
    steps: raw.steps.map((step) => toStep(step, defaults, timeout_seconds)),
    ...(raw.organizations !== undefined ? { fan_out: toFanOut(raw) } : {}),
  };
}

function toFanOut(raw: RawPipeline): FanOutConfig {
  const organizations = raw.organizations;
  return {
    organizations:
      organizations === "all"
        ? { all: true }
        : Array.isArray(organizations)
          ? { list: organizations }
          : {
              sharing_connection: (organizations as { sharing_connection: string })
                .sharing_connection,
            },
    max_concurrent: raw.max_concurrent_organizations ?? ORGANIZATION_CONCURRENCY.default,
    fail_when: raw.fail_when ?? "any",
  };
}

function defined<T extends object>(value: T): T {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;
}

function toStep(step: RawStep, defaults: RawStepDefaults, pipelineTimeout: number): StepConfig {
  const bulk = step.bulk_sync !== undefined;
  const ref = (bulk ? step.bulk_sync : step.model_sync) as string | { name: string };
  const pick = <K extends keyof RawStepDefaults>(key: K): RawStepDefaults[K] =>
    step[key] !== undefined ? step[key] : defaults[key];
  const poll = { ...defaults.poll, ...step.poll };
  return {
    id: step.id,
    sync_type: bulk ? "bulk" : "model",
    sync: typeof ref === "string" ? { id: ref } : { name: ref.name },
    options: bulk
      ? defined({
          schemas: pick("schemas"),
          fetch_mode: pick("fetch_mode"),
          resync_mode: pick("resync_mode"),
          test: pick("test"),
        })
      : defined({ identities: pick("identities"), resync: pick("resync"), test: pick("test") }),
    after: step.after ?? [],
    run_after: pick("run_after") ?? "success",
    on_conflict: pick("on_conflict") ?? "attach",
    policy: {
      max_errors: pick("max_errors") ?? 0,
      fail_on_warnings: pick("fail_on_warnings") ?? false,
      fail_on_schema_errors: pick("fail_on_schema_errors") ?? true,
      ...toExpect({ ...defaults.expect, ...step.expect }, bulk),
    },
    poll: {
      strategy: poll.strategy ?? POLL_DEFAULTS.strategy,
      min_seconds: seconds(poll.min, POLL_DEFAULTS.min),
      max_seconds: seconds(poll.max, POLL_DEFAULTS.max),
    },
    timeout_seconds: seconds(pick("timeout"), Math.min(STEP_TIMEOUT.default, pipelineTimeout)),
  };
}

/** `expect` as the step input carries it; nothing when nothing is expected. */
function toExpect(raw: RawExpect, bulk: boolean): { expect?: Expectations } {
  const schemas = bulk && raw.schemas ? Object.entries(raw.schemas) : [];
  const expect = defined<Expectations>({
    min_records: raw.min_records,
    max_records: raw.max_records,
    max_error_rate_percent:
      raw.max_error_rate === undefined ? undefined : Number.parseFloat(raw.max_error_rate),
    max_duration_seconds: raw.max_duration === undefined ? undefined : seconds(raw.max_duration, 0),
    schemas:
      schemas.length > 0
        ? schemas.map(([schema, s]) => ({ schema, min_records: s.min_records }))
        : undefined,
  });
  return Object.keys(expect).length > 0 ? { expect } : {};
}
