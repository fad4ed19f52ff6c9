/**
 * freshness-notice: run by an EventBridge rule when a freshness alarm goes into ALARM, with
 * the watched syncs and the alarm's change as its input; re-reads that sync's last success
 * and publishes the notice to the alarm topic (functions/core/freshness-notice.ts).
 */

import { awsDeps } from "../aws/aws-deps";
import { polytomicFromEnv } from "../aws/polytomic-from-env";
import { snsNoticesFromEnv } from "../aws/sns";
import type { Deps } from "../core/deps";
import { type FreshnessNoticeResult, sendFreshnessNotice } from "../core/freshness-notice";
import { parseFreshnessNoticeInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<FreshnessNoticeResult> {
  return (event, context) =>
    invoke("freshness-notice", deps, event, context, (log, budget) =>
      sendFreshnessNotice(parseFreshnessNoticeInput(event), deps, log, budget),
    );
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(
  () => awsDeps({ polytomic: polytomicFromEnv, notices: snsNoticesFromEnv }),
  makeHandler,
);
