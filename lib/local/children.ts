/**
 * The child executions of a local run, kept as Step Functions keeps them: one registry per
 * state machine (run-sync, wait-for-step), by name, across nesting levels. A second start
 * with the same name attaches when the input (the JSON text the child was started with) is
 * the same and the child still runs, else fails with
 * `StepFunctions.ExecutionAlreadyExistsException`; `aws-sdk:sfn:describeExecution` tasks
 * are answered from the registries.
 *
 * Also mirrors what the deployment does beside the definitions: when a run-sync execution
 * is stopped or times out, cancel-sync receives the EventBridge "Step Functions Execution
 * Status Change" event the deployed rule would deliver.
 */
import { CANCEL_ON_STATUSES, type CancelResult } from "../../functions/core/contract";
import type { DeliveryStore } from "../../functions/core/delivery";
import { type AslDefinition, allStates } from "../asl/definition";
import type { FunctionName } from "../constructs/paths";
import {
  type EventLog,
  executionArn,
  type LocalExecutionResult,
  type LocalTask,
  runLocalExecution,
  stateMachineArn,
} from "./engine";
import { iso } from "./report";
import type { LocalApp } from "./runner";
import type { StepTracker } from "./steps";
import { type LocalTaskTokens, WAIT_FOR_TASK_TOKEN } from "./task-tokens";
import type { LocalClock } from "./virtual-clock";

export const START_EXECUTION_SYNC = /^arn:aws:states:::states:startExecution\.sync(:2)?$/;
export const DESCRIBE_EXECUTION = /^arn:aws[a-z-]*:states:::aws-sdk:sfn:describeExecution$/;
const EMPTY: AslDefinition = { StartAt: "", States: {} };

/**
 * Which machine a child execution runs: run-sync (a step), wait-for-step (a gate), or a
 * fan-out's per-organization machine (the pipeline's DAG in one organization).
 */
type ChildMachine = "runSync" | "waitForStep" | "organization";

/** A child execution (of run-sync or wait-for-step), by name. */
interface ChildRecord {
  machine: ChildMachine;
  name: string;
  /** The child's input, as JSON (StartExecution's idempotency compares it). */
  input: string;
  startedAt: number;
  /** Set when the child ended. */
  result?: LocalExecutionResult;
  done: Promise<unknown>;
}

/** An error named as Step Functions names it for a Catch/Retry. */
class NamedError extends Error {
  constructor(
    override name: string,
    message: string,
  ) {
    super(message);
  }
}

/** `States.TaskFailed` as a failed `startExecution.sync` child reports it. */
class ChildExecutionFailed extends Error {
  override name = "States.TaskFailed";
}

export interface ChildExecutionsOptions {
  app: LocalApp;
  clock: LocalClock;
  steps: StepTracker;
  /** The run-sync machine's tasks: the real handlers. */
  functions: Record<FunctionName, LocalTask>;
  /** Whether the run was interrupted (its children then end `cancelled`, not failed). */
  interrupted: () => boolean;
  /**
   * Where each ended child's events go, by execution ARN: what cancel-sync reads through
   * GetExecutionHistory on AWS (lib/local/execution-history.ts).
   */
  histories: Map<string, EventLog[]>;
  /** The token wait of a run-sync machine synthesized with webhooks (lib/local/event-wait.ts). */
  eventWait?: RunSyncEventWait;
  /** A fan-out's per-organization machine, and the tasks of one of its executions. */
  organization?: OrganizationMachine;
}

/** A fan-out's per-organization machine (the pipeline's DAG) as the runner binds it. */
export interface OrganizationMachine {
  stateMachineName: string;
  definition: AslDefinition;
  stateMachineArn: string;
  /** The tasks of one execution (its steps' and gates' starts, describes). */
  tasks: () => Record<string, LocalTask>;
}

/** What the run-sync machine's token wait needs locally: the run's tokens and its Task's function. */
export interface RunSyncEventWait {
  tokens: LocalTaskTokens;
  /** register-wait's handler, for every `.waitForTaskToken` Task of the run-sync machine. */
  registerWait: LocalTask;
  /**
   * The measured delivery check-status and start-sync decide with (functions/core/delivery.ts;
   * createLocalDeps reads it). @default - none: the steps poll
   */
  delivery?: DeliveryStore;
}

