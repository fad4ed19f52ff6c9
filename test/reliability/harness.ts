/**
 * End-to-end harness for the reliability suite: the synthesized pipeline and run-sync
 * definitions run in aws-local-stepfunctions (runPipelineDefinitions, as runPipelineLocally
 * does), the real handler modules, the real PolytomicClient over HTTP to the simulator, all
 * on one VirtualClock. Unlike runPipelineLocally it lets a test tune the client (attempt
 * timeout, jitter), wire the client's retry log lines into the handler log (as production
 * does), swap the log and metrics sinks, and run many pipelines on one simulator.
 */

import { makeHandler as cancelHandler } from "../../functions/cancel-sync";
import { makeHandler as checkHandler } from "../../functions/check-status";
import type { StepInput } from "../../functions/core/contract";
import type { DeliveryStore } from "../../functions/core/delivery";
import { createDeps, type Deps } from "../../functions/core/deps";
import { JsonLogger } from "../../functions/core/logger";
import type { LogSink, MetricDatum, MetricsSink, PolytomicApi } from "../../functions/core/ports";
import { Redactor } from "../../functions/core/redact";
import { makeHandler as exportHandler } from "../../functions/export-logs";
import { PolytomicClient, type PolytomicClientOptions } from "../../functions/polytomic/client";
import { makeHandler as publishHandler } from "../../functions/publish-metrics";
import { makeHandler as startHandler } from "../../functions/start-sync";
import { parsePipelinesConfig } from "../../lib/config/load";
import type { PipelinesConfig } from "../../lib/config/model";
import { synthesizeDefinitions } from "../../lib/constructs/definitions";
import {
  type EventLog,
  type LocalExecutionResult,
  type LocalTask,
  runLocalExecution,
} from "../../lib/local/engine";
import { localExecutionHistory } from "../../lib/local/execution-history";
import {
  type FunctionName,
  type LocalApp,
  type LocalRunResult,
  type RunEvent,
  runPipelineDefinitions,
} from "../../lib/local/runner";
import { VirtualClock } from "../../lib/local/virtual-clock";
import {
  parseScenario,
  type RunningSimulator,
  type Scenario,
  startSimulator,
} from "../../simulator";

export const KEY = "reliability-key-0001";
export const T0 = Date.UTC(2026, 0, 5, 2, 0, 0);

/** Deterministic sync ids: `uuid(7)` -> 9f1c0d2e-0000-4000-8000-000000000007. */
export function uuid(n: number): string {
  return `9f1c0d2e-0000-4000-8000-${n.toString(16).padStart(12, "0")}`;
}

export interface World {
  clock: VirtualClock;
  sim: RunningSimulator;
  /** Ended executions' events by ARN: the history cancel-sync reads. */
  histories: Map<string, EventLog[]>;
  close(): Promise<void>;
}

export interface WorldOptions {
  /**
   * How the simulator spends a `delay_seconds` fault: "virtual" sleeps on the clock (the
   * request holds the caller busy, so the client's real attempt timer fires first: use it
   * for responses slower than the client's timeout); "real" sleeps real time (keep it short).
   * @default "virtual"
   */
  delays?: "virtual" | "real";
  /** Check every response against the spec (slower). @default true */
  validateResponses?: boolean;
}

/** A simulator on a fresh VirtualClock. */
export async function world(
  scenario: string | Scenario,
  options: WorldOptions = {},
): Promise<World> {
  const clock = new VirtualClock(T0);
  const sim = await startSimulator({
    scenario: typeof scenario === "string" ? parseScenario(scenario, "scenario.yaml") : scenario,
    clock,
    validateResponses: options.validateResponses ?? true,
    ...(options.delays === "real" ? {} : { sleep: (ms: number) => clock.sleep(ms) }),
  });
  return { clock, sim, histories: new Map(), close: () => sim.close() };
}

/** Sinks that keep everything in memory. */
export class MemorySinks {
  readonly objects = new Map<string, string>();
  readonly metrics: MetricDatum[][] = [];

  readonly logSink: LogSink = {
    put: async (key, body) => {
      if (typeof body === "string") {
        this.objects.set(key, body);
        return;
      }
      const chunks: Buffer[] = [];
      for await (const chunk of body as AsyncIterable<Uint8Array>) chunks.push(Buffer.from(chunk));
      this.objects.set(key, Buffer.concat(chunks).toString("utf8"));
    },
  };

  readonly metricsSink: MetricsSink = {
    put: async (data) => {
      this.metrics.push(data);
    },
  };
}

export interface HandlerOptions {
  /** Client options (defaults: 5 attempts, 30 s per attempt of real time). */
  client?: Partial<PolytomicClientOptions>;
  apiKey?: string;
  /** Wraps the real client (odd answers the simulator cannot give). */
  wrap?: (api: PolytomicApi) => PolytomicApi;
  logs?: LogSink;
  metrics?: MetricsSink;
  /** @default "debug" */
  logLevel?: "debug" | "info" | "warn" | "error";
  /** With webhooks: the measured delivery check-status and start-sync decide with. */
  delivery?: DeliveryStore;
}

export interface Handlers {
  deps: Deps;
  functions: Record<FunctionName, LocalTask>;
  /** Every handler log line (JSON), client retry warnings included. */
  lines: string[];
  sinks: MemorySinks;
}

