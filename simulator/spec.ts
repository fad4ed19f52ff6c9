/**
 * The OpenAPI spec as the simulator's source of truth: request checks (path and query
 * parameters, bodies) and response-schema validation, compiled with Ajv (JSON Schema 2020-12,
 * as OpenAPI 3.1 uses) from spec/polytomic-openapi.json.
 *
 * Object schemas that do not say otherwise are treated as closed (no unknown properties), for
 * both request bodies and responses: the simulator rejects fields the spec does not define, and
 * `validateResponse` catches a misspelt field in a response.
 */
import { readFileSync } from "node:fs";
import { Ajv2020, type ErrorObject, type ValidateFunction } from "ajv/dist/2020";
import addFormatsPlugin from "ajv-formats";

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

interface Parameter {
  name: string;
  in: "path" | "query" | "header" | "cookie";
  required?: boolean;
  schema?: JsonObject;
}

interface Operation {
  operationId?: string;
  parameters?: Parameter[];
  requestBody?: { required?: boolean; content?: Record<string, { schema?: JsonObject }> };
  responses?: Record<string, { content?: Record<string, { schema?: JsonObject }> }>;
}

interface OpenApiDoc {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, JsonObject> };
}

const SPEC_ID = "polytomic-spec";
const SPEC_URL = new URL("../spec/polytomic-openapi.json", import.meta.url);

let doc: OpenApiDoc | undefined;
let ajv: Ajv2020 | undefined;
const validators = new Map<string, ValidateFunction>();

/** The parsed spec document (read once), with SPEC_AMENDMENTS applied. */
export function specDocument(): OpenApiDoc {
  doc ??= amend(JSON.parse(readFileSync(SPEC_URL, "utf8")) as OpenApiDoc);
  return doc;
}

/**
 * Where the spec contradicts itself, what its prose says wins (docs/simulator.md lists these):
 * `GET /api/bulk/syncs`'s description documents `page_token`, `limit` (at most 50) and
 * `pagination.next_page_token`, but its parameter list and `BulkSyncListEnvelope` omit them.
 */
export const SPEC_AMENDMENTS = ["GET /api/bulk/syncs: page_token, limit, pagination"] as const;

function amend(spec: OpenApiDoc): OpenApiDoc {
  const list = spec.paths["/api/bulk/syncs"]?.get;
  if (list) {
    const params = list.parameters ?? [];
    for (const p of [
      { name: "page_token", in: "query" as const, schema: { type: "string" } },
      { name: "limit", in: "query" as const, schema: { type: "integer" } },
    ]) {
      if (!params.some((q) => q.name === p.name && q.in === "query")) params.push(p);
    }
    list.parameters = params;
  }
  const envelope = spec.components.schemas.BulkSyncListEnvelope;
  const props = envelope?.properties;
  if (props && typeof props === "object" && !Array.isArray(props) && !("pagination" in props)) {
    props.pagination = { $ref: "#/components/schemas/PaginationDetails" };
  }
  return spec;
}

/** Closes object schemas that list properties but say nothing about others. */
function closeObjects(node: Json): Json {
  if (Array.isArray(node)) return node.map(closeObjects);
  if (node === null || typeof node !== "object") return node;
  const out: JsonObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (
      key === "properties" &&
      value !== null &&
      typeof value === "object" &&
      !Array.isArray(value)
    ) {
      const props: JsonObject = {};
      for (const [name, sub] of Object.entries(value)) props[name] = closeObjects(sub);
      out[key] = props;
    } else if (
      key === "example" ||
      key === "examples" ||
      key === "default" ||
      key === "enum" ||
      key === "const"
    ) {
      out[key] = value;
    } else {
      out[key] = closeObjects(value);
    }
  }
  const composed = "allOf" in out || "anyOf" in out || "oneOf" in out;
  if ("properties" in out && !("additionalProperties" in out) && !composed) {
    out.additionalProperties = false;
  }
  return out;
}

function collectFormats(node: Json, into: Set<string>): void {
  if (Array.isArray(node)) {
    for (const n of node) collectFormats(n, into);
  } else if (node !== null && typeof node === "object") {
    for (const [k, v] of Object.entries(node)) {
      if (k === "format" && typeof v === "string") into.add(v);
      else collectFormats(v, into);
    }
  }
}

function getAjv(): Ajv2020 {
  if (ajv) return ajv;
  const spec = specDocument();
  const instance = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
  (addFormatsPlugin as unknown as (a: Ajv2020) => void)(instance);
  const formats = new Set<string>();
  collectFormats(spec.components.schemas as Json, formats);
  for (const f of formats) {
    if (!instance.formats[f]) instance.addFormat(f, true);
  }
  instance.addSchema({
    $id: SPEC_ID,
    components: { schemas: closeObjects(spec.components.schemas as Json) },
  });
  ajv = instance;
  return instance;
}

function pointRefs(schema: JsonObject): JsonObject {
  return JSON.parse(
    JSON.stringify(closeObjects(schema)).replaceAll('"#/components/', `"${SPEC_ID}#/components/`),
  ) as JsonObject;
}

function compile(key: string, schema: JsonObject): ValidateFunction {
  let v = validators.get(key);
  if (!v) {
    v = getAjv().compile(pointRefs(schema));
    validators.set(key, v);
  }
  return v;
}

