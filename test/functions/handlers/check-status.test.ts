import { afterEach, describe, expect, it } from "vitest";
import { makeHandler as checkHandler } from "../../../functions/check-status";
import { StillRunning } from "../../../functions/core/check";
import type { FailurePolicy } from "../../../functions/core/contract";
import { parseStillRunningCause, stillRunningSeconds } from "../../../functions/core/error-names";
import { nextPollSeconds, POLL_BUCKETS } from "../../../functions/core/polling";
import { makeHandler as startHandler } from "../../../functions/start-sync";
import { MemoryDeliveryStore } from "../../../lib/local/event-wait";
import {
  answering,
  bulkInput,
  type Env,
  env,
  KEY,
  pendingStart,
  rejection,
  runToEnd,
  scenario,
  startStep,
  stepInput,
} from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const policy = (p: Partial<FailurePolicy> = {}): FailurePolicy => ({
  max_errors: 0,
  fail_on_warnings: false,
  fail_on_schema_errors: true,
  ...p,
});

describe("check-status", () => {
  it("model happy path: counts, durations, history, polls", async () => {
    e = await env(
      scenario(
        "queue_seconds: 5\nduration_seconds: 300\nrecords: 1000\nhistory_seconds: [100, 200, 400]",
      ),
    );
    const { checks } = await runToEnd(e, stepInput());
    const last = checks.at(-1);
    expect(last).toMatchObject({
      status: "completed",
      terminal: true,
      outcome: "succeeded",
      step_failed: false,
      timed_out: false,
      queue_seconds: 5,
      run_seconds: 300,
      polls: checks.length,
    });
    expect(last?.counts).toMatchObject({ records: 1000, errors: 0, warnings: 0 });
    expect(last?.counts.inserts).toBeTypeOf("number");
    expect(last?.error_name).toBeUndefined();
    // Polling does not use the sync's history (functions/core/polling.ts), so no check
    // reads it: each check costs one status call.
    const lists = e.sim.requests().filter((r) => r.endpoint === "executions");
    expect(lists).toHaveLength(0);
    expect(checks.every((c) => !("expected_seconds" in c))).toBe(true);
    for (const c of checks) {
      expect(Number.isInteger(c.next_poll_seconds)).toBe(true);
      expect(c.next_poll_seconds).toBeGreaterThanOrEqual(10);
      expect(c.next_poll_seconds).toBeLessThanOrEqual(600);
    }
  });

  it.each([
    ["5 min long, much faster than its history (2 h)", 300, [7200, 7000, 7400]],
    ["of 25 s, of a sync with 1 h history", 25, [3600, 3600, 3600]],
    ["of 45 s, of a new sync (no history)", 45, []],
  ])("sees a run %s within max(15 s, 10% of it)", async (_label, duration, history) => {
    e = await env(
      scenario(
        `queue_seconds: 5\nduration_seconds: ${duration}\nhistory_seconds: [${history.join(", ")}]`,
      ),
    );
    const { checks } = await runToEnd(e, stepInput());
    // The clock moved by every wait; the run ended at queue + duration.
    const seenAt = checks.slice(0, -1).reduce((t, c) => t + c.next_poll_seconds, 0);
    expect(seenAt - (5 + duration)).toBeLessThanOrEqual(Math.max(15, 0.1 * duration));
  });

  it("bulk happy path with per-schema results", async () => {
    e = await env(
      scenario(
        "",
        "duration_seconds: 60\nrecords: 300\nwarnings: 1\nschemas:\n  - { name: Account, records: 100 }\n  - { name: Contact, records: 200 }",
      ),
    );
    const { checks } = await runToEnd(e, bulkInput());
    const last = checks.at(-1);
    expect(last).toMatchObject({
      status: "completed",
      outcome: "succeeded_with_warnings",
      step_failed: false,
      counts: { records: 300, errors: 0, warnings: 1 },
    });
    expect(last?.schemas).toEqual([
      { schema: "Account", status: "completed", records: 100, errors: 0 },
      { schema: "Contact", status: "completed", records: 200, errors: 0 },
    ]);
    expect(last?.schemas_omitted).toBeUndefined();
  });

  it("bounds bulk schemas to 25, failed first", async () => {
    const schemas = Array.from({ length: 30 }, (_, i) =>
      i === 27 || i === 28
        ? `  - { name: S${i}, outcome: failed, errors: 1 }`
        : `  - { name: S${i}, records: 10 }`,
    ).join("\n");
    e = await env(scenario("", `outcome: completed_with_errors\nschemas:\n${schemas}`));
    const last = (await runToEnd(e, bulkInput())).checks.at(-1);
    expect(last?.schemas).toHaveLength(25);
    expect(last?.schemas_omitted).toBe(5);
    expect(last?.schemas?.slice(0, 2).map((s) => s.schema)).toEqual(["S27", "S28"]);
    expect(last?.error_name).toBe("Sync.SchemaErrors");
  });

  describe("every outcome", () => {
    it.each([
      [
        "model completed with errors, max_errors 0",
        "model",
        "outcome: completed_with_errors\nerrors: 3",
        policy(),
        "completed_with_errors",
        "Sync.CompletedWithErrors",
      ],
      [
        "model completed with errors, max_errors 5",
        "model",
        "outcome: completed_with_errors\nerrors: 3",
        policy({ max_errors: 5 }),
        "completed_with_errors",
        undefined,
      ],
      [
        "model warnings, fail_on_warnings",
        "model",
        "warnings: 2",
        policy({ fail_on_warnings: true }),
        "succeeded_with_warnings",
        "Sync.WarningsNotAllowed",
      ],
      [
        "model warnings tolerated",
        "model",
        "warnings: 2",
        policy(),
        "succeeded_with_warnings",
        undefined,
      ],
      [
        "model failed",
        "model",
        "outcome: failed",
        policy({ max_errors: 100 }),
        "failed",
        "Sync.Failed",
      ],
      ["model canceled", "model", "outcome: canceled", policy(), "canceled", "Sync.Canceled"],
      [
        "model interrupted",
        "model",
        "outcome: interrupted",
        policy(),
        "interrupted",
        "Sync.Interrupted",
      ],
      [
        "bulk errors status",
        "bulk",
        "outcome: errors\nerrors: 4",
        policy({ max_errors: 100 }),
        "completed_with_errors",
        "Sync.CompletedWithErrors",
      ],
      [
        "bulk failed schema, fail_on_schema_errors true",
        "bulk",
        "outcome: completed_with_errors\nschemas:\n  - { name: A }\n  - { name: B, outcome: failed }",
        policy({ max_errors: 100 }),
        "completed_with_errors",
        "Sync.SchemaErrors",
      ],
      [
        "bulk failed schema, fail_on_schema_errors false",
        "bulk",
        "outcome: completed_with_errors\nschemas:\n  - { name: A }\n  - { name: B, outcome: failed }",
        policy({ fail_on_schema_errors: false }),
        "completed_with_errors",
        undefined,
      ],
      ["bulk failed", "bulk", "outcome: failed", policy(), "failed", "Sync.Failed"],
      ["bulk canceled", "bulk", "outcome: canceled", policy(), "canceled", "Sync.Canceled"],
      [
        "bulk interrupted",
        "bulk",
        "outcome: interrupted",
        policy(),
        "interrupted",
        "Sync.Interrupted",
      ],
    ] as const)("%s", async (_label, type, yaml, p, outcome, errorName) => {
      e = await env(type === "model" ? scenario(yaml) : scenario("", yaml));
      const input = type === "model" ? stepInput({ policy: p }) : bulkInput({ policy: p });
      const last = (await runToEnd(e, input)).checks.at(-1);
      expect(last?.terminal).toBe(true);
      expect(last?.outcome).toBe(outcome);
      expect(last?.step_failed).toBe(errorName !== undefined);
      expect(last?.error_name).toBe(errorName);
      if (errorName) expect(last?.error_message).toBeTruthy();
    });

    it("an unknown status is terminal and never success", async () => {
      e = await env(scenario("duration_seconds: 30"), {
        wrap: answering("getModelExecution", async (real, ...args) => {
          const r = await real(...args);
          return { ...r, status: "archived" as never }; // a status the spec does not have
        }),
      });
      const last = (await runToEnd(e, stepInput())).checks.at(-1);
      expect(last).toMatchObject({
        status: "archived",
        terminal: true,
        outcome: "unknown",
        step_failed: true,
        error_name: "Sync.UnknownStatus",
      });
    });
  });

  describe("expectations (Sync.ExpectationFailed)", () => {
    /** A completed run that succeeded but for its expectations. */
    const missed = (records: number) => ({
      status: "completed",
      outcome: "succeeded",
      step_failed: true,
      error_name: "Sync.ExpectationFailed",
      counts: { records },
    });

    it("a model run that succeeds with 0 records fails under min_records", async () => {
      e = await env(scenario("duration_seconds: 60\nrecords: 0"));
      const p = policy({ expect: { min_records: 1 } });
      const last = (await runToEnd(e, stepInput({ policy: p }))).checks.at(-1);
      expect(last).toMatchObject(missed(0));
      expect(last?.error_message).toContain("expected at least 1 record, saw 0");
    });

    it("the same run with records meets min_records", async () => {
      e = await env(scenario("duration_seconds: 60\nrecords: 5"));
      const p = policy({ expect: { min_records: 1 } });
      const last = (await runToEnd(e, stepInput({ policy: p }))).checks.at(-1);
      expect(last).toMatchObject({ outcome: "succeeded", step_failed: false });
      expect(last?.error_name).toBeUndefined();
    });

    it("a bulk schema that stopped loading while the others still load", async () => {
      e = await env(
        scenario(
          "",
          "duration_seconds: 60\nrecords: 300\nschemas:\n  - { name: Account, records: 300 }\n  - { name: Contact, records: 0 }",
        ),
      );
      const p = policy({
        expect: {
          schemas: [
            { schema: "Account", min_records: 1 },
            { schema: "Contact", min_records: 1 },
          ],
        },
      });
      const last = (await runToEnd(e, bulkInput({ policy: p }))).checks.at(-1);
      expect(last).toMatchObject(missed(300));
      expect(last?.error_message).toContain('schema "Contact": expected at least 1 record, saw 0');
      expect(last?.error_message).not.toContain('"Account"');
    });

    it("max_duration reads the run's own timestamps", async () => {
      e = await env(scenario("queue_seconds: 600\nduration_seconds: 7800\nrecords: 5"));
      const p = policy({ expect: { max_duration_seconds: 7200 } });
      const last = (await runToEnd(e, stepInput({ policy: p, timeout_seconds: 86_400 }))).checks.at(
        -1,
      );
      expect(last).toMatchObject({ run_seconds: 7800, error_name: "Sync.ExpectationFailed" });
      expect(last?.error_message).toContain("ran 2h10m, over max_duration 2h");
    });
  });

  it("a StartPending at $.start: checks nothing and sends the machine back to start-sync", async () => {
    e = await env(scenario("duration_seconds: 30"));
    const pending = pendingStart(e.clock.now(), { retry_after_seconds: 7 });
    const r = await checkHandler(e.deps)({ ...stepInput(), start: pending });
    expect(r).toMatchObject({
      start_pending: true,
      terminal: false,
      step_failed: false,
      timed_out: false,
      next_poll_seconds: 7,
      polls: 0,
    });
    expect(e.sim.requests()).toEqual([]);
    // A pending start with a broken field is still bad input, named.
    const bad = await checkHandler(e.deps)({
      ...stepInput(),
      start: { ...pending, key_index: "one" },
    }).catch((err: Error) => err);
    expect(bad).toMatchObject({ name: "Input.Invalid" });
    expect((bad as Error).message).toMatch(/^start\.key_index/);
  });

  it("reports timed_out once the deadline passes", async () => {
    e = await env(scenario("duration_seconds: 7200"));
    const { checks } = await runToEnd(e, stepInput({ timeout_seconds: 600 }));
    const last = checks.at(-1);
    expect(last).toMatchObject({
      terminal: false,
      timed_out: true,
      outcome: "timed_out",
      step_failed: true,
      error_name: "Sync.TimedOut",
    });
    // Detected within one floor interval (+1 s rounding) of the deadline.
    expect(e.clock.now() - Date.UTC(2025, 0, 1)).toBeLessThanOrEqual((600 + 10 + 1) * 1000);
    expect(checks.slice(0, -1).every((c) => !c.timed_out)).toBe(true);
  });

  it("answers the token wait's safety net: at least the poll interval, never far past the deadline", async () => {
    e = await env(scenario("queue_seconds: 0\nduration_seconds: 7200"));
    const start = await startHandler(e.deps)(stepInput({ timeout_seconds: 1000 }));
    const input = { ...stepInput({ timeout_seconds: 1000 }), start };
    const first = await checkHandler(e.deps)(input);
    // max(60 s, 25% of the elapsed time) while polling waits max(15 s, 10%).
    expect([first.next_poll_seconds, first.event_wait_seconds]).toEqual([15, 60]);
    e.clock.advance(800_000);
    const later = await checkHandler(e.deps)({ ...input, check: first });
    expect([later.next_poll_seconds, later.event_wait_seconds]).toEqual([80, 200]);
    e.clock.advance(150_000);
    // 50 s before the deadline: neither waits more than a second past it.
    const near = await checkHandler(e.deps)({ ...input, check: later });
    expect([near.next_poll_seconds, near.event_wait_seconds]).toEqual([51, 51]);
  });

  it("carries polls forward and validates start", async () => {
    e = await env(scenario("duration_seconds: 1000"));
    const start = await startHandler(e.deps)(stepInput());
    const c1 = await checkHandler(e.deps)({ ...stepInput(), start });
    const c2 = await checkHandler(e.deps)({ ...stepInput(), start, check: c1 });
    expect([c1.polls, c2.polls]).toEqual([1, 2]);
    const err = await checkHandler(e.deps)({
      ...stepInput(),
      start: { ...start, execution_id: "" },
    }).catch((x: Error) => x);
    expect(err).toMatchObject({ name: "Input.Invalid" });
    expect((err as Error).message).toMatch(/^start\.execution_id:/);
  });
});

