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
  /** The time (epoch ms) of each read: a running report's `as_of`. @default Date.now */
  now?: () => number;
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
    // A fan-out's organizations are read from its own history; the steps of its failed
    // ones only once it ended (they would be read again on every read, to show nothing new).
    let run = await readDeployedRun(options.client, options.executionArn, {
      ended,
      maxOrganizationDetails: 0,
    });
    const going = run.execution.status === "RUNNING" && !options.signal?.aborted;
    if (run.fanOut && !going) run = await readDeployedRun(options.client, options.executionArn);
    for (const [arn, child] of run.children) if (child.status !== "RUNNING") ended.set(arn, child);
    const readAt = (options.now ?? Date.now)();
    const report = deployedRunReport(run, options.pipeline, options.steps, readAt);
    options.onRead(run, report);
    if (!going) return { run, report };
    await options.sleep(options.intervalMs ?? FOLLOW_INTERVAL_MS);
  }
}
