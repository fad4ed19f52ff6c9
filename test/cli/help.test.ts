/**
 * Each command's --help is generated from the option table its parser uses: every option it
 * documents is accepted, and every option the parser accepts is documented.
 */
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { type CommandSpec, parseArgsOptions } from "../../lib/cli/args";
import { DOCTOR } from "../../lib/cli/commands/doctor";
import { FRESHNESS } from "../../lib/cli/commands/freshness";
import { GRAPH } from "../../lib/cli/commands/graph";
import { HISTORY } from "../../lib/cli/commands/history";
import { REDRIVE } from "../../lib/cli/commands/redrive";
import { REPORT } from "../../lib/cli/commands/report";
import { RUN } from "../../lib/cli/commands/run";
import { SIMULATOR } from "../../lib/cli/commands/simulator";
import { TRIGGER } from "../../lib/cli/commands/trigger";
import { VALIDATE } from "../../lib/cli/commands/validate";
import { WEBHOOK } from "../../lib/cli/commands/webhook";
import { WHEREIS } from "../../lib/cli/commands/whereis";
import { commandHelp, wrap } from "../../lib/cli/help";
import { runMain } from "./in-process";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");
const SPECS: [string, CommandSpec][] = [
  RUN,
  VALIDATE,
  DOCTOR,
  GRAPH,
  SIMULATOR,
  FRESHNESS,
  WEBHOOK,
  WHEREIS,
  HISTORY,
  REPORT,
  TRIGGER,
  REDRIVE,
].map((s) => [s.name, s]);

/** The options a help text lists: long name, short letter, whether it takes a value. */
function documented(help: string): { name: string; short?: string; value: boolean }[] {
  const section = help.split("\nOptions:\n")[1]?.split("\n\n")[0] ?? "";
  return [...section.matchAll(/^ {2}(?:-(\w), )?--([a-z-]+)( [A-Z]+)?/gm)].map((m) => ({
    name: m[2] ?? "",
    ...(m[1] !== undefined ? { short: m[1] } : {}),
    value: m[3] !== undefined,
  }));
}

describe("help generated from the option tables", () => {
  it.each(SPECS)("%s --help prints the help of its own table", async (name, spec) => {
    const { code, stdout, stderr } = await runMain([name, "--help"], FIXTURES);
    expect({ code, stderr }).toEqual({ code: 0, stderr: "" });
    expect(stdout).toBe(commandHelp(spec));
    expect(stdout).toContain(`Usage: polytomic-orchestrator ${spec.usage}\n`);
  });

  it.each(SPECS)("%s documents exactly the options its parser accepts", (_, spec) => {
    const parser = parseArgsOptions(spec);
    const help = documented(commandHelp(spec));
    expect(help.map((o) => o.name).sort()).toEqual(Object.keys(parser).sort());
    for (const option of help) {
      expect({ name: option.name, value: option.value, short: option.short }).toEqual({
        name: option.name,
        value: parser[option.name]?.type === "string",
        short: parser[option.name]?.short,
      });
    }
  });

  it.each(SPECS)("%s accepts every option its help documents", async (name, spec) => {
    for (const option of documented(commandHelp(spec))) {
      const args = [`--${option.name}`, ...(option.value ? ["x"] : [])];
      if (option.short !== undefined) args.push(`-${option.short}`);
      const { code, stderr } = await runMain([name, ...args, "--help"], FIXTURES);
      expect({ args, code, stderr }).toEqual({ args, code: 0, stderr: "" });
    }
  });

  it.each(SPECS)(
    "%s documents every option with a description, lines within 92 columns",
    (_, spec) => {
      for (const option of spec.options) expect(option.description).not.toBe("");
      for (const line of commandHelp(spec).split("\n")) expect(line.length).toBeLessThanOrEqual(92);
    },
  );

  it("an undocumented option is refused as unknown", async () => {
    const { code, stderr } = await runMain(["validate", "--live"], FIXTURES);
    expect({ code, stderr }).toEqual({
      code: 2,
      stderr: "validate: unknown option --live (see validate --help)\n",
    });
  });
});

describe("wrap", () => {
  it("breaks between words within the width, indenting the lines after the first", () => {
    expect(wrap("aa bb cc dd", 5, "  ")).toBe("aa bb\n  cc dd");
    expect(wrap("a  long-word x", 4)).toBe("a\nlong-word\nx");
    expect(wrap("", 10)).toBe("");
  });
});
