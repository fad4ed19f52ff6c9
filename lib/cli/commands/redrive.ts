import { RedriveExecutionCommand } from "@aws-sdk/client-sfn";
import { describeExecution } from "../../../functions/aws/run-histories";
import { commandSpec, parseCommandArgs, stringValue, UsageError } from "../args";
import {
  AWS_ENVIRONMENT,
  type Deployed,
  deployedContext,
  latestExecution,
  STACK_OPTION,
  withAws,
} from "../deployed";
import { helpRequested } from "../help";
import type { CliIO } from "../io";

export const REDRIVE = commandSpec({
  name: "redrive",
  usage: "redrive <execution-arn|latest> [options]",
  description:
    "Redrives a failed pipeline execution (states:RedriveExecution): it goes on from the " +
    "states that failed; steps that succeeded are not run again, and failed steps start new " +
    "child executions. Step Functions redrives only FAILED, ABORTED or TIMED_OUT executions " +
    "of Standard workflows, within 14 days of their end. `latest` is the most recent execution of --pipeline.",
  positionals: 1,
  options: [
    { name: "pipeline", type: "string", value: "NAME", description: "the pipeline, for `latest`" },
    STACK_OPTION,
  ],
  environment: AWS_ENVIRONMENT,
});

/** Statuses Step Functions can redrive (API_RedriveExecution). */
const REDRIVABLE = new Set(["FAILED", "ABORTED", "TIMED_OUT"]);

/**
 * Whether Step Functions would redrive the execution; a UsageError saying why not.
 * DescribeExecution's `redriveStatus`/`redriveStatusReason` say it when present.
 */
async function checkRedrivable(deployed: Deployed, executionArn: string): Promise<void> {
  const d = await describeExecution(deployed.client, executionArn);
  if (!REDRIVABLE.has(d.status ?? "")) {
    throw new UsageError(
      `redrive: execution ${d.name ?? executionArn} is ${d.status}; only a FAILED, ABORTED or TIMED_OUT execution can be redriven`,
    );
  }
  if (d.redriveStatus === "NOT_REDRIVABLE") {
    throw new UsageError(
      `redrive: Step Functions will not redrive execution ${d.name ?? executionArn}: ${d.redriveStatusReason ?? "no reason given"}`,
    );
  }
}

/** states:RedriveExecution; Step Functions' refusal as a UsageError with its reason. */
async function redrive(deployed: Deployed, executionArn: string): Promise<void> {
  try {
    await deployed.client.send(new RedriveExecutionCommand({ executionArn }));
  } catch (err) {
    const e = err as { name?: string; message?: string };
    if (e.name !== "ExecutionNotRedrivable") throw err;
    throw new UsageError(`redrive: Step Functions refused: ${e.message}`);
  }
}

/** `redrive <execution-arn|latest>`: redrives a failed execution. */
export async function redriveCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(REDRIVE, args);
  if (helpRequested(REDRIVE, parsed, io)) return 0;
  const target = parsed.positionals[0];
  if (target === undefined) {
    throw new UsageError(
      "redrive: which execution? (redrive <execution-arn|latest>, see redrive --help)",
    );
  }
  const pipeline = stringValue(parsed, "pipeline");
  if (target === "latest" && pipeline === undefined) {
    throw new UsageError("redrive latest: which pipeline? (redrive latest --pipeline NAME)");
  }
  const deployed = deployedContext(io, stringValue(parsed, "stack"));
  const arn = await withAws("redrive", async () => {
    const arn =
      target === "latest" ? await latestExecution(deployed, pipeline as string, "redrive") : target;
    await checkRedrivable(deployed, arn);
    await redrive(deployed, arn);
    return arn;
  });
  io.stdout.write(`Redriven: ${arn}\nFollow it with: polytomic-orchestrator report ${arn}\n`);
  return 0;
}