export class ChildExecutions {
  private readonly registries: Record<ChildMachine, Map<string, ChildRecord>> = {
    runSync: new Map(),
    waitForStep: new Map(),
    organization: new Map(),
  };
  /** Every child that ended, in order. */
  readonly ended: LocalExecutionResult[] = [];
  private readonly runSyncTasks: Record<string, LocalTask>;

  constructor(private readonly options: ChildExecutionsOptions) {
    this.runSyncTasks = { ...observedTasks(options), ...tokenTasks(options) };
  }

  /**
   * The machine a start task's `StateMachineArn` names.
   * @throws `StepFunctions.StateMachineDoesNotExistException` for a machine the app lacks
   */
  machineOf(arn: unknown): ChildMachine {
    const { app, organization } = this.options;
    if (app.waitForStep && arn === app.waitForStep.stateMachineArn) return "waitForStep";
    if (organization && arn === organization.stateMachineArn) return "organization";
    if (arn === undefined || !app.runSync.stateMachineArn || arn === app.runSync.stateMachineArn) {
      return "runSync";
    }
    throw new NamedError(
      "StepFunctions.StateMachineDoesNotExistException",
      `State Machine Does Not Exist: '${String(arn)}' (the local app has run-sync${app.waitForStep ? " and wait-for-step" : ""} only)`,
    );
  }

  /** `startExecution.sync`: starts a child (or attaches to its running twin) and waits for it. */
  start(input: unknown, signal: AbortSignal): Promise<unknown> {
    const request = input as { Name?: string; Input?: unknown; StateMachineArn?: unknown };
    let machine: ChildMachine;
    try {
      machine = this.machineOf(request.StateMachineArn);
    } catch (error) {
      return Promise.reject(error);
    }
    const registry = this.registries[machine];
    const name = request.Name ?? `child-${registry.size}`;
    // StartExecution takes the input as JSON text: a string is that text as is.
    const inputJson =
      typeof request.Input === "string" ? request.Input : JSON.stringify(request.Input ?? {});
    const existing = registry.get(name);
    if (existing) {
      // StartExecution is idempotent only for the same name and input while running.
      if (existing.input === inputJson && !existing.result) return this.attach(existing, signal);
      return Promise.reject(
        new NamedError(
          "StepFunctions.ExecutionAlreadyExistsException",
          `Execution Already Exists: '${executionArn(this.localName(machine), name)}'`,
        ),
      );
    }
    let childInput: unknown;
    try {
      childInput = JSON.parse(inputJson);
    } catch {
      return Promise.reject(
        new NamedError("StepFunctions.InvalidExecutionInputException", "Invalid execution input"),
      );
    }
    const record: ChildRecord = {
      machine,
      name,
      input: inputJson,
      startedAt: this.options.clock.now(),
      done: Promise.resolve(),
    };
    registry.set(name, record);
    record.done = this.run(record, childInput, signal);
    return record.done;
  }

  /**
   * `aws-sdk:sfn:describeExecution` on a child execution, answered from the registries
   * as the AWS SDK integration answers: the DescribeExecution response with its fields in
   * PascalCase (ExecutionArn, Status, Output, ...), Output as a JSON string once
   * SUCCEEDED, Error/Cause once failed, and `Sfn.ExecutionDoesNotExistException` for a
   * name no child was started with. StartDate/StopDate are epoch milliseconds, as in the
   * `.sync` task output here. The ARN's machine part picks the registry (wait-for-step or
   * a fan-out's per-organization machine by its ARN's name or local name, else run-sync:
   * the definitions' placeholder ARNs name machines by logical id); the execution is found
   * by name (the ARN's last part).
   */
  describe = async (input: unknown): Promise<unknown> => {
    const arn = (input as { ExecutionArn?: unknown } | null)?.ExecutionArn;
    const parts = typeof arn === "string" ? arn.split(":") : [];
    if (parts.length !== 8 || parts[5] !== "execution") {
      throw new NamedError("Sfn.InvalidArnException", `Invalid Arn: '${String(arn)}'`);
    }
    const { app, organization } = this.options;
    const namesOf = (m: { stateMachineName: string; stateMachineArn: string } | undefined) =>
      m ? [m.stateMachineName, m.stateMachineArn.split(":")[6]] : [];
    const machine: ChildMachine = namesOf(app.waitForStep).includes(parts[6])
      ? "waitForStep"
      : namesOf(organization).includes(parts[6])
        ? "organization"
        : "runSync";
    const record = this.registries[machine].get(parts[7] as string);
    if (!record) {
      throw new NamedError(
        "Sfn.ExecutionDoesNotExistException",
        `Execution Does Not Exist: '${arn}'`,
      );
    }
    return describeRecord(record, this.localName(machine), this.machineArn(machine));
  };

