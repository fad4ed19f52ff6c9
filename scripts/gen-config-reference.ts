/**
 * Regenerates docs/pipelines-reference.md (every key of pipelines.yaml with its type,
 * default, units and limits) from the zod schema in lib/config/schema.ts.
 *
 *   npm run gen:config-reference            write the file
 *   npm run gen:config-reference -- --check exit 1 when the committed file is stale
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { CONFIG_REFERENCE_PATH, generateConfigReference } from "../lib/config/reference";

const check = process.argv.includes("--check");
const generated = generateConfigReference();
const target = fileURLToPath(CONFIG_REFERENCE_PATH);
if (check) {
  const current = await readFile(target, "utf8").catch(() => "");
  if (current !== generated) {
    console.error(`${target} is stale: run npm run gen:config-reference`);
    process.exit(1);
  }
  console.log("docs/pipelines-reference.md is up to date");
} else {
  await writeFile(target, generated);
  console.log(`wrote ${target}`);
}
