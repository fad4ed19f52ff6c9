import { constants } from "node:fs";
import { access, mkdir, stat } from "node:fs/promises";
import { dirname, isAbsolute, join, relative, resolve } from "node:path";
import { DEFAULT_BASE_URL } from "../../../functions/polytomic/client";
import type { PipelineConfig, PipelinesConfig } from "../../config/model";
import { FS_ERROR_REASONS } from "../../config/read-text";
import type { LocalEventWait } from "../../local/event-wait";
import type { LocalRunResult, RunEvent, StepReport } from "../../local/runner";
import { scenarioFromConfig } from "../../local/scenario-from-config";
import { type LocalClock, VirtualClock, WallClock } from "../../local/virtual-clock";
import {
  commandSpec,
  EnvironmentError,
  flag,
  type OptionName,
  type Parsed,
  parseCommandArgs,
  parseSpeed,
  SPEED_OPTION,
  stringValue,
  UsageError,
} from "../args";
import { CONFIG_OPTION, displayPath, findPipeline, loadConfig, SCENARIO_OPTION } from "../config";
import { ELAPSED_MEANING, LiveDisplay, outputColumns } from "../display";
import { plural } from "../format";
import { helpRequested } from "../help";
import type { CliIO } from "../io";
import {
  embeddedPreflight,
  GENERATED_STEPS_SUCCEED,
  PreflightError,
  type PreflightReport,
  preflight,
} from "../preflight";
import { fitLines, jsonReport, summaryText } from "../summary";
import {
  type ApiTarget,
  chooseScenario,
  chooseTarget,
  openEmbedded,
  openLive,
  partnerKeyOf,
} from "../target";

/** Where logs and metrics go when `--out` is not given. */
export const DEFAULT_OUT_DIR = ".local";

export const RUN = commandSpec({
  name: "run",
  usage: "run <pipeline> [options]",
  description:
    "Runs the pipeline's synthesized state machines locally (no AWS). By default against an " +
    "embedded Polytomic simulator in which every sync succeeds; logs and metrics go to --out. " +
    "Before any step starts, one call checks the API key and every step's sync is resolved " +
    '(with "did you mean" for names); a problem there is exit 2 with nothing started.',
  positionals: 1,
  options: [
    CONFIG_OPTION,
    { ...SCENARIO_OPTION, default: "generated from the pipelines file: every step succeeds" },
    { ...SPEED_OPTION, default: "as fast as possible" },
    {
      name: "live",
      type: "boolean",
      description:
        "use the real Polytomic API: needs POLYTOMIC_API_KEY; POLYTOMIC_API_URL overrides " +
        `the API address (default ${DEFAULT_BASE_URL})`,
    },
    {
      name: "webhooks",
      type: "boolean",
      description:
        "wait for each run's end on the simulator's webhook events, as a stack deployed with " +
        "-c webhooks=true (docs/webhooks.md); the scenario's webhooks: settings (loss, " +
        "duplicates, delay) apply. Not with --live: Polytomic cannot reach this machine",
    },
    {
      name: "json",
      type: "boolean",
      description: "print only a JSON report on stdout (no live display)",
    },
    {
      name: "out",
      type: "string",
      value: "DIR",
      description:
        "where exported logs go; each run's handler log, metrics and report.html go to its folder DIR/runs/<execution name>",
      default: DEFAULT_OUT_DIR,
    },
  ],
  environment: [
    [
      "POLYTOMIC_API_KEY",
      "API key (required with --live; sent to the embedded simulator otherwise)",
    ],
    ["POLYTOMIC_API_URL", "API address for --live"],
  ],
  exitCodes:
    "0 the pipeline succeeded, 1 it failed, 2 usage, configuration or credential error " +
    "(or an --out directory that cannot be written), 130 stopped by an interrupt, 70 internal error (a bug).",
});

/** Error names meaning the real API refused the key (--live): a credential problem, exit 2. */
const CREDENTIAL_ERRORS = new Set(["Polytomic.Unauthorized", "Polytomic.Forbidden"]);

/** The API a run talks to, and the clock its state machines run on. */
export interface Target extends ApiTarget {
  clock: LocalClock;
  /** A fan-out's partner key (the scenario's partner_key, or POLYTOMIC_PARTNER_KEY). Never printed. */
  partnerKey?: string;
}

