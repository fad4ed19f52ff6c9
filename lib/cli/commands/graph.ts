import { toDot, toMermaid } from "../../config/graph";
import { flag, parseChoice, parseCommandArgs, stringValue, UsageError } from "../args";
import { findPipeline, loadConfig } from "../config";
import { GRAPH_HELP } from "../help";
import type { CliIO } from "../io";

const FORMATS = ["mermaid", "dot"] as const;

/** `graph <pipeline> [--config FILE] [--format mermaid|dot]`: diagram source on stdout. */
export async function graphCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(
    "graph",
    args,
    { config: { type: "string" }, format: { type: "string" } },
    1,
  );
  if (flag(parsed, "help")) {
    io.stdout.write(GRAPH_HELP);
    return 0;
  }
  const format = parseChoice("--format", stringValue(parsed, "format"), FORMATS, "mermaid");
  const name = parsed.positionals[0];
  if (name === undefined)
    throw new UsageError("graph: which pipeline? (graph <pipeline>, see graph --help)");
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const pipeline = findPipeline(config, name, io.cwd);
  io.stdout.write(format === "dot" ? toDot(pipeline) : toMermaid(pipeline));
  return 0;
}
