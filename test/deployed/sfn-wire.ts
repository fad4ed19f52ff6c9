/**
 * A local run's executions as Step Functions returns them: DescribeExecution outputs and
 * GetExecutionHistory events (HistoryEvent: `type`, `id`, `previousEventId`, `timestamp`
 * as a Date, and the `*EventDetails` of each type, data as JSON text), converted from the
 * local engine's event logs of a run of the synthesized machines. A `startExecution.sync:2`
 * Task adds TaskScheduled, TaskStarted and TaskSubmitted (StartExecution's
 * `{ ExecutionArn, StartDate }`) and TaskSucceeded (the child's description) or TaskFailed
 * (that description as the cause), as Step Functions records them; a Lambda Task adds
 * TaskScheduled, TaskStarted and TaskSucceeded/TaskFailed (resourceType `lambda`).
 * Served through aws-sdk-client-mock, paged by `pageSize` events.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionOutput,
  ExecutionDoesNotExist,
  type ExecutionStatus,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  type HistoryEventType,
  ListExecutionsCommand,
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  type SFNClient,
} from "@aws-sdk/client-sfn";
import type { AwsClientStub } from "aws-sdk-client-mock";
import { FAN_OUT_STATES } from "../../lib/constructs/fan-out";
import { PIPELINE_STATES } from "../../lib/constructs/pipeline-state-machine";
import { LOGS_BUCKET_TAG, PIPELINE_TAG, STACK_TAG } from "../../lib/deployed/tags";
import type { EventLog } from "../../lib/local/engine";
import type { LocalRunResult } from "../../lib/local/runner";

type LocalExecution = LocalRunResult["executions"][number];

export interface WireExecution {
  describe: DescribeExecutionOutput;
  events: HistoryEvent[];
}

const json = (value: unknown) => JSON.stringify(value ?? null);
const machineOf = (arn: string) =>
  arn.replace(":execution:", ":stateMachine:").replace(/:[^:]*$/, "");

const inputOf = (e: LocalExecution) =>
  (e.events.find((ev) => ev.type === "ExecutionStarted") as { input?: unknown } | undefined)
    ?.input as
    | { step?: unknown; skip?: unknown; execution_arn?: unknown; organization_id?: unknown }
    | undefined;

/** The organization an execution runs in (a fan-out's), "" for a pipeline without. */
const organizationOf = (e: LocalExecution) => {
  const id = inputOf(e)?.organization_id;
  return typeof id === "string" ? id : "";
};

/** A child's key: the organization its parent runs in, and the parent's state that started it. */
const childKey = (organization: string, state: string) => `${organization}|${state}`;

/**
 * The child each Task state started, by organization and state name: `Run <step>` its
 * run-sync child, `End <step>[ skipped]` the marker child a skipped gated-on step ends,
 * `Await <dep> for <step>` its wait-for-step child (named `<step>-<dep>-<hash>`, waiting
 * on the dependency's child, which its input names), and in a fan-out's Map iterations,
 * `Run organization` the per-organization execution (its input names the organization).
 */
function childrenByState(executions: readonly LocalExecution[]): Map<string, LocalExecution> {
  const byState = new Map<string, LocalExecution>();
  const stepOf = new Map<string, { step: string; organization: string }>();
  for (const e of executions) {
    const input = inputOf(e);
    const organization = organizationOf(e);
    if (typeof input?.step !== "string") {
      if (organization !== "" && input?.execution_arn === undefined) {
        byState.set(childKey(organization, FAN_OUT_STATES.run), e);
      }
      continue;
    }
    stepOf.set(e.name, { step: input.step, organization });
    const names =
      input.skip === true
        ? [PIPELINE_STATES.markSkipped(input.step), PIPELINE_STATES.markEnded(input.step)]
        : [PIPELINE_STATES.run(input.step)];
    for (const name of names) byState.set(childKey(organization, name), e);
  }
  const steps = [...new Set([...stepOf.values()].map((s) => s.step))];
  for (const e of executions) {
    const waitsOn = inputOf(e)?.execution_arn;
    // The child's name: the ARN the definition formats is the deployed one, not the local run's.
    const dep =
      typeof waitsOn === "string" ? stepOf.get(waitsOn.split(":").at(-1) ?? "") : undefined;
    const step = steps.find((s) =>
      e.name.startsWith(`${s.slice(0, 22)}-${dep?.step.slice(0, 22)}-`),
    );
    if (dep !== undefined && step !== undefined) {
      byState.set(childKey(dep.organization, PIPELINE_STATES.gate(dep.step, step)), e);
    }
  }
  return byState;
}

