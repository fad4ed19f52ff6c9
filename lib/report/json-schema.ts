/**
 * The JSON Schema of the `run --json` document (schemas/run-report.schema.json), generated
 * from the zod schema in lib/report/model.ts, so the two cannot disagree.
 */
import { z } from "zod";
import { jsonReportSchema } from "./model";

/** Where the committed JSON Schema lives, relative to this module. */
export const REPORT_SCHEMA_PATH = new URL("../../schemas/run-report.schema.json", import.meta.url);

/** The JSON Schema text, as committed (2-space indent, trailing newline). */
export function generateReportJsonSchema(): string {
  const schema = z.toJSONSchema(jsonReportSchema, { target: "draft-2020-12", io: "output" });
  return `${JSON.stringify({ ...schema, $id: "run-report.schema.json", title: "polytomic-orchestrator run --json report" }, null, 2)}\n`;
}
