/**
 * Regenerates docs/pipelines-reference.md (every key of pipelines.yaml with its type,
 * default, units and limits) from the zod schema in lib/config/schema.ts.
 *
 *   npm run gen:config-reference            write the file
 *   npm run gen:config-reference -- --check exit 1 when the committed file is stale
 */
import { CONFIG_REFERENCE_PATH, generateConfigReference } from "../lib/config/reference";
import { writeOrCheck } from "./generated-file";

process.exitCode = await writeOrCheck(
  CONFIG_REFERENCE_PATH,
  generateConfigReference(),
  "gen:config-reference",
);
