/**
 * Regenerates schemas/run-report.schema.json (the format of `run --json`) from the zod
 * schema in lib/report/model.ts.
 *
 *   npm run gen:report-schema            write the file
 *   npm run gen:report-schema -- --check exit 1 when the committed file is stale
 */
import { generateReportJsonSchema, REPORT_SCHEMA_PATH } from "../lib/report/json-schema";
import { writeOrCheck } from "./generated-file";

process.exitCode = await writeOrCheck(
  REPORT_SCHEMA_PATH,
  generateReportJsonSchema(),
  "gen:report-schema",
);
