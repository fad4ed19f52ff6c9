/**
 * docs/pipelines-reference.md: every key of the pipelines file, level by level, with its
 * type, whether it is required, default, units and limits. Generated from the editor
 * JSON Schema (itself generated from the zod schema the loader validates with), so
 * limits and defaults come from the schema's own constants (STEP_TIMEOUT, POLL_DEFAULTS,
 * MAX_STEPS_PER_PIPELINE, ...) through its metadata, never retyped.
 */
import { DURATION_PATTERN } from "./duration";
import { configJsonSchema } from "./json-schema";
import { DURATION_RANGE_KEY, UNIT_KEY } from "./schema";

/** Where the committed reference lives, relative to this module. */
export const CONFIG_REFERENCE_PATH = new URL("../../docs/pipelines-reference.md", import.meta.url);

/** The parts of a JSON Schema node the reference reads. */
interface Node {
  type?: string;
  title?: string;
  description?: string;
  default?: unknown;
  properties?: Record<string, Node>;
  required?: string[];
  additionalProperties?: Node | boolean;
  propertyNames?: Node;
  items?: Node;
  anyOf?: Node[];
  oneOf?: { required?: string[] }[];
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  minimum?: number;
  maximum?: number;
  minProperties?: number;
  [DURATION_RANGE_KEY]?: { min: string; max: string };
  [UNIT_KEY]?: string;
}

/** One table of the reference: the keys of one mapping. */
interface Section {
  path: string;
  node: Node;
}

const code = (text: unknown) => `\`${typeof text === "string" ? text : JSON.stringify(text)}\``;

/** GitHub's heading anchor: lower case, punctuation dropped, spaces to dashes. */
function anchor(path: string): string {
  return path
    .toLowerCase()
    .replace(/[^\p{L}\p{N}_\- ]/gu, "")
    .replace(/ /g, "-");
}

const link = (path: string) => `[${code(path)}](#${anchor(path)})`;

/** The mapping a key leads to, if any: its own keys, an item's, a record value's. */
function childSections(path: string, key: string, node: Node): Section[] {
  const at = `${path === "" ? "" : `${path}.`}${key}`;
  if (node.properties) return [{ path: at, node }];
  if (node.items?.properties) return [{ path: `${at}[]`, node: node.items }];
  if (typeof node.additionalProperties === "object" && node.additionalProperties.properties) {
    return [{ path: `${at}.<name>`, node: node.additionalProperties }];
  }
  return (node.anyOf ?? []).filter((alt) => alt.properties).map((alt) => ({ path: at, node: alt }));
}

/** Every mapping of the file, parents before children, keys in schema order. */
function sections(root: Node): Section[] {
  const out: Section[] = [];
  const visit = (section: Section) => {
    out.push(section);
    for (const [key, child] of Object.entries(section.node.properties ?? {})) {
      for (const next of childSections(section.path, key, child)) visit(next);
    }
  };
  visit({ path: "", node: root });
  return out;
}

/** What a key holds, linking to the section of a mapping. */
function typeOf(node: Node, path: string): string {
  if (node.anyOf) return node.anyOf.map((alt) => typeOf(alt, path)).join(", or ");
  if (node[DURATION_RANGE_KEY]) return "duration";
  if (node.enum) return `one of ${node.enum.map(code).join(", ")}`;
  if (node.format === "uuid") return "uuid";
  if (node.format === "email") return "email address";
  if (node.type === "array") return `list of ${typeOf(node.items ?? {}, `${path}[]`)}`;
  if (node.properties) return `mapping, see ${link(path)}`;
  if (typeof node.additionalProperties === "object") {
    return `mapping of name → ${typeOf(node.additionalProperties, `${path}.<name>`)}`;
  }
  return node.type ?? "any";
}

/** `1 to 200 items`, `at least 1 item`: `what` is [one, many], or nothing for plain numbers. */
function countLimit(
  min: number | undefined,
  max: number | undefined,
  what: readonly [string, string] = ["", ""],
): string[] {
  const of = (n: number) => `${n} ${n === 1 ? what[0] : what[1]}`.trim();
  if (min !== undefined && max !== undefined) return [`${min} to ${of(max)}`];
  if (min !== undefined) return [`at least ${of(min)}`];
  if (max !== undefined) return [`at most ${of(max)}`];
  return [];
}

