/**
 * What the commands on deployed pipelines share (history, report, trigger, redrive): the
 * `--stack` option, the Step Functions client from the usual AWS environment (region from
 * AWS_REGION or AWS_DEFAULT_REGION, else the profile's; credentials from the SDK's default
 * chain), and turning AWS's refusals into messages a person can act on.
 */
import { ListExecutionsCommand, ListTagsForResourceCommand, SFNClient } from "@aws-sdk/client-sfn";
import {
  type DeployedRun,
  describeExecution,
  ExecutionNotFound,
} from "../../functions/aws/run-histories";
import { parseJson } from "../../functions/aws/sfn-history";
import type { PipelineConfig } from "../config/model";
import { runProgress } from "../deployed/run-report";
import { findPipelineMachine, type StackTarget } from "../deployed/stack";
import { DEFAULT_STACK_NAME, LOGS_BUCKET_TAG, PIPELINE_TAG } from "../deployed/tags";
import { organizationTally, type RunReport } from "../report/model";
import { CredentialError, type OptionSpec, UsageError } from "./args";
import { stepLine } from "./display";
import { renderTable } from "./format";
import type { CliIO } from "./io";

export const STACK_OPTION: OptionSpec<"stack"> = {
  name: "stack",
  type: "string",
  value: "NAME",
  description: "the deployed stack (the CDK app's stackName context)",
  default: DEFAULT_STACK_NAME,
};

/** The environment the deployed commands read, as their help lists it. */
export const AWS_ENVIRONMENT: readonly (readonly [string, string])[] = [
  ["AWS_REGION", "the stack's region (or AWS_DEFAULT_REGION, or the profile's)"],
  ["AWS_PROFILE", "the credentials' profile (or any source of the AWS SDK's default chain)"],
];

/** SDK attempts per call: throttled reads back off and retry (standard retry mode). */
const MAX_ATTEMPTS = 8;

/** The Step Functions client and the stack the command is about. */
export type Deployed = StackTarget;

export function deployedContext(io: CliIO, stack: string | undefined): Deployed {
  const region = nonEmpty(io.env.AWS_REGION) ?? nonEmpty(io.env.AWS_DEFAULT_REGION);
  return {
    client: new SFNClient({ maxAttempts: MAX_ATTEMPTS, ...(region ? { region } : {}) }),
    stack: stack ?? DEFAULT_STACK_NAME,
    region: region ?? "the profile's region",
  };
}

function nonEmpty(value: string | undefined): string | undefined {
  return value !== undefined && value.trim() !== "" ? value.trim() : undefined;
}

/** AWS errors that mean the caller's credentials or region: exit 2 with what to do. */
const CREDENTIAL_ERRORS = new Set([
  "CredentialsProviderError",
  "ExpiredTokenException",
  "UnrecognizedClientException",
  "InvalidSignatureException",
  "AccessDeniedException",
]);

/**
 * The error to report for `err` in `command`: a CredentialError for a missing region or
 * credentials or a refusal, a UsageError for an execution Step Functions does not have;
 * `err` itself otherwise.
 */
export function awsProblem(command: string, err: unknown): unknown {
  const e = err as { name?: string; message?: string };
  if (err instanceof ExecutionNotFound) return new UsageError(`${command}: ${err.message}`);
  if (/^Region (is missing|not accepted)/i.test(e.message ?? "")) {
    return new CredentialError(
      `${command}: no usable AWS region: set AWS_REGION (or AWS_DEFAULT_REGION) to the stack's region`,
    );
  }
  if (e.name !== undefined && CREDENTIAL_ERRORS.has(e.name)) {
    const hint =
      e.name === "AccessDeniedException"
        ? "the credentials may not do this (see docs/operations.md for the IAM the commands need)"
        : "set AWS_PROFILE, or AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or log in (aws sso login)";
    return new CredentialError(
      `${command}: AWS refused or found no credentials (${e.name}: ${e.message}); ${hint}`,
    );
  }
  return err;
}

/** Runs `work`, turning AWS's problems into the command's errors. */
export async function withAws<T>(command: string, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw awsProblem(command, err);
  }
}

export interface ExecutionPipeline {
  pipeline: string;
  stateMachineArn: string;
  logsBucket: string | undefined;
}

/**
 * The pipeline an execution is a run of (its state machine's pipeline tag), and the
 * bucket its logs are exported to (the logs-bucket tag; undefined on a stack deployed
 * before it had that tag). A fan-out's per-organization execution (its machine is not
 * tagged: the stack finds pipelines by the tag) is its parent fan-out's pipeline: its
 * input names the organization and, as every child a `.sync` task starts with
 * `associateWithParent`, the parent's execution in `AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID`
 * (Step Functions guide, "Start workflow executions from a task state").
 */