  /**
   * The tasks of a wait-for-step execution: describe and attach, from the registries.
   * A start task's own signal (its timeout) stops what it started; else `signal`.
   */
  private waitForStepTasks(signal: AbortSignal): Record<string, LocalTask> {
    const tasks: Record<string, LocalTask> = {};
    for (const [stateName, state] of allStates(this.options.app.waitForStep?.definition ?? EMPTY)) {
      if (state.Type !== "Task") continue;
      if (DESCRIBE_EXECUTION.test(state.Resource ?? "")) tasks[stateName] = this.describe;
      else if (START_EXECUTION_SYNC.test(state.Resource ?? "")) {
        tasks[stateName] = (input, taskSignal) => this.start(input, taskSignal ?? signal);
      }
    }
    return tasks;
  }

  /**
   * Waits for a running child another task started, as `.sync` does after an
   * idempotent start. The waiting task sleeps on the clock (woken when the child ends)
   * so that it does not count as work in flight: awaiting the child's promise alone
   * would hold the virtual clock still for ever.
   */
  private async attach(record: ChildRecord, signal: AbortSignal): Promise<unknown> {
    const { clock } = this.options;
    let settled = false;
    const wake = new AbortController();
    const onEnd = () => {
      settled = true;
      wake.abort();
    };
    record.done.then(onEnd, onEnd);
    const onStop = () => wake.abort();
    signal.addEventListener("abort", onStop, { once: true });
    try {
      while (!settled && !signal.aborted) await clock.sleep(3600_000, wake.signal);
    } finally {
      signal.removeEventListener("abort", onStop);
    }
    if (!settled) throw new NamedError("States.Aborted", "the attaching execution was stopped");
    return record.done;
  }

  private async run(record: ChildRecord, childInput: unknown, signal: AbortSignal) {
    const { clock, steps } = this.options;
    const isRunSync = record.machine === "runSync";
    const step = isRunSync ? steps.childStarted(childInput) : undefined;
    if (record.machine === "organization") steps.organizationStarted(childInput);
    const result = await runLocalExecution(this.definitionOf(record.machine), {
      name: record.name,
      stateMachineName: this.localName(record.machine),
      input: childInput,
      clock,
      tasks: this.tasksOf(record.machine, signal),
      signal,
      ...(isRunSync && this.options.eventWait ? { tokens: this.options.eventWait.tokens } : {}),
      ...(record.machine === "organization"
        ? {
            onEvent: (event: EventLog) =>
              steps.observePipeline(
                event,
                (childInput as { organization_id?: string }).organization_id,
              ),
          }
        : {}),
    });
    record.result = result;
    this.ended.push(result);
    this.options.histories.set(result.executionArn, result.events);
    const description = describeRecord(
      record,
      this.localName(record.machine),
      this.machineArn(record.machine),
    );
    if (isRunSync && (CANCEL_ON_STATUSES as readonly string[]).includes(result.status)) {
      const cancel = await this.deliverStatusChange(record, result, description.StateMachineArn);
      if (step !== undefined && cancel !== undefined) steps.cancelled(step, cancel);
    }
    if (step !== undefined) steps.childEnded(step, result, this.options.interrupted());
    if (result.status === "SUCCEEDED") {
      return { ...description, Output: result.output, OutputDetails: { Included: true } };
    }
    throw new ChildExecutionFailed(JSON.stringify(description));
  }

