import { writeFile } from "node:fs/promises";
import { resolve } from "node:path";
import {
  type DeployedRun,
  MAX_ORGANIZATION_DETAILS,
  readDeployedRun,
} from "../../../functions/aws/run-histories";
import { deployedRunReport } from "../../report/deployed-run";
import { renderReportHtml } from "../../report/html";
import { deployedLogHref, type LogsLocation, logsLocation } from "../../report/log-links";
import type { RunReport } from "../../report/model";
import { commandSpec, parseCommandArgs, stringValue, UsageError } from "../args";
import { CONFIG_OPTION, findPipeline, loadConfig } from "../config";
import {
  AWS_ENVIRONMENT,
  type Deployed,
  deployedContext,
  latestExecution,
  pipelineOfExecution,
  reportText,
  STACK_OPTION,
  stepShapes,
  withAws,
} from "../deployed";
import { helpRequested } from "../help";
import type { CliIO } from "../io";

/** The most failed organizations `--organizations` reads the steps of (about 20 calls each). */
const MAX_DETAILS = 100;

export const REPORT = commandSpec({
  name: "report",
  usage: "report <execution-arn|latest> [options]",
  description:
    "Builds the run report of a deployed pipeline execution from Step Functions: the " +
    "pipeline execution's history and its run-sync child executions' histories, as a local " +
    "run's report is built. `latest` is the most recent execution of --pipeline. The steps " +
    "and their dependencies come from the pipelines file (--config), which should be the one deployed. " +
    "A fan-out (pipeline with organizations:) lists every organization's outcome, failed first, with the " +
    "steps of the first failed ones (--organizations) and each one's execution ARN to report on.",
  positionals: 1,
  options: [
    { name: "pipeline", type: "string", value: "NAME", description: "the pipeline, for `latest`" },
    STACK_OPTION,
    CONFIG_OPTION,
    {
      name: "html",
      type: "string",
      value: "FILE",
      description: "also write the report as HTML to FILE",
    },
    {
      name: "json",
      type: "boolean",
      description: "print the report as JSON (schemas/run-report.schema.json#/$defs/run_report)",
    },
    {
      name: "organizations",
      type: "string",
      value: "N",
      description: `a fan-out: how many failed organizations' steps to read and show, 0 to ${MAX_DETAILS}`,
      default: String(MAX_ORGANIZATION_DETAILS),
    },
  ],
  environment: AWS_ENVIRONMENT,
  exitCodes:
    "0 the run succeeded, 1 it failed or was stopped, 3 it is still running, 2 usage, " +
    "configuration or credential error (or an execution Step Functions does not have), 70 internal error (a bug).",
});

function parseOrganizations(text: string | undefined): number {
  if (text === undefined) return MAX_ORGANIZATION_DETAILS;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n > MAX_DETAILS) {
    throw new UsageError(
      `--organizations must be a whole number from 0 to ${MAX_DETAILS}, got "${text}"`,
    );
  }
  return n;
}

/** The exit code of a run: 0 succeeded, 1 failed or stopped, 3 still running. */
export function runExitCode(run: DeployedRun): number {
  if (run.execution.status === "RUNNING") return 3;
  return run.execution.status === "SUCCEEDED" ? 0 : 1;
}

/** Which execution `report` is about: an ARN, or `latest` of --pipeline. */
async function executionOf(
  target: string,
  pipeline: string | undefined,
  deployed: Deployed,
): Promise<string> {
  if (target !== "latest") return target;
  if (pipeline === undefined) {
    throw new UsageError("report latest: which pipeline? (report latest --pipeline NAME)");
  }
  return latestExecution(deployed, pipeline, "report");
}

/** `report <execution-arn|latest>`: the deployed run's report on stdout (and as HTML). */
export async function reportCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(REPORT, args);
  if (helpRequested(REPORT, parsed, io)) return 0;
  const target = parsed.positionals[0];
  if (target === undefined) {
    throw new UsageError(
      "report: which execution? (report <execution-arn|latest>, see report --help)",
    );
  }
  const maxOrganizationDetails = parseOrganizations(stringValue(parsed, "organizations"));
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const deployed = deployedContext(io, stringValue(parsed, "stack"));
  const { run, report, readAt, logs } = await withAws("report", async () => {
    const arn = await executionOf(target, stringValue(parsed, "pipeline"), deployed);
    const { pipeline, stateMachineArn, logsBucket } = await pipelineOfExecution(deployed, arn);
    const steps = stepShapes(findPipeline(config, pipeline, io.cwd));
    const run = await readDeployedRun(deployed.client, arn, { maxOrganizationDetails });
    const readAt = Date.now();
    const logs = logsLocation(logsBucket, stateMachineArn);
    return { run, readAt, logs, report: deployedRunReport(run, pipeline, steps, readAt) };
  });
  for (const note of run.notes) io.stderr.write(`report: note: ${note}\n`);
  await writeOutputs({ run, report, readAt, logs }, parsed.values, io);
  return runExitCode(run);
}

async function writeOutputs(
  read: { run: DeployedRun; report: RunReport; readAt: number; logs: LogsLocation | undefined },
  values: { html?: string | boolean; json?: string | boolean },
  io: CliIO,
): Promise<void> {
  const { run, report, readAt, logs } = read;
  if (typeof values.html === "string") {
    const html = renderReportHtml(report, { logHref: deployedLogHref(logs) });
    await writeFile(resolve(io.cwd, values.html), html);
  }
  if (values.json === true) {
    io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return;
  }
  io.stdout.write(reportText(run, report, readAt));
}