/** The child a Task state of `execution` started: by its organization (or its Map item's). */
function childOf(
  children: ReadonlyMap<string, LocalExecution>,
  execution: LocalExecution,
  state: { name: string; input?: unknown },
): LocalExecution | undefined {
  const item = (state.input as { organization?: { id?: unknown } } | undefined)?.organization?.id;
  const organization = typeof item === "string" ? item : organizationOf(execution);
  return children.get(childKey(organization, state.name));
}

function describeOf(e: LocalExecution): DescribeExecutionOutput {
  const started = e.events.find((ev) => ev.type === "ExecutionStarted") as { input?: unknown };
  const ended = e.events.find((ev) => ev.type === "ExecutionSucceeded") as { output?: unknown };
  return {
    executionArn: e.executionArn,
    stateMachineArn: machineOf(e.executionArn),
    name: e.name,
    status: e.status as ExecutionStatus,
    startDate: new Date(e.startedAt),
    stopDate: new Date(e.stoppedAt),
    input: json(started?.input),
    inputDetails: { included: true },
    ...(e.status === "SUCCEEDED"
      ? { output: json(ended?.output), outputDetails: { included: true } }
      : {}),
    ...(e.error !== undefined ? { error: e.error } : {}),
    ...(e.cause !== undefined ? { cause: e.cause } : {}),
    redriveCount: 0,
    redriveStatus: e.status === "SUCCEEDED" ? "NOT_REDRIVABLE" : "REDRIVABLE",
  };
}

/**
 * A child as a `startExecution.sync:2` task reports it: DescribeExecution's fields in
 * PascalCase, input and output as JSON text ("Start workflow executions from a task state");
 * a failed child's TaskFailed cause is the same, with its `Error` and `Cause`.
 */
function syncDescription(child: LocalExecution): string {
  const d = describeOf(child);
  return json({
    ExecutionArn: d.executionArn,
    StateMachineArn: d.stateMachineArn,
    Name: d.name,
    Status: d.status,
    StartDate: child.startedAt,
    StopDate: child.stoppedAt,
    Input: d.input,
    InputDetails: { Included: true },
    ...(d.output !== undefined ? { Output: d.output, OutputDetails: { Included: true } } : {}),
    ...(d.error !== undefined ? { Error: d.error } : {}),
    ...(d.cause !== undefined ? { Cause: d.cause } : {}),
  });
}

/** The Task events of a state: what it called, and (on exit) how it ended. */
function taskEvents(
  event: EventLog,
  child: LocalExecution | undefined,
): Omit<HistoryEvent, "id" | "timestamp">[] {
  const resourceType = child ? "states" : "lambda";
  const resource = child ? "startExecution.sync:2" : "invoke";
  const description = child ? syncDescription(child) : undefined;
  if (event.type === "StateEntered") {
    // What the task sent: StartExecution's parameters for a child (the local engine logs
    // the state's input only, not the Lambda's resolved payload).
    const parameters = child
      ? {
          StateMachineArn: machineOf(child.executionArn),
          Name: child.name,
          Input: inputOf(child),
        }
      : event.state.input;
    const scheduled = { resourceType, resource, region: "local-1", parameters: json(parameters) };
    const submitted = child
      ? [
          {
            type: "TaskSubmitted" as const,
            taskSubmittedEventDetails: {
              resourceType,
              resource,
              output: json({ ExecutionArn: child.executionArn, StartDate: child.startedAt / 1000 }),
              outputDetails: { truncated: false },
            },
          },
        ]
      : [];
    return [
      { type: "TaskScheduled", taskScheduledEventDetails: scheduled },
      { type: "TaskStarted", taskStartedEventDetails: { resourceType, resource } },
      ...submitted,
    ];
  }
  if (event.type === "StateExited") {
    const output = child ? description : json(event.state.output);
    return [
      {
        type: "TaskSucceeded",
        taskSucceededEventDetails: {
          resourceType,
          resource,
          output,
          outputDetails: { truncated: false },
        },
      },
    ];
  }
  if (event.type === "StateFailed") {
    const cause = child ? description : String(event.Cause ?? "");
    return [
      {
        type: "TaskFailed",
        taskFailedEventDetails: { resourceType, resource, error: event.Error, cause },
      },
    ];
  }
  return [];
}

