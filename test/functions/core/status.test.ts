import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import type { Expectations, FailurePolicy, SyncType } from "../../../functions/core/contract";
import {
  BULK_STATUSES,
  evaluateTerminal,
  isFailedSchemaStatus,
  isQueuedStatus,
  isTerminalStatus,
  MODEL_STATUSES,
  type TerminalRun,
} from "../../../functions/core/status";

const DEFAULT_POLICY: FailurePolicy = {
  max_errors: 0,
  fail_on_warnings: false,
  fail_on_schema_errors: true,
};

function counts(records: number, errors: number, warnings: number) {
  return { records, errors, warnings };
}

describe("terminal statuses", () => {
  it.each([
    ["model", "completed", true],
    ["model", "failed", true],
    ["model", "canceled", true],
    ["model", "interrupted", true],
    ["model", "running", false],
    ["model", "queued", false],
    ["model", "canceling", false],
    ["model", "processing", false],
    ["bulk", "errors", true],
    ["bulk", "exporting", false],
    ["bulk", "completed", true],
    ["bulk", "canceling", false],
    // Unknown statuses are terminal (they fail with Sync.UnknownStatus instead of hanging).
    ["model", "errors", true],
    ["model", "exporting", true],
    ["bulk", "queued", true],
    ["bulk", "exploded", true],
  ] as [SyncType, string, boolean][])("%s %s -> %s", (type, status, terminal) => {
    expect(isTerminalStatus(type, status)).toBe(terminal);
  });

  it("knows exactly the statuses of the spec's enums", () => {
    const spec = JSON.parse(readFileSync("spec/polytomic-openapi.json", "utf8")) as {
      components: { schemas: Record<string, { enum?: string[] }> };
    };
    const enumOf = (name: string) => [...(spec.components.schemas[name]?.enum ?? [])].sort();
    expect([...MODEL_STATUSES].sort()).toEqual(enumOf("UtilExecutionStatus"));
    expect([...BULK_STATUSES].sort()).toEqual(enumOf("BulkExecutionStatus"));
    expect(enumOf("UtilExecutionStatus")).toHaveLength(11);
    expect(isQueuedStatus("queued")).toBe(true);
    expect(isQueuedStatus("running")).toBe(false);
  });
});

describe("bulk schema statuses", () => {
  it.each([
    ["completed", false],
    ["running", false],
    ["failed", true],
    ["canceled", true],
    ["interrupted", true],
    // Outside the spec's BulkSchemaExecutionStatus (or missing): never taken for success.
    ["errors", true],
    ["unknown", true],
    ["", true],
  ])("%s -> failed: %s", (status, failed) => {
    expect(isFailedSchemaStatus(status)).toBe(failed);
  });
});

describe("failure policy", () => {
  const cases: [
    string,
    SyncType,
    string,
    ReturnType<typeof counts>,
    number,
    Partial<FailurePolicy>,
    string,
    string | undefined,
  ][] = [
    ["clean run", "model", "completed", counts(10, 0, 0), 0, {}, "succeeded", undefined],
    [
      "warnings tolerated",
      "model",
      "completed",
      counts(10, 0, 2),
      0,
      {},
      "succeeded_with_warnings",
      undefined,
    ],
    [
      "warnings not allowed",
      "model",
      "completed",
      counts(10, 0, 2),
      0,
      { fail_on_warnings: true },
      "succeeded_with_warnings",
      "Sync.WarningsNotAllowed",
    ],
    [
      "errors over default max 0",
      "model",
      "completed",
      counts(10, 1, 0),
      0,
      {},
      "completed_with_errors",
      "Sync.CompletedWithErrors",
    ],
    [
      "errors under max_errors 5",
      "model",
      "completed",
      counts(10, 5, 0),
      0,
      { max_errors: 5 },
      "completed_with_errors",
      undefined,
    ],
    [
      "errors over max_errors 5",
      "model",
      "completed",
      counts(10, 6, 0),
      0,
      { max_errors: 5 },
      "completed_with_errors",
      "Sync.CompletedWithErrors",
    ],
    [
      "errors before warnings",
      "model",
      "completed",
      counts(10, 1, 1),
      0,
      { fail_on_warnings: true },
      "completed_with_errors",
      "Sync.CompletedWithErrors",
    ],
    [
      "model failed",
      "model",
      "failed",
      counts(0, 0, 0),
      0,
      { max_errors: 100 },
      "failed",
      "Sync.Failed",
    ],
    ["model canceled", "model", "canceled", counts(0, 0, 0), 0, {}, "canceled", "Sync.Canceled"],
    [
      "model interrupted",
      "model",
      "interrupted",
      counts(0, 0, 0),
      0,
      {},
      "interrupted",
      "Sync.Interrupted",
    ],
    [
      "model unknown status",
      "model",
      "errors",
      counts(10, 0, 0),
      0,
      {},
      "unknown",
      "Sync.UnknownStatus",
    ],
    [
      "bulk unknown status",
      "bulk",
      "partially_done",
      counts(10, 0, 0),
      0,
      { max_errors: 100 },
      "unknown",
      "Sync.UnknownStatus",
    ],
    [
      "bulk errors status always fails",
      "bulk",
      "errors",
      counts(10, 1, 0),
      0,
      { max_errors: 100 },
      "completed_with_errors",
      "Sync.CompletedWithErrors",
    ],
    [
      "bulk failed schemas fail by default",
      "bulk",
      "completed",
      counts(10, 0, 0),
      2,
      {},
      "completed_with_errors",
      "Sync.SchemaErrors",
    ],
    [
      "bulk failed schemas tolerated",
      "bulk",
      "completed",
      counts(10, 0, 0),
      2,
      { fail_on_schema_errors: false },
      "completed_with_errors",
      undefined,
    ],
    ["bulk clean", "bulk", "completed", counts(10, 0, 0), 0, {}, "succeeded", undefined],
    ["bulk failed", "bulk", "failed", counts(0, 0, 0), 0, {}, "failed", "Sync.Failed"],
  ];

  it.each(cases)("%s", (_label, type, status, c, failedSchemas, policy, outcome, errorName) => {
    const verdict = evaluateTerminal(
      type,
      { status, counts: c, failedSchemas },
      { ...DEFAULT_POLICY, ...policy },
    );
    expect(verdict.outcome).toBe(outcome);
    expect(verdict.step_failed).toBe(errorName !== undefined);
    expect(verdict.error_name).toBe(errorName);
    if (errorName) expect(verdict.error_message).toMatch(new RegExp(`${type} sync execution`));
  });

  it("names the unknown status in the message", () => {
    const v = evaluateTerminal(
      "model",
      { status: "weird", counts: counts(1, 0, 0), failedSchemas: 0 },
      DEFAULT_POLICY,
    );
    expect(v.error_message).toContain('"weird"');
  });
});

