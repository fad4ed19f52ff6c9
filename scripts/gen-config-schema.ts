/**
 * Regenerates pipelines.schema.json (the editor schema of pipelines.yaml) from the zod
 * schema in lib/config/schema.ts.
 *
 *   npm run gen:config-schema            write the file
 *   npm run gen:config-schema -- --check exit 1 when the committed file is stale
 */
import { CONFIG_SCHEMA_PATH, generateConfigJsonSchema } from "../lib/config/json-schema";
import { writeOrCheck } from "./generated-file";

process.exitCode = await writeOrCheck(
  CONFIG_SCHEMA_PATH,
  generateConfigJsonSchema(),
  "gen:config-schema",
);
