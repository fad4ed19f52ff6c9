/**
 * Follows a deployed pipeline execution until it ends, by polling Step Functions
 * (DescribeExecution, GetExecutionHistory) every `intervalMs`. Children that ended are
 * not read again. Time is injected (`sleep`, `now`), so a test follows a whole run
 * without waiting.
 */
import type { SFNClient } from "@aws-sdk/client-sfn";
import type { ExecutionRecord } from "../../functions/aws/run-histories";
import { type DeployedRun, readDeployedRun } from "../../functions/aws/run-histories";
import type { PipelineStepShape } from "../report/build";
import { deployedRunReport } from "../report/deployed-run";
import type { RunReport } from "../report/model";

/** Between two reads of a running execution: modest, as GetExecutionHistory is rate-limited. */
export const FOLLOW_INTERVAL_MS = 10_000;

export interface FollowOptions {
  client: SFNClient;
  executionArn: string;
  pipeline: string;
  steps: readonly PipelineStepShape[];
  /** Waits `ms`; resolves early (or at once) when the follow should stop looking. */
  sleep: (ms: number) => Promise<void>;
  /** Called after each read, with the run and its report so far. */
  onRead: (run: DeployedRun, report: RunReport) => void;
  /** Stops following (the execution goes on). */
  signal?: AbortSignal;
  /** @default FOLLOW_INTERVAL_MS */
  intervalMs?: number;
}

/** The run and its report once the execution ended (or following was stopped). */
export async function followExecution(
  options: FollowOptions,
): Promise<{ run: DeployedRun; report: RunReport }> {
  const ended = new Map<string, ExecutionRecord>();
  for (;;) {
    const run = await readDeployedRun(options.client, options.executionArn, { ended });
    for (const [arn, child] of run.children) if (child.status !== "RUNNING") ended.set(arn, child);
    const report = deployedRunReport(run, options.pipeline, options.steps);
    options.onRead(run, report);
    if (run.execution.status !== "RUNNING" || options.signal?.aborted) return { run, report };
    await options.sleep(options.intervalMs ?? FOLLOW_INTERVAL_MS);
  }
}
