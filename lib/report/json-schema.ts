/**
 * The JSON Schema of the `run --json` document (schemas/run-report.schema.json), generated
 * from the zod schemas in lib/report/model.ts, so they cannot disagree. The report of a
 * deployed run (`report --json`, built from its histories, possibly still running) is
 * described in the same file at `#/$defs/run_report`.
 */
import { z } from "zod";
import { jsonReportSchema, runReportSchema } from "./model";

/** Where the committed JSON Schema lives, relative to this module. */
export const REPORT_SCHEMA_PATH = new URL("../../schemas/run-report.schema.json", import.meta.url);

export const REPORT_SCHEMA_ID = "run-report.schema.json";
/** The `report --json` document's schema, within the file. */
export const RUN_REPORT_DEF = `${REPORT_SCHEMA_ID}#/$defs/run_report`;

/** The JSON Schema text, as committed (2-space indent, trailing newline). */
export function generateReportJsonSchema(): string {
  const options = { target: "draft-2020-12", io: "output" } as const;
  const { $schema: _, ...runReport } = z.toJSONSchema(runReportSchema, options);
  const schema = z.toJSONSchema(jsonReportSchema, options);
  return `${JSON.stringify(
    {
      ...schema,
      $id: REPORT_SCHEMA_ID,
      title: "polytomic-orchestrator run --json report",
      $defs: {
        run_report: {
          ...runReport,
          title: "polytomic-orchestrator report --json: a deployed run's report",
        },
      },
    },
    null,
    2,
  )}\n`;
}
