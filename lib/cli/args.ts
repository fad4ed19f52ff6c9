/**
 * Argument parsing for the commands (node:util parseArgs, strict), turning every
 * mistake into a `UsageError` whose message names the option and what is wrong with it.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";

/** Bad command line: exit 2 with the message on stderr. */
export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Missing or unusable credentials: exit 2 with the message on stderr. */
export class CredentialError extends Error {
  override readonly name = "CredentialError";
}

/**
 * Something of the machine's the user can fix (a port in use or not permitted, an output
 * directory that cannot be written): exit 2 with the message, naming it, on stderr.
 */
export class EnvironmentError extends Error {
  override readonly name = "EnvironmentError";
}

/** A pipeline whose syncs cannot all be resolved: exit 2, every problem on its own line. */
export class PreflightError extends Error {
  override readonly name = "PreflightError";
  constructor(readonly problems: readonly string[]) {
    super(problems.join("\n"));
  }
}

type Options = NonNullable<ParseArgsConfig["options"]>;

export interface Parsed {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
}

/**
 * Parses `args` for `command` against `options` (plus `--help`), strictly: unknown
 * options, missing values and stray positionals are usage errors.
 * @param maxPositionals how many positionals the command takes
 */
export function parseCommandArgs(
  command: string,
  args: readonly string[],
  options: Options,
  maxPositionals: number,
): Parsed {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(command, err));
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help !== true && parsed.positionals.length > maxPositionals) {
    const extra = parsed.positionals
      .slice(maxPositionals)
      .map((p) => `"${p}"`)
      .join(", ");
    throw new UsageError(`${command}: unexpected argument ${extra} (see ${command} --help)`);
  }
  return { values, positionals: parsed.positionals };
}

function describeParseError(command: string, err: unknown): string {
  const e = err as { code?: string; message?: string };
  const message = e.message ?? String(err);
  // "'--speed <value>'" or "'-s, --speed <value>'": keep the long name.
  const quoted = /'(-[^']*)'/.exec(message)?.[1] ?? "";
  const option = quoted.replace(/ <value>$/, "").replace(/^-[^-], /, "");
  const help = `(see ${command} --help)`;
  if (e.code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
    return `${command}: unknown option ${option} ${help}`;
  if (e.code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
    if (/ambiguous/.test(message)) {
      return `${command}: option ${option} needs a value; for a value starting with "-" write ${option}=VALUE ${help}`;
    }
    const what = /argument missing/.test(message) ? "needs a value" : "takes no value";
    return `${command}: option ${option} ${what} ${help}`;
  }
  return `${command}: ${message}`;
}

/** `--speed N`: simulated seconds per real second, a finite number > 0. */
export function parseSpeed(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const speed = Number(text);
  if (text.trim() === "" || !Number.isFinite(speed) || speed <= 0) {
    throw new UsageError(
      `--speed must be a number > 0 (simulated seconds per real second), got "${text}"`,
    );
  }
  return speed;
}

/** `--port N`: 0 (any free port) to 65535. */
export function parsePort(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const port = Number(text);
  if (!/^\d+$/.test(text.trim()) || port > 65_535) {
    throw new UsageError(`--port must be a whole number from 0 to 65535, got "${text}"`);
  }
  return port;
}

/** An option that takes one of `choices`. */
export function parseChoice<T extends string>(
  option: string,
  text: string | undefined,
  choices: readonly T[],
  fallback: T,
): T {
  if (text === undefined) return fallback;
  if ((choices as readonly string[]).includes(text)) return text as T;
  throw new UsageError(`${option} must be one of ${choices.join(", ")}, got "${text}"`);
}

/** A string option's value (parseArgs guarantees the type for `type: "string"`). */
export function stringValue(parsed: Parsed, name: string): string | undefined {
  const v = parsed.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A boolean option's value. */
export function flag(parsed: Parsed, name: string): boolean {
  return parsed.values[name] === true;
}