  /**
   * What the deployed EventBridge rule delivers to cancel-sync for a run-sync execution
   * that ended without cleaning up (the same statuses). Returns cancel-sync's answer, or
   * nothing when it failed (as the deployed rule retries, then dead-letters).
   */
  private deliverStatusChange(
    record: ChildRecord,
    result: LocalExecutionResult,
    machineArn: string,
  ): Promise<CancelResult | undefined> {
    const cancelSync = this.options.functions["cancel-sync"];
    const event = {
      version: "0",
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      time: iso(result.stoppedAt),
      detail: {
        executionArn: result.executionArn,
        stateMachineArn: machineArn,
        name: record.name,
        status: result.status,
        startDate: result.startedAt,
        stopDate: result.stoppedAt,
        input: record.input,
      },
    };
    return this.options.clock
      .run(() => cancelSync(event) as Promise<CancelResult>)
      .catch(() => undefined);
  }

  private definitionOf(machine: ChildMachine): AslDefinition {
    const { app, organization } = this.options;
    if (machine === "runSync") return app.runSync.definition;
    if (machine === "organization") return (organization as OrganizationMachine).definition;
    return (app.waitForStep as { definition: AslDefinition }).definition;
  }

  private tasksOf(machine: ChildMachine, signal: AbortSignal): Record<string, LocalTask> {
    if (machine === "runSync") return this.runSyncTasks;
    if (machine === "organization")
      return (this.options.organization as OrganizationMachine).tasks();
    return this.waitForStepTasks(signal);
  }

  private localName(machine: ChildMachine): string {
    const { app, organization } = this.options;
    if (machine === "runSync") return app.runSync.stateMachineName;
    if (machine === "organization") return organization?.stateMachineName ?? "organization";
    return app.waitForStep?.stateMachineName ?? "wait-for-step";
  }

  private machineArn(machine: ChildMachine): string {
    return stateMachineArn(this.localName(machine));
  }
}

/** The run-sync machine's token Tasks (only with webhooks): register-wait's handler. */
function tokenTasks(options: ChildExecutionsOptions): Record<string, LocalTask> {
  const { eventWait } = options;
  if (!eventWait) return {};
  const tasks: Record<string, LocalTask> = {};
  for (const [name, state] of allStates(options.app.runSync.definition)) {
    if (state.Type === "Task" && WAIT_FOR_TASK_TOKEN.test(state.Resource ?? "")) {
      tasks[name] = eventWait.registerWait;
    }
  }
  return tasks;
}

/** The run-sync machine's tasks: the real handlers, observed for the steps' progress. */
function observedTasks(options: ChildExecutionsOptions): Record<string, LocalTask> {
  const tasks: Record<string, LocalTask> = {};
  for (const [stateName, fn] of Object.entries(options.app.runSync.taskFunctions)) {
    const handler = options.functions[fn];
    tasks[stateName] = async (input, signal) => {
      try {
        const output = await handler(input, signal);
        options.steps.observeTask(fn, input, output);
        return output;
      } catch (error) {
        // A still-running check in the retry loop is thrown, and is progress all the same.
        options.steps.observeTaskError(fn, input, error);
        throw error;
      }
    };
  }
  return tasks;
}

/** DescribeExecution's answer for a child: RUNNING, or its end with Output or Error/Cause. */
function describeRecord(record: ChildRecord, localName: string, machineArn: string) {
  const base = {
    ExecutionArn: executionArn(localName, record.name),
    StateMachineArn: machineArn,
    Name: record.name,
    StartDate: record.startedAt,
    Input: record.input,
    InputDetails: { Included: true },
    RedriveCount: 0,
  };
  const result = record.result;
  if (!result) return { ...base, Status: "RUNNING" };
  return {
    ...base,
    Status: result.status,
    StopDate: result.stoppedAt,
    ...(result.status === "SUCCEEDED"
      ? { Output: JSON.stringify(result.output ?? null), OutputDetails: { Included: true } }
      : {}),
    ...(result.error !== undefined ? { Error: result.error } : {}),
    ...(result.cause !== undefined ? { Cause: result.cause } : {}),
  };
}
