/**
 * The run report: what one pipeline run did, step by step, and when. One zod schema is the
 * single source of the TypeScript types, of the `run --json` document and of its committed
 * JSON Schema (schemas/run-report.schema.json, `npm run gen:report-schema`).
 *
 * Times are ISO 8601 strings (UTC); `null` where the run never got there or the history
 * does not say. Three clocks meet here, and each field says whose it is:
 * - Polytomic's own timestamps of the run (`queued_at`, `started_at`, `finished_at`: the
 *   execution's `created_at`, `started_at`, `completed_at` in the API reference);
 * - the state machines' (`released_at`, `submitted_at`, `detected_at`, `ended_at`,
 *   `waiting_on[].released_at`): Step Functions history event times;
 * - in a local run both are the run's clock (the simulator's virtual clock or the wall).
 */
import { z } from "zod";

const time = z.iso.datetime({ offset: true }).nullable();
const errorSchema = z.object({ name: z.string(), message: z.string() });

export const STEP_STATUSES = [
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "not_started",
] as const;

/** A dependency of a step, and when it let the step go. */
export const waitingOnSchema = z
  .object({
    step: z.string().describe("the step depended on (`after`)"),
    released_at: time.describe(
      "when that step's run-sync execution ended (or it was skipped): the machine's time",
    ),
  })
  .strict();

/**
 * What the histories say of a step's times, beyond the runner's step report: the fields
 * `run --json` adds to each step.
 */
export const stepTimingSchema = z.object({
  after: z.array(z.string()).describe("the step's dependencies, as in the pipelines file"),
  waiting_on: z
    .array(waitingOnSchema)
    .describe("each dependency and when it released the step (empty: none)"),
  released_at: time.describe(
    "when the last dependency released the step (the pipeline's start for a step without dependencies)",
  ),
  submitted_at: time.describe("when the step's run-sync execution started (the machine's time)"),
  queued_at: time.describe("Polytomic's created_at of the run: when it was queued"),
  started_at: time.describe("Polytomic's started_at of the run: when it began running"),
  finished_at: time.describe("Polytomic's completed_at of the run"),
  detected_at: time.describe(
    "when the machine knew the run ended: the check-status answer that saw it terminal (or past the step's timeout)",
  ),
  ended_at: time.describe(
    "when the step's run-sync execution ended (logs exported, metrics published)",
  ),
  polls: z.number().int().min(0).describe("check-status calls that checked the run"),
  api_retries: z
    .number()
    .int()
    .min(0)
    .describe("Polytomic API calls retried after transient faults, starting and checking"),
  failure_text: z
    .string()
    .nullable()
    .describe("Polytomic's own words on why the run failed (redacted, one line), if it sent any"),
  critical: z
    .boolean()
    .describe("on the critical path: the chain of steps that determined the pipeline's end"),
});

/** A step of the run report built from histories (lib/report/build.ts). */
export const reportStepSchema = stepTimingSchema.extend({
  id: z.string(),
  sync_type: z.enum(["model", "bulk"]),
  status: z.enum(STEP_STATUSES),
  outcome: z.string(),
  execution_id: z.string().nullable().describe("Polytomic's execution id"),
  records: z.number().int().min(0),
  errors: z.number().int().min(0),
  warnings: z.number().int().min(0),
  logs: z.array(z.string()).describe("exported log files (keys under the run's output)"),
  error: errorSchema.nullable(),
});

/** The run report built from the pipeline's and its steps' execution histories. */
export const runReportSchema = z.object({
  pipeline: z.string(),
  execution_name: z.string(),
  status: z.enum(["succeeded", "failed", "interrupted"]),
  started_at: z.iso.datetime({ offset: true }),
  finished_at: z.iso.datetime({ offset: true }),
  steps: z.array(reportStepSchema),
  critical_path: z
    .array(z.string())
    .describe("the steps, first to last, whose ends released each other up to the pipeline's end"),
});

export type WaitingOn = z.infer<typeof waitingOnSchema>;
export type StepTiming = z.infer<typeof stepTimingSchema>;
export type ReportStep = z.infer<typeof reportStepSchema>;
export type RunReport = z.infer<typeof runReportSchema>;

/** A step of the `run --json` document: the runner's step report and its times. */
export const jsonStepSchema = z
  .object({
    id: z.string(),
    sync_type: z.enum(["model", "bulk"]),
    sync_id: z.string().nullable(),
    status: z.enum(STEP_STATUSES),
    outcome: z.string(),
    execution_id: z.string().nullable(),
    duration_seconds: z
      .number()
      .min(0)
      .nullable()
      .describe(
        "Polytomic's running time of the run (started_at to completed_at); without it, the step's elapsed time",
      ),
    records: z.number().int().min(0),
    errors: z.number().int().min(0),
    warnings: z.number().int().min(0),
    logs: z.array(z.string()).describe("exported log files, absolute paths"),
    error: errorSchema.optional(),
    cancel: z
      .object({ confirmed: z.boolean(), status: z.string() })
      .strict()
      .optional()
      .describe("set when the step's run was cancelled because the run was stopped"),
  })
  .extend(stepTimingSchema.shape)
  .strict();

/** The `run --json` document. */
export const jsonReportSchema = z
  .object({
    pipeline: z.string(),
    status: z.enum(["succeeded", "failed", "interrupted"]),
    message: z.string().describe("one short line saying how it went"),
    started_at: z.iso.datetime({ offset: true }),
    finished_at: z.iso.datetime({ offset: true }),
    steps: z.array(jsonStepSchema),
    state_transitions: z.number().int().min(0),
    polls: z.number().int().min(0),
    critical_path: runReportSchema.shape.critical_path,
    report: z
      .string()
      .nullable()
      .describe("the run's report.html (absolute path), null when it was not written"),
    error: errorSchema
      .optional()
      .describe("only when the pipeline failed with an error of its own (not a step's)"),
  })
  .strict();

export type JsonStep = z.infer<typeof jsonStepSchema>;
export type JsonReport = z.infer<typeof jsonReportSchema>;