/** One local event as Step Functions' events (none for the engine's own bookkeeping). */
function wireEvents(
  event: EventLog,
  execution: LocalExecution,
  children: ReadonlyMap<string, LocalExecution>,
): Omit<HistoryEvent, "id" | "timestamp">[] {
  switch (event.type) {
    case "ExecutionStarted":
      return [
        {
          type: "ExecutionStarted",
          executionStartedEventDetails: {
            input: json(event.input),
            inputDetails: { truncated: false },
            roleArn: "arn:aws:iam::000000000000:role/local",
          },
        },
      ];
    case "ExecutionSucceeded":
      return [
        {
          type: "ExecutionSucceeded",
          executionSucceededEventDetails: {
            output: json(event.output),
            outputDetails: { truncated: false },
          },
        },
      ];
    case "ExecutionFailed":
      return [
        {
          type: "ExecutionFailed",
          executionFailedEventDetails: { error: event.Error, cause: String(event.Cause ?? "") },
        },
      ];
    case "ExecutionAborted":
    case "ExecutionTimeout":
      return execution.status === "TIMED_OUT"
        ? [
            {
              type: "ExecutionTimedOut",
              executionTimedOutEventDetails: { error: "States.Timeout" },
            },
          ]
        : [{ type: "ExecutionAborted", executionAbortedEventDetails: {} }];
    case "StateEntered":
    case "StateExited":
    case "StateFailed": {
      const task = event.state.type === "Task";
      const child = task ? childOf(children, execution, event.state) : undefined;
      const own =
        event.type === "StateEntered"
          ? [
              {
                type: `${event.state.type}StateEntered` as HistoryEventType,
                stateEnteredEventDetails: {
                  name: event.state.name,
                  input: json(event.state.input),
                  inputDetails: { truncated: false },
                },
              },
            ]
          : event.type === "StateExited"
            ? [
                {
                  type: `${event.state.type}StateExited` as HistoryEventType,
                  stateExitedEventDetails: {
                    name: event.state.name,
                    output: json(event.state.output),
                    outputDetails: { truncated: false },
                  },
                },
              ]
            : [];
      const calls = task ? taskEvents(event, child) : [];
      return event.type === "StateEntered" ? [...own, ...calls] : [...calls, ...own];
    }
    case "StateRetried": {
      // A retry calls the task again in the same state: TaskScheduled and TaskStarted, no
      // state entry (the run-sync retry loop's still-running checks are such retries).
      if (event.state.type !== "Task") return [];
      const again = { ...event, type: "StateEntered" } as unknown as EventLog;
      return taskEvents(again, childOf(children, execution, event.state));
    }
    case "MapIterationStarted":
    case "MapIterationSucceeded":
    case "MapIterationFailed": {
      const { index, parentState } = event as unknown as {
        index: number;
        parentState: { name: string };
      };
      const details = { name: parentState.name, index };
      return event.type === "MapIterationStarted"
        ? [{ type: "MapIterationStarted", mapIterationStartedEventDetails: details }]
        : event.type === "MapIterationSucceeded"
          ? [{ type: "MapIterationSucceeded", mapIterationSucceededEventDetails: details }]
          : [{ type: "MapIterationFailed", mapIterationFailedEventDetails: details }];
    }
    default:
      return [];
  }
}

/** Every execution of the run, by ARN, as Step Functions would return it. */
export function wireExecutions(result: LocalRunResult): Map<string, WireExecution> {
  const children = childrenByState(result.executions);
  const wire = new Map<string, WireExecution>();
  for (const e of result.executions) {
    const events: HistoryEvent[] = [];
    for (const local of e.events) {
      for (const shaped of wireEvents(local, e, children)) {
        const id = events.length + 1;
        events.push({
          ...shaped,
          id,
          ...(id > 1 ? { previousEventId: id - 1 } : {}),
          timestamp: new Date(local.timestamp),
        } as HistoryEvent);
      }
    }
    wire.set(e.executionArn, { describe: describeOf(e), events });
  }
  return wire;
}

export interface ServeOptions {
  /** Events per GetExecutionHistory page (nextToken beyond). @default 1000 */
  pageSize?: number;
  stack?: string;
  /** The pipeline machine's logs-bucket tag (none when absent: a stack deployed before it). */
  logsBucket?: string;
  /** The pipeline machine's extra executions (ListExecutions), newest first, before the run's. */
  listed?: {
    name: string;
    executionArn: string;
    status: ExecutionStatus;
    startDate: Date;
    stopDate?: Date;
  }[];
}

