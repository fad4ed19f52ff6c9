import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import type { z } from "zod";
import { formatConfigDuration, parseDuration } from "../../lib/config/duration";
import { parsePipelinesConfig } from "../../lib/config/load";
import { CONFIG_REFERENCE_PATH, generateConfigReference } from "../../lib/config/reference";
import {
  MAX_STEPS_PER_PIPELINE,
  NAME_MAX_LENGTH,
  PIPELINE_TIMEOUT,
  POLL_DEFAULTS,
  POLL_LIMITS,
  pipelineSchema,
  pipelinesFileSchema,
  pollSchema,
  STEP_TIMEOUT,
  scheduleSchema,
  stepDefaultsSchema,
  stepSchema,
} from "../../lib/config/schema";

const reference = generateConfigReference();

/** The reference's tables: section path -> key -> the row's cells by column name. */
function tables(text: string): Map<string, Map<string, Record<string, string>>> {
  const out = new Map<string, Map<string, Record<string, string>>>();
  for (const section of text.split(/^## /m).slice(1)) {
    const heading = section.slice(0, section.indexOf("\n")).replace(/`/g, "");
    const lines = section.split("\n").filter((line) => line.startsWith("| "));
    const cellsOf = (line: string) =>
      line
        .slice(2, -2)
        .split(/ (?<!\\)\| /)
        .map((cell) => cell.trim());
    const columns = cellsOf(lines[0] ?? "");
    const rows = new Map<string, Record<string, string>>();
    for (const line of lines.slice(2)) {
      const cells = cellsOf(line);
      const row = Object.fromEntries(columns.map((column, i) => [column, cells[i] ?? ""]));
      rows.set((row.Key ?? "").replace(/`/g, ""), row);
    }
    out.set(heading, rows);
  }
  return out;
}

const sections = tables(reference);
const row = (path: string, key: string): Record<string, string> => {
  const found = sections.get(path)?.get(key);
  if (!found) throw new Error(`no row for ${path} ${key}`);
  return found;
};
/** A Default cell's value: JSON (`0`, `false`, `[]`) or a bare word (`6h`, `success`). */
function defaultOf(path: string, key: string): unknown {
  const text = (row(path, key).Default ?? "").replace(/^`|`$/g, "");
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

const secondsOf = (path: string, key: string) => parseDuration(String(defaultOf(path, key)));

describe("docs/pipelines-reference.md", () => {
  it("is up to date with the zod schema (run `npm run gen:config-reference` when this fails)", () => {
    const committed = readFileSync(fileURLToPath(CONFIG_REFERENCE_PATH), "utf8");
    expect(committed === reference).toBe(true);
  });

  it("has a table for every mapping of the file, with a row for every key", () => {
    const mappings: [string, z.ZodObject][] = [
      ["The file", pipelinesFileSchema],
      ["pipelines.<name>", pipelineSchema],
      ["pipelines.<name>.schedule", scheduleSchema],
      ["pipelines.<name>.defaults", stepDefaultsSchema],
      ["pipelines.<name>.defaults.poll", pollSchema],
      ["pipelines.<name>.steps[]", stepSchema],
      ["pipelines.<name>.steps[].poll", pollSchema],
    ];
    for (const [path, schema] of mappings) {
      expect([...(sections.get(path)?.keys() ?? [])], path).toEqual(Object.keys(schema.shape));
    }
    expect([...(sections.get("pipelines.<name>.steps[].bulk_sync")?.keys() ?? [])]).toEqual([
      "name",
    ]);
  });

  it("gives every duration its units, range and default from the schema's constants", () => {
    const range = (limits: { min: number; max: number }) =>
      `${formatConfigDuration(limits.min)} to ${formatConfigDuration(limits.max)}`;
    const durations: [string, string, { min: number; max: number }, number][] = [
      ["pipelines.<name>", "timeout", PIPELINE_TIMEOUT, PIPELINE_TIMEOUT.default],
      ["pipelines.<name>.steps[]", "timeout", STEP_TIMEOUT, STEP_TIMEOUT.default],
      ["pipelines.<name>.defaults", "timeout", STEP_TIMEOUT, STEP_TIMEOUT.default],
      ["pipelines.<name>.steps[].poll", "min", POLL_LIMITS, POLL_DEFAULTS.min],
      ["pipelines.<name>.defaults.poll", "max", POLL_LIMITS, POLL_DEFAULTS.max],
    ];
    for (const [path, key, limits, fallback] of durations) {
      expect(row(path, key), `${path}.${key}`).toMatchObject({
        Type: "duration",
        Units: "s, m, h",
        Limits: range(limits),
        Default: `\`${formatConfigDuration(fallback)}\``,
      });
    }
  });

  it("states the sizes of lists and names", () => {
    expect(row("pipelines.<name>", "steps").Limits).toBe(`1 to ${MAX_STEPS_PER_PIPELINE} items`);
    expect(row("pipelines.<name>.steps[]", "id")).toMatchObject({
      Required: "yes",
      Limits: expect.stringContaining(`1 to ${NAME_MAX_LENGTH} characters`),
    });
    expect(row("The file", "pipelines").Limits).toContain(
      `names: 1 to ${NAME_MAX_LENGTH} characters`,
    );
    expect(row("pipelines.<name>.steps[]", "max_errors").Limits).toBe("≥ 0");
  });

  it("documents the defaults the loader applies to a step that sets nothing", () => {
    const yaml =
      "pipelines:\n  p:\n    schedule: { rate: 1 hour }\n    steps:\n      - id: a\n        model_sync: { name: s }\n";
    const [pipeline] = parsePipelinesConfig(yaml, "pipelines.yaml").pipelines;
    const step = pipeline?.steps[0];
    const at = "pipelines.<name>.steps[]";
    expect(pipeline?.timeout_seconds).toBe(secondsOf("pipelines.<name>", "timeout"));
    expect(pipeline?.notify).toEqual(defaultOf("pipelines.<name>", "notify"));
    expect(pipeline?.schedule?.timezone).toBe(defaultOf("pipelines.<name>.schedule", "timezone"));
    expect(step?.after).toEqual(defaultOf(at, "after"));
    expect(step?.run_after).toBe(defaultOf(at, "run_after"));
    expect(step?.on_conflict).toBe(defaultOf(at, "on_conflict"));
    expect(step?.policy).toEqual({
      max_errors: defaultOf(at, "max_errors"),
      fail_on_warnings: defaultOf(at, "fail_on_warnings"),
      fail_on_schema_errors: defaultOf(at, "fail_on_schema_errors"),
    });
    expect(step?.timeout_seconds).toBe(secondsOf(at, "timeout"));
    expect(step?.poll).toEqual({
      strategy: defaultOf(`${at}.poll`, "strategy"),
      min_seconds: secondsOf(`${at}.poll`, "min"),
      max_seconds: secondsOf(`${at}.poll`, "max"),
    });
  });

  it("links every mapping to its section", () => {
    const anchors = [...reference.matchAll(/\]\(#([^)]+)\)/g)].map((m) => m[1]);
    const headings = [...sections.keys()].map((h) =>
      h.toLowerCase().replace(/[^\p{L}\p{N}_\- ]/gu, ""),
    );
    expect(anchors.length).toBeGreaterThan(0);
    for (const a of anchors) expect(headings).toContain(a);
  });

  it("is the format reference the README links", () => {
    const readme = readFileSync(new URL("../../README.md", import.meta.url), "utf8");
    const section = readme.slice(readme.indexOf("## The pipelines file"));
    expect(section.slice(0, section.indexOf("\n## ", 1))).toContain(
      "(docs/pipelines-reference.md)",
    );
  });
});
