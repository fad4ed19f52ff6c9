/**
 * Regenerates pipelines.schema.json (the editor schema of pipelines.yaml) from the zod
 * schema in lib/config/schema.ts.
 *
 *   npm run gen:config-schema            write the file
 *   npm run gen:config-schema -- --check exit 1 when the committed file is stale
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CONFIG_SCHEMA_PATH, generateConfigJsonSchema } from "../lib/config/json-schema";

const check = process.argv.includes("--check");
const generated = generateConfigJsonSchema();
const target = fileURLToPath(CONFIG_SCHEMA_PATH);
if (check) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== generated) {
    console.error(`${target} is stale: run npm run gen:config-schema`);
    process.exit(1);
  }
  console.log("pipelines.schema.json is up to date");
} else {
  await writeFile(target, generated);
  console.log(`wrote ${target}`);
}
