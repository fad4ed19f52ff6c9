/**
 * Issue 13, point 1: the run report's per-step times, built from execution histories only
 * (lib/report/build.ts). A real local run (synthesized definitions, real handlers, the
 * simulator over HTTP, virtual clock) checks the times against the scenario; hand-built
 * histories, shaped as GetExecutionHistory's would be mapped, check the builder needs
 * nothing of the local runner.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { PipelinesConfig } from "../../lib/config/model";
import { type LocalRunResult, runPipelineLocally } from "../../lib/local/runner";
import { VirtualClock } from "../../lib/local/virtual-clock";
import { buildRunReport, type ExecutionRecord, type HistoryEvent } from "../../lib/report/build";
import type { ReportStep } from "../../lib/report/model";
import { parseScenario, type RunningSimulator, startSimulator } from "../../simulator";
import { pipeline, step } from "../fixtures/cdk/config";

const A = "9f1c0d2e-0000-4000-8000-0000000000a1";
const B = "9f1c0d2e-0000-4000-8000-0000000000b1";
const C = "9f1c0d2e-0000-4000-8000-0000000000c1";
const D = "9f1c0d2e-0000-4000-8000-0000000000d1";
const POLL = { strategy: "adaptive" as const, min_seconds: 10, max_seconds: 60 };
const T0 = Date.UTC(2026, 0, 5, 7, 0, 0);

// a (5 s queued, 300 s) and b (600 s) start at once; c waits for a; d for a and b, and fails.
const config: PipelinesConfig = {
  source: "/repo/pipelines.yaml",
  pipelines: [
    pipeline("night", [
      step("a", [], { sync: { id: A }, poll: POLL }),
      step("b", [], { sync_type: "bulk", sync: { id: B }, poll: POLL }),
      step("c", ["a"], { sync: { id: C }, poll: POLL }),
      step("d", ["a", "b"], { sync: { id: D }, poll: POLL }),
    ]),
  ],
};

const scenario = `
api_key: report-key
syncs:
  ${A}: { type: model, queue_seconds: 5, duration_seconds: 300, records: 10 }
  ${B}: { type: bulk, queue_seconds: 0, duration_seconds: 600, records: 20 }
  ${C}: { type: model, queue_seconds: 2, duration_seconds: 100, records: 5 }
  ${D}: { type: model, queue_seconds: 0, duration_seconds: 120, outcome: failed }
`;

let sim: RunningSimulator;
let outDir: string;
let result: LocalRunResult;

beforeAll(async () => {
  const clock = new VirtualClock(T0);
  sim = await startSimulator({
    scenario: parseScenario(scenario, "report.yaml"),
    clock,
    sleep: (ms: number) => clock.sleep(ms),
  });
  outDir = await mkdtemp(join(tmpdir(), "report-build-"));
  result = await runPipelineLocally({
    config,
    pipeline: "night",
    polytomic: { baseUrl: sim.url, apiKey: "report-key" },
    clock,
    outDir,
    executionName: "night-report",
  });
});

afterAll(async () => {
  await sim?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

function stepOf(id: string): ReportStep {
  const found = result.timeline?.steps.find((s) => s.id === id);
  if (!found) throw new Error(`no step ${id} in the timeline`);
  return found;
}

const ms = (t: string | null) => (t === null ? Number.NaN : Date.parse(t));

describe("the run report of a local run", () => {
  it("has Polytomic's queued, started and finished times of each run", () => {
    const a = stepOf("a");
    expect(a.queued_at).toBe(new Date(T0).toISOString());
    expect(ms(a.started_at) - ms(a.queued_at)).toBe(5_000);
    expect(ms(a.finished_at) - ms(a.started_at)).toBe(300_000);
    const b = stepOf("b");
    expect(ms(b.finished_at) - ms(b.started_at)).toBe(600_000);
  });

  it("says when the machine noticed each end: after it, within one poll interval", () => {
    for (const id of ["a", "b", "c", "d"]) {
      const s = stepOf(id);
      const delay = ms(s.detected_at) - ms(s.finished_at);
      expect(delay, id).toBeGreaterThanOrEqual(0);
      expect(delay, id).toBeLessThanOrEqual(POLL.max_seconds * 1000);
      expect(ms(s.ended_at), id).toBeGreaterThanOrEqual(ms(s.detected_at));
      expect(s.polls, id).toBeGreaterThan(1);
    }
    // Every check-status call that checked a run is some step's poll.
    expect(result.timeline?.steps.reduce((n, s) => n + s.polls, 0)).toBe(result.polls);
  });

  it("names each dependency and when it released the step", () => {
    const a = stepOf("a");
    const b = stepOf("b");
    const c = stepOf("c");
    const d = stepOf("d");
    expect(a.waiting_on).toEqual([]);
    expect(a.released_at).toBe(result.started_at);
    expect(c.waiting_on).toEqual([{ step: "a", released_at: a.ended_at }]);
    expect(c.released_at).toBe(a.ended_at);
    expect(d.waiting_on).toEqual([
      { step: "a", released_at: a.ended_at },
      { step: "b", released_at: b.ended_at },
    ]);
    // d waited for the later of its two dependencies, and started when it let go.
    expect(d.released_at).toBe(b.ended_at);
    expect(ms(d.submitted_at)).toBe(ms(b.ended_at));
    expect(ms(c.queued_at)).toBeGreaterThanOrEqual(ms(c.submitted_at));
  });

  it("marks the critical path: b then d ended the pipeline", () => {
    expect(result.timeline?.critical_path).toEqual(["b", "d"]);
    expect(["a", "b", "c", "d"].map((id) => stepOf(id).critical)).toEqual([
      false,
      true,
      false,
      true,
    ]);
  });

  it("keeps Polytomic's failure text and agrees with the runner on every status", () => {
    const d = stepOf("d");
    expect(d.status).toBe("failed");
    expect(d.failure_text).toBe("Simulated failure: the destination rejected the batch (HTTP 500)");
    expect(d.error?.name).toBe("Sync.Failed");
    expect(stepOf("a").failure_text).toBeNull();
    for (const s of result.steps) {
      const t = stepOf(s.id);
      expect([t.status, t.outcome, t.execution_id, t.records], s.id).toEqual([
        s.status,
        s.outcome,
        s.execution_id,
        s.records,
      ]);
    }
    expect(result.timeline?.status).toBe(result.status);
    expect(result.timeline?.finished_at).toBe(result.finished_at);
  });
});

describe("API retries in the run report", () => {
  it("counts every retried Polytomic call of a step, as its published metric does", async () => {
    const clock = new VirtualClock(T0);
    const faulty = await startSimulator({
      scenario: parseScenario(
        `${scenario}faults:
  - { endpoint: start, status: 503, times: 1 }
  - { endpoint: execution, status: 500, times: 2 }
  - { endpoint: logs, status: 502, times: 1 }
`,
        "faults.yaml",
      ),
      clock,
      sleep: (ms: number) => clock.sleep(ms),
    });
    const dir = await mkdtemp(join(tmpdir(), "report-retries-"));
    try {
      const run = await runPipelineLocally({
        config: {
          ...config,
          pipelines: [pipeline("one", [step("a", [], { sync: { id: A }, poll: POLL })])],
        },
        pipeline: "one",
        polytomic: { baseUrl: faulty.url, apiKey: "report-key" },
        clock,
        outDir: dir,
      });
      const published = (await readFile(join(dir, "metrics.jsonl"), "utf8"))
        .trim()
        .split("\n")
        .flatMap(
          (line) =>
            (JSON.parse(line) as { data: Array<{ MetricName: string; Value: number }> }).data,
        )
        .filter((d) => d.MetricName === "ApiRetries")
        .map((d) => d.Value);
      expect(published).toHaveLength(1);
      expect(run.timeline?.steps[0]?.api_retries).toBe(published[0]);
      // one each for start, the checks and the log export
      expect(published[0]).toBeGreaterThanOrEqual(3);
    } finally {
      await faulty.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe("buildRunReport from histories alone (as read from AWS)", () => {
  const at = (s: number) => T0 + s * 1000;
  const check = (terminal: boolean, extra: object = {}) => ({
    check: {
      status: terminal ? "completed" : "running",
      terminal,
      outcome: terminal ? "succeeded" : undefined,
      step_failed: false,
      counts: { records: 1, errors: 0, warnings: 0 },
      polls: terminal ? 2 : 1,
      api_retries: 1,
      created_at: new Date(at(0)).toISOString(),
      started_at: new Date(at(1)).toISOString(),
      ...(terminal ? { completed_at: new Date(at(50)).toISOString() } : {}),
      ...extra,
    },
  });
  const child = (stepId: string, start: number, end: number): ExecutionRecord => ({
    name: `${stepId}-x`,
    status: "SUCCEEDED",
    startedAt: at(start),
    stoppedAt: at(end),
    events: [
      {
        type: "ExecutionStarted",
        timestamp: at(start),
        input: { step: stepId, sync_type: "model" },
      },
      {
        type: "StateExited",
        timestamp: at(start),
        state: {
          name: "Start sync",
          output: { start: { execution_id: `run-${stepId}`, api_retries: 2 } },
        },
      },
      {
        type: "StateExited",
        timestamp: at(start + 10),
        state: { name: "Check status", output: check(false) },
      },
      {
        type: "StateExited",
        timestamp: at(end - 5),
        state: { name: "Check status", output: check(true) },
      },
      {
        type: "StateExited",
        timestamp: at(end - 4),
        state: { name: "Check status", output: check(true) },
      },
    ],
  });
  // A diamond: top, then left (ends at 400) and right (ends at 300), then bottom.
  const report = buildRunReport({
    pipeline: "p",
    steps: [
      { id: "top", sync_type: "model", after: [] },
      { id: "left", sync_type: "model", after: ["top"] },
      { id: "right", sync_type: "model", after: ["top"] },
      { id: "bottom", sync_type: "model", after: ["left", "right"] },
      { id: "never", sync_type: "model", after: ["bottom"] },
    ],
    execution: {
      name: "p-1",
      status: "SUCCEEDED",
      startedAt: at(0),
      stoppedAt: at(600),
      events: [],
    },
    children: [
      child("bottom", 400, 500),
      child("top", 0, 100),
      child("left", 100, 400),
      child("right", 100, 300),
      // a gate's execution (wait-for-step): not a step's run
      { name: "gate", status: "SUCCEEDED", startedAt: at(0), stoppedAt: at(5), events: [] },
    ],
  });
  const s = (id: string) => report.steps.find((x) => x.id === id) as ReportStep;

  it("reads the detection time, polls and retries from the handler outputs", () => {
    expect(s("top").detected_at).toBe(new Date(at(95)).toISOString());
    expect(s("top").polls).toBe(2);
    expect(s("top").api_retries).toBe(3);
    expect(s("top").execution_id).toBe("run-top");
  });

  it("says what a stopped pipeline cancelled and never started", () => {
    const stopped = buildRunReport({
      pipeline: "p",
      steps: [
        { id: "going", sync_type: "model", after: [] },
        { id: "next", sync_type: "model", after: ["going"] },
      ],
      execution: {
        name: "p-2",
        status: "ABORTED",
        startedAt: at(0),
        stoppedAt: at(60),
        events: [],
      },
      children: [{ ...child("going", 0, 60), status: "ABORTED" }],
    });
    expect(stopped.status).toBe("interrupted");
    expect(stopped.steps.map((x) => [x.id, x.status, x.error?.name])).toEqual([
      ["going", "cancelled", "States.Aborted"],
      ["next", "not_started", undefined],
    ]);
  });

  it("tells a run still going: skipped as the pipeline recorded it, waiting, queued, running", () => {
    const going = (c: ExecutionRecord, upTo: number): ExecutionRecord => {
      const { stoppedAt: _, ...rest } = c;
      return { ...rest, status: "RUNNING", events: c.events.filter((e) => e.timestamp <= upTo) };
    };
    const live = buildRunReport({
      pipeline: "p",
      steps: [
        { id: "bad", sync_type: "model", after: [] },
        { id: "after_bad", sync_type: "model", after: ["bad"] },
        { id: "slow", sync_type: "model", after: [] },
        { id: "after_slow", sync_type: "model", after: ["slow"] },
        { id: "late", sync_type: "model", after: [] },
      ],
      execution: {
        name: "p-3",
        status: "RUNNING",
        startedAt: at(0),
        events: [
          { type: "ExecutionStarted", timestamp: at(0), input: {} },
          {
            type: "StateExited",
            timestamp: at(101),
            state: {
              name: "Skip after_bad",
              output: { results: { bad: { status: "failed" }, after_bad: { status: "skipped" } } },
            },
          },
        ],
      },
      children: [
        { ...child("bad", 0, 100), status: "FAILED", error: "Sync.Failed", cause: "no" },
        going(child("slow", 0, 500), at(20)),
        // Started, not checked yet: Polytomic has not said the run started.
        going(child("late", 10, 500), at(10)),
      ],
      readAt: at(120),
    });
    expect(live).toMatchObject({ status: "running", finished_at: null, critical_path: [] });
    expect(live.as_of).toBe(new Date(at(120)).toISOString());
    expect(live.steps.map((x) => [x.id, x.status])).toEqual([
      ["bad", "failed"],
      ["after_bad", "skipped"],
      ["slow", "running"],
      ["after_slow", "waiting"],
      ["late", "queued"],
    ]);
    const step = (id: string) => live.steps.find((x) => x.id === id);
    expect(step("after_bad")?.released_at).toBe(new Date(at(100)).toISOString());
    expect(step("slow")).toMatchObject({ ended_at: null, error: null, critical: false });
    expect(step("after_slow")).toMatchObject({
      released_at: null,
      waiting_on: [{ step: "slow", released_at: null }],
    });
    // Read before its last event (clocks apart): as_of is never before what it tells.
    const early = buildRunReport({
      pipeline: "p",
      steps: [],
      execution: {
        name: "p-4",
        status: "RUNNING",
        startedAt: at(0),
        events: [{ type: "ExecutionStarted", timestamp: at(40) }],
      },
      children: [],
      readAt: at(30),
    });
    expect(early.as_of).toBe(new Date(at(40)).toISOString());
  });

  it("counts the retry loop's still-running checks, and tells from their Cause a run is running", () => {
    // As AWS records the retry loop: one Check status entry, then per still-running check a
    // failed Lambda call (its cause the Lambda error JSON around check-status's message).
    const stillRunning = (t: number): HistoryEvent => ({
      type: "LambdaFunctionFailed",
      timestamp: at(t),
      Error: "Polytomic.StillRunning.15s",
      Cause: JSON.stringify({
        errorType: "Polytomic.StillRunning.15s",
        errorMessage: JSON.stringify({
          poll: "the run is still going: not a failure",
          status: "running",
          elapsed_seconds: t,
          next_check_seconds: 15,
          created_at: new Date(at(0)).toISOString(),
          started_at: new Date(at(1)).toISOString(),
        }),
        trace: [],
      }),
    });
    const base = child("retry", 0, 100);
    const [started, startExited] = base.events;
    const events: HistoryEvent[] = [
      started as HistoryEvent,
      startExited as HistoryEvent,
      { type: "StateEntered", timestamp: at(1), state: { name: "Check status" } },
      stillRunning(1),
      stillRunning(16),
      stillRunning(31),
      {
        type: "StateExited",
        timestamp: at(46),
        state: { name: "Check status", output: check(true, { polls: 1 }) },
      },
    ];
    const steps = [{ id: "retry", sync_type: "model" as const, after: [] }];
    const execution = { name: "p-5", status: "RUNNING" as const, startedAt: at(0), events: [] };
    const ended = buildRunReport({
      pipeline: "p",
      steps,
      execution: { ...execution, status: "SUCCEEDED", stoppedAt: at(100) },
      children: [{ ...base, events }],
    });
    expect(ended.steps[0]).toMatchObject({ polls: 4, detected_at: new Date(at(46)).toISOString() });
    const { stoppedAt: _, ...going } = base;
    const live = buildRunReport({
      pipeline: "p",
      steps,
      execution,
      children: [{ ...going, status: "RUNNING", events: events.slice(0, 5) }],
      readAt: at(20),
    });
    expect(live.steps[0]).toMatchObject({
      status: "running",
      polls: 2,
      queued_at: new Date(at(0)).toISOString(),
      started_at: new Date(at(1)).toISOString(),
    });
  });

  it("follows the releases that came last for the critical path", () => {
    expect(report.critical_path).toEqual(["top", "left", "bottom"]);
    expect(s("bottom").released_at).toBe(new Date(at(400)).toISOString());
    expect(s("never")).toMatchObject({ status: "skipped", submitted_at: null, ended_at: null });
    expect(report.status).toBe("succeeded");
  });
});
