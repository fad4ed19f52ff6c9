/**
 * The zod schema of pipelines.yaml as written (before defaults). Field-level rules live
 * here (types, formats, ranges, unknown keys); rules that relate fields to each other
 * (one sync per step, options of the step's sync type, timeouts against the pipeline's,
 * the dependency graph) are checked by the loader (lib/config/load.ts) so that every
 * problem is reported at once. The editor JSON Schema (pipelines.schema.json) is
 * generated from this schema by scripts/gen-config-schema.ts.
 */
import { z } from "zod";
import { cronToEventBridge, rateToEventBridge, ScheduleExpressionError } from "./cron";
import { DURATION_PATTERN, formatConfigDuration, parseDuration } from "./duration";
import { timeZoneProblem } from "./timezone";

/** Pipeline names and step ids: they become state, execution and metric names. */
export const NAME_MAX_LENGTH = 64;
export const NAME_PATTERN = new RegExp(`^[A-Za-z0-9_-]{1,${NAME_MAX_LENGTH}}$`);
export const MAX_STEPS_PER_PIPELINE = 200;

export const STEP_TIMEOUT = { min: 60, max: 24 * 3600, default: 6 * 3600 } as const;
export const PIPELINE_TIMEOUT = { min: 60, max: 48 * 3600, default: 12 * 3600 } as const;
export const POLL_LIMITS = { min: 1, max: 3600 } as const;
export const POLL_DEFAULTS = { min: 10, max: 600, strategy: "adaptive" } as const;

function describeInput(input: unknown): string {
  if (input === null) return "null";
  if (Array.isArray(input)) return "a list";
  if (typeof input === "object") return "a mapping";
  if (typeof input === "string") return `"${input}"`;
  return String(input);
}

/**
 * The JSON Schema keyword (vendor extension) that carries a duration field's range, as
 * durations (`1m`, `24h`): JSON Schema cannot bound a string's meaning. The reference
 * (lib/config/reference.ts) prints it; editors ignore it.
 */
export const DURATION_RANGE_KEY = "x-duration-range";
/** The JSON Schema keyword (vendor extension) naming what a number counts. */
export const UNIT_KEY = "x-unit";

/** A durations field (`45s`, `90m`, `2h`) limited to [min, max] seconds. */
function duration(what: string, min: number, max: number) {
  return z
    .string({ error: (iss) => `expected a duration such as 90m, got ${describeInput(iss.input)}` })
    .superRefine((text, ctx) => {
      const seconds = parseDuration(text);
      if (seconds === undefined) {
        ctx.addIssue({
          code: "custom",
          message: `invalid duration "${text}": use whole numbers with units s, m or h, such as 45s, 90m, 2h or 1h30m`,
        });
      } else if (seconds < min || seconds > max) {
        ctx.addIssue({
          code: "custom",
          message: `${text} is out of range: ${what} must be between ${formatConfigDuration(min)} and ${formatConfigDuration(max)}`,
        });
      }
    })
    .meta({
      pattern: DURATION_PATTERN,
      [DURATION_RANGE_KEY]: { min: formatConfigDuration(min), max: formatConfigDuration(max) },
    });
}

const name = (what: string) =>
  z
    .string({ error: (iss) => `expected a ${what}, got ${describeInput(iss.input)}` })
    .regex(NAME_PATTERN, {
      error: (iss) =>
        `invalid ${what} ${describeInput(iss.input)}: use 1 to 64 letters, digits, - and _`,
    })
    .meta({ minLength: 1, maxLength: NAME_MAX_LENGTH });

/** A sync by uuid or `{ name }`; `use` says what the sync is for and when a name is looked up. */
const syncRef = (type: "bulk" | "model", use = { what: "to run", when: "when the step runs" }) =>
  z
    .union(
      [
        z.guid({ error: (iss) => `invalid uuid ${describeInput(iss.input)}` }),
        z.strictObject({
          name: z
            .string()
            .trim()
            .min(1, { error: "the sync name must not be empty" })
            .meta({ description: `Sync name, looked up ${use.when}.` }),
        }),
      ],
      {
        error: (iss) =>
          `expected a ${type} sync uuid or { name: ... }, got ${describeInput(iss.input)}`,
      },
    )
    .meta({
      description: `The ${type} sync ${use.what}: its uuid, or { name: ... } to look it up by name ${use.when}.`,
    });

