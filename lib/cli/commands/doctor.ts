import type { FreshnessRow } from "../../../functions/core/freshness";
import type { PipelineConfig, PipelinesConfig } from "../../config/model";
import { scenarioFromConfig } from "../../local/scenario-from-config";
import { scheduleWarnings } from "../advice";
import { commandSpec, flag, parseCommandArgs, stringValue } from "../args";
import { CONFIG_OPTION, displayPath, loadConfig } from "../config";
import { plural } from "../format";
import { helpRequested } from "../help";
import type { CliIO } from "../io";
import {
  embeddedPreflight,
  GENERATED_STEPS_SUCCEED,
  type PreflightReport,
  preflight,
} from "../preflight";
import { openLive } from "../target";
import { runFreshness } from "./freshness";

export const DOCTOR = commandSpec({
  name: "doctor",
  usage: "doctor [--config FILE] [--live]",
  description:
    'Checks every pipeline in the file as "run" would before starting it (the API key, each ' +
    "step's sync by id or name, inactive syncs), and warns about what will hurt on AWS: a " +
    "schedule that fires again within the pipeline's timeout (overlapping runs), a cron that " +
    "never fires, and polling whose worst case nears the 25,000-event execution history limit. " +
    "With freshness: in the file, it also reads every watched sync once, as the freshness check does.",
  positionals: 0,
  options: [
    CONFIG_OPTION,
    {
      name: "live",
      type: "boolean",
      description:
        "check against the real Polytomic API (POLYTOMIC_API_KEY, POLYTOMIC_API_URL); " +
        "otherwise the embedded simulator, whose generated scenario has every sync",
    },
  ],
  exitCodes:
    "0 nothing stops a run (warnings may be printed), 2 a problem in the file, the key, a step's sync or a watched sync.",
});

/**
 * `doctor [--config FILE] [--live]`: the pipelines file's problems (thrown, as `validate`),
 * then for every pipeline the preflight `run` makes (key, syncs, inactive syncs) and the
 * warnings about what will hurt on AWS (overlapping schedules, crons that never fire,
 * polling that fills the execution history).
 * @returns 0 when nothing stops a run (warnings allowed), 2 when a sync cannot be resolved
 * @throws ConfigProblemsError, CredentialError, EnvironmentError, UsageError (exit 2)
 */
export async function doctorCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(DOCTOR, args);
  if (helpRequested(DOCTOR, parsed, io)) return 0;
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const check = flag(parsed, "live") ? liveCheck(io) : embeddedCheck(config, io);
  const against = flag(parsed, "live")
    ? "the Polytomic API"
    : "the embedded simulator (its generated scenario has every sync: --live checks Polytomic's)";
  io.stdout.write(`${displayPath(config.source, io.cwd)}: checking against ${against}\n`);
  let problems = 0;
  let warnings = 0;
  for (const pipeline of config.pipelines) {
    const report = await check(pipeline);
    const found = [
      ...report.problems.map((p) => `error: ${p}`),
      ...[...report.warnings, ...scheduleWarnings(pipeline)].map((w) => `warning: ${w}`),
    ];
    problems += report.problems.length;
    warnings += found.length - report.problems.length;
    const lines = found.length === 0 ? ["OK"] : found;
    for (const line of lines) io.stdout.write(`${pipeline.name}: ${line}\n`);
  }
  if (config.freshness !== undefined) {
    const found = await freshnessFindings(config, flag(parsed, "live"), io);
    problems += found.problems;
    warnings += found.warnings;
  }
  io.stdout.write(`${plural(problems, "problem")}, ${plural(warnings, "warning")}\n`);
  return problems > 0 ? 2 : 0;
}

/**
 * The freshness check run once, as `freshness` runs it: a watched sync it cannot read (an
 * unknown name, an API error, max_api_calls or max_pages too low) is a problem; a paused
 * one a warning. Ages are not doctor's business (`freshness` says them).
 */
async function freshnessFindings(
  config: PipelinesConfig,
  live: boolean,
  io: CliIO,
): Promise<{ problems: number; warnings: number }> {
  const report = await runFreshness(config, { live, scenarioPath: undefined }, io);
  const where = (r: FreshnessRow) => `sync "${r.sync}"${r.schema ? `, schema "${r.schema}"` : ""}`;
  const problems = report.rows
    .filter((r) => r.status === "unreadable")
    .map((r) => `error: ${where(r)}: ${r.reason}`);
  const warnings = report.rows
    .filter((r) => r.active === false && r.schema === undefined)
    .map((r) => `warning: ${where(r)} is inactive (paused) in Polytomic: it will go stale`);
  const lines = [...problems, ...warnings];
  for (const line of lines.length > 0 ? lines : ["OK"]) io.stdout.write(`freshness: ${line}\n`);
  return { problems: problems.length, warnings: warnings.length };
}

type Check = (pipeline: PipelineConfig) => Promise<PreflightReport>;

function liveCheck(io: CliIO): Check {
  const target = openLive(io, "doctor");
  return (pipeline) => preflight(pipeline, target);
}

function embeddedCheck(config: PipelinesConfig, io: CliIO): Check {
  return (pipeline) =>
    embeddedPreflight(
      pipeline,
      { scenario: scenarioFromConfig(config, pipeline.name), shown: GENERATED_STEPS_SUCCEED },
      io,
    );
}
