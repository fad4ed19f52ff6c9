/** The command line in-process: usage errors and their exit codes, without a subprocess each. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { DOCTOR } from "../../lib/cli/commands/doctor";
import { FRESHNESS } from "../../lib/cli/commands/freshness";
import { REPORT } from "../../lib/cli/commands/report";
import { RUN } from "../../lib/cli/commands/run";
import { TRIGGER } from "../../lib/cli/commands/trigger";
import { VALIDATE } from "../../lib/cli/commands/validate";
import { WEBHOOK } from "../../lib/cli/commands/webhook";
import { WHEREIS } from "../../lib/cli/commands/whereis";
import type { Output } from "../../lib/cli/display";
import { EXIT, main } from "../../lib/cli/main";
import { aliasBomb } from "../fixtures/alias-bomb";
import { Capture, runMain } from "./in-process";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");

const cli = (args: string[], env: Record<string, string> = {}) => runMain(args, FIXTURES, env);

describe("command line usage", () => {
  it("without a command prints the usage on stderr and exits 2; --help on stdout, 0", async () => {
    const none = await cli([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage:");
    const help = await cli(["--help"]);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain("run <pipeline>");
    expect(help.stderr).toBe("");
  });

  it("--help's exit codes name every code a command's help names", async () => {
    const specs = [RUN, VALIDATE, DOCTOR, FRESHNESS, WEBHOOK, WHEREIS, REPORT, TRIGGER];
    const codesOf = (text: string) =>
      new Set([...text.matchAll(/(?:^|, )(\d+) /g)].map((m) => m[1]));
    const { stdout } = await cli(["--help"]);
    const main = codesOf((stdout.split("Exit codes: ")[1] ?? "").replace(/\s+/g, " "));
    for (const spec of specs) {
      for (const code of codesOf(spec.exitCodes ?? ""))
        expect({ code, main: main.has(code) }).toEqual({ code, main: true });
    }
  });

  it("--version prints the package's version on stdout and exits 0", async () => {
    const pkg = JSON.parse(
      readFileSync(resolve(import.meta.dirname, "../../package.json"), "utf8"),
    );
    for (const flag of ["--version", "-v", "version"]) {
      const { code, stdout, stderr } = await cli([flag]);
      expect({ code, stdout, stderr }).toEqual({
        code: 0,
        stdout: `polytomic-orchestrator ${pkg.version}\n`,
        stderr: "",
      });
    }
  });

  it.each([
    ["run", "--config FILE"],
    ["validate", "--config FILE"],
    ["doctor", "--live"],
    ["graph", "--format FORMAT"],
    ["simulator", "--port N"],
  ])("%s --help describes its options", async (command, option) => {
    const { code, stdout } = await cli([command, "--help"]);
    expect(code).toBe(0);
    expect(stdout).toContain(option);
  });

  it.each([
    [["frob"], 'unknown command "frob"'],
    [["run", "fanout", "--bogus"], "run: unknown option --bogus"],
    [["run", "fanout", "--speed"], "run: option --speed needs a value"],
    [["run", "fanout", "--json=yes"], "run: option --json takes no value"],
    [
      ["run", "fanout", "--speed", "fast"],
      '--speed must be a number > 0 (simulated seconds per real second), got "fast"',
    ],
    [
      ["run", "fanout", "--speed", "0"],
      '--speed must be a number > 0 (simulated seconds per real second), got "0"',
    ],
    [
      ["run", "fanout", "--speed", "-3"],
      'option --speed needs a value; for a value starting with "-" write --speed=VALUE',
    ],
    [
      ["run", "fanout", "--speed=-3"],
      '--speed must be a number > 0 (simulated seconds per real second), got "-3"',
    ],
    [["run"], "run: which pipeline?"],
    [["run", "fanout", "single"], 'run: unexpected argument "single"'],
    [["run", "fanout", "--live", "--speed", "10"], "cannot be combined with --live"],
    [
      ["freshness", "--live", "--scenario", "s.yaml"],
      "freshness: --scenario is for the embedded simulator; it cannot be combined with --live",
    ],
    [
      ["webhook", "status", "--live", "--scenario", "s.yaml"],
      "webhook: --scenario is for the embedded simulator; it cannot be combined with --live",
    ],
    [
      ["whereis", "00000000-0000-4000-8000-000000000000", "--live", "--scenario", "s.yaml"],
      "whereis: --scenario is for the embedded simulator; it cannot be combined with --live",
    ],
    [["run", "nope"], 'unknown pipeline "nope" in pipelines.yaml; known pipelines: fanout, single'],
    [["graph", "fanout", "--format", "svg"], '--format must be one of mermaid, dot, got "svg"'],
    [["graph"], "graph: which pipeline?"],
    [["validate", "extra"], 'validate: unexpected argument "extra"'],
    [
      ["simulator", "--port", "70000"],
      '--port must be a whole number from 0 to 65535, got "70000"',
    ],
    [
      ["run", "fanout", "--scenario", "missing.yaml"],
      "missing.yaml: cannot read the scenario: no such file",
    ],
    [["run", "fanout", "--config", "missing.yaml"], "missing.yaml: cannot read the file"],
  ])("%j exits 2 naming the problem", async (args, message) => {
    const { code, stdout, stderr } = await cli(args);
    expect(stderr).toContain(message);
    expect(code).toBe(2);
    expect(stdout).toBe("");
  });

  it("--live refuses to run without POLYTOMIC_API_KEY, naming the variable", async () => {
    const { code, stderr } = await cli(["run", "fanout", "--live"], {
      POLYTOMIC_API_URL: "https://example.com",
    });
    expect(code).toBe(2);
    expect(stderr).toContain("POLYTOMIC_API_KEY environment variable is not set");
  });

  it("--live rejects a POLYTOMIC_API_URL that is not a URL", async () => {
    const { code, stderr } = await cli(["run", "fanout", "--live"], {
      POLYTOMIC_API_KEY: "k",
      POLYTOMIC_API_URL: "app.polytomic.com",
    });
    expect(code).toBe(2);
    expect(stderr).toContain('POLYTOMIC_API_URL is not a URL: "app.polytomic.com"');
    expect(stderr).not.toContain("k\n");
  });

  it("graph --format dot prints Graphviz source", async () => {
    const { code, stdout } = await cli(["graph", "fanout", "--format", "dot"]);
    expect(code).toBe(0);
    expect(stdout).toContain('digraph "fanout" {');
    expect(stdout).toContain('"push_hubspot" -> "report";');
  });

  it("a missing default pipelines file says where it looked", async () => {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await main(["validate"], {
      stdout,
      stderr,
      env: {},
      cwd: resolve(FIXTURES, ".."),
    });
    expect(code).toBe(2);
    expect(stderr.text).toContain("pipelines.yaml: cannot read the file: no such file");
    expect(stderr.text).toContain("(no --config given: looked for pipelines.yaml in");
  });
});

describe("config problems", () => {
  it.each([
    ["validate", "--config", "positions.yaml"],
    ["run", "nightly", "--config", "positions.yaml"],
    ["doctor", "--config", "positions.yaml"],
  ])(
    "%s prints each problem at file:line:col (1-based, where its value or key starts)",
    async (...args) => {
      const { code, stdout, stderr } = await cli(args);
      expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
      expect(stderr).toBe(
        [
          'positions.yaml:4:23: pipeline "nightly", field "schedule.cron": invalid cron "0 25 * * *": hour "25": 25 is out of range 0-23',
          'positions.yaml:8:9: pipeline "nightly", step "load", field "tiemout": unknown key "tiemout" (did you mean "timeout"?)',
          'positions.yaml:11:16: pipeline "nightly", step "x", field "after": unknown step "ghost" (known: load)',
          "3 problems in the pipelines file",
          "",
        ].join("\n"),
      );
    },
  );

  it("a problem without a position (an unreadable file) keeps file: message", async () => {
    const { stderr } = await cli(["validate", "--config", "missing.yaml"]);
    expect(stderr).toMatch(/^missing\.yaml: cannot read the file: no such file/);
  });
});

describe("config files that are not YAML", () => {
  it("a binary file or a YAML alias bomb is a config error (exit 2, one line), not a bug", async () => {
    const dir = mkdtempSync(join(tmpdir(), "cli-config-"));
    writeFileSync(join(dir, "binary.yaml"), Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0, 0]));
    writeFileSync(join(dir, "bomb.yaml"), aliasBomb());
    for (const [file, problem] of [
      ["binary.yaml", "binary.yaml: cannot read the file: it is not a text file"],
      ["bomb.yaml", "bomb.yaml: YAML aliases (*name) expand into too much data"],
    ] as const) {
      const { code, stdout, stderr } = await runMain(["validate", "--config", file], dir);
      expect({ code, stdout }).toEqual({ code: 2, stdout: "" });
      expect(stderr.startsWith(problem)).toBe(true);
      expect(stderr).toContain("1 problem in the pipelines file\n");
    }
  });
});

describe("errors nobody expected", () => {
  /** Standard output that fails as a bug would: the command cannot expect it. */
  class Broken implements Output {
    write(): boolean {
      throw new TypeError("boom");
    }
  }

  async function broken(env: Record<string, string>) {
    const stderr = new Capture();
    const code = await main(["validate"], { stdout: new Broken(), stderr, env, cwd: FIXTURES });
    return { code, stderr: stderr.text };
  }

  it("exit 70, neither 1 (pipeline failed) nor 2 (usage), with one line saying it is a bug", async () => {
    const { code, stderr } = await broken({});
    expect(code).toBe(EXIT.internal);
    expect(code).toBe(70);
    expect(stderr).toBe(
      "polytomic-orchestrator validate: internal error (a bug, not a pipeline failure): TypeError: boom; set DEBUG=1 for the stack trace\n",
    );
  });

  it("DEBUG prints the stack trace", async () => {
    const { code, stderr } = await broken({ DEBUG: "1" });
    expect(code).toBe(70);
    expect(stderr).toMatch(
      /^polytomic-orchestrator validate: internal error \(a bug, not a pipeline failure\): TypeError: boom\n\s+at /,
    );
    expect((await broken({ DEBUG: "0" })).stderr).not.toMatch(/\n\s+at /);
  });
});
