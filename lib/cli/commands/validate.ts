import type { PipelineConfig } from "../../config/model";
import { commandSpec, parseCommandArgs, stringValue } from "../args";
import { CONFIG_OPTION, displayPath, loadConfig } from "../config";
import { plural } from "../format";
import { helpRequested } from "../help";
import type { CliIO } from "../io";

export const VALIDATE = commandSpec({
  name: "validate",
  usage: "validate [--config FILE]",
  description:
    "Checks the pipelines file and prints every problem with its file, line and column, pipeline, step and field.",
  positionals: 0,
  options: [CONFIG_OPTION],
  exitCodes: "0 valid, 2 problems found (or the file cannot be read).",
});

/** `validate [--config FILE]`: 0 and a short summary when valid, else the problems (thrown). */
export async function validateCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(VALIDATE, args);
  if (helpRequested(VALIDATE, parsed, io)) return 0;
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const lines = [
    `${displayPath(config.source, io.cwd)}: OK, ${plural(config.pipelines.length, "pipeline")}`,
  ];
  for (const p of config.pipelines) {
    const schedule = p.schedule
      ? p.schedule.cron !== undefined
        ? `, cron ${p.schedule.cron} (${p.schedule.timezone})`
        : `, rate ${p.schedule.rate}`
      : ", manual only";
    lines.push(
      `  ${p.name}: ${plural(p.steps.length, "step")}${acrossOrganizations(p)}${schedule}`,
    );
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}

/** ` in each of 3 organizations` (a list), ` in every organization` ...; nothing without. */
function acrossOrganizations(pipeline: PipelineConfig): string {
  const spec = pipeline.fan_out?.organizations;
  if (spec === undefined) return "";
  if ("list" in spec) return ` in each of ${plural(spec.list.length, "organization")}`;
  if ("all" in spec) return " in every organization of the partner";
  return ` in each organization connection ${spec.sharing_connection} is shared with`;
}
