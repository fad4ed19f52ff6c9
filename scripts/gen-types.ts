/**
 * Regenerates functions/polytomic/schema.d.ts from spec/polytomic-openapi.json.
 *
 *   npm run gen:types            write the file
 *   npm run gen:types -- --check exit 1 when the committed file is stale
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { generateSchemaTypes, SCHEMA_TYPES_PATH } from "./schema-types";

const check = process.argv.includes("--check");
const generated = await generateSchemaTypes();
const target = fileURLToPath(SCHEMA_TYPES_PATH);
if (check) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== generated) {
    console.error(`${target} is stale: run npm run gen:types`);
    process.exit(1);
  }
  console.log("schema types are up to date");
} else {
  await writeFile(target, generated);
  console.log(`wrote ${target}`);
}
