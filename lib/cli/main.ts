/**
 * The command line's entry: dispatches to a command and turns every expected problem
 * into a message on stderr and an exit code (0 success, 1 pipeline failed, 2 usage,
 * configuration, credential or environment error). Anything else is a bug: exit 70, so
 * that it is never taken for a failed pipeline nor for a mistake of the user's.
 * bin/cli.ts only wires it to the process.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { ScenarioError } from "../../simulator/scenario";
import { CredentialError, EnvironmentError, PreflightError, UsageError } from "./args";
import { ConfigProblemsError } from "./config";
import { plural } from "./format";
import { MAIN_HELP, PROGRAM } from "./help";
import type { CliIO } from "./io";

export type { CliIO } from "./io";

type Command = (args: readonly string[], io: CliIO) => Promise<number>;

/** Loaded on demand: `validate` and `graph` need neither the simulator nor the local engine. */
const COMMANDS: Record<string, () => Promise<Command>> = {
  run: async () => (await import("./commands/run")).runCommand,
  validate: async () => (await import("./commands/validate")).validateCommand,
  doctor: async () => (await import("./commands/doctor")).doctorCommand,
  graph: async () => (await import("./commands/graph")).graphCommand,
  freshness: async () => (await import("./commands/freshness")).freshnessCommand,
  simulator: async () => (await import("./commands/simulator")).simulatorCommand,
  webhook: async () => (await import("./commands/webhook")).webhookCommand,
  whereis: async () => (await import("./commands/whereis")).whereisCommand,
  history: async () => (await import("./commands/history")).historyCommand,
  report: async () => (await import("./commands/report")).reportCommand,
  trigger: async () => (await import("./commands/trigger")).triggerCommand,
  redrive: async () => (await import("./commands/redrive")).redriveCommand,
};

/**
 * Exit codes. `internal` is sysexits.h's EX_SOFTWARE: an error the command did not expect,
 * which is a bug (neither a failed pipeline nor something the user can fix).
 */
export const EXIT = { ok: 0, failed: 1, usage: 2, internal: 70 } as const;

/** Runs the command line `argv` (without node and script); resolves to the exit code. */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout).write(MAIN_HELP);
    return name === undefined ? EXIT.usage : EXIT.ok;
  }
  if (name === "--version" || name === "-v" || name === "version") {
    io.stdout.write(`${PROGRAM} ${version()}\n`);
    return EXIT.ok;
  }
  const load = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (load === undefined) {
    io.stderr.write(
      `${PROGRAM}: unknown command "${name}"; commands: ${Object.keys(COMMANDS).join(", ")} (see --help)\n`,
    );
    return EXIT.usage;
  }
  try {
    const command = await load();
    return await command(rest, io);
  } catch (err) {
    if (err instanceof ConfigProblemsError) {
      io.stderr.write(
        `${err.lines.join("\n")}\n${plural(err.problems.length, "problem")} in the pipelines file\n`,
      );
      return EXIT.usage;
    }
    if (err instanceof PreflightError) {
      io.stderr.write(
        `${err.problems.join("\n")}\n${plural(err.problems.length, "problem")} with the pipeline's syncs; no step was started\n`,
      );
      return EXIT.usage;
    }
    if (
      err instanceof UsageError ||
      err instanceof CredentialError ||
      err instanceof EnvironmentError ||
      err instanceof ScenarioError
    ) {
      io.stderr.write(`${err.message}\n`);
      return EXIT.usage;
    }
    return reportInternalError(name, err, io);
  }
}

/** The package's version, from its package.json (the one file that says it). */
export function version(): string {
  const file = fileURLToPath(new URL("../../package.json", import.meta.url));
  const parsed = JSON.parse(readFileSync(file, "utf8")) as { version?: unknown };
  return typeof parsed.version === "string" ? parsed.version : "unknown";
}

/**
 * Reports an error no command expected (a bug) on stderr: one line saying so, with the
 * stack trace only when the DEBUG environment variable is set (and not "0" or "false").
 * @param command the command that was running, when known
 * @returns the exit code, `EXIT.internal`
 */
export function reportInternalError(
  command: string | undefined,
  err: unknown,
  io: Pick<CliIO, "stderr" | "env">,
): number {
  const e = err instanceof Error ? err : new Error(String(err));
  const who =
    command !== undefined && Object.hasOwn(COMMANDS, command) ? `${PROGRAM} ${command}` : PROGRAM;
  const summary = `${e.name}: ${e.message}`.split("\n")[0] ?? e.name;
  const debug = !["", "0", "false"].includes((io.env.DEBUG ?? "").trim().toLowerCase());
  const detail = debug ? (e.stack ?? summary) : `${summary}; set DEBUG=1 for the stack trace`;
  io.stderr.write(`${who}: internal error (a bug, not a pipeline failure): ${detail}\n`);
  return EXIT.internal;
}