/** The five real handlers bound to deps that talk to `w.sim` on `w.clock`. */
export function handlers(w: World, options: HandlerOptions = {}): Handlers {
  const lines: string[] = [];
  const redactor = new Redactor();
  const apiKey = options.apiKey ?? KEY;
  redactor.register(apiKey);
  const logger = new JsonLogger({
    redactor,
    level: options.logLevel ?? "debug",
    now: () => new Date(w.clock.now()),
    write: (line) => lines.push(line),
  });
  const sleep = (ms: number) => w.clock.sleep(ms);
  const client = new PolytomicClient({
    apiKey,
    baseUrl: w.sim.url,
    sleep,
    now: () => w.clock.now(),
    logger: {
      debug: (msg, data) => logger.debug(msg, { ...data }),
      warn: (msg, data) => logger.warn(msg, { ...data }),
    },
    ...options.client,
  });
  const sinks = new MemorySinks();
  const deps = createDeps({
    polytomic: options.wrap ? options.wrap(client) : client,
    logs: options.logs ?? sinks.logSink,
    metrics: options.metrics ?? sinks.metricsSink,
    clock: { now: () => w.clock.now() },
    sleep,
    redactor,
    logger,
    executionHistory: localExecutionHistory((arn) => w.histories.get(arn)),
    ...(options.delivery ? { delivery: options.delivery } : {}),
  });
  const bind = (make: (d: Deps) => (e: unknown) => Promise<unknown>): LocalTask => {
    const h = make(deps);
    return (input) => h(input);
  };
  return {
    deps,
    lines,
    sinks,
    functions: {
      "start-sync": bind(startHandler),
      "check-status": bind(checkHandler),
      "export-logs": bind(exportHandler),
      "publish-metrics": bind(publishHandler),
      "cancel-sync": bind(cancelHandler),
    },
  };
}

const apps = new Map<string, LocalApp>();

/**
 * The synthesized definitions of `config`, cached by its content: the soak runs the same
 * 25 pipelines in every round, and a synth costs more than a whole simulated run.
 */
export function localApp(config: PipelinesConfig): LocalApp {
  const key = JSON.stringify(config);
  const known = apps.get(key);
  if (known) return known;
  const synthesized = synthesizeDefinitions(config);
  const app: LocalApp = {
    runSync: {
      stateMachineName: "run-sync",
      definition: synthesized.runSync,
      taskFunctions: synthesized.taskFunctions,
    },
    pipelines: Object.fromEntries(
      Object.entries(synthesized.pipelines).map(([name, definition]) => [
        name,
        { stateMachineName: `pipeline-${name}`, definition },
      ]),
    ),
  };
  apps.set(key, app);
  return app;
}

export function config(yaml: string): PipelinesConfig {
  return parsePipelinesConfig(yaml, "pipelines.yaml");
}

export interface RunOptions {
  executionName?: string;
  signal?: AbortSignal;
  onEvent?: (event: RunEvent) => void;
}

/** Runs one pipeline execution to its end through the local engine. */
export function runPipeline(
  w: World,
  h: Handlers,
  cfg: PipelinesConfig,
  pipeline: string,
  options: RunOptions = {},
): Promise<LocalRunResult> {
  return runPipelineDefinitions({
    app: localApp(cfg),
    config: cfg,
    pipeline,
    functions: h.functions,
    clock: w.clock,
    executionName: options.executionName ?? `${pipeline}-run-1`,
    histories: w.histories,
    ...(options.signal ? { signal: options.signal } : {}),
    ...(options.onEvent ? { onEvent: options.onEvent } : {}),
  });
}

/** Parsed handler log lines. */
export function logRecords(lines: string[]): Array<Record<string, unknown>> {
  return lines.map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Lets simulated time pass (e.g. for a cancel to reach `canceled`). */
export async function pass(w: World, seconds: number): Promise<void> {
  await w.clock.sleep(seconds * 1000);
}

/** Executions the test started (history excluded) that are not terminal now. */
export function stillRunning(w: World): string[] {
  return w.sim
    .executions()
    .filter((e) => !e.history && !e.terminal)
    .map((e) => `${e.syncId}/${e.id}: ${e.status}`);
}

/** A run-sync input for a model step (override anything). */
export function stepInput(overrides: Partial<StepInput> = {}): StepInput {
  return {
    pipeline: "manual",
    step: "push",
    execution_name: "manual-1",
    sync_type: "model",
    sync: { id: uuid(1) },
    options: {},
    on_conflict: "attach",
    policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
    poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
    timeout_seconds: 3600,
    ...overrides,
  };
}

const RUN_SYNC_ONLY = config(`pipelines:
  one:
    steps:
      - id: push
        model_sync: ${uuid(1)}
`);

/** Runs the synthesized run-sync machine once (a manual start, or a child execution). */
export function runStep(
  w: World,
  h: Handlers,
  input: unknown,
  options: { name?: string; signal?: AbortSignal } = {},
): Promise<LocalExecutionResult> {
  const app = localApp(RUN_SYNC_ONLY);
  const tasks: Record<string, LocalTask> = {};
  for (const [state, fn] of Object.entries(app.runSync.taskFunctions))
    tasks[state] = h.functions[fn];
  return runLocalExecution(app.runSync.definition, {
    name: options.name ?? "manual-step",
    stateMachineName: app.runSync.stateMachineName,
    input,
    clock: w.clock,
    tasks,
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
