/**
 * Reading Step Functions execution histories (states:GetExecutionHistory), the one pager
 * every reader uses: cancel-sync (execution-history.ts), the deployed-run commands and the
 * report widget (run-histories.ts), and the deployed end-to-end check (e2e/collect.ts).
 *
 * What it relies on (API reference, "GetExecutionHistory"): pages of at most 1000 events
 * (`maxResults`), oldest first, each page but the last with a
 * `nextToken` to ask for the next; `includeExecutionData` defaults to true (events carry
 * their input/output as JSON text). A `startExecution` task's `TaskSubmitted` output is
 * StartExecution's response, `{ ExecutionArn, StartDate }` ("Start Workflow Executions
 * from a Task State"); its `TaskSucceeded` output is DescribeExecution's, which also has
 * `ExecutionArn`.
 * Errors are the SDK's, unchanged: each caller maps them to what it reports.
 */
import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from "@aws-sdk/client-sfn";

/** The most events one GetExecutionHistory page returns. */
export const HISTORY_PAGE_SIZE = 1000;

export interface ReadHistoryOptions {
  /**
   * Stop asking for pages once this many events are read (a page is kept whole, so a few
   * more may come back); `complete` then says whether the history was read to its end.
   * @default no bound: every page
   */
  maxEvents?: number;
}

/** An execution's history, oldest first, with execution data; `complete` when every page was read. */
export async function readHistory(
  client: SFNClient,
  executionArn: string,
  options: ReadHistoryOptions = {},
): Promise<{ events: HistoryEvent[]; complete: boolean }> {
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: HISTORY_PAGE_SIZE,
        includeExecutionData: true,
        ...(nextToken ? { nextToken } : {}),
      }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken && events.length < maxEvents);
  return { events, complete: nextToken === undefined };
}

/** JSON text as a value; undefined when absent or not JSON. */
export function parseJson(text: string | undefined): unknown {
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * The execution a `startExecution` task started, from its `TaskSubmitted` or
 * `TaskSucceeded` output (or a failed child's `TaskFailed` cause): the `ExecutionArn` of
 * that JSON text; undefined when it is absent, not JSON or names none.
 */
export function startedExecutionArn(text: string | undefined): string | undefined {
  const arn = (parseJson(text) as { ExecutionArn?: unknown } | null | undefined)?.ExecutionArn;
  return typeof arn === "string" ? arn : undefined;
}
