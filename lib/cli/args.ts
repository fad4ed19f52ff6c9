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

/** One option of a command: the parser and the help text are both built from it. */
export interface OptionSpec<N extends string = string> {
  /** The long name, without `--`. */
  readonly name: N;
  /** `string` takes a value; `boolean` is a flag. */
  readonly type: "string" | "boolean";
  /** One letter, for `-x`. */
  readonly short?: string;
  /** How the help names the value (`FILE`, `N`); string options only. */
  readonly value?: string;
  readonly description: string;
  /** What applies when the option is not given, as the help says it (the command applies it). */
  readonly default?: string;
}

/** A command's command line: its usage, what it does, and its option table. */
export interface CommandSpec<N extends string = string> {
  readonly name: string;
  /** After the program's name: `run <pipeline> [options]`. */
  readonly usage: string;
  /** What the command does: a paragraph, wrapped by the help. */
  readonly description: string;
  /** How many positionals the command takes. */
  readonly positionals: number;
  readonly options: readonly OptionSpec<N>[];
  /** Environment variables the command reads: name, description. */
  readonly environment?: readonly (readonly [string, string])[];
  /** `Exit codes: ...`, a paragraph. */
  readonly exitCodes?: string;
}

/** The option names of a command spec (`OptionName<typeof RUN>`). */
export type OptionName<S> = S extends CommandSpec<infer N> ? N : never;

/** Infers a command's option names, so that reading an option not in its table is a type error. */
export function commandSpec<const N extends string>(spec: CommandSpec<N>): CommandSpec<N> {
  return spec;
}

/** Every command's `--help`, added to its table. */
export const HELP_OPTION: OptionSpec<"help"> = {
  name: "help",
  type: "boolean",
  short: "h",
  description: "this help",
};

/** The command's options and `--help`, in the order the help lists them. */
export function optionTable<N extends string>(spec: CommandSpec<N>): OptionSpec<N | "help">[] {
  return [...spec.options, HELP_OPTION];
}

/** The options node:util parseArgs receives for `spec`: exactly its table's. */
export function parseArgsOptions(spec: CommandSpec): Options {
  const options: Options = {};
  for (const o of optionTable(spec)) {
    options[o.name] = { type: o.type, ...(o.short !== undefined ? { short: o.short } : {}) };
  }
  return options;
}

export interface Parsed<N extends string = string> {
  values: Partial<Record<N | "help", string | boolean>>;
  positionals: string[];
}

/**
 * Parses `args` against `spec`'s option table (plus `--help`), strictly: unknown
 * options, missing values and stray positionals are usage errors.
 */
export function parseCommandArgs<N extends string>(
  spec: CommandSpec<N>,
  args: readonly string[],
): Parsed<N> {
  const command = spec.name;
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: [...args],
      options: parseArgsOptions(spec),
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    throw new UsageError(describeParseError(command, err));
  }
  const values = parsed.values as Parsed<N>["values"];
  if (values.help !== true && parsed.positionals.length > spec.positionals) {
    const extra = parsed.positionals
      .slice(spec.positionals)
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

/** `--speed N`, for the commands that start a simulator (each says its default). */
export const SPEED_OPTION: OptionSpec<"speed"> = {
  name: "speed",
  type: "string",
  value: "N",
  description: "simulated seconds per real second",
};

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
export function stringValue<N extends string>(
  parsed: Parsed<N>,
  name: NoInfer<N>,
): string | undefined {
  const v = parsed.values[name];
  return typeof v === "string" ? v : undefined;
}

/** A boolean option's value. */
export function flag<N extends string>(parsed: Parsed<N>, name: NoInfer<N | "help">): boolean {
  return parsed.values[name] === true;
}
