/**
 * Repository paths the constructs need at synth time (handler entries, lock file).
 * Resolved from this file's location so `cdk synth` works from any working directory.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Absolute path of the repository root. */
export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** The five Lambda functions of the product; each has its handler at functions/<name>/index.ts. */
export const FUNCTION_NAMES = [
  "start-sync",
  "check-status",
  "export-logs",
  "publish-metrics",
  "cancel-sync",
] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

/** The freshness check's function (lib/constructs/freshness.ts), outside the run's five. */
export const FRESHNESS_FUNCTION = "freshness";
/** The function that sends a freshness alarm's notice (lib/constructs/freshness.ts). */
export const FRESHNESS_NOTICE_FUNCTION = "freshness-notice";

/** The webhook receiver's function (lib/constructs/webhook-receiver.ts). */
export const WEBHOOK_FUNCTION = "webhook";

/** The token wait's functions (lib/constructs/event-wait.ts): store a token, resume a wait. */
export const REGISTER_WAIT_FUNCTION = "register-wait";
export const WAKE_FUNCTION = "wake";

/** The partner fan-out's function (issue 15): which organizations a pipeline runs in. */
export const RESOLVE_ORGANIZATIONS_FUNCTION = "resolve-organizations";

/** The directory holding the handlers (functions/<name>/index.ts). */
export const FUNCTIONS_DIR = join(REPO_ROOT, "functions");

/** Absolute path of a function's handler entry under `functionsDir`. */
export function functionEntry(
  name:
    | FunctionName
    | typeof FRESHNESS_FUNCTION
    | typeof FRESHNESS_NOTICE_FUNCTION
    | typeof WEBHOOK_FUNCTION
    | typeof REGISTER_WAIT_FUNCTION
    | typeof WAKE_FUNCTION
    | typeof RESOLVE_ORGANIZATIONS_FUNCTION,
  functionsDir: string = FUNCTIONS_DIR,
): string {
  return join(functionsDir, name, "index.ts");
}
