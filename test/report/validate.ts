/** ajv validators of the committed schemas/run-report.schema.json, for tests. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { REPORT_SCHEMA_PATH, RUN_REPORT_DEF } from "../../lib/report/json-schema";

function ajvWithSchema() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  const schema = JSON.parse(readFileSync(fileURLToPath(REPORT_SCHEMA_PATH), "utf8"));
  return { ajv, schema };
}

/** The `run --json` document's validator. */
export function reportValidator() {
  const { ajv, schema } = ajvWithSchema();
  return ajv.compile(schema);
}

/** The `report --json` document's validator (the file's `#/$defs/run_report`). */
export function runReportValidator() {
  const { ajv, schema } = ajvWithSchema();
  ajv.addSchema(schema);
  const validate = ajv.getSchema(RUN_REPORT_DEF);
  if (!validate) throw new Error(`no ${RUN_REPORT_DEF} in the committed schema`);
  return validate;
}
