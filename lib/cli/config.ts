/**
 * Loading the pipelines file for a command, and saying what is wrong with it in the
 * terms people search for: file, pipeline, step, field.
 */
import { resolve } from "node:path";
import { parseScenario, type Scenario, ScenarioError } from "../../simulator/scenario";
import {
  ConfigError,
  type ConfigProblem,
  formatProblem,
  loadPipelinesConfig,
} from "../config/load";
import type { PipelineConfig, PipelinesConfig } from "../config/model";
import { readTextFile, TextFileError } from "../config/read-text";
import { type OptionSpec, UsageError } from "./args";
import { displayPath } from "./format";

export { displayPath } from "./format";

/** The pipelines file when `--config` is not given (relative to the working directory). */
export const DEFAULT_CONFIG = "pipelines.yaml";

/** `--config FILE`, for every command that reads the pipelines file. */
export const CONFIG_OPTION: OptionSpec<"config"> = {
  name: "config",
  type: "string",
  value: "FILE",
  description: "pipelines file",
  default: `${DEFAULT_CONFIG} in the current directory`,
};

/** `--scenario FILE`, for the commands that start a simulator. */
export const SCENARIO_OPTION: OptionSpec<"scenario"> = {
  name: "scenario",
  type: "string",
  value: "FILE",
  description: "simulator scenario (YAML or JSON) saying how each sync behaves",
};

/** A config that cannot be used: exit 2, every problem on its own line. */
export class ConfigProblemsError extends Error {
  override readonly name = "ConfigProblemsError";
  constructor(
    readonly problems: readonly ConfigProblem[],
    readonly lines: readonly string[],
  ) {
    super(lines.join("\n"));
  }
}

/**
 * Loads and validates the pipelines file.
 * @throws ConfigProblemsError listing every problem (an unreadable file included), file
 * names relative to `cwd`
 */
export function loadConfig(cwd: string, path: string | undefined): PipelinesConfig {
  const file = resolve(cwd, path ?? DEFAULT_CONFIG);
  try {
    return loadPipelinesConfig(file);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    const problems = err.problems.map((p) => ({ ...p, file: displayPath(p.file, cwd) }));
    const lines = problems.map((p) => formatProblem(p));
    if (path === undefined && problems.some((p) => p.message.includes("no such file"))) {
      lines.push(`(no --config given: looked for ${DEFAULT_CONFIG} in ${cwd})`);
    }
    throw new ConfigProblemsError(problems, lines);
  }
}

/**
 * The named pipeline.
 * @throws UsageError naming the known pipelines when it is not in the file
 */
export function findPipeline(config: PipelinesConfig, name: string, cwd: string): PipelineConfig {
  const found = config.pipelines.find((p) => p.name === name);
  if (found !== undefined) return found;
  const known = config.pipelines.map((p) => p.name);
  throw new UsageError(
    `unknown pipeline "${name}" in ${displayPath(config.source, cwd)}; ${
      known.length > 0 ? `known pipelines: ${known.join(", ")}` : "it defines no pipelines"
    }`,
  );
}

/**
 * Reads and validates a simulator scenario named on the command line.
 * @throws ScenarioError naming the file (relative to `cwd`) and what is wrong with it
 */
export function loadScenarioFile(cwd: string, path: string): Scenario {
  const file = resolve(cwd, path);
  const shown = displayPath(file, cwd);
  let text: string;
  try {
    text = readTextFile(file);
  } catch (err) {
    const reason = err instanceof TextFileError ? err.reason : String(err);
    throw new ScenarioError(`${shown}: cannot read the scenario: ${reason}`, { cause: err });
  }
  return parseScenario(text, shown);
}
