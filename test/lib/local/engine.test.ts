import { describe, expect, it } from "vitest";
import type { AslDefinition, AslState } from "../../../lib/asl/definition";
import { runLocalExecution } from "../../../lib/local/engine";
import { VirtualClock } from "../../../lib/local/virtual-clock";

/** Start -> Check -> (done? -> Done : Wait(SecondsPath) -> Check), like the run-sync loop. */
const pollLoop: AslDefinition = {
  StartAt: "Start",
  TimeoutSeconds: 3600,
  States: {
    Start: {
      Type: "Task",
      Resource: "arn:aws:lambda:local-1:000000000000:function:start",
      ResultPath: "$.start",
      Next: "Check",
    },
    Check: {
      Type: "Task",
      Resource: "arn:aws:lambda:local-1:000000000000:function:check",
      ResultPath: "$.check",
      Retry: [{ ErrorEquals: ["Polytomic.ServerError"], MaxAttempts: 2, IntervalSeconds: 30 }],
      Next: "Done?",
    },
    "Done?": {
      Type: "Choice",
      Choices: [{ Variable: "$.check.terminal", BooleanEquals: true, Next: "Outcome?" }],
      Default: "Wait",
    },
    Wait: { Type: "Wait", SecondsPath: "$.check.next_poll_seconds", Next: "Check" },
    "Outcome?": {
      Type: "Choice",
      Choices: [{ Variable: "$.check.failed", BooleanEquals: true, Next: "Failed" }],
      Default: "Succeeded",
    },
    Failed: { Type: "Fail", ErrorPath: "$.check.error", CausePath: "$.check.cause" },
    Succeeded: { Type: "Succeed" },
  },
};

function syncThatEndsAt(clock: VirtualClock, endsAtMs: number, failed = false) {
  const checks: number[] = [];
  return {
    checks,
    tasks: {
      Start: async () => ({ started_at: clock.now() }),
      Check: async () => {
        checks.push(clock.now());
        const terminal = clock.now() >= endsAtMs;
        return {
          terminal,
          next_poll_seconds: 600,
          failed,
          error: "Sync.Failed",
          cause: "the sync failed",
        };
      },
    },
  };
}

