/** An ajv validator of the committed schemas/run-report.schema.json, for tests. */
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Ajv2020 } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { REPORT_SCHEMA_PATH } from "../../lib/report/json-schema";

export function reportValidator() {
  const ajv = new Ajv2020({ allErrors: true, strict: false });
  addFormats.default(ajv);
  return ajv.compile(JSON.parse(readFileSync(fileURLToPath(REPORT_SCHEMA_PATH), "utf8")));
}
