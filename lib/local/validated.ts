/**
 * Validating a definition (asl-validator, through the engine) compiles a JSON Schema
 * each time: about 0.15 s of CPU per definition, a tenth of a 50-step run. A definition
 * that passed is remembered on disk, by the SHA-256 of the definition, the options and
 * the engine's and validator's versions, so later runs of the same pipeline skip it.
 * Only a pass is remembered: an invalid definition is validated (and refused) every time.
 */
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { AslDefinition } from "../asl/definition";
import { REPO_ROOT } from "../constructs/paths";
import { StateMachine, VALIDATOR_VERSIONS } from "./local-stepfunctions";

/** Where passes are remembered (git-ignored). */
export const VALIDATED_CACHE_DIR = join(REPO_ROOT, ".cache", "asl-validated");

const OPTIONS = { checkArn: false, checkPaths: true } as const;

/**
 * Throws (the engine's validation error) when `definition` is not valid ASL.
 * @returns whether it was validated now (false: it passed before, with the same validator)
 */
export function validateDefinition(
  definition: AslDefinition,
  cacheDir: string = VALIDATED_CACHE_DIR,
): boolean {
  const key = createHash("sha256")
    .update(JSON.stringify([VALIDATOR_VERSIONS, OPTIONS, definition]))
    .digest("hex");
  const marker = join(cacheDir, key);
  if (existsSync(marker)) return false;
  new StateMachine(definition as never, { validationOptions: OPTIONS });
  try {
    mkdirSync(cacheDir, { recursive: true });
    writeFileSync(marker, "");
  } catch {
    // A cache that cannot be written only costs the next run its validation.
  }
  return true;
}