const nonEmptyStrings = (what: string) =>
  z.array(z.string().min(1)).min(1, {
    error: `list at least one ${what}, or leave the field out`,
  });

/** `poll:` of a step or of `defaults:`. */
export const pollSchema = z.strictObject({
  min: duration("poll.min", POLL_LIMITS.min, POLL_LIMITS.max)
    .optional()
    .meta({
      description: "Shortest wait between status checks.",
      default: formatConfigDuration(POLL_DEFAULTS.min),
    }),
  max: duration("poll.max", POLL_LIMITS.min, POLL_LIMITS.max)
    .optional()
    .meta({
      description:
        "Longest wait between status checks; at least poll.min. With webhooks it bounds polling's interval, not the timeout of a wait on a trusted webhook's event (docs/webhooks.md).",
      default: formatConfigDuration(POLL_DEFAULTS.max),
    }),
  strategy: z.enum(["adaptive", "backoff", "fixed"]).optional().meta({
    description:
      "How waits grow: adaptive (max(15 s, 10% of the elapsed time), so every end is seen within that), backoff (doubling from min) or fixed (always min); functions/core/polling.ts.",
    default: POLL_DEFAULTS.strategy,
  }),
});

/** `max_error_rate`: a percentage such as `5%` or `0.5%`, 0 to 100. */
export const PERCENT_PATTERN = /^(\d+(?:\.\d+)?)%$/;

const recordCount = (what: string) =>
  z
    .int({ error: (iss) => `expected a whole number, got ${describeInput(iss.input)}` })
    .min(0, { error: `${what} must be 0 or more` })
    .meta({ [UNIT_KEY]: "records" });

/** `expect:` of a step or of `defaults:`: what a run that otherwise succeeded must look like. */
export const expectSchema = z.strictObject({
  min_records: recordCount("min_records")
    .optional()
    .meta({ description: "At least this many records in the run." }),
  max_records: recordCount("max_records")
    .optional()
    .meta({ description: "At most this many records in the run." }),
  max_error_rate: z
    .string({ error: (iss) => `expected a percentage such as 5%, got ${describeInput(iss.input)}` })
    .regex(PERCENT_PATTERN, {
      error: (iss) => `expected a percentage such as 5% or 0.5%, got ${describeInput(iss.input)}`,
    })
    .refine((text) => Number.parseFloat(text) <= 100, { error: "max_error_rate is at most 100%" })
    .optional()
    .meta({
      description:
        "At most this share of errors, errors / (records + errors), as a percentage such as 5%.",
    }),
  max_duration: duration("max_duration", 1, STEP_TIMEOUT.max)
    .optional()
    .meta({ description: "At most this running time (Polytomic's started_at to completed_at)." }),
  schemas: z
    .record(
      z.string().min(1),
      z.strictObject({
        min_records: recordCount("min_records").meta({
          description: "At least this many records in the schema.",
        }),
      }),
    )
    .optional()
    .meta({
      description:
        "Bulk: per schema, at least this many records (a schema missing from the run saw 0).",
    }),
});

/** Step fields that `defaults:` may also set. */
const inheritableStepFields = {
  schemas: nonEmptyStrings("schema").optional().meta({
    description: "Bulk: schemas (tables) to sync; all of the sync's schemas when left out.",
  }),
  fetch_mode: z
    .enum(["none", "incremental", "full"])
    .optional()
    .meta({ description: "Bulk: how to fetch from the source." }),
  resync_mode: z
    .enum(["refetch", "resync", "rebuild"])
    .optional()
    .meta({ description: "Bulk: resync the destination (not together with test)." }),
  identities: nonEmptyStrings("identity")
    .optional()
    .meta({ description: "Model: sync only these identities." }),
  resync: z.boolean().optional().meta({ description: "Model: full resync." }),
  test: z.boolean().optional().meta({ description: "Run as a test sync." }),
  run_after: z.enum(["success", "completion"]).optional().meta({
    description:
      "success: skip this step when a dependency failed or was skipped; completion: run once dependencies ended, whatever their outcome.",
    default: "success",
  }),
  on_conflict: z.enum(["attach", "fail", "wait"]).optional().meta({
    description:
      "When the sync is already running: attach to that run, fail the step, or wait for it to end and start a new one.",
    default: "attach",
  }),
  max_errors: z
    .int({ error: (iss) => `expected a whole number, got ${describeInput(iss.input)}` })
    .min(0, { error: "max_errors must be 0 or more" })
    .optional()
    .meta({
      description: "Record errors tolerated in a completed run.",
      default: 0,
      [UNIT_KEY]: "record errors",
    }),
  fail_on_warnings: z
    .boolean()
    .optional()
    .meta({ description: "Fail a completed run that has warnings.", default: false }),
  fail_on_schema_errors: z.boolean().optional().meta({
    description: "Bulk: fail a completed run in which a schema failed.",
    default: true,
  }),
  timeout: duration("a step timeout", STEP_TIMEOUT.min, STEP_TIMEOUT.max)
    .optional()
    .meta({
      description: "Step budget: at most the pipeline's timeout, which also caps the default.",
      default: formatConfigDuration(STEP_TIMEOUT.default),
    }),
  poll: pollSchema.optional().meta({ description: "Status polling." }),
  expect: expectSchema.optional().meta({
    description:
      "Expectations of a run that otherwise succeeded; outside them the step fails with Sync.ExpectationFailed. In defaults, merged field by field. Nothing is expected by default.",
  }),
};

