import aslValidator from "asl-validator";
import { Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as s3 from "aws-cdk-lib/aws-s3";
import { describe, expect, it } from "vitest";
import { checkInvocation } from "../../../functions/core/check";
import type { CheckResult, StepInput } from "../../../functions/core/contract";
import { RETRYABLE_ERRORS } from "../../../functions/core/error-names";
import { allStates } from "../../../lib/asl/definition";
import {
  HUNG_INVOCATION_ERRORS,
  LAMBDA_SERVICE_ERRORS,
  RUN_SYNC_TASK_FUNCTIONS,
  RunSyncStateMachine,
  type RunSyncStateMachineProps,
  RUN_SYNC_STATES as S,
  stillRunningRetries,
} from "../../../lib/constructs/run-sync-state-machine";
import { SyncFunctions } from "../../../lib/constructs/sync-functions";
import { definitionOf, FIXTURE_FUNCTIONS_DIR, runLocally, unbundledStack } from "../helpers";

function build(props: Partial<RunSyncStateMachineProps> = {}) {
  const stack = unbundledStack();
  const functions = new SyncFunctions(stack, "Functions", {
    logsBucket: new s3.Bucket(stack, "Logs"),
    functionsDir: FIXTURE_FUNCTIONS_DIR,
  });
  const machine = new RunSyncStateMachine(stack, "RunSync", { functions, ...props });
  return { stack, machine, definition: definitionOf(stack, machine.stateMachine) };
}

const input: StepInput = {
  pipeline: "nightly",
  step: "load_salesforce",
  execution_name: "exec-1",
  sync_type: "bulk",
  sync: { id: "9f1c0d2e-0000-4000-8000-000000000001" },
  options: {},
  on_conflict: "attach",
  policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
  poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
  timeout_seconds: 3600,
  attempt: 0,
};

const counts = { records: 10, errors: 0, warnings: 0 };
const running: CheckResult = {
  status: "running",
  terminal: false,
  step_failed: false,
  counts,
  next_poll_seconds: 10,
  event_wait_seconds: 10,
  polls: 1,
  timed_out: false,
};

/** The check of a run that completed, to the policy's satisfaction. */
const completed: CheckResult = {
  ...running,
  status: "completed",
  terminal: true,
  outcome: "succeeded",
};

/** Fake handlers by state name; records the calls. */
function fakes(checks: CheckResult[], overrides: Record<string, (i: unknown) => unknown> = {}) {
  const calls: string[] = [];
  let n = 0;
  const record =
    (name: string, fn: (i: unknown) => unknown) =>
    (i: unknown): unknown => {
      calls.push(name);
      return fn(i);
    };
  const handlers: Record<string, (i: unknown) => unknown> = {
    [S.start]: record(S.start, () => ({
      sync_id: "sync-1",
      execution_id: "run-1",
      status: "created",
      started_at: "2024-01-01T00:00:00Z",
      deadline: "2024-01-01T01:00:00Z",
      attached: false,
    })),
    [S.check]: record(S.check, () => checks[Math.min(n++, checks.length - 1)]),
    [S.cancel]: record(S.cancel, () => ({
      status: "canceled",
      canceled: true,
      already_terminal: false,
    })),
    [S.cancelAfterError]: record(S.cancelAfterError, () => ({
      status: "canceled",
      canceled: true,
      already_terminal: false,
    })),
    [S.exportLogs]: record(S.exportLogs, () => ({ exported: true, keys: ["logs/a.json"] })),
    [S.publishMetrics]: record(S.publishMetrics, () => ({ published: true, metric_count: 7 })),
    [S.publishFailureMetrics]: record(S.publishFailureMetrics, () => ({
      published: true,
      metric_count: 1,
    })),
  };
  for (const [name, fn] of Object.entries(overrides)) handlers[name] = record(name, fn);
  return { handlers, calls };
}

/** A still-running retrier as the definition renders it. */
function renderedRetry(r: ReturnType<typeof stillRunningRetries>[number]) {
  return {
    ErrorEquals: r.errors,
    IntervalSeconds: r.interval?.toSeconds(),
    BackoffRate: 1,
    MaxAttempts: 99_999_999,
    JitterStrategy: "NONE",
  };
}

function namedError(name: string, message: string): Error {
  const err = new Error(message);
  err.name = name;
  return err;
}

const runOptions = {
  waits: [S.wait, S.waitToStart],
  retries: [S.start, S.check, S.exportLogs],
};

describe("RunSyncStateMachine definition", () => {
  it("passes asl-validator", () => {
    const { definition } = build();
    const result = aslValidator(definition);
    expect(result.errorsText("\n")).toBe("");
    expect(result.isValid).toBe(true);
  });

  it("uses the stable state names and maps every task to its function", () => {
    const { definition } = build();
    const tasks = allStates(definition).filter(([, s]) => s.Type === "Task");
    expect(
      Object.fromEntries(tasks.map(([name]) => [name, RUN_SYNC_TASK_FUNCTIONS[name]])),
    ).toEqual(RUN_SYNC_TASK_FUNCTIONS);
  });

  it("invokes Lambda with the payload only, an explicit timeout and jittered retries of retryable errors only", () => {
    const { definition } = build({ taskTimeout: Duration.minutes(7) });
    for (const [name, state] of allStates(definition).filter(([, s]) => s.Type === "Task")) {
      // payloadResponseOnly: the function ARN itself is the resource, no Payload wrapper.
      expect(state.Resource, name).toMatch(
        /^arn:aws:lambda:us-east-1:123456789012:function:Functions/,
      );
      // check-status alone (the retry loop) gets its state under a payload naming the loop.
      const pollLoop = name === S.check;
      expect(state.Parameters, name).toEqual(
        pollLoop ? { poll_loop: "retry", "state.$": "$" } : undefined,
      );
      expect(state.TimeoutSeconds, name).toBe(420);
      expect(state.Retry, name).toEqual([
        ...(pollLoop ? stillRunningRetries().map(renderedRetry) : []),
        {
          ErrorEquals: [...RETRYABLE_ERRORS, ...LAMBDA_SERVICE_ERRORS],
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 6,
          MaxDelaySeconds: 60,
          JitterStrategy: "FULL",
        },
        // A hung invocation is retried only where running the handler twice is safe.
        ...(RUN_SYNC_TASK_FUNCTIONS[name] === "publish-metrics"
          ? []
          : [
              {
                ErrorEquals: [...HUNG_INVOCATION_ERRORS],
                IntervalSeconds: 5,
                BackoffRate: 2,
                MaxAttempts: 2,
                JitterStrategy: "FULL",
              },
            ]),
      ]);
    }
  });

  it("times out after the largest step timeout plus the margin, with logging and tracing on", () => {
    const { stack, definition } = build({
      maxStepTimeout: Duration.hours(2),
      timeoutMargin: Duration.minutes(20),
    });
    expect(definition.TimeoutSeconds).toBe(2 * 3600 + 20 * 60);
    Template.fromStack(stack).hasResourceProperties("AWS::StepFunctions::StateMachine", {
      StateMachineType: "STANDARD",
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
    });
  });

  it("rejects a margin too short to cancel and export after the deadline", () => {
    expect(() => build({ timeoutMargin: Duration.minutes(1) })).toThrow(
      /timeoutMargin \(1 minute\) must be at least taskTimeout/,
    );
  });

  it("rejects timeouts beyond what a standard workflow allows", () => {
    expect(() => build({ maxStepTimeout: Duration.days(400) })).toThrow(/exceeds the 365 days/);
    expect(() => build({ maxStepTimeout: Duration.seconds(0) })).toThrow(
      /maxStepTimeout must be at least 1 second/,
    );
  });
});

describe("RunSyncStateMachine in the local engine", () => {
  it("ends a skip: true input at once with a skipped StepResult, calling no function", async () => {
    const { definition } = build();
    const { handlers, calls } = fakes([running]);
    const result = await runLocally(definition, { ...input, skip: true }, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual({
      step: input.step,
      sync_type: input.sync_type,
      status: "skipped",
      outcome: "skipped",
      counts: { records: 0, errors: 0, warnings: 0 },
      logs: [],
    });
    expect(calls).toEqual([]);
    // skip: false runs the step as usual.
    const normal = fakes([
      { ...running, terminal: true, outcome: "succeeded", status: "completed" },
    ]);
    await runLocally(definition, { ...input, skip: false }, normal.handlers, runOptions);
    expect(normal.calls[0]).toBe(S.start);
  });

  it("polls until terminal, exports logs, publishes metrics and outputs a StepResult", async () => {
    const { definition } = build();
    const done: CheckResult = { ...completed, polls: 3 };
    const { handlers, calls } = fakes([running, running, done]);
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual({
      step: "load_salesforce",
      sync_type: "bulk",
      sync_id: "sync-1",
      execution_id: "run-1",
      status: "succeeded",
      outcome: "succeeded",
      counts,
      logs: ["logs/a.json"],
    });
    expect(calls).toEqual([S.start, S.check, S.check, S.check, S.exportLogs, S.publishMetrics]);
  });

  it("fails with the outcome's error name after exporting logs and publishing metrics", async () => {
    const { definition } = build();
    const failed: CheckResult = {
      ...running,
      status: "failed",
      terminal: true,
      outcome: "failed",
      step_failed: true,
      error_name: "Sync.Failed",
      error_message: "the sync failed: bad credentials on the destination",
    };
    const { handlers, calls } = fakes([failed]);
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result).toEqual({
      error: "Sync.Failed",
      cause: "the sync failed: bad credentials on the destination",
    });
    expect(calls).toEqual([S.start, S.check, S.exportLogs, S.publishMetrics]);
  });

  it("cancels the run when the step times out, then fails with Sync.TimedOut", async () => {
    const { definition } = build();
    const late: CheckResult = { ...running, timed_out: true, step_failed: true };
    const { handlers, calls } = fakes([running, late]);
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBe("Sync.TimedOut");
    expect(calls).toEqual([S.start, S.check, S.check, S.cancel, S.exportLogs, S.publishMetrics]);
  });

  it("still exports and publishes when the cancel fails", async () => {
    const { definition } = build();
    const late: CheckResult = { ...running, timed_out: true, step_failed: true };
    const { handlers, calls } = fakes([late], {
      [S.cancel]: () => {
        throw namedError("Polytomic.Forbidden", "no");
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBe("Sync.TimedOut");
    expect(calls).toEqual([S.start, S.check, S.cancel, S.exportLogs, S.publishMetrics]);
  });

  it("retries a retryable start error, then succeeds", async () => {
    const { definition } = build();
    let attempts = 0;
    const base = fakes([completed]);
    const start = base.handlers[S.start] as (i: unknown) => unknown;
    const { handlers } = fakes([completed], {
      [S.start]: (i) => {
        attempts += 1;
        if (attempts < 3) throw namedError(RETRYABLE_ERRORS[0], "429");
        return start(i);
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(attempts).toBe(3);
  });

  it("retries a start whose Lambda timed out, then a check whose task timed out", async () => {
    const { definition } = build();
    const base = fakes([completed]);
    const hungOnce = (state: string, error: string) => {
      let attempts = 0;
      const real = base.handlers[state] as (i: unknown) => unknown;
      return (i: unknown) => {
        attempts += 1;
        if (attempts === 1) throw namedError(error, "hung");
        return real(i);
      };
    };
    const { handlers } = fakes([completed], {
      [S.start]: hungOnce(S.start, "Sandbox.Timedout"),
      [S.check]: hungOnce(S.check, "States.Timeout"),
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(result.output).toMatchObject({ status: "succeeded" });
  });

  it("retries the documented Lambda service errors and hung invocations by their AWS names", () => {
    // bp-lambda-serviceexception.html: the four service exceptions to retry, the throttle,
    // and Lambda.Unknown for function timeouts and out-of-memory; Sandbox.Timedout is an
    // Init-phase timeout.
    expect([...LAMBDA_SERVICE_ERRORS].sort()).toEqual(
      [
        "Lambda.AWSLambdaException",
        "Lambda.ClientExecutionTimeoutException",
        "Lambda.SdkClientException",
        "Lambda.ServiceException",
        "Lambda.TooManyRequestsException",
      ].sort(),
    );
    expect([...HUNG_INVOCATION_ERRORS].sort()).toEqual(
      ["Lambda.Unknown", "Sandbox.Timedout", "States.Timeout"].sort(),
    );
  });

  it("retries a start and a check whose Lambda timed out or ran out of memory (Lambda.Unknown)", async () => {
    const { definition } = build();
    const base = fakes([completed]);
    let starts = 0;
    let checks = 0;
    const realStart = base.handlers[S.start] as (i: unknown) => unknown;
    const realCheck = base.handlers[S.check] as (i: unknown) => unknown;
    const { handlers } = fakes([completed], {
      [S.start]: (i) => {
        starts += 1;
        if (starts === 1) throw namedError("Lambda.Unknown", "Task timed out after 60.00 seconds");
        return realStart(i);
      },
      [S.check]: (i) => {
        checks += 1;
        if (checks === 1)
          throw namedError("Lambda.Unknown", "Runtime exited with error: signal: killed");
        return realCheck(i);
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(result.output).toMatchObject({ status: "succeeded" });
    expect([starts, checks]).toEqual([2, 2]);
  });

  it("gives up on a Lambda that keeps timing out after two retries", async () => {
    const { definition } = build();
    let attempts = 0;
    const { handlers, calls } = fakes([running], {
      [S.start]: () => {
        attempts += 1;
        throw namedError("Sandbox.Timedout", "Task timed out after 300.00 seconds");
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBe("Sandbox.Timedout");
    expect(attempts).toBe(3);
    expect(calls.at(-1)).toBe(S.publishFailureMetrics);
  });

  it("starts again after a StartPending, without exporting or publishing for the wait", async () => {
    const { definition } = build();
    const base = fakes([completed]);
    const realStart = base.handlers[S.start] as (i: unknown) => unknown;
    const realCheck = base.handlers[S.check] as (i: unknown) => unknown;
    const startInputs: unknown[] = [];
    const { handlers, calls } = fakes([completed], {
      [S.start]: (i) => {
        startInputs.push(i);
        if (startInputs.length === 1) {
          return {
            pending: true,
            sync_id: "sync-1",
            key_index: 1,
            errors: 1,
            waits: 0,
            first_try_at: "2024-01-01T00:00:00Z",
            retry_after_seconds: 4,
            reason: "the start was answered 503",
          };
        }
        return realStart(i);
      },
      // check-status's answer to a pending start (functions/check-status).
      [S.check]: (i) =>
        (checkInvocation(i).state as { start?: { pending?: boolean } }).start?.pending
          ? { ...running, status: "not_started", start_pending: true, next_poll_seconds: 4 }
          : realCheck(i),
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(result.output).toMatchObject({ status: "succeeded", execution_id: "run-1" });
    expect(calls).toEqual([S.start, S.check, S.start, S.check, S.exportLogs, S.publishMetrics]);
    // The second start sees the first one's StartPending at $.start.
    expect(startInputs[1]).toMatchObject({ start: { pending: true, key_index: 1 } });
  });

  it("fails at once on a permanent start error, after publishing failure metrics", async () => {
    const { definition } = build();
    let attempts = 0;
    const { handlers, calls } = fakes([running], {
      [S.start]: () => {
        attempts += 1;
        throw namedError("Sync.NotFound", "no sync named Contacts to HubSpot");
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result).toEqual({ error: "Sync.NotFound", cause: "no sync named Contacts to HubSpot" });
    expect(attempts).toBe(1);
    expect(calls).toEqual([S.start, S.publishFailureMetrics]);
  });

  it("a check that fails for good cancels the started run, then fails with the check's error", async () => {
    const { definition } = build();
    const { handlers, calls } = fakes([running], {
      [S.check]: () => {
        throw namedError("Polytomic.Forbidden", "the key lacks permission");
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result).toEqual({ error: "Polytomic.Forbidden", cause: "the key lacks permission" });
    expect(calls).toEqual([S.start, S.check, S.cancelAfterError, S.publishFailureMetrics]);
    // A cancel that fails too changes neither the path nor the error.
    const failing = fakes([running], {
      [S.check]: () => {
        throw namedError("Polytomic.Forbidden", "the key lacks permission");
      },
      [S.cancelAfterError]: () => {
        throw namedError("Polytomic.Forbidden", "no cancel either");
      },
    });
    const again = await runLocally(definition, input, failing.handlers, runOptions);
    expect(again).toEqual({ error: "Polytomic.Forbidden", cause: "the key lacks permission" });
    expect(failing.calls).toEqual([S.start, S.check, S.cancelAfterError, S.publishFailureMetrics]);
  });

  it("keeps the original error when publishing failure metrics fails too", async () => {
    const { definition } = build();
    const { handlers } = fakes([running], {
      [S.check]: () => {
        throw namedError("Polytomic.Unauthorized", "bad key");
      },
      [S.publishFailureMetrics]: () => {
        throw namedError("Aws.Denied", "no");
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result).toEqual({ error: "Polytomic.Unauthorized", cause: "bad key" });
  });

  it("succeeds when the log export fails, recording why", async () => {
    const { definition } = build();
    const { handlers } = fakes([completed], {
      [S.exportLogs]: () => {
        throw namedError("Polytomic.Forbidden", "no logs");
      },
      [S.publishMetrics]: () => {
        throw namedError("Aws.Denied", "no metrics");
      },
    });
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBeUndefined();
    expect(result.output).toMatchObject({ status: "succeeded", logs: [] });
  });

  it("fails with Sync.Failed when check-status gives no error details", async () => {
    const { definition } = build();
    const failed: CheckResult = { ...running, terminal: true, step_failed: true, status: "failed" };
    const { handlers } = fakes([failed]);
    const result = await runLocally(definition, input, handlers, runOptions);
    expect(result.error).toBe("Sync.Failed");
  });
});
