import { describe, expect, it } from "vitest";
import { jsonReport, summaryText } from "../../lib/cli/summary";
import type { PipelineConfig } from "../../lib/config/model";
import type { LocalRunResult } from "../../lib/local/runner";
import { stepTimingSchema } from "../../lib/report/model";

const result: LocalRunResult = {
  pipeline: "fanout",
  status: "failed",
  started_at: "2025-01-01T02:00:00.000Z",
  finished_at: "2025-01-01T03:40:05.000Z",
  steps: [
    {
      id: "load_salesforce",
      sync_type: "bulk",
      sync_id: "9f1c0d2e-0000-4000-8000-000000000001",
      status: "succeeded",
      outcome: "succeeded",
      execution_id: "e1",
      duration_seconds: 5400,
      elapsed_seconds: 5525,
      records: 120000,
      errors: 0,
      warnings: 3,
      logs: [
        "polytomic-logs/fanout/load_salesforce/e1.log",
        "polytomic-logs/fanout/load_salesforce/console.json",
      ],
    },
    {
      id: "push_hubspot",
      sync_type: "model",
      sync_id: "1b2c3d4e-0000-4000-8000-000000000002",
      status: "failed",
      outcome: "failed",
      execution_id: "e2",
      duration_seconds: 600,
      elapsed_seconds: 640,
      records: 100,
      errors: 100,
      warnings: 0,
      logs: ["polytomic-logs/fanout/push_hubspot/console.json"],
      error: { name: "Sync.Failed", message: "execution e2 failed" },
    },
    {
      id: "report",
      sync_type: "model",
      sync_id: null,
      status: "skipped",
      outcome: "skipped",
      execution_id: null,
      duration_seconds: null,
      elapsed_seconds: null,
      records: 0,
      errors: 0,
      warnings: 0,
      logs: [],
    },
  ],
  state_transitions: 1234,
  polls: 56,
  executions: [],
};

const pipeline = {
  name: "fanout",
  steps: [
    { id: "load_salesforce", sync: { id: "9f1c0d2e-0000-4000-8000-000000000001" } },
    { id: "push_hubspot", sync: { name: "Contacts to HubSpot" } },
    { id: "report", sync: { id: "7a2b3c4d-0000-4000-8000-000000000004" } },
  ],
} as unknown as PipelineConfig;

describe("summaryText", () => {
  it("tabulates the steps, names failures and closes with the pipeline's status", () => {
    expect(
      summaryText(result, {
        pipeline,
        outDir: "/work/proj/.local",
        cwd: "/work/proj",
        simulated: true,
      }),
    ).toBe(
      [
        "STEP             SYNC                                  OUTCOME       ELAPSED     RUNNING  RECORDS  ERRORS  WARNINGS  LOGS",
        "---------------  ------------------------------------  ---------  ----------  ----------  -------  ------  --------  ---------------------------",
        "load_salesforce  9f1c0d2e-0000-4000-8000-000000000001  succeeded  1h 32m 05s  1h 30m 00s  120,000       0         3  load_salesforce/e1.log (+1)",
        "push_hubspot     Contacts to HubSpot                   failed        10m 40s     10m 00s      100     100         0  push_hubspot/console.json",
        "report           7a2b3c4d-0000-4000-8000-000000000004  skipped             -           -        0       0         0  -",
        "ELAPSED: from the step's start to its end, as the live display counts; RUNNING (when shown): Polytomic's running time of the sync (started_at to completed_at).",
        "",
        "Logs under .local/polytomic-logs/fanout",
        "",
        "push_hubspot failed: Sync.Failed: execution e2 failed",
        "Pipeline fanout failed in 1h 40m 05s of simulated time: 3 steps (1 succeeded, 1 failed, 1 skipped), 1,234 state transitions, 56 polls.",
        "",
      ].join("\n"),
    );
  });

  it("does not call real time simulated", () => {
    expect(summaryText(result, { outDir: "/o", cwd: "/", simulated: false })).toContain(
      "failed in 1h 40m 05s: 3 steps",
    );
  });

  it("shows the pipeline's own error only when no step error explains the failure, on one short line", () => {
    const error = { name: "States.Runtime", message: `line one\nline two ${"x".repeat(400)}` };
    const withSteps = summaryText(
      { ...result, error },
      { outDir: "/o", cwd: "/", simulated: true },
    );
    expect(withSteps).not.toContain("pipeline error");
    const alone = summaryText(
      {
        ...result,
        error,
        polls: 1,
        state_transitions: 1,
        steps: result.steps.map(({ error: _e, ...s }) => s),
      },
      { outDir: "/o", cwd: "/", simulated: true },
    );
    const line = alone.split("\n").find((l) => l.startsWith("pipeline error:")) ?? "";
    expect(line).toMatch(/^pipeline error: States\.Runtime: line one line two x+…$/);
    expect(line.length).toBeLessThan(340);
    expect(alone).toContain("1 state transition, 1 poll.");
  });
});