/** Options that belong to one sync type only. */
export const BULK_ONLY_FIELDS = ["schemas", "fetch_mode", "resync_mode"] as const;
export const MODEL_ONLY_FIELDS = ["identities", "resync"] as const;

export const stepSchema = z
  .strictObject({
    id: name("step id").meta({ description: "Unique in the pipeline." }),
    bulk_sync: syncRef("bulk").optional(),
    model_sync: syncRef("model").optional(),
    after: z
      .array(z.string({ error: (iss) => `expected a step id, got ${describeInput(iss.input)}` }))
      .optional()
      .meta({ description: "Ids of the steps that must end before this one starts.", default: [] }),
    ...inheritableStepFields,
  })
  .meta({
    description: "A sync to run.",
    oneOf: [{ required: ["bulk_sync"] }, { required: ["model_sync"] }],
  });

export const stepDefaultsSchema = z.strictObject(inheritableStepFields).meta({
  description:
    "Step fields applied to every step that does not set them (poll is merged field by field). Bulk-only and model-only options apply to steps of that sync type only.",
});

export const scheduleSchema = z
  .strictObject({
    cron: z
      .string()
      .superRefine((cron, ctx) => {
        try {
          cronToEventBridge(cron);
        } catch (error) {
          if (!(error instanceof ScheduleExpressionError)) throw error;
          ctx.addIssue({ code: "custom", message: error.message });
        }
      })
      .optional()
      .meta({ description: 'Standard 5-field cron, e.g. "0 2 * * 1-5".' }),
    rate: z
      .string()
      .superRefine((rate, ctx) => {
        try {
          rateToEventBridge(rate);
        } catch (error) {
          if (!(error instanceof ScheduleExpressionError)) throw error;
          ctx.addIssue({ code: "custom", message: error.message });
        }
      })
      .optional()
      .meta({ description: 'A rate such as "5 minutes", "1 hour" or "rate(2 days)".' }),
    timezone: z
      .string()
      .superRefine((zone, ctx) => {
        const problem = timeZoneProblem(zone);
        if (problem) ctx.addIssue({ code: "custom", message: problem });
      })
      .optional()
      .meta({ description: "IANA time zone, e.g. America/New_York.", default: "UTC" }),
  })
  .meta({
    description: "When the pipeline runs.",
    oneOf: [{ required: ["cron"] }, { required: ["rate"] }],
  });

/**
 * The most organizations one fan-out runs (`organizations:`): every organization is one
 * iteration of the pipeline machine's inline Map, and all of them share its one execution
 * history (25,000 events) and payload (256 KB). lib/constructs/fan-out.ts checks at synth
 * that this many fits, and its machine fails a run whose resolved set is larger.
 */
export const MAX_ORGANIZATIONS = 500;
/**
 * `max_concurrent_organizations`: default 10 and at most 40. An inline Map runs at most
 * 40 iterations at once (Step Functions, "Map state processing modes"); 10 keeps the
 * partner key's calls, which all count against one partner, and the run-sync executions
 * started at once (each step of each organization is one) moderate.
 */
