/**
 * The last step of every gen:* script: write the generated file, or with `--check` leave
 * it alone and fail when the committed copy differs (what CI and the freshness tests
 * rely on).
 */
import { readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";

/**
 * Writes `generated` to `target`, or with `--check` in `argv` compares them. Returns the
 * exit code: 1 when checking a stale file, else 0. `script` is the npm script to name.
 */
export async function writeOrCheck(
  target: URL,
  generated: string,
  script: string,
  argv: readonly string[] = process.argv,
): Promise<number> {
  const path = fileURLToPath(target);
  if (!argv.includes("--check")) {
    await writeFile(path, generated);
    console.log(`wrote ${path}`);
    return 0;
  }
  const current = await readFile(path, "utf8").catch(() => "");
  if (current !== generated) {
    console.error(`${path} is stale: run npm run ${script}`);
    return 1;
  }
  console.log(`${path} is up to date`);
  return 0;
}
