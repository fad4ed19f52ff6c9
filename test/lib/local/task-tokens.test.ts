/**
 * The local runner's emulation of `.waitForTaskToken` (lib/local/task-tokens.ts) against Step
 * Functions' documented semantics: the callback's output is the task's result, SendTaskFailure
 * fails the task with its error, the timeout (TimeoutSecondsPath, on the run's clock) raises a
 * catchable States.Timeout, and a closed token answers TaskTimedOut.
 */
import { describe, expect, it } from "vitest";
import type { AslDefinition } from "../../../lib/asl/definition";
import { runLocalExecution } from "../../../lib/local/engine";
import { LocalTaskTokens } from "../../../lib/local/task-tokens";
import { VirtualClock } from "../../../lib/local/virtual-clock";

const T0 = Date.UTC(2026, 0, 1);

const machine: AslDefinition = {
  StartAt: "Wait for callback",
  States: {
    "Wait for callback": {
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      Parameters: {
        FunctionName: "arn:aws:lambda:local-1:000000000000:function:register",
        Payload: { "token.$": "$$.Task.Token", "n.$": "$.n" },
      },
      TimeoutSecondsPath: "$.timeout",
      ResultPath: "$.callback",
      Catch: [{ ErrorEquals: ["States.Timeout"], ResultPath: "$.error", Next: "Timed out" }],
      End: true,
    },
    "Timed out": { Type: "Pass", End: true },
  },
};

/** Runs the machine; `register` is the invoked function, given the payload. */
function run(input: unknown, register: (payload: { token: string; n: number }) => unknown) {
  const clock = new VirtualClock(T0);
  const tokens = new LocalTaskTokens();
  const result = runLocalExecution(machine, {
    name: "e",
    stateMachineName: "m",
    input,
    clock,
    tokens,
    tasks: {
      "Wait for callback": async (payload) => register(payload as { token: string; n: number }),
    },
  });
  return { clock, tokens, result };
}

describe("waitForTaskToken on the local runner", () => {
  it("resumes with SendTaskSuccess's output when the callback comes before the timeout", async () => {
    let token = "";
    const { clock, tokens, result } = run({ n: 7, timeout: 60 }, (p) => {
      token = p.token;
      expect(p.n).toBe(7);
      void clock.sleep(5_000).then(() => tokens.succeed(p.token, { woke: true }));
      return { registered: true };
    });
    const r = await result;
    expect(r.status).toBe("SUCCEEDED");
    expect(r.output).toEqual({ n: 7, timeout: 60, callback: { woke: true } });
    expect(r.stoppedAt - r.startedAt).toBe(5_000);
    expect(token).toMatch(/^local-/);
    // The token closed with the task: a second callback is late.
    await expect(tokens.succeed(token, {})).rejects.toMatchObject({ name: "TaskTimedOut" });
  });

  it("accepts a callback sent while the invoked function still runs", async () => {
    const { tokens, result } = run({ n: 1, timeout: 60 }, async (p) => {
      await tokens.succeed(p.token, { early: true });
      return {};
    });
    const r = await result;
    expect(r.output).toMatchObject({ callback: { early: true } });
    expect(r.stoppedAt - r.startedAt).toBe(0);
  });

  it("times out after TimeoutSecondsPath seconds on the clock with a catchable States.Timeout", async () => {
    let token = "";
    const { tokens, result } = run({ n: 1, timeout: 90 }, (p) => {
      token = p.token;
      return {};
    });
    const r = await result;
    expect(r.status).toBe("SUCCEEDED");
    expect(r.output).toMatchObject({ error: { Error: "States.Timeout" } });
    expect(r.stoppedAt - r.startedAt).toBe(90_000);
    await expect(tokens.succeed(token, {})).rejects.toMatchObject({ name: "TaskTimedOut" });
  });

  it("fails the task with SendTaskFailure's error and cause", async () => {
    const { clock, tokens, result } = run({ n: 1, timeout: 60 }, (p) => {
      void clock.sleep(1_000).then(() => tokens.fail(p.token, "Custom.Error", "it broke"));
      return {};
    });
    const r = await result;
    expect(r).toMatchObject({ status: "FAILED", error: "Custom.Error", cause: "it broke" });
  });

  it("fails the task with the invoked function's error, without waiting", async () => {
    const { result } = run({ n: 1, timeout: 60 }, () => {
      const e = new Error("store down");
      e.name = "Store.Unavailable";
      throw e;
    });
    const r = await result;
    expect(r).toMatchObject({ status: "FAILED", error: "Store.Unavailable" });
    expect(r.stoppedAt - r.startedAt).toBe(0);
  });

  it("fails the execution with States.Runtime when TimeoutSecondsPath is not a positive integer", async () => {
    const { result } = run({ n: 1, timeout: 0 }, () => ({}));
    expect(await result).toMatchObject({ status: "FAILED", error: "States.Runtime" });
  });

  it("closes the token when the execution stops while waiting", async () => {
    const clock = new VirtualClock(T0);
    const tokens = new LocalTaskTokens();
    const stop = new AbortController();
    let token = "";
    void clock.sleep(5_000).then(() => stop.abort());
    const r = await runLocalExecution(machine, {
      name: "e",
      stateMachineName: "m",
      input: { n: 1, timeout: 60 },
      clock,
      tokens,
      signal: stop.signal,
      tasks: {
        "Wait for callback": async (payload) => {
          token = (payload as { token: string }).token;
          return {};
        },
      },
    });
    expect(r.status).toBe("ABORTED");
    expect(r.stoppedAt - r.startedAt).toBe(5_000);
    await expect(tokens.succeed(token, {})).rejects.toMatchObject({ name: "TaskTimedOut" });
  });

  it("answers InvalidToken for a token it never issued", async () => {
    await expect(new LocalTaskTokens().succeed("nope", {})).rejects.toMatchObject({
      name: "InvalidToken",
    });
  });

  it("refuses to run a token Task without a token registry", async () => {
    await expect(
      runLocalExecution(machine, {
        name: "e",
        stateMachineName: "m",
        input: { n: 1, timeout: 5 },
        clock: new VirtualClock(T0),
        tasks: { "Wait for callback": async () => ({}) },
      }),
    ).rejects.toThrow(/task token/);
  });
});