/** Human-readable Ajv errors, each starting with the field path (`base` for the root). */
export function formatErrors(errors: ErrorObject[] | null | undefined, base: string): string[] {
  return (errors ?? []).map((e) => {
    const path =
      base +
      e.instancePath
        .split("/")
        .slice(1)
        .map((p) => (/^\d+$/.test(p) ? `[${p}]` : `.${p}`))
        .join("");
    if (e.keyword === "additionalProperties") {
      return `${path}.${String(e.params.additionalProperty)}: unknown field`;
    }
    if (e.keyword === "enum") {
      return `${path}: must be one of ${(e.params.allowedValues as unknown[]).join(", ")}`;
    }
    return `${path}: ${e.message ?? "is invalid"}`;
  });
}

/** Validates `value` against the spec's component schema `name`; [] when it conforms. */
export function validateSchema(name: string, value: unknown): string[] {
  const v = compile(`schema ${name}`, { $ref: `#/components/schemas/${name}` });
  return v(value) ? [] : formatErrors(v.errors, name);
}

/** The operation for (method, path template), or undefined when the spec has none. */
export function specOperation(method: string, template: string): Operation | undefined {
  return specDocument().paths[template]?.[method.toLowerCase()];
}

/**
 * Validates `body` against the spec's JSON response schema for (method, path template,
 * status). An error status the operation does not list is checked against `ApiError`, the
 * shape every Polytomic error has. Returns the problems; [] when the body conforms.
 */
export function validateResponse(
  method: string,
  pathTemplate: string,
  status: number,
  body: unknown,
): string[] {
  const op = specOperation(method, pathTemplate);
  if (!op) return [`${method.toUpperCase()} ${pathTemplate}: no such operation in the spec`];
  const response = op.responses?.[String(status)];
  let schema: JsonObject | undefined;
  if (response) {
    schema = response.content?.["application/json"]?.schema;
    if (!schema) {
      return body === undefined || body === null || body === ""
        ? []
        : [`${status}: the spec defines no JSON body for this response`];
    }
  } else if (status >= 400) {
    schema = { $ref: "#/components/schemas/ApiError" };
  } else {
    return [`${method.toUpperCase()} ${pathTemplate}: the spec defines no ${status} response`];
  }
  const v = compile(`res ${method.toUpperCase()} ${pathTemplate} ${status}`, schema);
  return v(body) ? [] : formatErrors(v.errors, "body");
}

/** A parameter problem: `status` 404 for a malformed id in the path, else 400. */
export interface ParamProblem {
  status: 400 | 404;
  message: string;
}

function coerce(raw: string, schema: JsonObject | undefined): unknown {
  const type = schema?.type;
  if (type === "boolean") {
    if (raw === "true") return true;
    if (raw === "false") return false;
    return raw;
  }
  if (type === "integer" || type === "number") {
    return /^-?\d+(\.\d+)?$/.test(raw) ? Number(raw) : raw;
  }
  return raw;
}

/**
 * Checks path and query parameters against the operation. Returns the coerced query values
 * (booleans and integers parsed) or the first problem.
 */
export function checkParams(
  method: string,
  template: string,
  pathParams: Record<string, string>,
  query: URLSearchParams,
): { query: Record<string, unknown> } | ParamProblem {
  const op = specOperation(method, template);
  const params = op?.parameters ?? [];
  const out: Record<string, unknown> = {};
  for (const p of params) {
    if (p.in !== "path" && p.in !== "query") continue;
    const raw = p.in === "path" ? pathParams[p.name] : (query.get(p.name) ?? undefined);
    if (raw === undefined) {
      if (p.required) return { status: 400, message: `${p.in} parameter ${p.name} is required` };
      continue;
    }
    const value = coerce(raw, p.schema);
    const v = compile(`param ${method} ${template} ${p.name}`, p.schema ?? {});
    if (!v(value)) {
      const isId = p.in === "path" && p.schema?.format === "uuid";
      const problem = formatErrors(
        v.errors,
        `${p.in === "path" ? "path" : "query"} parameter ${p.name}`,
      )[0];
      return { status: isId ? 404 : 400, message: problem ?? `${p.name} is invalid` };
    }
    if (p.in === "query") out[p.name] = value;
  }
  for (const name of query.keys()) {
    if (!params.some((p) => p.in === "query" && p.name === name)) {
      return { status: 400, message: `query parameter ${name}: unknown parameter` };
    }
  }
  return { query: out };
}

/**
 * Checks a JSON request body against the operation's request schema. `undefined` (no body) is
 * accepted when the spec does not require one. Returns the problems; [] when valid.
 */
export function checkRequestBody(method: string, template: string, body: unknown): string[] {
  const op = specOperation(method, template);
  const rb = op?.requestBody;
  if (!rb) return body === undefined ? [] : ["body: this endpoint takes no request body"];
  if (body === undefined) return rb.required ? ["body: a JSON body is required"] : [];
  const schema = rb.content?.["application/json"]?.schema;
  if (!schema) return [];
  const v = compile(`req ${method.toUpperCase()} ${template}`, schema);
  return v(body) ? [] : formatErrors(v.errors, "body");
}
