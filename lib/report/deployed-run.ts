/**
 * The run report of a deployed run (functions/aws/run-histories.ts reads it from Step
 * Functions), built as a local run's is: the command line and the dashboard's widget
 * (functions/report-widget) both use it.
 */
import type { DeployedRun } from "../../functions/aws/run-histories";
import { buildRunReport, type PipelineStepShape } from "./build";
import type { RunReport } from "./model";

export function deployedRunReport(
  run: DeployedRun,
  pipeline: string,
  steps: readonly PipelineStepShape[],
): RunReport {
  return buildRunReport({
    pipeline,
    steps,
    execution: run.execution,
    children: [...run.children.values()],
  });
}
