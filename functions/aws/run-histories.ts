/**
 * A deployed pipeline run, read from Step Functions: the pipeline execution
 * (states:DescribeExecution, states:GetExecutionHistory) and the child executions it
 * started, each with its history, mapped to the run report's input
 * (lib/report/build.ts `ExecutionRecord`). Shared by the command line (`report`,
 * `trigger`) and the dashboard's report widget.
 *
 * What it relies on (API reference, "GetExecutionHistory", "HistoryEvent"):
 * - pages of at most 1000 events, oldest first, with `nextToken`; `includeExecutionData`
 *   (default true) gives each event's input/output as JSON text, which may be cut
 *   (`inputDetails`/`outputDetails.truncated`): such an event's data is left out and the
 *   run says so;
 * - a `startExecution.sync` task's child is named in its `TaskSubmitted` output
 *   (StartExecution's `{ ExecutionArn, StartDate }`), and again in `TaskSucceeded`'s
 *   output (DescribeExecution's fields); a failed child's `TaskFailed` cause is that
 *   description as JSON text. Any one of them is enough, so a history missing one still
 *   names the child;
 * - an execution's end is its `Execution{Succeeded,Failed,Aborted,TimedOut}` event
 *   (`execution{Failed,Aborted,TimedOut}EventDetails` carry `error` and `cause`);
 * - ended executions are kept 90 days, then answer `ExecutionDoesNotExist`.
 * One execution has at most 25,000 events (quota), so reading every page is bounded.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  type SFNClient,
  type HistoryEvent as SfnHistoryEvent,
} from "@aws-sdk/client-sfn";
// Types only: the report builder's input (no runtime code of lib/ is imported).
import type { ExecutionRecord, HistoryEvent } from "../../lib/report/build";
import { type FanOutOrganization, fanOutOrganizations } from "./fan-out-history";
import { parseJson, readHistory, startedExecutionArn } from "./sfn-history";

export type { ExecutionRecord } from "../../lib/report/build";

/** The events one execution can have (quota): more means something else answered. */
const MAX_EVENTS = 25_000;
/** How many child histories a report reads, at most. */
export const MAX_CHILDREN = 400;
/** Child histories read at once: gentle on GetExecutionHistory's rate limit. */
const CONCURRENCY = 4;
/**
 * How many failed organizations of a fan-out a report reads the steps of (each costs its
 * execution's history and its steps' histories, about 20 calls at 20 steps).
 */
export const MAX_ORGANIZATION_DETAILS = 10;

/**
 * A fan-out run's organizations (functions/aws/fan-out-history.ts), and the runs read of
 * the first failed ones (each a per-organization pipeline run, read as any pipeline run).
 */
export interface DeployedFanOut {
  /** Failed first. */
  organizations: FanOutOrganization[];
  /** The per-organization runs read, by organization id. */
  runs: Map<string, DeployedRun>;
}

/** A run as Step Functions keeps it, and what could not be read of it. */
export interface DeployedRun {
  executionArn: string;
  /** The pipeline's state machine. */
  stateMachineArn: string;
  execution: ExecutionRecord;
  /** The child executions read, by ARN, in the order they were started. */
  children: Map<string, ExecutionRecord>;
  /** What the histories did not tell (truncated data, children no longer kept...). */
  notes: string[];
  /** A fan-out (pipeline with `organizations:`): its children are organizations, not steps. */
  fanOut?: DeployedFanOut;
}

/** An execution Step Functions does not have (wrong ARN, or older than the 90 days kept). */
export class ExecutionNotFound extends Error {
  override readonly name = "ExecutionNotFound";
  constructor(readonly executionArn: string) {
    super(
      `execution ${executionArn} does not exist: check the ARN and the region (Step Functions keeps an ended execution for 90 days)`,
    );
  }
}

const isMissing = (err: unknown) =>
  (err as { name?: string } | undefined)?.name === "ExecutionDoesNotExist";

/**
 * states:DescribeExecution.
 * @throws ExecutionNotFound when Step Functions does not have it
 */
export async function describeExecution(
  client: SFNClient,
  executionArn: string,
): Promise<DescribeExecutionOutput> {
  try {
    return await client.send(new DescribeExecutionCommand({ executionArn }));
  } catch (err) {
    throw isMissing(err) ? new ExecutionNotFound(executionArn) : err;
  }
}

/** An execution's history, oldest first, up to the events one execution can have. */
const readBoundedHistory = (client: SFNClient, executionArn: string) =>
  readHistory(client, executionArn, { maxEvents: MAX_EVENTS });