describe("runLocalExecution", () => {
  it("takes Wait states on the clock, so hours pass at once", async () => {
    const clock = new VirtualClock(0);
    const sync = syncThatEndsAt(clock, 2 * 3600_000);
    const result = await runLocalExecution(pollLoop, {
      name: "run-1",
      stateMachineName: "loop",
      input: {},
      clock,
      tasks: sync.tasks,
      timeoutSeconds: 86_400,
    });
    expect(result.status).toBe("SUCCEEDED");
    expect(sync.checks).toEqual(Array.from({ length: 13 }, (_, i) => i * 600_000));
    expect(result.stoppedAt - result.startedAt).toBe(2 * 3600_000);
    // Start, then 13 × (Check, Done?) with 12 Waits between, then Outcome? and Succeeded.
    expect(result.stateTransitions).toBe(1 + 13 * 2 + 12 + 2);
  });

  it("reports a Fail state's error and cause", async () => {
    const clock = new VirtualClock(0);
    const sync = syncThatEndsAt(clock, 0, true);
    const result = await runLocalExecution(pollLoop, {
      name: "run-2",
      stateMachineName: "loop",
      input: {},
      clock,
      tasks: sync.tasks,
    });
    expect(result).toMatchObject({
      status: "FAILED",
      error: "Sync.Failed",
      cause: "the sync failed",
    });
  });

  it("times out on the clock, not the wall clock", async () => {
    const clock = new VirtualClock(0);
    const sync = syncThatEndsAt(clock, 10 * 3600_000);
    const result = await runLocalExecution(pollLoop, {
      name: "run-3",
      stateMachineName: "loop",
      input: {},
      clock,
      tasks: sync.tasks,
    });
    expect(result.status).toBe("TIMED_OUT");
    expect(result.stoppedAt).toBe(3600_000);
  });

  it("ends ABORTED when stopped from outside", async () => {
    const clock = new VirtualClock(0);
    const sync = syncThatEndsAt(clock, 10 * 3600_000);
    const stop = new AbortController();
    void clock.sleep(1_800_000).then(() => stop.abort());
    const result = await runLocalExecution(pollLoop, {
      name: "run-4",
      stateMachineName: "loop",
      input: {},
      clock,
      tasks: sync.tasks,
      timeoutSeconds: 86_400,
      signal: stop.signal,
    });
    expect(result.status).toBe("ABORTED");
    expect(sync.checks.every((t) => t <= 1_800_000)).toBe(true);
  });

  it("pauses before each retry on the clock, with the retrier's backoff", async () => {
    const clock = new VirtualClock(0);
    const calls: number[] = [];
    const result = await runLocalExecution(pollLoop, {
      name: "run-retry-pauses",
      stateMachineName: "loop",
      input: {},
      clock,
      tasks: {
        Start: async () => ({}),
        Check: async () => {
          calls.push(clock.now());
          if (calls.length < 3) {
            const error = new Error("503 from Polytomic");
            error.name = "Polytomic.ServerError";
            throw error;
          }
          return { terminal: true, failed: false, next_poll_seconds: 0 };
        },
      },
    });
    expect(result.status).toBe("SUCCEEDED");
    // IntervalSeconds 30, BackoffRate 2 (default): 30 s, then 60 s.
    expect(calls).toEqual([0, 30_000, 90_000]);
  });

  it("retries a task by the error's name, then fails with it", async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    const result = await runLocalExecution(pollLoop, {
      name: "run-5",
      stateMachineName: "loop",
      input: {},
      clock,
      tasks: {
        Start: async () => ({}),
        Check: async () => {
          calls++;
          const error = new Error("503 from Polytomic");
          error.name = "Polytomic.ServerError";
          throw error;
        },
      },
    });
    expect(calls).toBe(3);
    expect(result).toMatchObject({ status: "FAILED", error: "Polytomic.ServerError" });
  });

  it("passes the execution name and redrive count in the context object", async () => {
    const clock = new VirtualClock(0);
    const definition: AslDefinition = {
      StartAt: "Echo",
      States: {
        Echo: {
          Type: "Task",
          Resource: "arn:aws:lambda:local-1:000000000000:function:echo",
          Parameters: { "name.$": "$$.Execution.Name", "attempt.$": "$$.Execution.RedriveCount" },
          End: true,
        },
      },
    };
    const result = await runLocalExecution(definition, {
      name: "nightly-2026",
      stateMachineName: "pipeline",
      input: {},
      clock,
      redriveCount: 2,
      tasks: { Echo: async (input) => input },
    });
    expect(result.output).toEqual({ name: "nightly-2026", attempt: 2 });
  });

  it("refuses a Task state without a local function", async () => {
    await expect(
      runLocalExecution(pollLoop, {
        name: "run-6",
        stateMachineName: "loop",
        input: {},
        clock: new VirtualClock(0),
        tasks: { Start: async () => ({}) },
      }),
    ).rejects.toThrow(/no local function for Task state "Check"/);
  });
});

describe("Task timeouts", () => {
  /** One Task with a timeout, caught by States.Timeout but not by States.TaskFailed. */
  const timed = (timeoutSeconds?: number): AslDefinition => ({
    StartAt: "Work",
    States: {
      Work: {
        Type: "Task",
        Resource: "arn:aws:lambda:local-1:000000000000:function:work",
        ...(timeoutSeconds !== undefined ? { TimeoutSeconds: timeoutSeconds } : {}),
        Retry: [{ ErrorEquals: ["States.TaskFailed"], MaxAttempts: 3 }],
        Catch: [
          { ErrorEquals: ["States.TaskFailed"], Next: "Failed" },
          { ErrorEquals: ["States.Timeout"], Next: "TimedOut" },
        ],
        End: true,
      },
      Failed: { Type: "Fail", Error: "Failed" },
      TimedOut: { Type: "Pass", Result: "timed out", End: true },
    },
  });

  it("times a Task out on the clock, with the error States.TaskFailed does not match", async () => {
    const clock = new VirtualClock(0);
    let calls = 0;
    let aborted: AbortSignal | undefined;
    const result = await runLocalExecution(timed(90), {
      name: "t",
      stateMachineName: "timed",
      input: {},
      clock,
      tasks: {
        Work: async (_input, signal) => {
          calls++;
          aborted = signal;
          await clock.sleep(3600_000, signal);
          return "done";
        },
      },
    });
    expect(result.status).toBe("SUCCEEDED");
    expect(result.output).toBe("timed out");
    expect(calls).toBe(1); // not retried as States.TaskFailed
    expect(aborted?.aborted).toBe(true); // the task was told it was given up
    expect(result.stoppedAt).toBe(90_000);
  });

  it("gives a Task without TimeoutSeconds as long as it takes, as Step Functions does", async () => {
    // The engine's own default is 60 seconds of wall-clock time; Step Functions has none.
    const clock = new VirtualClock(0);
    const result = await runLocalExecution(timed(), {
      name: "t",
      stateMachineName: "timed",
      input: {},
      clock,
      tasks: {
        Work: async () => {
          await clock.run(() => clock.sleep(30 * 3600_000));
          return "done";
        },
      },
    });
    expect(result.status).toBe("SUCCEEDED");
    expect(result.output).toBe("done");
    expect(result.stoppedAt).toBe(30 * 3600_000);
  });

  it("refuses timeouts it cannot take on its clock", async () => {
    const definition = timed(90);
    (definition.States.Work as Record<string, unknown>).HeartbeatSeconds = 30;
    await expect(
      runLocalExecution(definition, {
        name: "t",
        stateMachineName: "timed",
        input: {},
        clock: new VirtualClock(0),
        tasks: { Work: async () => "done" },
      }),
    ).rejects.toThrow(/HeartbeatSeconds does not run locally/);
  });
});