describe("expectations (Sync.ExpectationFailed)", () => {
  const run = (c: ReturnType<typeof counts>, extra: Partial<TerminalRun> = {}): TerminalRun => ({
    status: "completed",
    counts: c,
    failedSchemas: 0,
    ...extra,
  });
  const judge = (r: TerminalRun, expect: Expectations, type: SyncType = "model") =>
    evaluateTerminal(type, r, { ...DEFAULT_POLICY, max_errors: 1000, expect });

  it.each([
    [
      "0 records under min_records 1",
      counts(0, 0, 0),
      {},
      { min_records: 1 },
      "expected at least 1 record, saw 0",
    ],
    [
      "over max_records",
      counts(501, 0, 0),
      {},
      { max_records: 500 },
      "expected at most 500 records, saw 501",
    ],
    [
      "error rate over max_error_rate",
      counts(70, 10, 0),
      {},
      { max_error_rate_percent: 5 },
      "error rate 12.5% over max_error_rate 5%",
    ],
    [
      "over max_duration",
      counts(10, 0, 0),
      { run_seconds: 7800 },
      { max_duration_seconds: 7200 },
      "ran 2h10m, over max_duration 2h",
    ],
    [
      "a bulk schema with 0 records while others load",
      counts(300, 0, 0),
      {
        schemas: [
          { schema: "Account", records: 300 },
          { schema: "Contact", records: 0 },
        ],
      },
      {
        schemas: [
          { schema: "Account", min_records: 1 },
          { schema: "Contact", min_records: 100 },
        ],
      },
      'schema "Contact": expected at least 100 records, saw 0',
    ],
    [
      "an expected schema missing from the run saw 0",
      counts(300, 0, 0),
      { schemas: [{ schema: "Account", records: 300 }] },
      { schemas: [{ schema: "Lead", min_records: 1 }] },
      'schema "Lead": expected at least 1 record, saw 0 (not in the run)',
    ],
  ] as [string, ReturnType<typeof counts>, Partial<TerminalRun>, Expectations, string][])(
    "%s",
    (_label, c, extra, expect_, message) => {
      const v = judge(run(c, extra), expect_, extra.schemas ? "bulk" : "model");
      expect(v.step_failed).toBe(true);
      expect(v.error_name).toBe("Sync.ExpectationFailed");
      expect(v.error_message).toContain(message);
    },
  );

  it("a run within its expectations succeeds, its outcome unchanged", () => {
    const v = evaluateTerminal("model", run(counts(100, 2, 1), { run_seconds: 60 }), {
      ...DEFAULT_POLICY,
      max_errors: 2,
      expect: {
        min_records: 100,
        max_records: 100,
        max_error_rate_percent: 2,
        max_duration_seconds: 60,
      },
    });
    expect(v).toEqual({ outcome: "completed_with_errors", step_failed: false });
    // 2 / (100 + 2) = 1.96% <= 2%; max_errors tolerates the 2 errors below.
  });

  it("names every missed expectation, and keeps the run's outcome", () => {
    const v = judge(run(counts(0, 0, 3), { run_seconds: 90 }), {
      min_records: 1,
      max_duration_seconds: 60,
    });
    expect(v.outcome).toBe("succeeded_with_warnings");
    expect(v.error_message).toBe(
      "model sync execution completed outside the step's expectations: expected at least 1 record, saw 0; ran 1m30s, over max_duration 1m",
    );
  });

  it("by default nothing is expected: an empty run succeeds", () => {
    expect(evaluateTerminal("model", run(counts(0, 0, 0)), DEFAULT_POLICY)).toEqual({
      outcome: "succeeded",
      step_failed: false,
    });
  });

  it("a run without timestamps is not judged on max_duration", () => {
    expect(judge(run(counts(1, 0, 0)), { max_duration_seconds: 1 }).step_failed).toBe(false);
  });

  it("applies only to a run that otherwise succeeded: a failed run keeps its own error", () => {
    const expect_: Expectations = { min_records: 1 };
    expect(judge({ ...run(counts(0, 0, 0)), status: "failed" }, expect_).error_name).toBe(
      "Sync.Failed",
    );
    expect(
      evaluateTerminal("model", run(counts(0, 1, 0)), { ...DEFAULT_POLICY, expect: expect_ })
        .error_name,
    ).toBe("Sync.CompletedWithErrors");
    expect(
      evaluateTerminal("model", run(counts(0, 0, 1)), {
        ...DEFAULT_POLICY,
        fail_on_warnings: true,
        expect: expect_,
      }).error_name,
    ).toBe("Sync.WarningsNotAllowed");
  });
});
