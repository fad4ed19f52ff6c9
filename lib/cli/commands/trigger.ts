import { setTimeout as delay } from "node:timers/promises";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { FOLLOW_INTERVAL_MS, followExecution } from "../../deployed/follow";
import { OrganizationProgress, runProgress } from "../../deployed/run-report";
import { findPipelineMachine } from "../../deployed/stack";
import { defaultExecutionName } from "../../local/runner";
import type { RunReport } from "../../report/model";
import { commandSpec, flag, parseCommandArgs, stringValue, UsageError } from "../args";
import { CONFIG_OPTION, findPipeline, loadConfig } from "../config";
import {
  AWS_ENVIRONMENT,
  type Deployed,
  deployedContext,
  reportText,
  STACK_OPTION,
  stepShapes,
  withAws,
} from "../deployed";
import { LiveDisplay } from "../display";
import { helpRequested } from "../help";
import type { CliIO } from "../io";
import { runExitCode } from "./report";

export const TRIGGER = commandSpec({
  name: "trigger",
  usage: "trigger <pipeline> [--stack NAME] [--config FILE] [--json]",
  description:
    "Starts the deployed pipeline now (states:StartExecution) and follows it with the live " +
    `display, reading Step Functions every ${FOLLOW_INTERVAL_MS / 1000} s, until it ends; then prints its report. ` +
    "An interrupt stops following, not the execution.",
  positionals: 1,
  options: [
    STACK_OPTION,
    CONFIG_OPTION,
    {
      name: "json",
      type: "boolean",
      description: "no live display: print the report as JSON at the end",
    },
  ],
  environment: AWS_ENVIRONMENT,
  exitCodes:
    "0 the run succeeded, 1 it failed, 3 following was interrupted while it ran, 2 usage, " +
    "configuration or credential error, 70 internal error (a bug).",
});

/** Time, injected so that a test follows a whole run without waiting. */
export interface TriggerTiming {
  now: () => number;
  sleep: (ms: number, signal: AbortSignal) => Promise<void>;
}

const WALL: TriggerTiming = {
  now: () => Date.now(),
  sleep: (ms, signal) => delay(ms, undefined, { signal }).catch(() => undefined),
};

/** Starts the pipeline's deployed machine now; the execution's ARN. */
async function startPipeline(deployed: Deployed, pipeline: string, now: number): Promise<string> {
  const machine = await findPipelineMachine(deployed, pipeline);
  const started = await deployed.client.send(
    new StartExecutionCommand({
      stateMachineArn: machine,
      name: defaultExecutionName(pipeline, now),
      input: JSON.stringify({ trigger: "manual" }),
    }),
  );
  return started.executionArn ?? "";
}

/** `trigger <pipeline>`: starts it and follows it to its end. */
export async function triggerCommand(
  args: readonly string[],
  io: CliIO,
  timing: TriggerTiming = WALL,
): Promise<number> {
  const parsed = parseCommandArgs(TRIGGER, args);
  if (helpRequested(TRIGGER, parsed, io)) return 0;
  const name = parsed.positionals[0];
  if (name === undefined) {
    throw new UsageError("trigger: which pipeline? (trigger <pipeline>, see trigger --help)");
  }
  const pipeline = findPipeline(loadConfig(io.cwd, stringValue(parsed, "config")), name, io.cwd);
  const deployed = deployedContext(io, stringValue(parsed, "stack"));
  const json = flag(parsed, "json");
  const executionArn = await withAws("trigger", () => startPipeline(deployed, name, timing.now()));
  io.stderr.write(`Started ${executionArn}\n`);
  // A fan-out's children are organizations: their changes are appended as lines.
  const fanOut = !json && pipeline.fan_out !== undefined ? new OrganizationProgress() : undefined;
  const display =
    json || fanOut
      ? undefined
      : new LiveDisplay({ out: io.stdout, pipeline: name, steps: pipeline.steps, now: timing.now });
  const stop = new AbortController();
  const stopListening = io.onSignal?.(() => {
    stop.abort();
    return true;
  });
  display?.start();
  try {
    const { run, report } = await withAws("trigger", () =>
      followExecution({
        client: deployed.client,
        executionArn,
        pipeline: name,
        steps: stepShapes(pipeline),
        sleep: (ms) => timing.sleep(ms, stop.signal),
        signal: stop.signal,
        now: timing.now,
        onRead: (_read, partial) => {
          showProgress(display, partial, timing.now());
          for (const line of fanOut?.lines(partial) ?? []) io.stdout.write(`${line}\n`);
        },
      }),
    );
    display?.finish();
    for (const note of run.notes) io.stderr.write(`trigger: note: ${note}\n`);
    if (json) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else io.stdout.write(`\n${reportText(run, report, timing.now())}`);
    if (run.execution.status === "RUNNING") {
      io.stderr.write(`trigger: stopped following; the execution goes on: ${executionArn}\n`);
    }
    return runExitCode(run);
  } finally {
    stopListening?.();
    display?.finish();
  }
}

function showProgress(display: LiveDisplay | undefined, report: RunReport, now: number): void {
  if (display === undefined) return;
  for (const progress of runProgress(report, now)) display.handle({ type: "step", progress });
  display.handle({ type: "pipeline", status: report.status });
}