/** The limits of a value: range, pattern, lengths, sizes, and those of list items. */
function limitsOf(node: Node): string[] {
  const limits: string[] = [];
  const range = node[DURATION_RANGE_KEY];
  if (range) limits.push(`${range.min} to ${range.max}`);
  else if (node.pattern && !node.format) limits.push(`pattern ${code(node.pattern)}`);
  if (node.minLength === 1 && node.maxLength === undefined) limits.push("not empty");
  else limits.push(...countLimit(node.minLength, node.maxLength, ["character", "characters"]));
  limits.push(...countLimit(node.minItems, node.maxItems, ["item", "items"]));
  limits.push(...countLimit(node.minProperties, undefined, ["entry", "entries"]));
  const max = node.maximum === Number.MAX_SAFE_INTEGER ? undefined : node.maximum;
  if (node.minimum !== undefined && max === undefined) limits.push(`≥ ${node.minimum}`);
  else limits.push(...countLimit(node.minimum, max));
  if (node.items) limits.push(...limitsOf(node.items).map((l) => `each: ${l}`));
  if (node.propertyNames) limits.push(...limitsOf(node.propertyNames).map((l) => `names: ${l}`));
  for (const alt of node.anyOf ?? []) limits.push(...limitsOf(alt));
  return limits;
}

function unitsOf(node: Node): string {
  if (node[DURATION_RANGE_KEY]) return "s, m, h";
  return node[UNIT_KEY] ?? "";
}

/** A table cell: one line, `|` escaped. */
const cell = (text: string) => text.replace(/\|/g, "\\|").replace(/\n/g, " ");

function rowCells(key: string, node: Node, required: boolean, path: string): string[] {
  return [
    code(key),
    typeOf(node, path),
    required ? "yes" : "no",
    node.default === undefined ? "" : code(node.default),
    unitsOf(node),
    limitsOf(node).join("; "),
    node.description ?? "",
  ].map(cell);
}

const COLUMNS = ["Key", "Type", "Required", "Default", "Units", "Limits", "Description"];

/** A Markdown table with its columns padded to one width, as the formatter lays it out. */
function table(rows: readonly string[][]): string[] {
  const widths = COLUMNS.map((column, i) =>
    Math.max(3, column.length, ...rows.map((r) => (r[i] ?? "").length)),
  );
  const line = (cells: readonly string[]) =>
    `| ${widths.map((w, i) => (cells[i] ?? "").padEnd(w)).join(" | ")} |`;
  return [line(COLUMNS), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)];
}

/** The section's own rules: which keys exclude each other, unknown keys. */
function sectionNotes(node: Node): string {
  const notes = node.description ? [node.description] : [];
  const exactlyOne = (node.oneOf ?? []).flatMap((alt) => alt.required ?? []);
  if (exactlyOne.length > 0) notes.push(`Exactly one of ${exactlyOne.map(code).join(", ")}.`);
  if (node.additionalProperties === false) notes.push("Any other key is an error.");
  return notes.join(" ");
}

function renderSection({ path, node }: Section): string {
  const heading = path === "" ? "The file" : code(path);
  const required = new Set(node.required ?? []);
  const rows = Object.entries(node.properties ?? {}).map(([key, child]) =>
    rowCells(key, child, required.has(key), `${path === "" ? "" : `${path}.`}${key}`),
  );
  return [`## ${heading}`, "", sectionNotes(node), "", ...table(rows), ""].join("\n");
}

/** The reference text, as committed. */
export function generateConfigReference(): string {
  const root = configJsonSchema() as Node;
  const intro = [
    `# ${root.title ?? "pipelines file"}: reference`,
    "",
    "<!-- Generated from lib/config/schema.ts by `npm run gen:config-reference`: do not edit. -->",
    "",
    "Every key of the pipelines file (`pipelines.yaml`), level by level. What the keys do",
    "when a pipeline runs: [pipelines.md](pipelines.md). Editors check the file with",
    "[pipelines.schema.json](../pipelines.schema.json), generated from the same schema.",
    "",
    "A **duration** is whole numbers with units `s`, `m` or `h`, largest unit first:",
    `\`45s\`, \`90m\`, \`2h\`, \`1h30m\` (pattern ${code(DURATION_PATTERN)}). A step's`,
    "keys that `defaults` also has take their value from `defaults` when the step leaves",
    "them out (`poll` field by field); the Default column is the value when neither sets it.",
    "",
  ].join("\n");
  return `${[intro, ...sections(root).map(renderSection)].join("\n").trimEnd()}\n`;
}
