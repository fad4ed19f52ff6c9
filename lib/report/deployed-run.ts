/**
 * The run report of a deployed run (functions/aws/run-histories.ts reads it from Step
 * Functions), built as a local run's is: the command line and the dashboard's widget
 * (functions/report-widget) both use it. A fan-out's report is the local run's shape
 * (lib/local/runner.ts): the steps of each organization shown, as `<organization> /
 * <step>` (`fanOutReport`), with every organization's outcome in `organizations`; only the
 * first failed organizations' steps are read and shown.
 */
import type { DeployedFanOut, DeployedRun } from "../../functions/aws/run-histories";
import { buildRunReport, fanOutReport, type PipelineStepShape } from "./build";
import type { OrganizationOutcome, RunReport } from "./model";

/** `readAt` (epoch ms): when the run was read, the `as_of` of a run still going. */
export function deployedRunReport(
  run: DeployedRun,
  pipeline: string,
  steps: readonly PipelineStepShape[],
  readAt: number,
): RunReport {
  if (run.fanOut) return fanOutRunReport(run, run.fanOut, pipeline, steps, readAt);
  return buildRunReport({
    pipeline,
    steps,
    execution: run.execution,
    children: [...run.children.values()],
    readAt,
  });
}

function fanOutRunReport(
  run: DeployedRun,
  fanOut: DeployedFanOut,
  pipeline: string,
  steps: readonly PipelineStepShape[],
  readAt: number,
): RunReport {
  const own = buildRunReport({
    pipeline,
    steps: [],
    execution: run.execution,
    children: [],
    readAt,
  });
  const shown = fanOut.organizations.flatMap((organization) => {
    const read = fanOut.runs.get(organization.id);
    return read
      ? [{ name: organization.name, report: deployedRunReport(read, pipeline, steps, readAt) }]
      : [];
  });
  const organizations = fanOut.organizations.map(
    (o): OrganizationOutcome => ({
      id: o.id,
      name: o.name,
      status: o.status,
      error: o.error,
      failed_steps: o.failedSteps,
      execution_arn: o.executionArn,
      steps_shown: fanOut.runs.has(o.id),
    }),
  );
  return { ...fanOutReport(own, shown), organizations };
}
