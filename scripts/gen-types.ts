/**
 * Regenerates functions/polytomic/schema.d.ts from spec/polytomic-openapi.json.
 *
 *   npm run gen:types            write the file
 *   npm run gen:types -- --check exit 1 when the committed file is stale
 */
import { writeOrCheck } from "./generated-file";
import { generateSchemaTypes, SCHEMA_TYPES_PATH } from "./schema-types";

process.exitCode = await writeOrCheck(SCHEMA_TYPES_PATH, await generateSchemaTypes(), "gen:types");
