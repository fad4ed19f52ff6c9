/**
 * report-widget: a CloudWatch dashboard custom widget showing a pipeline's latest run as
 * the run report's timeline (lib/report/html.ts), read from Step Functions
 * (functions/aws/run-histories.ts) and built as every run report is (lib/report/build.ts).
 *
 * Contract (CloudWatch "Details about custom widgets"): the dashboard invokes the function
 * with the widget's parameters and a `widgetContext` (which repeats them in `params`); the
 * function returns the HTML to show. `describe: true` asks for the widget's documentation
 * (markdown, as `{ markdown }`). The parameters are read from `widgetContext.params`, or
 * from the event itself, whichever has them (AWS's samples read them from the event).
 *
 * The one handler that imports lib/: the report's pure modules (no AWS SDK, no CDK).
 */
import { ListExecutionsCommand, SFNClient } from "@aws-sdk/client-sfn";
import type { PipelineStepShape } from "../../lib/report/build";
import { deployedRunReport } from "../../lib/report/deployed-run";
import { esc, renderTimelineFragment } from "../../lib/report/html";
import { deployedLogHref, logsLocation } from "../../lib/report/log-links";
import { readDeployedRun } from "../aws/run-histories";

/**
 * A fan-out's organizations the widget lists (failed first, the others counted), and the
 * failed ones whose steps it reads and draws: a refresh stays a few dozen history reads
 * within the function's 60 s, whatever the number of organizations.
 */
export const WIDGET_ORGANIZATIONS = 20;
export const WIDGET_ORGANIZATION_DETAILS = 3;

/** What the widget's definition passes (lib/constructs/report-widget.ts). */
export interface ReportWidgetParams {
  pipeline: string;
  stateMachineArn: string;
  steps: PipelineStepShape[];
  /** The logs bucket: each exported log links to its S3 console page. Absent: keys only. */
  logsBucket?: string;
}

export const DESCRIPTION = {
  markdown:
    "## Pipeline run timeline\nThe latest execution of a pipeline's state machine, read from its Step Functions history and its steps' run-sync executions: when each step waited, queued, ran and was noticed, coloured by outcome, with the critical path. For a pipeline with organizations (a fan-out): the organizations' outcomes, failed first, and the steps of the first failed ones. Parameters: `pipeline`, `stateMachineArn`, `steps` (`id`, `sync_type`, `after`), and optionally `logsBucket` (the exported logs link to the S3 console).",
};

function paramsOf(event: unknown): ReportWidgetParams | undefined {
  const e = (event ?? {}) as { widgetContext?: { params?: unknown } };
  for (const candidate of [e.widgetContext?.params, event]) {
    const p = candidate as Partial<ReportWidgetParams> | undefined;
    if (
      typeof p?.pipeline === "string" &&
      typeof p.stateMachineArn === "string" &&
      Array.isArray(p.steps)
    ) {
      return p as ReportWidgetParams;
    }
  }
  return undefined;
}

/** `now` (epoch ms): when a run is read, the report's `as_of` while it runs. */
export function makeHandler(client: SFNClient, now: () => number = Date.now) {
  return async (event: unknown): Promise<string | typeof DESCRIPTION> => {
    if ((event as { describe?: unknown } | undefined)?.describe) return DESCRIPTION;
    const params = paramsOf(event);
    if (params === undefined) {
      return "<p>This widget needs the parameters pipeline, stateMachineArn and steps.</p>";
    }
    const page = await client.send(
      new ListExecutionsCommand({ stateMachineArn: params.stateMachineArn, maxResults: 1 }),
    );
    const latest = page.executions?.[0]?.executionArn;
    if (latest === undefined) {
      return `<p>Pipeline ${esc(params.pipeline)} has no execution in the last 90 days.</p>`;
    }
    const run = await readDeployedRun(client, latest, {
      maxOrganizationDetails: WIDGET_ORGANIZATION_DETAILS,
    });
    const report = deployedRunReport(run, params.pipeline, params.steps, now());
    const notes = [
      ...(run.execution.status === "RUNNING" ? ["still running: the timeline so far"] : []),
      ...run.notes,
    ];
    const bucket = typeof params.logsBucket === "string" ? params.logsBucket : undefined;
    const logHref = deployedLogHref(logsLocation(bucket, params.stateMachineArn));
    const options = { logHref, maxOrganizations: WIDGET_ORGANIZATIONS };
    return `${renderTimelineFragment(report, options)}${notes.map((n) => `<p class="meta">${esc(n)}</p>`).join("")}`;
  };
}

let client: SFNClient | undefined;

/** The Lambda entry point (one client per container). */
export const handler = (event: unknown) => {
  // Throttled reads back off and retry (standard retry mode), within the 60 s timeout.
  client ??= new SFNClient({ maxAttempts: 5 });
  return makeHandler(client)(event);
};