export const ORGANIZATION_CONCURRENCY = { min: 1, max: 40, default: 10 } as const;

/** `organizations:`: a list of organization ids or names, `all`, or `{ sharing_connection }`. */
export const organizationsSchema = z
  .union(
    [
      z
        .array(
          z
            .string({
              error: (iss) =>
                `expected an organization uuid or name, got ${describeInput(iss.input)}`,
            })
            .trim()
            .min(1, { error: "an organization name must not be empty" }),
        )
        .min(1, { error: "list at least one organization, or write `all`" })
        // The loader reports a longer list (a union would report only that no form fits).
        .meta({
          maxItems: MAX_ORGANIZATIONS,
          description:
            "Organization uuids or names (names are looked up with the partner key's GET /api/organizations when the pipeline runs).",
          [UNIT_KEY]: "organizations",
        }),
      z.literal("all").meta({ description: "Every organization the partner key sees." }),
      z.strictObject({
        sharing_connection: z
          .guid({ error: (iss) => `invalid uuid ${describeInput(iss.input)}` })
          .meta({
            description:
              "A partner shared connection's uuid: the organizations it is shared with, when the pipeline runs.",
          }),
      }),
    ],
    {
      error: (iss) =>
        `expected a list of organization uuids or names, \`all\` or { sharing_connection: <uuid> }, got ${describeInput(iss.input)}`,
    },
  )
  .meta({
    description: `Run the pipeline once per organization of a Polytomic partner (docs/pipelines.md#one-pipeline-across-organizations), each as its own child execution; at most ${MAX_ORGANIZATIONS}. The secret holds the partner key; steps name their syncs by name.`,
  });

export const pipelineSchema = z.strictObject({
  description: z
    .string()
    .optional()
    .meta({ description: "Free text, shown in the state machine's comment." }),
  schedule: scheduleSchema.optional(),
  timeout: duration("a pipeline timeout", PIPELINE_TIMEOUT.min, PIPELINE_TIMEOUT.max)
    .optional()
    .meta({
      description: "Whole-pipeline budget.",
      default: formatConfigDuration(PIPELINE_TIMEOUT.default),
    }),
  notify: z
    .array(
      z.email({
        error: (iss) =>
          iss.code === "invalid_type"
            ? `expected an email address, got ${describeInput(iss.input)}`
            : `invalid email address ${describeInput(iss.input)}`,
      }),
    )
    .optional()
    .meta({
      description:
        "Emails notified by the pipeline's alarms (a topic of its own); without it, its alarms go to the deployment's topic.",
      default: [],
    }),
  organizations: organizationsSchema.optional(),
  max_concurrent_organizations: z
    .int({ error: (iss) => `expected a whole number, got ${describeInput(iss.input)}` })
    .min(ORGANIZATION_CONCURRENCY.min, {
      error: `max_concurrent_organizations must be at least ${ORGANIZATION_CONCURRENCY.min}`,
    })
    .max(ORGANIZATION_CONCURRENCY.max, {
      error: `max_concurrent_organizations must be at most ${ORGANIZATION_CONCURRENCY.max} (an inline Map runs at most ${ORGANIZATION_CONCURRENCY.max} iterations at once)`,
    })
    .optional()
    .meta({
      description: `With organizations: how many organizations run at once. The default ${ORGANIZATION_CONCURRENCY.default} keeps the partner key's API calls and the run-sync executions started at once moderate; an inline Map runs at most ${ORGANIZATION_CONCURRENCY.max} iterations at once.`,
      default: ORGANIZATION_CONCURRENCY.default,
      [UNIT_KEY]: "organizations",
    }),
  fail_when: z.enum(["any", "all"]).optional().meta({
    description:
      "With organizations: the pipeline fails when any organization failed, or only when all of them did.",
    default: "any",
  }),
  defaults: stepDefaultsSchema.optional(),
  steps: z
    .array(stepSchema)
    .min(1, { error: "a pipeline needs at least one step" })
    .max(MAX_STEPS_PER_PIPELINE, {
      error: `a pipeline has at most ${MAX_STEPS_PER_PIPELINE} steps`,
    })
    .meta({
      description: "The syncs to run, in file order; `after` orders them.",
      [UNIT_KEY]: "steps",
    }),
});

