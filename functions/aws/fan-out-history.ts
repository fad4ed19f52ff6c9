/**
 * A fan-out's organizations (issue 15), read from the fan-out execution's own history:
 * each organization's id, name, outcome, error and per-organization execution ARN, without
 * reading any per-organization history (at 500 organizations x 20 steps that would be
 * thousands of GetExecutionHistory calls).
 *
 * A fan-out is recognised by its history's data, not by its state machine's tags or
 * definition: the history is the record of this run (a pipeline given `organizations:`
 * after the run, or before it, still reads right), it costs no call beyond those every
 * report makes, and it needs no IAM beyond GetExecutionHistory. What marks it, each a
 * contract of functions/core/contract.ts:
 * - resolve-organizations' call (a Lambda TaskScheduled whose Payload is
 *   `ResolveOrganizationsInput`) and its result (`{ organizations: [{ id, name }], count }`
 *   in a state's output);
 * - the per-organization starts: a `startExecution` TaskScheduled whose parameters'
 *   `Input` names an `organization_id` and no `step` (a step's run-sync input names one).
 *
 * What it relies on (API reference "HistoryEvent", "TaskScheduledEventDetails": `parameters`
 * is the JSON the task sent, i.e. StartExecution's `{ StateMachineArn, Name, Input }`;
 * "Start workflow executions from a task state": `.sync:2` answers with DescribeExecution's
 * fields, and a failed child's TaskFailed cause is that description, with `Error` and
 * `Cause`). An iteration's events are matched by the child's name (TaskScheduled's `Name`,
 * the last part of TaskSubmitted's `ExecutionArn`) or its input's `organization_id`, never
 * by event order: Map iterations interleave.
 */
import type { HistoryEvent } from "@aws-sdk/client-sfn";
import type { OrganizationOutcome } from "../../lib/report/model";
import { parseJson } from "./sfn-history";

/** One organization of a fan-out run, as its history tells it. */
export interface FanOutOrganization {
  id: string;
  name: string;
  status: OrganizationOutcome["status"];
  /** The error its child execution ended with (or its start failed with). */
  error: string | null;
  /** The steps its child's failure cause names (Pipeline.StepsFailed). */
  failedSteps: string[];
  /** Its per-organization execution, once started. */
  executionArn: string | null;
}

type Json = Record<string, unknown>;
const isObject = (v: unknown): v is Json => v !== null && typeof v === "object";
const text = (v: unknown) => (typeof v === "string" ? v : undefined);

/**
 * The failed steps a pipeline's failure cause names: the Fail state's cause ends with the
 * JSON object of failed steps and their error names (lib/constructs/pipeline-state-machine.ts).
 */
export function failedStepsOf(cause: string | undefined): string[] {
  const at = cause?.indexOf("{") ?? -1;
  if (cause === undefined || at < 0) return [];
  const failures = parseJson(cause.slice(at));
  return isObject(failures) && !Array.isArray(failures) ? Object.keys(failures) : [];
}

/** The organization a per-organization execution's input names (and not a step's run-sync). */
function organizationInput(input: unknown): { id: string; name?: string } | undefined {
  const parsed = typeof input === "string" ? parseJson(input) : input;
  if (!isObject(parsed) || parsed.step !== undefined) return undefined;
  const id = text(parsed.organization_id);
  if (id === undefined) return undefined;
  const name = text(parsed.organization_name);
  return name === undefined ? { id } : { id, name };
}

const lastPart = (arn: string) => arn.slice(arn.lastIndexOf(":") + 1);

/** What the scan knows so far. */
class Scan {
  readonly organizations = new Map<string, FanOutOrganization>();
  /** Child execution name -> organization id (from the starts' parameters). */
  readonly byName = new Map<string, string>();
  fanOut = false;

  organization(id: string, name?: string): FanOutOrganization {
    let known = this.organizations.get(id);
    if (!known) {
      known = {
        id,
        name: name ?? id,
        status: "waiting",
        error: null,
        failedSteps: [],
        executionArn: null,
      };
      this.organizations.set(id, known);
    } else if (name !== undefined && known.name === known.id) known.name = name;
    return known;
  }

  /** The organization of a child execution, by its ARN or its input. */
  ofChild(arn: string | undefined, input: unknown): FanOutOrganization | undefined {
    const named = arn === undefined ? undefined : this.byName.get(lastPart(arn));
    const id = named ?? organizationInput(input)?.id;
    if (id === undefined) return undefined;
    const organization = this.organization(id);
    if (arn !== undefined) organization.executionArn = arn;
    return organization;
  }
}

/** A state's output: the resolver's list, the Map's results or one iteration's result. */
function readOutput(scan: Scan, output: unknown): void {
  const results =
    isObject(output) && Array.isArray(output.organizations) ? output.organizations : [output];
  const listing = isObject(output) && typeof output.count === "number";
  for (const entry of results) {
    if (!isObject(entry)) continue;
    const id = text(entry.id);
    const name = text(entry.name);
    const status = entry.status;
    if (id === undefined || name === undefined) continue;
    if (status !== "succeeded" && status !== "failed" && !listing) continue;
    scan.fanOut = true;
    const organization = scan.organization(id, name);
    if (status === "succeeded" || status === "failed") {
      organization.status = status;
      organization.error ??= status === "failed" ? (text(entry.error) ?? null) : null;
    }
  }
}