export async function pipelineOfExecution(
  deployed: Deployed,
  executionArn: string,
  /** Looking up a per-organization execution's parent: one level only. */
  parentOf?: string,
): Promise<ExecutionPipeline> {
  const description = await describeExecution(deployed.client, executionArn);
  const stateMachineArn = description.stateMachineArn ?? "";
  const { tags } = await deployed.client.send(
    new ListTagsForResourceCommand({ resourceArn: stateMachineArn }),
  );
  const tag = (key: string) => tags?.find((t) => t.key === key)?.value;
  const pipeline = tag(PIPELINE_TAG);
  if (pipeline !== undefined)
    return { pipeline, stateMachineArn, logsBucket: tag(LOGS_BUCKET_TAG) };
  const parent = parentOf === undefined ? organizationParent(description.input) : undefined;
  if (parent !== undefined) {
    const fanOut = await pipelineOfExecution(deployed, parent, executionArn);
    return { ...fanOut, stateMachineArn };
  }
  throw new UsageError(
    parentOf === undefined
      ? `execution ${executionArn} is not a pipeline run (its state machine has no ${PIPELINE_TAG} tag)`
      : `execution ${parentOf} is not a pipeline run: the execution that started it, ${executionArn}, is not a pipeline's`,
  );
}

/** The fan-out that started a per-organization execution, from the execution's input. */
function organizationParent(input: string | undefined): string | undefined {
  const parsed = parseJson(input) as Record<string, unknown> | null | undefined;
  if (typeof parsed?.organization_id !== "string" || parsed.step !== undefined) return undefined;
  const parent = parsed.AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID;
  return typeof parent === "string" ? parent : undefined;
}

/** The pipeline machine's most recent execution's ARN. */
export async function latestExecution(
  deployed: Deployed,
  pipeline: string,
  command: string,
): Promise<string> {
  const machine = await findPipelineMachine(deployed, pipeline);
  const page = await deployed.client.send(
    new ListExecutionsCommand({ stateMachineArn: machine, maxResults: 1 }),
  );
  const arn = page.executions?.[0]?.executionArn;
  if (arn === undefined) {
    throw new UsageError(
      `${command}: pipeline ${pipeline} of stack ${deployed.stack} has no execution (Step Functions keeps them 90 days)`,
    );
  }
  return arn;
}

/** A step's config, as the report builder and the live display take it. */
export function stepShapes(pipeline: PipelineConfig) {
  return pipeline.steps.map((s) => ({ id: s.id, sync_type: s.sync_type, after: s.after }));
}

/**
 * The report as text: the run, then one line a step (the live display's lines). A run
 * still going says so.
 */
export function reportText(run: DeployedRun, report: RunReport, now: number): string {
  const width = Math.max(4, ...report.steps.map((s) => s.id.length));
  const going = run.execution.status === "RUNNING";
  const span = going
    ? `started ${report.started_at}, still running`
    : `${report.started_at} to ${report.finished_at}`;
  const lines = [
    `Pipeline ${report.pipeline}: ${report.status} (execution ${report.execution_name}, ${span})`,
    ...organizationLines(report),
    ...runProgress(report, now).map((p) => `  ${stepLine(p, width)}`),
  ];
  for (const step of report.steps) {
    if (step.error)
      lines.push(`  ${step.id}: ${step.error.name}: ${step.failure_text ?? step.error.message}`);
  }
  if (report.critical_path.length > 0)
    lines.push(`Critical path: ${report.critical_path.join(" -> ")}`);
  lines.push(...drillDownLines(report));
  return `${lines.join("\n")}\n`;
}

/** Organizations a fan-out's text lists at most (failed first; `--json` has them all). */
export const TEXT_ORGANIZATIONS = 50;

/** A fan-out's organizations: the counts, then one line each, failed first. */
function organizationLines(report: RunReport): string[] {
  const organizations = report.organizations;
  if (organizations === undefined) return [];
  const shown = organizations.slice(0, TEXT_ORGANIZATIONS);
  const rows = shown.map((o) => [
    o.name,
    o.status.replace("_", " "),
    o.error ?? "",
    o.failed_steps.join(", "),
  ]);
  const columns = [
    { header: "ORGANIZATION" },
    { header: "STATUS" },
    { header: "ERROR" },
    { header: "FAILED STEPS" },
  ];
  const more = organizations.length - shown.length;
  const shownSteps = organizations.filter((o) => o.steps_shown).map((o) => o.name);
  return [
    `Organizations: ${organizations.length} (${organizationTally(organizations)})`,
    ...renderTable(columns, rows)
      .split("\n")
      .map((line) => `  ${line}`),
    ...(more > 0 ? [`  ... and ${more} more (report --json lists every one)`] : []),
    ...(shownSteps.length > 0 ? [`Steps of ${shownSteps.join(", ")}:`] : []),
  ];
}

/** Failed organizations whose execution ARN the text prints, to drill into. */
const DRILL_DOWN_ARNS = 10;

/** How to read one organization's run: its execution's own report. */
function drillDownLines(report: RunReport): string[] {
  const started = (report.organizations ?? []).filter((o) => o.execution_arn !== null);
  if (started.length === 0) return [];
  const failed = started.filter((o) => o.status === "failed");
  const listed = (failed.length > 0 ? failed : started).slice(0, DRILL_DOWN_ARNS);
  const width = Math.max(...listed.map((o) => o.name.length));
  return [
    "One organization's run, step by step: polytomic-orchestrator report <its execution ARN>",
    ...listed.map((o) => `  ${o.name.padEnd(width)}  ${o.execution_arn}`),
    ...(started.length > listed.length
      ? ["  (report --json gives every organization's execution_arn)"]
      : []),
  ];
}