/** `freshness.check_every`: how often the freshness function reads every sync's last success. */
export const FRESHNESS_CHECK_EVERY = { min: 60, max: 3600, default: 15 * 60 } as const;
/** A `max_age`: from the shortest check interval to 30 days. */
export const FRESHNESS_MAX_AGE = { min: 60, max: 30 * 24 * 3600 } as const;
/** `freshness.max_api_calls`: Polytomic calls one check makes at most. */
export const FRESHNESS_API_CALLS = { min: 1, max: 5000, default: 200 } as const;
/** `freshness.max_pages`: execution pages read per sync at most. */
export const FRESHNESS_PAGES = { min: 1, max: 100, default: 5 } as const;

const maxAge = (what: string) =>
  duration(what, FRESHNESS_MAX_AGE.min, FRESHNESS_MAX_AGE.max).meta({
    description: `The age past which ${what === "max_age" ? "the sync" : "the schema"} is stale: the time since its last successful run.`,
  });

const boundedCount = (
  what: string,
  limits: { min: number; max: number; default: number },
  unit: string,
) =>
  z
    .int({ error: (iss) => `expected a whole number, got ${describeInput(iss.input)}` })
    .min(limits.min, { error: `${what} must be at least ${limits.min}` })
    .max(limits.max, { error: `${what} must be at most ${limits.max}` })
    .optional()
    .meta({ default: limits.default, [UNIT_KEY]: unit });

const WATCHED = { what: "to watch", when: "at each check" };

/** One sync watched for freshness (`freshness.syncs[]`). */
export const freshSyncSchema = z
  .strictObject({
    bulk_sync: syncRef("bulk", WATCHED).optional(),
    model_sync: syncRef("model", WATCHED).optional(),
    max_age: maxAge("max_age"),
    schemas: z
      .record(z.string().min(1), z.strictObject({ max_age: maxAge("schemas.max_age") }))
      .optional()
      .meta({
        description:
          "Bulk: per schema (table), its own max_age: the time since the schema last completed in a run.",
      }),
  })
  .meta({
    description:
      "A sync whose last success is checked: in a pipeline or not, including syncs Polytomic schedules itself.",
    oneOf: [{ required: ["bulk_sync"] }, { required: ["model_sync"] }],
  });

/** `freshness:`: which syncs must have succeeded recently, checked on a schedule. */
export const freshnessSchema = z.strictObject({
  check_every: duration("check_every", FRESHNESS_CHECK_EVERY.min, FRESHNESS_CHECK_EVERY.max)
    .optional()
    .meta({
      description:
        "How often the freshness function reads every sync's last success (whole minutes).",
      default: formatConfigDuration(FRESHNESS_CHECK_EVERY.default),
    }),
  max_api_calls: boundedCount("max_api_calls", FRESHNESS_API_CALLS, "API calls").meta({
    description:
      "Polytomic API calls one check makes at most; syncs it cannot read within them are reported unreadable.",
  }),
  max_pages: boundedCount("max_pages", FRESHNESS_PAGES, "pages").meta({
    description: "Execution list pages read per sync at most, looking for its last success.",
  }),
  syncs: z
    .array(freshSyncSchema)
    .min(1, { error: "list at least one sync, or leave freshness out" })
    .meta({ description: "The syncs to watch." }),
});

export const pipelinesFileSchema = z
  .strictObject({
    pipelines: z
      .record(name("pipeline name").meta({ description: "The pipeline's name." }), pipelineSchema)
      .meta({ description: "The pipelines, by name.", minProperties: 1 }),
    freshness: freshnessSchema.optional().meta({
      description:
        "Syncs that must have succeeded recently: their ages are published every check_every and alarm past max_age.",
    }),
  })
  .meta({
    title: "polytomic-orchestrator pipelines",
    description: "Pipelines of Polytomic bulk and model syncs, run in dependency order.",
  });

export type RawPipelinesFile = z.output<typeof pipelinesFileSchema>;
export type RawPipeline = z.output<typeof pipelineSchema>;
export type RawStep = z.output<typeof stepSchema>;
export type RawStepDefaults = z.output<typeof stepDefaultsSchema>;
export type RawExpect = z.output<typeof expectSchema>;
export type RawSchedule = z.output<typeof scheduleSchema>;
export type RawFreshness = z.output<typeof freshnessSchema>;
export type RawFreshSync = z.output<typeof freshSyncSchema>;