function readStart(scan: Scan, event: HistoryEvent): void {
  const scheduled = event.taskScheduledEventDetails;
  if (!scheduled) return;
  const parameters = parseJson(scheduled.parameters);
  if (!isObject(parameters)) return;
  if (scheduled.resourceType === "lambda") {
    // resolve-organizations' call: its payload is ResolveOrganizationsInput.
    const payload = parameters.Payload;
    if (isObject(payload) && payload.organizations !== undefined && text(payload.pipeline)) {
      scan.fanOut = true;
    }
    return;
  }
  if (scheduled.resourceType !== "states" || !scheduled.resource?.startsWith("startExecution")) {
    return;
  }
  const organization = organizationInput(parameters.Input);
  if (organization === undefined) return;
  scan.fanOut = true;
  scan.organization(organization.id, organization.name);
  const name = text(parameters.Name);
  if (name !== undefined) scan.byName.set(name, organization.id);
}

/** A per-organization child's start, end or failure (TaskSubmitted, TaskSucceeded, TaskFailed). */
function readChild(scan: Scan, event: HistoryEvent): void {
  const details =
    event.taskSubmittedEventDetails ??
    event.taskSucceededEventDetails ??
    event.taskFailedEventDetails;
  if (details?.resourceType !== "states" || !details.resource?.startsWith("startExecution")) return;
  const failed = event.taskFailedEventDetails;
  const described = parseJson(failed ? failed.cause : (details as { output?: string }).output);
  if (!isObject(described)) return;
  const organization = scan.ofChild(text(described.ExecutionArn), described.Input);
  if (!organization || !failed) return;
  // The child's own error (e.g. Pipeline.StepsFailed) says more than the task's States.TaskFailed.
  organization.error = text(described.Error) ?? failed.error ?? organization.error;
  organization.failedSteps = failedStepsOf(text(described.Cause));
}

/** Failed first, then going, then succeeded; in the resolver's order within each. */
const ORDER: Record<FanOutOrganization["status"], number> = {
  failed: 0,
  interrupted: 1,
  running: 2,
  waiting: 3,
  not_started: 4,
  succeeded: 5,
};

/**
 * The organizations of a fan-out run, failed first; undefined when the history is not a
 * fan-out's. `ended`: the fan-out execution has ended (an organization without a result is
 * then interrupted, or never started).
 */
export function fanOutOrganizations(
  events: readonly HistoryEvent[],
  ended: boolean,
): FanOutOrganization[] | undefined {
  const scan = new Scan();
  for (const event of events) {
    readStart(scan, event);
    readChild(scan, event);
    const exited = event.stateExitedEventDetails;
    if (exited && !exited.outputDetails?.truncated) readOutput(scan, parseJson(exited.output));
  }
  if (!scan.fanOut) return undefined;
  const organizations = [...scan.organizations.values()];
  for (const organization of organizations) {
    if (organization.status === "succeeded" || organization.status === "failed") continue;
    const started = organization.executionArn !== null;
    if (ended) organization.status = started ? "interrupted" : "not_started";
    else organization.status = started ? "running" : "waiting";
  }
  return organizations
    .map((organization, index) => ({ organization, index }))
    .sort(
      (a, b) => ORDER[a.organization.status] - ORDER[b.organization.status] || a.index - b.index,
    )
    .map(({ organization }) => organization);
}

/** A fan-out run's organizations failed and in all, from its description alone. */
export interface FanOutCounts {
  failed: number;
  total: number;
  /** The failed organizations the cause names (the first 25 at most), by name. */
  failedNames: string[];
}

/**
 * A fan-out's counts from DescribeExecution, no history read: a succeeded fan-out's output
 * is `FanOutOutput` (`count`, `failed_count`: lib/constructs/fan-out.ts); a fan-out failed by
 * `fail_when` (Pipeline.OrganizationsFailed) says "<failed> of <count> organizations failed
 * (...): <JSON list of the first failed>" in its cause. Undefined for anything else (a
 * pipeline without organizations, a run still going, a fan-out that failed before its
 * organizations ran).
 */
export function fanOutCounts(description: {
  status?: string;
  error?: string;
  cause?: string;
  output?: string;
}): FanOutCounts | undefined {
  if (description.status === "SUCCEEDED") {
    const output = parseJson(description.output);
    if (!isObject(output) || typeof output.count !== "number") return undefined;
    if (typeof output.failed_count !== "number" || !Array.isArray(output.organizations)) {
      return undefined;
    }
    const failedNames = output.organizations
      .filter((o) => isObject(o) && o.status === "failed")
      .flatMap((o) => (isObject(o) && typeof o.name === "string" ? [o.name] : []));
    return { failed: output.failed_count, total: output.count, failedNames };
  }
  if (description.error !== "Pipeline.OrganizationsFailed") return undefined;
  const counted = /^(\d+) of (\d+) organizations failed/.exec(description.cause ?? "");
  if (!counted) return undefined;
  const listed = parseJson(description.cause?.slice(description.cause.indexOf("[")));
  const failedNames = Array.isArray(listed)
    ? listed.flatMap((o) => (isObject(o) && typeof o.name === "string" ? [o.name] : []))
    : [];
  return { failed: Number(counted[1]), total: Number(counted[2]), failedNames };
}
