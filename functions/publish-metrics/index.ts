/**
 * publish-metrics: one PutMetricData call for the step run. Input: RunState (start, check
 * and logs when the run got that far). Never throws for CloudWatch trouble.
 */

import { awsDeps } from "../aws/aws-deps";
import { cloudWatchFromEnv } from "../aws/cloudwatch";
import type { PublishMetricsResult } from "../core/contract";
import type { Deps } from "../core/deps";
import { parseMetricsState } from "../core/input";
import { lazyHandler } from "../core/lazy";
import { publishMetrics } from "../core/publish";
import { type Handler, invoke } from "../core/runtime";

export function makeHandler(deps: Deps): Handler<PublishMetricsResult> {
  return (event, context) =>
    invoke("publish-metrics", deps, event, context, (log) =>
      publishMetrics(parseMetricsState(event), deps, log),
    );
}

/** The Lambda entry point (deps built on the first invocation; no Polytomic calls). */
export const handler = lazyHandler(() => awsDeps({ metrics: cloudWatchFromEnv }), makeHandler);
