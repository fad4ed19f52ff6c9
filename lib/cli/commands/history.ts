import { type ExecutionListItem, ListExecutionsCommand } from "@aws-sdk/client-sfn";
import { failedStepsOf, fanOutCounts } from "../../../functions/aws/fan-out-history";
import { describeExecution, ExecutionNotFound } from "../../../functions/aws/run-histories";
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
    "duration and the steps that failed; for a fan-out (pipeline with organizations:), the " +
    "organizations failed of all and their names (Step Functions keeps executions 90 days).",
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
  /**
   * A fan-out (pipeline with organizations:) that ran its organizations: how many failed,
   * of how many, and the failed ones' names (the first 25 its cause lists); null otherwise.
   */
  organizations: { failed: number; total: number; failed_names: string[] } | null;
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

/** An execution's description; undefined when it is no longer kept (purged since it was listed). */
async function describeIfKept(deployed: Deployed, executionArn: string | undefined) {
  try {
    return await describeExecution(deployed.client, executionArn ?? "");
  } catch (err) {
    if (err instanceof ExecutionNotFound) return undefined;
    throw err;
  }
}

async function historyRow(deployed: Deployed, item: ExecutionListItem): Promise<HistoryRow> {
  const started = item.startDate?.getTime();
  const stopped = item.stopDate?.getTime();
  // The cause (and so the failed steps), and a fan-out's counts, are only in the
  // execution's description (a succeeded fan-out's in its output).
  const description =
    item.status !== "RUNNING" ? await describeIfKept(deployed, item.executionArn) : undefined;
  const counts = description ? fanOutCounts(description) : undefined;
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
    organizations: counts
      ? { failed: counts.failed, total: counts.total, failed_names: counts.failedNames }
      : null,
  };
}

/** What failed: the steps, a fan-out's organizations (named, or counted past those named), or the error. */
function failedCell(r: HistoryRow): string {
  const organizations = r.organizations;
  if (organizations !== null && organizations.failed > 0) {
    const more = organizations.failed - organizations.failed_names.length;
    return [...organizations.failed_names, ...(more > 0 ? [`${more} more`] : [])].join(", ");
  }
  return r.failed_steps.length > 0 ? r.failed_steps.join(", ") : (r.error ?? "");
}

function historyTable(rows: readonly HistoryRow[]): string {
  const fanOut = rows.some((r) => r.organizations !== null);
  const cells = rows.map((r) => [
    r.name,
    r.status,
    r.started_at ?? "-",
    r.duration_seconds === null ? "-" : formatElapsed(r.duration_seconds),
    ...(fanOut
      ? [r.organizations ? `${r.organizations.failed}/${r.organizations.total}` : "-"]
      : []),
    failedCell(r),
  ]);
  const columns = [
    { header: "EXECUTION" },
    { header: "STATUS" },
    { header: "STARTED" },
    { header: "DURATION", align: "right" as const },
    ...(fanOut ? [{ header: "ORGS FAILED", align: "right" as const }] : []),
    { header: fanOut ? "FAILED" : "FAILED STEPS" },
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