async function embeddedTarget(
  config: PipelinesConfig,
  pipeline: PipelineConfig,
  scenarioPath: string | undefined,
  speed: number | undefined,
  io: CliIO,
): Promise<Target> {
  const named = chooseScenario(scenarioPath, io, {
    scenario: () => scenarioFromConfig(config, pipeline.name),
    name: GENERATED_STEPS_SUCCEED,
  });
  // A fan-out's syncs are looked up in each organization when it runs: a missing one fails
  // that organization's step (Sync.NotFound), not the whole run before it starts.
  if (!pipeline.fan_out) enforcePreflight(await embeddedPreflight(pipeline, named, io), io);
  // Time stands still while work is in flight, at every speed: a fault's delay is real
  // time, as a slow answer is.
  const clock = new VirtualClock(Date.now(), speed);
  const target = await openEmbedded(named, io, { command: "run", clock });
  return {
    ...target,
    ...(pipeline.fan_out ? { partnerKey: partnerKeyOf(named, "run") } : {}),
    clock,
    description: `embedded simulator at ${target.baseUrl} (scenario: ${named.shown}; ${
      speed !== undefined ? `${speed}x speed` : "virtual clock, as fast as possible"
    })`,
  };
}

/**
 * Writes the preflight's warnings to stderr.
 * @throws PreflightError with its problems, so that no step starts (exit 2)
 */
export function enforcePreflight(report: PreflightReport, io: CliIO): void {
  for (const warning of report.warnings) io.stderr.write(`warning: ${warning}\n`);
  if (report.problems.length > 0) throw new PreflightError(report.problems);
}

/** The real API, once the preflight passed. */
async function checkedLiveTarget(pipeline: PipelineConfig, io: CliIO): Promise<Target> {
  if (pipeline.fan_out) {
    // The steps run in each organization with the partner key; there is no one
    // organization to check the syncs in before the run.
    const partner = openLive(io, "run", "partner");
    return { ...partner, partnerKey: partner.apiKey, clock: new WallClock() };
  }
  const target = { ...openLive(io, "run"), clock: new WallClock() };
  enforcePreflight(await preflight(pipeline, target), io);
  return target;
}

/** makeDirectories' code for a directory whose parent exists but that cannot be created. */
const NOT_CREATABLE = "ENOTCREATABLE";

/** Why an output directory cannot be used, by error code. */
const OUT_DIR_REASONS: Record<string, string> = {
  ...FS_ERROR_REASONS,
  EEXIST: "it exists and is not a directory",
  ENOENT: "a part of the path does not exist (a broken symbolic link?)",
  EISDIR: "a file it needs is a directory",
  [NOT_CREATABLE]: "the file system there does not allow creating directories",
};

/**
 * The error to report when `err` is a file system error on `outDir` or a file in it.
 * @param given whether --out was given (otherwise `outDir` is the default)
 */
export function outDirProblem(
  err: unknown,
  outDir: string,
  given: boolean,
  cwd: string,
): EnvironmentError | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  const reason = typeof e?.code === "string" ? OUT_DIR_REASONS[e.code] : undefined;
  if (reason === undefined || typeof e?.path !== "string") return undefined;
  const rel = relative(outDir, resolve(cwd, e.path));
  // mkdir reports the directory asked for; open and write the file in it.
  if (rel.startsWith("..") || isAbsolute(rel)) return undefined;
  const where = rel === "" ? "" : ` (${displayPath(e.path, cwd)})`;
  return new EnvironmentError(
    `run: cannot write logs and metrics to ${displayPath(outDir, cwd)}${
      given ? "" : " (the default --out)"
    }: ${reason}${where}; choose a directory you can write with --out`,
  );
}

/**
 * Creates the output directory and checks that it can be written, before anything runs.
 * @throws EnvironmentError naming the directory and what is wrong with it
 */
async function prepareOutDir(outDir: string, given: boolean, cwd: string): Promise<void> {
  try {
    await makeDirectories(outDir);
    await access(outDir, constants.W_OK);
  } catch (err) {
    // access() names no path; mkdir() names the directory asked for.
    const e = err as NodeJS.ErrnoException;
    throw outDirProblem({ code: e.code, path: outDir }, outDir, given, cwd) ?? err;
  }
}

/**
 * `mkdir -p` without Node's recursive mkdir, which retries forever where the file system
 * answers ENOENT to creating an entry in a directory that exists (/proc, /sys).
 * @throws the file system's error, or one with code NOT_CREATABLE in that case
 */
async function makeDirectories(dir: string): Promise<void> {
  const missing: string[] = [];
  for (let current = dir; ; current = dirname(current)) {
    const found = await stat(current).catch((err: NodeJS.ErrnoException) => {
      if (err.code !== "ENOENT" || dirname(current) === current) throw err;
      return undefined;
    });
    if (found?.isDirectory() === false) throw fsError("EEXIST", current);
    if (found !== undefined) break;
    missing.unshift(current);
  }
  for (const path of missing) {
    await mkdir(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === "EEXIST") return;
      throw err.code === "ENOENT" ? fsError(NOT_CREATABLE, path) : err;
    });
  }
}

