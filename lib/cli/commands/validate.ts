import { flag, parseCommandArgs, stringValue } from "../args";
import { displayPath, loadConfig } from "../config";
import { VALIDATE_HELP } from "../help";
import type { CliIO } from "../io";

/** `validate [--config FILE]`: 0 and a short summary when valid, else the problems (thrown). */
export async function validateCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs("validate", args, { config: { type: "string" } }, 0);
  if (flag(parsed, "help")) {
    io.stdout.write(VALIDATE_HELP);
    return 0;
  }
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const n = config.pipelines.length;
  const lines = [`${displayPath(config.source, io.cwd)}: OK, ${n} pipeline${n === 1 ? "" : "s"}`];
  for (const p of config.pipelines) {
    const steps = p.steps.length;
    const schedule = p.schedule
      ? p.schedule.cron !== undefined
        ? `, cron ${p.schedule.cron} (${p.schedule.timezone})`
        : `, rate ${p.schedule.rate}`
      : ", manual only";
    lines.push(`  ${p.name}: ${steps} step${steps === 1 ? "" : "s"}${schedule}`);
  }
  io.stdout.write(`${lines.join("\n")}\n`);
  return 0;
}
