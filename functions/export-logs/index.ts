/**
 * export-logs: copies the run's logs to the log store. Input: RunState with `start`, and
 * optionally `log_types` (model log types; default from LOG_TYPES or errors + warnings).
 * Never throws for export trouble: the result says `exported: false`.
 */

import { awsDeps } from "../aws/aws-deps";
import { partnerFromEnv, polytomicFromEnv } from "../aws/polytomic-from-env";
import { s3SinkFromEnv } from "../aws/s3-sink";
import type { ExportLogsResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { exportLogs } from "../core/export";
import { parseLogTypes, parseStartedState } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { inOrganization } from "../core/organization";
import { type Handler, invoke, NO_CARRIED_RETRIES } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<ExportLogsResult> {
  return (event, context) =>
    invoke(
      "export-logs",
      deps,
      event,
      context,
      (log, budget) => {
        const state = parseStartedState(event);
        const raw = (event as { log_types?: unknown }).log_types;
        const types = raw === undefined ? deps.config.logTypes : parseLogTypes(raw, "log_types");
        return inOrganization(deps, state, (scoped) =>
          exportLogs(state, types, scoped, log, budget),
        );
      },
      { retries: NO_CARRIED_RETRIES },
    );
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(
  () => awsDeps({ polytomic: polytomicFromEnv, partner: partnerFromEnv, logs: s3SinkFromEnv }),
  makeHandler,
);