function fsError(code: string, path: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${path}`), { code, path });
}

/** What the command line asks `run` for, checked. */
interface RunRequest {
  name: string;
  config: PipelinesConfig;
  pipeline: PipelineConfig;
  scenarioPath: string | undefined;
  speed: number | undefined;
  live: boolean;
  /** Wait on the embedded simulator's events (--webhooks). */
  webhooks: boolean;
  json: boolean;
  outDir: string;
  /** Whether --out was given (otherwise `outDir` is the default). */
  outGiven: boolean;
}

/**
 * The checked request, with the pipelines file loaded and the pipeline found.
 * @throws UsageError, ConfigProblemsError
 */
function runRequest(parsed: Parsed<OptionName<typeof RUN>>, io: CliIO): RunRequest {
  const name = parsed.positionals[0];
  if (name === undefined)
    throw new UsageError("run: which pipeline? (run <pipeline>, see run --help)");
  const speedText = stringValue(parsed, "speed");
  const speed = parseSpeed(speedText);
  const { live, scenarioPath } = chooseTarget("run", flag(parsed, "live"), {
    scenario: stringValue(parsed, "scenario"),
    speed: speedText,
  });
  const webhooks = flag(parsed, "webhooks");
  if (live && webhooks) {
    throw new UsageError(
      "run: --webhooks waits on the embedded simulator's events; it cannot be combined with --live (Polytomic cannot deliver events to this machine)",
    );
  }
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const pipeline = findPipeline(config, name, io.cwd);
  const out = stringValue(parsed, "out");
  return {
    name,
    config,
    pipeline,
    scenarioPath,
    speed,
    live,
    webhooks,
    json: flag(parsed, "json"),
    outDir: resolve(io.cwd, out ?? DEFAULT_OUT_DIR),
    outGiven: out !== undefined,
  };
}

/**
 * The API to run against, once its preflight passed and the output directory can be written.
 * @throws PreflightError, CredentialError, UsageError, ScenarioError, EnvironmentError
 */
async function openTarget(request: RunRequest, io: CliIO): Promise<Target> {
  const { config, pipeline, scenarioPath, speed } = request;
  const target = request.live
    ? await checkedLiveTarget(pipeline, io)
    : await embeddedTarget(config, pipeline, scenarioPath, speed, io);
  try {
    await prepareOutDir(request.outDir, request.outGiven, io.cwd);
  } catch (err) {
    await target.close();
    throw err;
  }
  return target;
}

/**
 * First interrupt: stop the pipeline as StopExecution would (running syncs are cancelled)
 * and report. Second: quit at once.
 * @returns what stops listening, when `io` delivers signals
 */
function onInterrupt(
  abort: AbortController,
  display: LiveDisplay | undefined,
  live: boolean,
  io: CliIO,
): (() => void) | undefined {
  return io.onSignal?.(() => {
    if (!abort.signal.aborted) {
      abort.abort();
      display?.stopping();
      if (display === undefined || io.stdout.isTTY !== true) {
        io.stderr.write(
          "run: stopping the pipeline and cancelling running syncs (interrupt again to quit now)\n",
        );
      }
      return true;
    }
    display?.finish();
    io.stderr.write(
      live
        ? "\nrun: interrupted; Polytomic executions this run started may still be running\n"
        : "\nrun: interrupted\n",
    );
    return false;
  });
}

/** Where a run's files went: its folder (handler log, metrics) and its report.html. */
interface RunFiles {
  runDir: string;
  reportPath: string | null;
}

/** Where each run's own folder is, under the output directory. */
export const RUNS_DIR = "runs";

/** Writes the run's report.html into its folder; its path, or null without a timeline. */
async function writeRunReport(
  result: LocalRunResult,
  runDir: string,
  request: RunRequest,
): Promise<string | null> {
  if (result.timeline === undefined) return null;
  const { writeReportHtml } = await import("../../report/write");
  return writeReportHtml(result.timeline, runDir, request.outDir, !request.live);
}

/** The run's report on stdout (JSON or a summary) and its exit code. */
function report(
  result: LocalRunResult,
  request: RunRequest,
  files: RunFiles,
  aborted: boolean,
  io: CliIO,
): number {
  const { live, outDir, pipeline } = request;
  if (request.json) {
    io.stdout.write(`${JSON.stringify(jsonReport(result, outDir, files.reportPath), null, 2)}\n`);
  } else {
    const columns = outputColumns(io.stdout, io.env);
    const summary = summaryText(result, {
      pipeline,
      outDir,
      cwd: io.cwd,
      simulated: !live,
      columns,
    });
    const where = [`Run folder (handler log, metrics): ${displayPath(files.runDir, io.cwd)}`];
    if (files.reportPath !== null) where.push(`Report: ${displayPath(files.reportPath, io.cwd)}`);
    io.stdout.write(`\n${summary}${fitLines(where, columns).join("\n")}\n`);
  }
  const refused = live
    ? result.steps.find(
        (s: StepReport) => s.error !== undefined && CREDENTIAL_ERRORS.has(s.error.name),
      )
    : undefined;
  if (refused?.error !== undefined) {
    io.stderr.write(
      `run: the Polytomic API refused the API key (${refused.error.name}); check POLYTOMIC_API_KEY\n`,
    );
    return 2;
  }
  if (aborted) return 130;
  return result.status === "succeeded" ? 0 : 1;
}

/**
 * With --webhooks: the local receiver, registered as the embedded simulator's webhook, and
 * the token store the steps' waits use (lib/local/event-wait.ts).
 */
async function openEventWait(
  request: RunRequest,
  target: Target,
): Promise<LocalEventWait | undefined> {
  if (!request.webhooks || target.simulator === undefined) return undefined;
  const { startSimulatorEventWait } = await import("../../local/event-wait");
  return startSimulatorEventWait(target.simulator, {
    clock: target.clock,
    apiKey: target.apiKey,
  });
}

/**
 * `run <pipeline> [--config FILE] [--scenario FILE] [--speed N] [--webhooks] [--live] [--json] [--out DIR]`.
 * @returns 0 when the pipeline succeeded, 1 when it failed, 130 when stopped by an interrupt
 * @throws UsageError, CredentialError, ConfigProblemsError, ScenarioError, EnvironmentError
 * (an output directory that cannot be written) (exit 2)
 */
export async function runCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(RUN, args);
  if (helpRequested(RUN, parsed, io)) return 0;
  const request = runRequest(parsed, io);
  const { name, pipeline, outDir } = request;
  const target = await openTarget(request, io);
  const display = request.json
    ? undefined
    : new LiveDisplay({
        out: io.stdout,
        pipeline: name,
        // A fan-out's steps join the display as their organizations start.
        steps: pipeline.fan_out ? [] : pipeline.steps,
        now: () => target.clock.now(),
      });
  const abort = new AbortController();
  let stopListening: (() => void) | undefined;
  let eventWait: LocalEventWait | undefined;
  try {
    if (display !== undefined) {
      const across = pipeline.fan_out ? " in each organization" : "";
      const intro = `Running pipeline ${name} (${plural(pipeline.steps.length, "step")}${across}) against ${target.description}; ${ELAPSED_MEANING}`;
      io.stdout.write(`${fitLines([intro], outputColumns(io.stdout, io.env)).join("\n")}\n`);
      display.start();
    }
    stopListening = onInterrupt(abort, display, request.live, io);
    // Loaded once the command line checks out: usage errors stay fast and independent of the engine.
    const { runPipelineLocally, defaultExecutionName } = await import("../../local/runner");
    eventWait = await openEventWait(request, target);
    const executionName = defaultExecutionName(name, target.clock.now());
    const runDir = join(outDir, RUNS_DIR, executionName);
    const result = await runPipelineLocally({
      config: request.config,
      pipeline: name,
      polytomic: { baseUrl: target.baseUrl, apiKey: target.apiKey, partnerKey: target.partnerKey },
      clock: target.clock,
      outDir,
      runDir,
      executionName,
      signal: abort.signal,
      ...(eventWait
        ? {
            eventWait: {
              tokens: eventWait.tokens,
              registerWait: eventWait.registerWait,
              delivery: eventWait.delivery,
            },
          }
        : {}),
      ...(display !== undefined ? { onEvent: (event: RunEvent) => display.handle(event) } : {}),
    }).catch((err: unknown) => {
      // The directory checked out, but writing in it failed later on (full, files in the way).
      throw outDirProblem(err, outDir, request.outGiven, io.cwd) ?? err;
    });
    display?.finish();
    const reportPath = await writeRunReport(result, runDir, request).catch((err: unknown) => {
      throw outDirProblem(err, outDir, request.outGiven, io.cwd) ?? err;
    });
    return report(result, request, { runDir, reportPath }, abort.signal.aborted, io);
  } finally {
    stopListening?.();
    display?.finish();
    await eventWait?.close();
    await target.close();
  }
}
