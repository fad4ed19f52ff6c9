import {
  DescribeExecutionCommand,
  type ExecutionListItem,
  ListExecutionsCommand,
} from "@aws-sdk/client-sfn";
import { findPipelineMachine } from "../../deployed/stack";
import { formatElapsed } from "../../text";
import { commandSpec, flag, parseCommandArgs, stringValue, UsageError } from "../args";
import {
  AWS_ENVIRONMENT,
  type Deployed,
  deployedContext,
  STACK_OPTION,
  withAws,
} from "../deployed";
import { renderTable } from "../format";
import { helpRequested } from "../help";
import type { CliIO } from "../io";

const DEFAULT_LIMIT = 10;
const MAX_LIMIT = 1000;

export const HISTORY = commandSpec({
  name: "history",
  usage: "history <pipeline> [--stack NAME] [--limit N] [--json]",
  description:
    "Lists the deployed pipeline's most recent executions, newest first: status, start, " +
    "duration and the steps that failed (Step Functions keeps executions 90 days).",
  positionals: 1,
  options: [
    STACK_OPTION,
    {
      name: "limit",
      type: "string",
      value: "N",
      description: `how many executions, 1 to ${MAX_LIMIT}`,
      default: String(DEFAULT_LIMIT),
    },
    { name: "json", type: "boolean", description: "print the list as JSON" },
  ],
  environment: AWS_ENVIRONMENT,
});

/** One execution of the list. */
export interface HistoryRow {
  name: string;
  execution_arn: string;
  status: string;
  started_at: string | null;
  stopped_at: string | null;
  duration_seconds: number | null;
  /** The steps the pipeline's failure cause names (empty unless it failed with Pipeline.StepsFailed). */
  failed_steps: string[];
  /** The pipeline's own error, when it did not succeed. */
  error: string | null;
}

function parseLimit(text: string | undefined): number {
  if (text === undefined) return DEFAULT_LIMIT;
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || n < 1 || n > MAX_LIMIT) {
    throw new UsageError(`--limit must be a whole number from 1 to ${MAX_LIMIT}, got "${text}"`);
  }
  return n;
}

/** The newest `limit` executions of a machine, following nextToken. */
async function recentExecutions(
  deployed: Deployed,
  stateMachineArn: string,
  limit: number,
): Promise<ExecutionListItem[]> {
  const executions: ExecutionListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await deployed.client.send(
      new ListExecutionsCommand({
        stateMachineArn,
        maxResults: Math.min(limit - executions.length, MAX_LIMIT),
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    executions.push(...(page.executions ?? []));
    nextToken = page.nextToken;
  } while (nextToken && executions.length < limit);
  return executions.slice(0, limit);
}

/**
 * The failed steps a pipeline's failure cause names: the Fail state's cause ends with the
 * JSON object of failed steps and their error names (lib/constructs/pipeline-state-machine.ts).
 */
export function failedStepsOf(cause: string | undefined): string[] {
  const at = cause?.indexOf("{") ?? -1;
  if (cause === undefined || at < 0) return [];
  try {
    const failures = JSON.parse(cause.slice(at)) as unknown;
    return failures !== null && typeof failures === "object" ? Object.keys(failures) : [];
  } catch {
    return [];
  }
}

async function historyRow(deployed: Deployed, item: ExecutionListItem): Promise<HistoryRow> {
  const started = item.startDate?.getTime();
  const stopped = item.stopDate?.getTime();
  const ended = item.status !== "RUNNING" && item.status !== "SUCCEEDED";
  // The cause (and so the failed steps) is only in the execution's description.
  const description = ended
    ? await deployed.client.send(new DescribeExecutionCommand({ executionArn: item.executionArn }))
    : undefined;
  return {
    name: item.name ?? "",
    execution_arn: item.executionArn ?? "",
    status: item.status ?? "UNKNOWN",
    started_at: item.startDate?.toISOString() ?? null,
    stopped_at: item.stopDate?.toISOString() ?? null,
    duration_seconds:
      started !== undefined && stopped !== undefined ? (stopped - started) / 1000 : null,
    failed_steps: failedStepsOf(description?.cause),
    error: description?.error ?? null,
  };
}

function historyTable(rows: readonly HistoryRow[]): string {
  const cells = rows.map((r) => [
    r.name,
    r.status,
    r.started_at ?? "-",
    r.duration_seconds === null ? "-" : formatElapsed(r.duration_seconds),
    r.failed_steps.length > 0 ? r.failed_steps.join(", ") : (r.error ?? ""),
  ]);
  const columns = [
    { header: "EXECUTION" },
    { header: "STATUS" },
    { header: "STARTED" },
    { header: "DURATION", align: "right" as const },
    { header: "FAILED STEPS" },
  ];
  return `${renderTable(columns, cells)}\n`;
}

/** `history <pipeline>`: the deployed pipeline's recent executions. */
export async function historyCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(HISTORY, args);
  if (helpRequested(HISTORY, parsed, io)) return 0;
  const pipeline = parsed.positionals[0];
  if (pipeline === undefined) {
    throw new UsageError("history: which pipeline? (history <pipeline>, see history --help)");
  }
  const limit = parseLimit(stringValue(parsed, "limit"));
  const deployed = deployedContext(io, stringValue(parsed, "stack"));
  const rows = await withAws("history", async () => {
    const machine = await findPipelineMachine(deployed, pipeline);
    const items = await recentExecutions(deployed, machine, limit);
    const out: HistoryRow[] = [];
    for (const item of items) out.push(await historyRow(deployed, item));
    return out;
  });
  if (flag(parsed, "json")) io.stdout.write(`${JSON.stringify(rows, null, 2)}\n`);
  else if (rows.length === 0)
    io.stdout.write(`Pipeline ${pipeline} has no execution (executions are kept 90 days)\n`);
  else io.stdout.write(historyTable(rows));
  return 0;
}
