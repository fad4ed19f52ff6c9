/**
 * schemas/run-report.schema.json, the documented format of `run --json`: generated from
 * the zod schema (lib/report/model.ts), and strict enough to catch a report that drifts.
 * The CLI's real `--json` output is validated against it in test/cli/cli.test.ts.
 */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateReportJsonSchema, REPORT_SCHEMA_PATH } from "../../lib/report/json-schema";
import { reportValidator } from "./validate";

describe("schemas/run-report.schema.json", () => {
  it("is up to date with the zod schema (run `npm run gen:report-schema` when this fails)", () => {
    const committed = readFileSync(fileURLToPath(REPORT_SCHEMA_PATH), "utf8");
    expect(committed === generateReportJsonSchema()).toBe(true);
  });

  const step = {
    id: "a",
    sync_type: "model",
    sync_id: null,
    status: "skipped",
    outcome: "skipped",
    execution_id: null,
    duration_seconds: null,
    records: 0,
    errors: 0,
    warnings: 0,
    logs: [],
    after: [],
    waiting_on: [],
    released_at: "2026-01-05T07:00:00.000Z",
    submitted_at: null,
    queued_at: null,
    started_at: null,
    finished_at: null,
    detected_at: null,
    ended_at: null,
    polls: 0,
    api_retries: 0,
    failure_text: null,
    critical: false,
  };
  const report = {
    pipeline: "p",
    status: "succeeded",
    message: "pipeline p succeeded: 1 step",
    started_at: "2026-01-05T07:00:00.000Z",
    finished_at: "2026-01-05T07:00:01.000Z",
    steps: [step],
    state_transitions: 3,
    polls: 0,
    critical_path: ["a"],
    report: "/x/report.html",
  };

  it("accepts a report, and refuses unknown fields, bad times and missing timings", () => {
    const validate = reportValidator();
    expect(validate(report), JSON.stringify(validate.errors)).toBe(true);
    expect(validate({ ...report, extra: 1 })).toBe(false);
    expect(validate({ ...report, steps: [{ ...step, queued_at: "yesterday" }] })).toBe(false);
    const { detected_at: _, ...withoutDetection } = step;
    expect(validate({ ...report, steps: [withoutDetection] })).toBe(false);
    expect(validate({ ...report, steps: [{ ...step, polls: -1 }] })).toBe(false);
  });
});
