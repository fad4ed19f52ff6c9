/**
 * Runs pipelines the way `runPipelineLocally` does (synthesized definitions in
 * aws-local-stepfunctions, the real handler modules bound to local adapters, the embedded
 * simulator on a virtual clock), but synthesizes once and starts a fresh simulator and
 * clock per run, so hundreds of runs fit in a benchmark. Each run also records when
 * check-status first saw the Polytomic run terminal (for detection latency).
 */

import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { checkInvocation, StillRunning } from "../functions/core/check";
import type { CheckResult } from "../functions/core/contract";
import type { PipelinesConfig } from "../lib/config/model";
import { synthesizeDefinitions } from "../lib/constructs/definitions";
import type { EventLog, LocalTask } from "../lib/local/engine";
import {
  type LocalEventWait,
  sharedDeliveryStore,
  startSimulatorEventWait,
} from "../lib/local/event-wait";
import { createLocalDeps } from "../lib/local/local-deps";
import {
  type FunctionName,
  type LocalApp,
  type LocalRunResult,
  localAppOf,
  runPipelineDefinitions,
} from "../lib/local/runner";
import { VirtualClock } from "../lib/local/virtual-clock";
import type { Scenario } from "../simulator/scenario";
import { startSimulator } from "../simulator/server";
import type { SimulatorExecution } from "../simulator/state";

/** Where every simulated run starts: a fixed instant, so reports are reproducible. */
export const BENCH_EPOCH = Date.UTC(2025, 0, 6, 2, 0, 0);
const API_KEY = "bench-key";

/**
 * Synthesizes the app for `config` (no bundling) and shapes it for the local runner; with
 * `webhooks`, the stack's event-driven waiting (the run-sync machine's token wait).
 */
export function synthesizeLocalApp(
  config: PipelinesConfig,
  options?: { webhooks: boolean },
): LocalApp {
  return localAppOf(synthesizeDefinitions(config, options));
}

type MakeHandler = (deps: never) => (input: unknown) => Promise<unknown>;

let handlerModules: Promise<Record<FunctionName, MakeHandler>> | undefined;

/** The same handler modules the Lambda functions run (loaded once). */
function loadHandlers(): Promise<Record<FunctionName, MakeHandler>> {
  handlerModules ??= Promise.all([
    import("../functions/start-sync/index"),
    import("../functions/check-status/index"),
    import("../functions/export-logs/index"),
    import("../functions/publish-metrics/index"),
    import("../functions/cancel-sync/index"),
  ]).then(([start, check, exportLogs, publish, cancel]) => ({
    "start-sync": start.makeHandler as unknown as MakeHandler,
    "check-status": check.makeHandler as unknown as MakeHandler,
    "export-logs": exportLogs.makeHandler as unknown as MakeHandler,
    "publish-metrics": publish.makeHandler as unknown as MakeHandler,
    "cancel-sync": cancel.makeHandler as unknown as MakeHandler,
  }));
  return handlerModules;
}

export interface BenchRun {
  result: LocalRunResult;
  /** The executions the run started in the simulator (history runs left out). */
  simulated: SimulatorExecution[];
  /** Simulated epoch ms at which check-status first reported each execution terminal. */
  terminalSeenAt: Map<string, number>;
  /** Every check-status result, in order. */
  checks: CheckResult[];
  /**
   * Polytomic API calls the run made (the simulator's request log), the webhook's own
   * registration left out: status calls, the start, and any list call.
   */
  api_calls: number;
}

export interface BenchRunOptions {
  app: LocalApp;
  config: PipelinesConfig;
  pipeline: string;
  scenario: Scenario;
  /** @default BENCH_EPOCH */
  startMs?: number;
  /**
   * Wait on the simulator's events (`app` synthesized with webhooks; the scenario's
   * `webhooks:` says what is lost). @default false
   */
  eventWait?: boolean;
}

/** Runs one pipeline against a fresh simulator on a fresh virtual clock. */
export async function runBench(options: BenchRunOptions): Promise<BenchRun> {
  const clock = new VirtualClock(options.startMs ?? BENCH_EPOCH);
  const simulator = await startSimulator({ scenario: options.scenario, clock });
  const outDir = await mkdtemp(join(tmpdir(), "orchestrator-bench-"));
  const histories = new Map<string, EventLog[]>();
  // With webhooks, the delivery record is the app's (one deployment): its runs learn from
  // each other's events (lib/local/event-wait.ts sharedDeliveryStore).
  const eventWait: LocalEventWait | undefined = options.eventWait
    ? await startSimulatorEventWait(simulator, {
        clock,
        apiKey: API_KEY,
        delivery: sharedDeliveryStore(options.app),
      })
    : undefined;
  const waits = eventWait && {
    tokens: eventWait.tokens,
    registerWait: eventWait.registerWait,
    delivery: eventWait.delivery,
  };
  const local = await createLocalDeps({
    polytomic: { baseUrl: simulator.url, apiKey: API_KEY },
    clock,
    outDir,
    histories,
    ...(waits ? { eventWait: waits } : {}),
  });
  const terminalSeenAt = new Map<string, number>();
  const checks: CheckResult[] = [];
  try {
    const handlers = await loadHandlers();
    const functions = {} as Record<FunctionName, LocalTask>;
    for (const [name, make] of Object.entries(handlers) as [FunctionName, MakeHandler][]) {
      const handler = make(local.deps as never);
      functions[name] =
        name === "check-status"
          ? async (input) => {
              const output = (await handler(input).catch((error: unknown) => {
                // A run still going, in the retry loop: a check all the same (check.ts).
                if (error instanceof StillRunning) checks.push(error.check);
                throw error;
              })) as CheckResult;
              const state = checkInvocation(input).state as { start?: { execution_id?: string } };
              const executionId = state.start?.execution_id;
              checks.push(output);
              if (output.terminal && executionId && !terminalSeenAt.has(executionId)) {
                terminalSeenAt.set(executionId, clock.now());
              }
              return output;
            }
          : (input) => handler(input);
    }
    const result = await runPipelineDefinitions({
      app: options.app,
      config: options.config,
      pipeline: options.pipeline,
      functions,
      clock,
      executionName: `bench-${options.pipeline}`.slice(0, 80),
      histories,
      ...(waits ? { eventWait: waits } : {}),
    });
    const simulated = simulator.executions().filter((e) => !e.history);
    const api_calls = simulator
      .requests()
      .filter((r) => !r.path.startsWith("/api/webhooks")).length;
    return { result, simulated, terminalSeenAt, checks, api_calls };
  } finally {
    await eventWait?.close();
    await local.close();
    await simulator.close();
    await rm(outDir, { recursive: true, force: true });
  }
}