/**
 * Serves `wire` through the mock: DescribeExecution and GetExecutionHistory (unknown ARNs
 * answer ExecutionDoesNotExist), ListStateMachines (the pipeline's machine tagged as the
 * stack tags it, and an untagged one), ListTagsForResource, ListExecutions.
 */
export function serveWire(
  sfn: AwsClientStub<SFNClient>,
  wire: ReadonlyMap<string, WireExecution>,
  pipelineArn: string,
  pipeline: string,
  options: ServeOptions = {},
): void {
  const pageSize = options.pageSize ?? 1000;
  const missing = (arn: string | undefined) =>
    new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${arn}'`, $metadata: {} });
  sfn.on(DescribeExecutionCommand).callsFake((input: { executionArn?: string }) => {
    const found = wire.get(input.executionArn ?? "");
    if (!found) throw missing(input.executionArn);
    return found.describe;
  });
  sfn
    .on(GetExecutionHistoryCommand)
    .callsFake((input: { executionArn?: string; nextToken?: string; maxResults?: number }) => {
      const found = wire.get(input.executionArn ?? "");
      if (!found) throw missing(input.executionArn);
      const size = Math.min(pageSize, input.maxResults || 100);
      const from = input.nextToken ? Number(input.nextToken.replace("page-", "")) : 0;
      const to = from + size;
      return {
        events: found.events.slice(from, to),
        ...(to < found.events.length ? { nextToken: `page-${to}` } : {}),
      };
    });
  const other = pipelineArn.replace(/:[^:]*$/, ":SomethingElse");
  sfn.on(ListStateMachinesCommand).resolves({
    stateMachines: [
      {
        stateMachineArn: other,
        name: "SomethingElse",
        type: "STANDARD",
        creationDate: new Date(0),
      },
      {
        stateMachineArn: pipelineArn,
        name: pipelineArn.slice(pipelineArn.lastIndexOf(":") + 1),
        type: "STANDARD",
        creationDate: new Date(0),
      },
    ],
  });
  sfn.on(ListTagsForResourceCommand).callsFake((input: { resourceArn?: string }) => ({
    tags:
      input.resourceArn === pipelineArn
        ? [
            { key: STACK_TAG, value: options.stack ?? "PolytomicOrchestrator" },
            { key: PIPELINE_TAG, value: pipeline },
            ...(options.logsBucket ? [{ key: LOGS_BUCKET_TAG, value: options.logsBucket }] : []),
          ]
        : [],
  }));
  const runs = [...wire.values()]
    .filter((w) => w.describe.stateMachineArn === pipelineArn)
    .map((w) => ({
      executionArn: w.describe.executionArn ?? "",
      stateMachineArn: pipelineArn,
      name: w.describe.name ?? "",
      status: w.describe.status as ExecutionStatus,
      startDate: w.describe.startDate ?? new Date(0),
      ...(w.describe.stopDate ? { stopDate: w.describe.stopDate } : {}),
    }));
  sfn.on(ListExecutionsCommand).resolves({
    executions: [
      ...runs,
      ...(options.listed ?? []).map((l) => ({ ...l, stateMachineArn: pipelineArn })),
    ],
  });
}

/**
 * The run as Step Functions would have answered at `at` (epoch ms), mid-way: executions
 * not started yet are absent, each history stops at `at`, and those that had not ended
 * are RUNNING (no stop date, error or output).
 */
export function wireAt(
  wire: ReadonlyMap<string, WireExecution>,
  at: number,
): Map<string, WireExecution> {
  const cut = new Map<string, WireExecution>();
  for (const [arn, w] of wire) {
    if ((w.describe.startDate?.getTime() ?? 0) > at) continue;
    const events = w.events.filter((e) => (e.timestamp?.getTime() ?? 0) <= at);
    const ended = (w.describe.stopDate?.getTime() ?? Number.POSITIVE_INFINITY) <= at;
    const {
      stopDate: _stop,
      error: _error,
      cause: _cause,
      output: _output,
      outputDetails: _details,
      ...going
    } = w.describe;
    cut.set(arn, { describe: ended ? w.describe : { ...going, status: "RUNNING" }, events });
  }
  return cut;
}