/** Step Functions' history events as the report builder's `HistoryEvent`s. */
export function toHistoryEvents(events: readonly SfnHistoryEvent[]): {
  events: HistoryEvent[];
  truncated: number;
} {
  let truncated = 0;
  const mapped = events.map((event): HistoryEvent => {
    const type = event.type ?? "";
    const timestamp = event.timestamp?.getTime() ?? 0;
    const started = event.executionStartedEventDetails;
    if (type === "ExecutionStarted") {
      if (started?.inputDetails?.truncated) truncated += 1;
      return { type, timestamp, input: parseJson(started?.input) };
    }
    const entered = event.stateEnteredEventDetails;
    if (type.endsWith("StateEntered") && entered) {
      return { type: "StateEntered", timestamp, state: { name: entered.name ?? "" } };
    }
    const exited = event.stateExitedEventDetails;
    if (type.endsWith("StateExited") && exited) {
      if (exited.outputDetails?.truncated) truncated += 1;
      const output = exited.outputDetails?.truncated ? undefined : parseJson(exited.output);
      return { type: "StateExited", timestamp, state: { name: exited.name ?? "", output } };
    }
    // A failed task's error: the run-sync retry loop's still-running checks are counted by it.
    const failed = event.taskFailedEventDetails ?? event.lambdaFunctionFailedEventDetails;
    if (failed?.error === undefined) return { type, timestamp };
    return {
      type,
      timestamp,
      Error: failed.error,
      ...(failed.cause !== undefined ? { Cause: failed.cause } : {}),
    };
  });
  return { events: mapped, truncated };
}

/** The child executions a history's `startExecution` tasks started, in order, once each. */
export function childExecutionArns(events: readonly SfnHistoryEvent[]): string[] {
  const arns: string[] = [];
  for (const event of events) {
    const arn = childArnOf(event);
    if (arn !== undefined && !arns.includes(arn)) arns.push(arn);
  }
  return arns;
}

function childArnOf(event: SfnHistoryEvent): string | undefined {
  const details =
    event.taskSubmittedEventDetails ??
    event.taskSucceededEventDetails ??
    event.taskFailedEventDetails;
  if (details?.resourceType !== "states" || !details.resource?.startsWith("startExecution")) {
    return undefined;
  }
  return startedExecutionArn(
    event.taskFailedEventDetails?.cause ??
      (event.taskSubmittedEventDetails ?? event.taskSucceededEventDetails)?.output,
  );
}

/** How an execution ended, from its history's last event. */
const ENDS: Record<string, ExecutionRecord["status"]> = {
  ExecutionSucceeded: "SUCCEEDED",
  ExecutionFailed: "FAILED",
  ExecutionAborted: "ABORTED",
  ExecutionTimedOut: "TIMED_OUT",
};

/** An execution's record from its history alone (its start and end events). */
export function recordFromHistory(
  name: string,
  events: readonly SfnHistoryEvent[],
  mapped: readonly HistoryEvent[],
): ExecutionRecord {
  const end = [...events].reverse().find((e) => e.type !== undefined && e.type in ENDS);
  const details =
    end?.executionFailedEventDetails ??
    end?.executionAbortedEventDetails ??
    end?.executionTimedOutEventDetails;
  return {
    name,
    status: end?.type ? (ENDS[end.type] ?? "RUNNING") : "RUNNING",
    startedAt: events[0]?.timestamp?.getTime() ?? 0,
    ...(end?.timestamp ? { stoppedAt: end.timestamp.getTime() } : {}),
    ...(details?.error !== undefined ? { error: details.error } : {}),
    ...(details?.cause !== undefined ? { cause: details.cause } : {}),
    events: mapped,
  };
}

/** The pipeline execution's record: its description, and its history's events. */
function recordFromDescription(
  description: DescribeExecutionOutput,
  mapped: readonly HistoryEvent[],
): ExecutionRecord {
  const status = description.status;
  return {
    name: description.name ?? "",
    // PENDING_REDRIVE: a redrive was asked for and has not begun; it is going on.
    status: status === undefined || status === "PENDING_REDRIVE" ? "RUNNING" : status,
    startedAt: description.startDate?.getTime() ?? 0,
    ...(description.stopDate ? { stoppedAt: description.stopDate.getTime() } : {}),
    ...(description.error !== undefined ? { error: description.error } : {}),
    ...(description.cause !== undefined ? { cause: description.cause } : {}),
    events: mapped,
  };
}

/** The last part of an execution ARN: its name. */
export const executionName = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);

export interface ReadRunOptions {
  /** Children already read that have ended (they do not change): reused, not read again. */
  ended?: ReadonlyMap<string, ExecutionRecord>;
  /** @default MAX_CHILDREN */
  maxChildren?: number;
  /** A fan-out's failed organizations whose steps are read. @default MAX_ORGANIZATION_DETAILS */
  maxOrganizationDetails?: number;
}

