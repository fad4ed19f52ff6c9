import { toDot, toMermaid } from "../../config/graph";
import { commandSpec, parseChoice, parseCommandArgs, stringValue, UsageError } from "../args";
import { CONFIG_OPTION, findPipeline, loadConfig } from "../config";
import { helpRequested } from "../help";
import type { CliIO } from "../io";

const FORMATS = ["mermaid", "dot"] as const;

export const GRAPH = commandSpec({
  name: "graph",
  usage: "graph <pipeline> [--config FILE] [--format mermaid|dot]",
  description: "Prints the pipeline's steps and dependencies as diagram source on stdout.",
  positionals: 1,
  options: [
    CONFIG_OPTION,
    {
      name: "format",
      type: "string",
      value: "FORMAT",
      description: "mermaid or dot (Graphviz)",
      default: FORMATS[0],
    },
  ],
});

/** `graph <pipeline> [--config FILE] [--format mermaid|dot]`: diagram source on stdout. */
export async function graphCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(GRAPH, args);
  if (helpRequested(GRAPH, parsed, io)) return 0;
  const format = parseChoice("--format", stringValue(parsed, "format"), FORMATS, FORMATS[0]);
  const name = parsed.positionals[0];
  if (name === undefined)
    throw new UsageError("graph: which pipeline? (graph <pipeline>, see graph --help)");
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const pipeline = findPipeline(config, name, io.cwd);
  io.stdout.write(format === "dot" ? toDot(pipeline) : toMermaid(pipeline));
  return 0;
}
