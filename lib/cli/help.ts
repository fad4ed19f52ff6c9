/**
 * The `--help` texts. A command's help is built from the option table its parser uses
 * (lib/cli/args.ts `CommandSpec`), so an option cannot be parsed and undocumented, nor
 * documented and refused.
 */
import { type CommandSpec, flag, type OptionSpec, optionTable, type Parsed } from "./args";
import type { CliIO } from "./io";

export const PROGRAM = "polytomic-orchestrator";

export const MAIN_HELP = `${PROGRAM}: run Polytomic bulk and model syncs in dependency order

Usage:
  ${PROGRAM} run <pipeline> [options]     run a pipeline locally, as Step Functions would
  ${PROGRAM} validate [--config FILE]     check the pipelines file
  ${PROGRAM} doctor [--config FILE] [--live]
                                          check the API key, every step's sync, and what
                                          will hurt on AWS (overlaps, history limits)
  ${PROGRAM} graph <pipeline> [options]   print a pipeline's dependency graph
  ${PROGRAM} freshness [--live]           when each watched sync last succeeded, and
                                          which are stale (exit 1 when any is)
  ${PROGRAM} simulator [options]          start the standalone Polytomic simulator
  ${PROGRAM} webhook <install|status|uninstall> [options]
                                          register the stack's webhook receiver with
                                          Polytomic (one webhook per organization)
  ${PROGRAM} whereis <uuid> [--live]      the partner organization a sync, execution or
                                          connection belongs to (needs the partner key)

Deployed pipelines (AWS_REGION, AWS credentials, --stack NAME):
  ${PROGRAM} history <pipeline>           recent runs: status, duration, failed steps
  ${PROGRAM} report <execution-arn|latest> [--pipeline NAME] [--html FILE] [--json]
                                          an execution's run report, from its histories
  ${PROGRAM} trigger <pipeline>           start it now and follow it live
  ${PROGRAM} redrive <execution-arn|latest>
                                          redrive a failed execution

Run "${PROGRAM} <command> --help" for a command's options; "${PROGRAM} --version"
prints the version.

Exit codes: 0 success, 1 the pipeline failed (freshness: a sync is stale; whereis: not
found; webhook status: not registered here), 2 usage, configuration or credential error (or
a port or directory that cannot be used), 3 a deployed run still going (report, trigger),
70 internal error (a bug; DEBUG=1 prints its stack trace), 130 run stopped by an interrupt.
`;

/** The width help paragraphs are wrapped to. */
const WIDTH = 92;

/** `text`'s words in lines of at most `width` characters, each line after the first prefixed by `indent`. */
export function wrap(text: string, width: number, indent = ""): string {
  const lines: string[] = [];
  let line = "";
  for (const word of text.split(/\s+/).filter((w) => w !== "")) {
    if (line !== "" && line.length + 1 + word.length > width) {
      lines.push(line);
      line = word;
    } else {
      line = line === "" ? word : `${line} ${word}`;
    }
  }
  lines.push(line);
  return lines.join(`\n${indent}`);
}

/** `-h, --help` or `--config FILE`. */
function optionLabel(option: OptionSpec): string {
  const short = option.short !== undefined ? `-${option.short}, ` : "";
  const value = option.type === "string" ? ` ${option.value ?? "VALUE"}` : "";
  return `${short}--${option.name}${value}`;
}

/** Two columns: each label padded to the widest, then its text wrapped beside it. */
function twoColumns(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([label]) => label.length));
  const indent = " ".repeat(2 + width + 2);
  return rows
    .map(
      ([label, text]) => `  ${label.padEnd(width)}  ${wrap(text, WIDTH - indent.length, indent)}`,
    )
    .join("\n");
}

/** The `--help` text of a command, from its spec. */
export function commandHelp(spec: CommandSpec): string {
  const options = optionTable(spec).map((o): [string, string] => [
    optionLabel(o),
    o.default !== undefined ? `${o.description} (default: ${o.default})` : o.description,
  ]);
  const parts = [
    `Usage: ${PROGRAM} ${spec.usage}`,
    wrap(spec.description, WIDTH),
    `Options:\n${twoColumns(options)}`,
  ];
  if (spec.environment !== undefined) {
    parts.push(`Environment:\n${twoColumns(spec.environment)}`);
  }
  if (spec.exitCodes !== undefined) parts.push(wrap(`Exit codes: ${spec.exitCodes}`, WIDTH));
  return `${parts.join("\n\n")}\n`;
}

/**
 * Writes `spec`'s help on stdout when `--help` was given.
 * @returns whether it did (the command then exits 0)
 */
export function helpRequested(spec: CommandSpec, parsed: Parsed, io: CliIO): boolean {
  if (!flag(parsed, "help")) return false;
  io.stdout.write(commandHelp(spec));
  return true;
}