/**
 * A pipeline run and its children, as Step Functions has them now.
 * @throws ExecutionNotFound when the pipeline execution is not kept (or never was)
 */
export async function readDeployedRun(
  client: SFNClient,
  executionArn: string,
  options: ReadRunOptions = {},
): Promise<DeployedRun> {
  const description = await describeExecution(client, executionArn);
  const history = await readBoundedHistory(client, executionArn);
  const notes: string[] = [];
  if (!history.complete)
    notes.push(
      `the pipeline's history has more than ${MAX_EVENTS} events; only the first were read`,
    );
  const mapped = toHistoryEvents(history.events);
  const execution = recordFromDescription(description, mapped.events);
  const organizations = fanOutOrganizations(history.events, execution.status !== "RUNNING");
  if (organizations !== undefined) {
    const fanOut = await readOrganizations(client, organizations, options, notes);
    if (mapped.truncated > 0) notes.push(truncatedNote(mapped.truncated));
    const stateMachineArn = description.stateMachineArn ?? "";
    return { executionArn, stateMachineArn, execution, children: new Map(), notes, fanOut };
  }
  const arns = childExecutionArns(history.events);
  const max = options.maxChildren ?? MAX_CHILDREN;
  if (arns.length > max) {
    notes.push(`the run started ${arns.length} child executions; only the first ${max} were read`);
  }
  const children = await readChildren(client, arns.slice(0, max), options.ended, notes);
  const truncated = mapped.truncated + children.truncated;
  if (truncated > 0) notes.push(truncatedNote(truncated));
  return {
    executionArn,
    stateMachineArn: description.stateMachineArn ?? "",
    execution,
    children: children.records,
    notes,
  };
}

const truncatedNote = (events: number) =>
  `${events} history event(s) had their data cut by Step Functions (over 256 KB); their outputs are left out`;

/**
 * A fan-out's organizations, and the runs of the first failed ones (one at a time: each
 * reads its steps' histories a few at once already). The others are not read: at 500
 * organizations x 20 steps that would be about 10,000 GetExecutionHistory calls.
 */
async function readOrganizations(
  client: SFNClient,
  organizations: FanOutOrganization[],
  options: ReadRunOptions,
  notes: string[],
): Promise<DeployedFanOut> {
  const max = options.maxOrganizationDetails ?? MAX_ORGANIZATION_DETAILS;
  const failed = organizations.filter((o) => o.status === "failed" && o.executionArn !== null);
  const runs = new Map<string, DeployedRun>();
  for (const organization of failed.slice(0, max)) {
    const arn = organization.executionArn as string;
    try {
      const run = await readDeployedRun(client, arn, { ...options, maxOrganizationDetails: 0 });
      runs.set(organization.id, run);
      notes.push(...run.notes.map((note) => `${organization.name}: ${note}`));
    } catch (err) {
      if (!(err instanceof ExecutionNotFound)) throw err;
      notes.push(`${organization.name}: execution ${arn} is no longer kept (over 90 days)`);
    }
  }
  if (failed.length > max) {
    notes.push(
      `${failed.length} organizations failed; the steps of the first ${max} are shown (report --organizations N, or report <execution_arn> for one)`,
    );
  }
  return { organizations, runs };
}

/** A child's history; undefined (and a note) when it is no longer kept. */
async function readChildHistory(client: SFNClient, arn: string, notes: string[]) {
  try {
    return await readBoundedHistory(client, arn);
  } catch (err) {
    if (!isMissing(err)) throw err;
    notes.push(`child execution ${arn} is no longer kept (over 90 days) or was never started`);
    return undefined;
  }
}

/** The children's records, a few at a time; those no longer kept are noted and left out. */
async function readChildren(
  client: SFNClient,
  arns: readonly string[],
  ended: ReadonlyMap<string, ExecutionRecord> | undefined,
  notes: string[],
): Promise<{ records: Map<string, ExecutionRecord>; truncated: number }> {
  const records: (ExecutionRecord | undefined)[] = new Array(arns.length);
  let truncated = 0;
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < arns.length; i = next++) {
      const arn = arns[i] as string;
      const known = ended?.get(arn);
      if (known) {
        records[i] = known;
        continue;
      }
      const read = await readChildHistory(client, arn, notes);
      if (read === undefined) continue;
      if (!read.complete)
        notes.push(`child execution ${arn}: only the first ${MAX_EVENTS} events were read`);
      const mapped = toHistoryEvents(read.events);
      truncated += mapped.truncated;
      records[i] = recordFromHistory(executionName(arn), read.events, mapped.events);
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, arns.length) }, worker));
  const byArn = new Map<string, ExecutionRecord>();
  arns.forEach((arn, i) => {
    const record = records[i];
    if (record) byArn.set(arn, record);
  });
  return { records: byArn, truncated };
}
