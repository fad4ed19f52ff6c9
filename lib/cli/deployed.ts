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
import type { PipelineConfig } from "../config/model";
import { runProgress } from "../deployed/run-report";
import { findPipelineMachine, type StackTarget } from "../deployed/stack";
import { DEFAULT_STACK_NAME, PIPELINE_TAG } from "../deployed/tags";
import type { RunReport } from "../report/model";
import { CredentialError, type OptionSpec, UsageError } from "./args";
import { stepLine } from "./display";
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

/** The pipeline an execution is a run of: its state machine's pipeline tag. */
export async function pipelineOfExecution(
  deployed: Deployed,
  executionArn: string,
): Promise<{ pipeline: string; stateMachineArn: string }> {
  const description = await describeExecution(deployed.client, executionArn);
  const stateMachineArn = description.stateMachineArn ?? "";
  const { tags } = await deployed.client.send(
    new ListTagsForResourceCommand({ resourceArn: stateMachineArn }),
  );
  const pipeline = tags?.find((t) => t.key === PIPELINE_TAG)?.value;
  if (pipeline === undefined) {
    throw new UsageError(
      `execution ${executionArn} is not a pipeline run (its state machine has no ${PIPELINE_TAG} tag)`,
    );
  }
  return { pipeline, stateMachineArn };
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
 * still going says so (the report's own status is only ever an end).
 */
export function reportText(run: DeployedRun, report: RunReport, now: number): string {
  const width = Math.max(4, ...report.steps.map((s) => s.id.length));
  const going = run.execution.status === "RUNNING";
  const span = going
    ? `started ${report.started_at}, still running`
    : `${report.started_at} to ${report.finished_at}`;
  const lines = [
    `Pipeline ${report.pipeline}: ${going ? "running" : report.status} (execution ${report.execution_name}, ${span})`,
    ...runProgress(run, report, now).map((p) => `  ${stepLine(p, width)}`),
  ];
  for (const step of report.steps) {
    if (step.error)
      lines.push(`  ${step.id}: ${step.error.name}: ${step.failure_text ?? step.error.message}`);
  }
  if (report.critical_path.length > 0)
    lines.push(`Critical path: ${report.critical_path.join(" -> ")}`);
  return `${lines.join("\n")}\n`;
}