/** The times each step carries (issue 13), from the run's histories, in the documented order. */
const TIMING_FIELDS = Object.keys(stepTimingSchema.shape);

describe("jsonReport", () => {
  it("has exactly the documented fields, plus a failed step's error", () => {
    const report = jsonReport(result, "/work/proj/.local");
    expect(Object.keys(report)).toEqual([
      "pipeline",
      "status",
      "message",
      "started_at",
      "finished_at",
      "steps",
      "state_transitions",
      "polls",
      "critical_path",
      "report",
    ]);
    const fields = [
      "id",
      "sync_type",
      "sync_id",
      "status",
      "outcome",
      "execution_id",
      "duration_seconds",
      "records",
      "errors",
      "warnings",
      "logs",
      ...TIMING_FIELDS,
    ];
    expect(Object.keys(report.steps[0] ?? {})).toEqual(fields);
    expect(Object.keys(report.steps[1] ?? {})).toEqual([...fields, "error"]);
    expect(report.steps[2]).toMatchObject({
      status: "skipped",
      sync_id: null,
      duration_seconds: null,
    });
    expect(JSON.stringify(report)).not.toContain("executions");
    expect(report.steps[1]?.logs).toEqual([
      "/work/proj/.local/polytomic-logs/fanout/push_hubspot/console.json",
    ]);
  });

  it("says in one short line why a pipeline failed; a step's failure is not repeated as the pipeline's error", () => {
    const cause = JSON.stringify({ push_hubspot: { details: "x".repeat(5000) } });
    const report = jsonReport(
      { ...result, error: { name: "Pipeline.StepsFailed", message: cause } },
      "/out",
    );
    expect(report.message).toBe(
      "pipeline fanout failed: push_hubspot (Sync.Failed) failed; 1 skipped (report)",
    );
    expect(report.error).toBeUndefined();
    const own = jsonReport(
      {
        ...result,
        steps: result.steps.map(({ error: _e, ...s }) => s),
        error: { name: "States.Runtime", message: `line one\nline two ${"y".repeat(500)}` },
      },
      "/out",
    );
    expect(own.message).toMatch(
      /^pipeline fanout failed: push_hubspot failed; 1 skipped \(report\); States\.Runtime: line one line two y+…$/,
    );
    expect(own.message.length).toBeLessThan(400);
    expect(own.error?.message).toContain("y".repeat(500));
    const steps = result.steps;
    const interrupted = jsonReport(
      {
        ...result,
        status: "interrupted",
        steps: [
          steps[0],
          { ...steps[1], status: "cancelled", outcome: "cancelled", error: undefined },
          { ...steps[2], status: "not_started", outcome: "not_started" },
        ] as LocalRunResult["steps"],
      },
      "/out",
    );
    expect(interrupted.message).toBe(
      "pipeline fanout interrupted: 1 cancelled (push_hubspot); 1 not started (report)",
    );
    const ok = jsonReport({ ...result, status: "succeeded", steps: [] }, "/out");
    expect(ok.message).toBe("pipeline fanout succeeded: 0 steps");
  });
});