describe("check-status in the retry loop (webhooks off: functions/core/polling.ts)", () => {
  const retryLoop = (state: unknown) => ({ poll_loop: "retry", state });

  it("throws Polytomic.StillRunning.<N>s for a run still going, N the wait rounded down to a retrier's interval", async () => {
    e = await env(scenario("queue_seconds: 5\nduration_seconds: 4000"));
    const { start } = await startStep(e, stepInput());
    const state = { ...stepInput(), start };
    const seen: number[] = [];
    // The same input every time, as a retry gives it; the clock moves by each N.
    for (let k = 0; k < 40; k++) {
      const error = await rejection(checkHandler(e.deps)(retryLoop(state)));
      expect(error).toBeInstanceOf(StillRunning);
      expect(error.name).toMatch(/^Polytomic\.StillRunning\.\d+s$/);
      const seconds = stillRunningSeconds(error.name) as number;
      expect(POLL_BUCKETS).toContain(seconds);
      // Never over the wait polling computes (the latency bound), at most ~5% under it.
      const check = (error as StillRunning).check;
      const elapsed = (e.clock.now() - Date.parse(check.started_at ?? start.started_at)) / 1000;
      const unrounded = nextPollSeconds(state.poll, { elapsedSeconds: elapsed, polls: 1 });
      expect(seconds).toBeLessThanOrEqual(unrounded);
      expect(seconds).toBeGreaterThanOrEqual(Math.floor(unrounded / 1.06));
      seen.push(seconds);
      e.clock.advance(seconds * 1000);
    }
    expect(new Set(seen).size).toBeGreaterThan(3); // the waits grew with the run
  });

  it("says in its Cause what it saw and that it is no failure: short JSON, no secret", async () => {
    e = await env(scenario("queue_seconds: 0\nduration_seconds: 600"));
    const { start } = await startStep(e, stepInput());
    e.clock.advance(120_000);
    const error = await rejection(checkHandler(e.deps)(retryLoop({ ...stepInput(), start })));
    const cause = JSON.parse(error.message);
    expect(cause).toEqual({
      poll: expect.stringContaining("not a failure"),
      status: "running",
      elapsed_seconds: 120,
      next_check_seconds: 15,
      created_at: expect.any(String),
      started_at: expect.any(String),
    });
    expect(error.message.length).toBeLessThan(400);
    expect(error.message).not.toContain(KEY);
    expect(error.stack).not.toContain("\n    at ");
    expect(parseStillRunningCause(error.message)).toEqual(cause);
    // As AWS gives it: the Lambda runtime's error JSON around the message.
    const wrapped = JSON.stringify({
      errorType: error.name,
      errorMessage: error.message,
      trace: [],
    });
    expect(parseStillRunningCause(wrapped)).toEqual(cause);
  });

  it("returns the check as before for an ended run, a timed-out step, and fixed or backoff steps", async () => {
    e = await env(scenario("queue_seconds: 0\nduration_seconds: 60"));
    const { start } = await startStep(e, stepInput({ timeout_seconds: 30 }));
    const input = { ...stepInput({ timeout_seconds: 30 }), start };
    for (const strategy of ["fixed", "backoff"] as const) {
      const poll = { ...input.poll, strategy };
      const check = await checkHandler(e.deps)(retryLoop({ ...input, poll }));
      expect(check).toMatchObject({ status: "running", terminal: false });
    }
    e.clock.advance(45_000);
    expect(await checkHandler(e.deps)(retryLoop(input))).toMatchObject({ timed_out: true });
    e.clock.advance(30_000);
    const ended = await checkHandler(e.deps)(retryLoop({ ...input, timeout_seconds: 3600 }));
    expect(ended).toMatchObject({ status: "completed", terminal: true });
  });

  it("without the retry payload (webhooks on) a run still going is returned, for the Wait", async () => {
    e = await env(scenario("queue_seconds: 0\nduration_seconds: 600"));
    const { start } = await startStep(e, stepInput());
    const check = await checkHandler(e.deps)({ ...stepInput(), start });
    expect(check).toMatchObject({ status: "running", terminal: false, next_poll_seconds: 15 });
  });

  it("returns, to carry them in $.check, a check whose Polytomic calls were retried", async () => {
    e = await env(
      scenario("queue_seconds: 0\nduration_seconds: 600", "", faults("execution", 503, 1)),
    );
    const { start } = await startStep(e, stepInput());
    const check = await checkHandler(e.deps)(retryLoop({ ...stepInput(), start }));
    expect(check).toMatchObject({ status: "running", api_retries: 1 });
  });

  it("keeps watching a run it cannot read (a transient error) until the deadline, then lets the error fail the check", async () => {
    e = await env(
      scenario("queue_seconds: 0\nduration_seconds: 600", "", faults("execution", 503, 1000)),
    );
    const { start } = await startStep(e, stepInput({ timeout_seconds: 300 }));
    const input = { ...stepInput({ timeout_seconds: 300 }), start };
    e.clock.advance(120_000);
    const error = await rejection(checkHandler(e.deps)(retryLoop(input)));
    expect(error).toBeInstanceOf(StillRunning);
    expect(error.name).toMatch(/^Polytomic\.StillRunning\.\d+s$/);
    const cause = parseStillRunningCause(error.message);
    expect(cause).toMatchObject({ unreadable: "Polytomic.ServerError", status: start.status });
    expect(cause?.poll).toContain("could not be read");
    // The Wait loop (webhooks on) and a step past its deadline get the error itself.
    expect((await rejection(checkHandler(e.deps)(input))).name).toBe("Polytomic.ServerError");
    e.clock.advance(200_000);
    const late = await rejection(checkHandler(e.deps)(retryLoop(input)));
    expect(late.name).toBe("Polytomic.ServerError");
  });

  it("with webhooks trusted, the first check reads nothing and hands start-sync's wait to the token wait", async () => {
    e = await env(scenario("queue_seconds: 0\nduration_seconds: 600"));
    const { start } = await startStep(e, stepInput());
    const trusted = { ...stepInput(), start: { ...start, event_wait_seconds: 660 } };
    const reads = () => e.sim.requests().filter((r) => r.endpoint === "execution").length;
    const before = reads();
    const withWebhooks = { ...e.deps, delivery: new MemoryDeliveryStore() };
    const first = await checkHandler(withWebhooks)(retryLoop(trusted));
    expect(first).toMatchObject({
      unread: true,
      terminal: false,
      event_wait_seconds: 660,
      polls: 0,
    });
    expect(reads()).toBe(before);
    // The check after the wait reads the run; so does any check without webhooks.
    const next = { ...trusted, check: first };
    await rejection(checkHandler(withWebhooks)(retryLoop(next)));
    expect(reads()).toBe(before + 1);
    await rejection(checkHandler(e.deps)(retryLoop(trusted)));
    expect(reads()).toBe(before + 2);
  });

  it("refuses a payload naming another loop", async () => {
    e = await env(scenario());
    const error = await rejection(
      checkHandler(e.deps)({ poll_loop: "sometimes", state: stepInput() }),
    );
    expect(error.name).toBe("Input.Invalid");
  });
});

function faults(endpoint: string, status: number, times: number): string {
  return `faults:\n  - { endpoint: ${endpoint}, status: ${status}, times: ${times} }`;
}