describe("Parallel states", () => {
  it("start every branch at once, past the engine's own limit of 40", async () => {
    const clock = new VirtualClock(0);
    const branches = Array.from({ length: 60 }, (_, i) => ({
      StartAt: `Branch ${i}`,
      States: {
        [`Branch ${i}`]: {
          Type: "Task",
          Resource: "arn:aws:lambda:local-1:000000000000:function:f",
          End: true,
        },
      },
    }));
    const started: number[] = [];
    const tasks = Object.fromEntries(
      branches.map((_, i) => [
        `Branch ${i}`,
        async () => {
          started.push(clock.now());
          await clock.sleep(3_600_000);
          return i;
        },
      ]),
    );
    const result = await runLocalExecution(
      { StartAt: "All", States: { All: { Type: "Parallel", Branches: branches, End: true } } },
      { name: "wide", stateMachineName: "wide", input: {}, clock, tasks },
    );
    expect(result.status).toBe("SUCCEEDED");
    expect(started).toHaveLength(60);
    expect(new Set(started)).toEqual(new Set([0]));
    expect(result.stoppedAt).toBe(3_600_000);
  });
});

describe("the run-sync retry loop's retriers (BackoffRate 1, no jitter, MaxAttempts 99999999)", () => {
  const named = (name: string) => Object.assign(new Error(`{"status":"running"}`), { name });
  const stillRunning = (seconds: number) => ({
    ErrorEquals: [`Polytomic.StillRunning.${seconds}s`],
    IntervalSeconds: seconds,
    BackoffRate: 1,
    MaxAttempts: 99_999_999,
    JitterStrategy: "NONE" as const,
  });
  const definition: AslDefinition = {
    ...pollLoop,
    TimeoutSeconds: 86_400,
    States: {
      ...pollLoop.States,
      Check: {
        ...(pollLoop.States.Check as AslState),
        Retry: [
          stillRunning(7),
          stillRunning(30),
          { ErrorEquals: ["Polytomic.ServerError"], MaxAttempts: 2, IntervalSeconds: 2 },
        ],
      },
    },
  };

  it("re-invokes after exactly each retrier's interval, hundreds of times in one state entry, one StateRetried each", async () => {
    const clock = new VirtualClock(0);
    const calls: number[] = [];
    const result = await runLocalExecution(definition, {
      name: "run-retry-loop",
      stateMachineName: "loop",
      input: {},
      clock,
      // Full jitter would draw from this: NONE must not.
      random: () => 0.5,
      tasks: {
        Start: async () => ({}),
        Check: async () => {
          calls.push(clock.now());
          const k = calls.length;
          if (k <= 300) throw named("Polytomic.StillRunning.7s");
          if (k === 301) throw named("Polytomic.ServerError"); // its own retrier's count
          if (k <= 306) throw named("Polytomic.StillRunning.30s");
          return { terminal: true, failed: false, next_poll_seconds: 0 };
        },
      },
    });
    expect(result.status).toBe("SUCCEEDED");
    const gaps = calls.slice(1).map((t, k) => t - (calls[k] as number));
    expect(gaps.slice(0, 300)).toEqual(Array(300).fill(7_000));
    expect(gaps[300]).toBe(2_000); // the ServerError retrier: IntervalSeconds 2, first attempt
    expect(gaps.slice(301)).toEqual(Array(5).fill(30_000));
    const entered = result.events.filter(
      (e) => e.type === "StateEntered" && e.state.name === "Check",
    );
    const retried = result.events.filter((e) => e.type === "StateRetried");
    expect(entered).toHaveLength(1);
    expect(retried).toHaveLength(306);
  });
});
