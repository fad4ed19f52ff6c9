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

/** How a step ended (or that it never ran): every step of an ended run has one of these. */
export const STEP_STATUSES = [
  "succeeded",
  "failed",
  "skipped",
  "cancelled",
  "not_started",
] as const;

/**
 * What a step of a run still going may be doing, in a report read from a live run's
 * histories (`report`, `trigger`, the dashboard's widget): `waiting` on its dependencies
 * (no run-sync execution yet), `queued` (its run-sync execution runs and Polytomic has not
 * started the run, or no run was started yet), `running` (Polytomic started the run and
 * the step has not ended: the run may have finished and its logs be exporting). The
 * `run --json` document is written once the run ended, so its steps never have these.
 */
export const LIVE_STEP_STATUSES = ["waiting", "queued", "running"] as const;

/** A step's status in a report built from histories: an end, or (run still going) live. */
export const REPORT_STEP_STATUSES = [...STEP_STATUSES, ...LIVE_STEP_STATUSES] as const;

/** Whether a step is still going (waiting, queued or running): it has no end yet. */
export function isLive(step: { status: string }): boolean {
  return (LIVE_STEP_STATUSES as readonly string[]).includes(step.status);
}

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
  status: z.enum(REPORT_STEP_STATUSES),
  outcome: z.string(),
  execution_id: z.string().nullable().describe("Polytomic's execution id"),
  records: z.number().int().min(0),
  errors: z.number().int().min(0),
  warnings: z.number().int().min(0),
  logs: z.array(z.string()).describe("exported log files (keys under the run's output)"),
  error: errorSchema.nullable(),
});

/** How one organization of a fan-out run went (`report` of a deployed fan-out). */
export const ORGANIZATION_STATUSES = [
  "failed",
  "interrupted",
  "running",
  "waiting",
  "not_started",
  "succeeded",
] as const;

/** One organization of a deployed fan-out run, read from the fan-out's own history. */
export const organizationOutcomeSchema = z
  .object({
    id: z.string().describe("the Polytomic organization's id"),
    name: z.string(),
    status: z
      .enum(ORGANIZATION_STATUSES)
      .describe(
        "`interrupted`: its execution started and the fan-out ended without its result (stopped); `not_started`: the fan-out ended before it started; `waiting`: not started yet",
      ),
    error: z
      .string()
      .nullable()
      .describe("the error its per-organization execution ended with (or its start failed with)"),
    failed_steps: z
      .array(z.string())
      .describe(
        "the steps its execution's failure cause names (their details: `report <execution_arn>`)",
      ),
    execution_arn: z
      .string()
      .nullable()
      .describe(
        "its per-organization execution, once started: `report <execution_arn>` drills into it",
      ),
    steps_shown: z
      .boolean()
      .describe("whether its steps are in this report's `steps` (as `<organization> / <step>`)"),
  })
  .strict();

/**
 * The run report built from the pipeline's and its steps' execution histories: a local
 * run's `timeline`, and `report --json` of a deployed run, which may still be going
 * (committed as schemas/run-report.schema.json#/$defs/run_report).
 */
export const runReportSchema = z
  .object({
    pipeline: z.string(),
    execution_name: z.string(),
    status: z
      .enum(["succeeded", "failed", "interrupted", "running"])
      .describe("`running`: the pipeline execution is still going (its report so far)"),
    started_at: z.iso.datetime({ offset: true }),
    finished_at: z.iso
      .datetime({ offset: true })
      .nullable()
      .describe("when the pipeline execution ended; null while it runs"),
    as_of: z.iso
      .datetime({ offset: true })
      .describe(
        "the time the report tells up to: the pipeline's end once it ended; while it runs, when its histories were read (the live bars end there)",
      ),
    steps: z.array(reportStepSchema),
    critical_path: z
      .array(z.string())
      .describe(
        "the steps, first to last, whose ends released each other up to the pipeline's end (empty while it runs: nothing has determined its end yet)",
      ),
    organizations: z
      .array(organizationOutcomeSchema)
      .optional()
      .describe(
        "a deployed fan-out (pipeline with organizations:): every organization's outcome, failed first; `steps` then holds the steps of the first failed ones only (`report --organizations N`)",
      ),
  })
  .strict();

export type WaitingOn = z.infer<typeof waitingOnSchema>;
export type StepTiming = z.infer<typeof stepTimingSchema>;
export type ReportStep = z.infer<typeof reportStepSchema>;
export type RunReport = z.infer<typeof runReportSchema>;
export type OrganizationOutcome = z.infer<typeof organizationOutcomeSchema>;

/** A fan-out's organizations counted by status, in ORGANIZATION_STATUSES' order: "2 failed, 1 succeeded". */
export function organizationTally(organizations: readonly OrganizationOutcome[]): string {
  return ORGANIZATION_STATUSES.map(
    (status) => [status, organizations.filter((o) => o.status === status).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([status, n]) => `${n} ${status.replace("_", " ")}`)
    .join(", ");
}

/** A step of the `run --json` document: the runner's step report and its times. */
/** The organization a fan-out's step ran in (issue 15). */
const organizationSchema = z.object({ id: z.string(), name: z.string() }).strict();

export const jsonStepSchema = z
  .object({
    id: z.string(),
    organization: organizationSchema
      .optional()
      .describe("a fan-out's step (pipeline with organizations:): the organization it ran in"),
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
    critical_path: z
      .array(z.string())
      .describe(
        "the steps, first to last, whose ends released each other up to the pipeline's end",
      ),
    report: z
      .string()
      .nullable()
      .describe("the run's report.html (absolute path), null when it was not written"),
    organizations: z
      .array(
        organizationSchema
          .extend({
            status: z.enum(["succeeded", "failed", "interrupted"]),
            failed_steps: z.array(z.string()),
          })
          .strict(),
      )
      .optional()
      .describe(
        "a fan-out (pipeline with organizations:): each organization's outcome, in the order they started",
      ),
    error: errorSchema
      .optional()
      .describe(
        "only when the pipeline failed with an error of its own (not a step's); a fan-out's names the failed organizations",
      ),
  })
  .strict();

export type JsonStep = z.infer<typeof jsonStepSchema>;
export type JsonReport = z.infer<typeof jsonReportSchema>;
export type JsonOrganization = NonNullable<JsonReport["organizations"]>[number];
