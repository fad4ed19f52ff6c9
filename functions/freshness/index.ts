/**
 * freshness: run by a schedule every `check_every` with the pipelines file's `freshness`
 * as its input; reads each watched sync's last success and publishes the ages
 * (functions/core/freshness-publish.ts).
 */

import { awsDeps } from "../aws/aws-deps";
import { cloudWatchFromEnv } from "../aws/cloudwatch";
import { polytomicFromEnv } from "../aws/polytomic-from-env";
import type { Deps } from "../core/deps";
import { type FreshnessResult, runFreshnessCheck } from "../core/freshness-publish";
import { parseFreshnessInput } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<FreshnessResult> {
  return (event, context) =>
    invoke("freshness", deps, event, context, (log, budget) =>
      runFreshnessCheck(parseFreshnessInput(event), deps, log, budget),
    );
}

/** The Lambda entry point (deps built on the first invocation). */
export const handler = lazyHandler(
  () => awsDeps({ polytomic: polytomicFromEnv, metrics: cloudWatchFromEnv }),
  makeHandler,
);
