/**
 * Test harness: a simulator on a ManualClock and a PolytomicClient pointed at it, with the
 * client's `now` and `sleep` bound to the same clock, so retries and deadlines take no real
 * time and every wait is recorded.
 */

import { PolytomicClient, type PolytomicClientOptions } from "../../functions/polytomic/client";
import type { RetryInfo } from "../../functions/polytomic/http";
import {
  ManualClock,
  parseScenario,
  type RequestLogEntry,
  type RunningSimulator,
  startSimulator,
} from "../../simulator";

export const BULK = "9f1c0d2e-0000-4000-8000-000000000001";
export const MODEL = "9f1c0d2e-0000-4000-8000-000000000002";
/** A sync id no scenario defines. */
export const UNKNOWN = "9f1c0d2e-0000-4000-8000-0000000000ff";
export const KEY = "sim_key_DO-NOT-LEAK_0123456789";

export interface Setup {
  sim: RunningSimulator;
  clock: ManualClock;
  client: PolytomicClient;
  /** Every wait the client asked for, in order. */
  slept: number[];
  retries: RetryInfo[];
  /** The simulator's request log for API requests (optionally one endpoint). */
  requests(endpoint?: RequestLogEntry["endpoint"]): RequestLogEntry[];
  /** A client on the same simulator and clock with other options. */
  makeClient(options?: Partial<PolytomicClientOptions>): PolytomicClient;
}

const running: RunningSimulator[] = [];

/** Closes every simulator started by `setup` (call from afterEach). */
export async function closeAll(): Promise<void> {
  await Promise.all(running.splice(0).map((s) => s.close()));
}

/**
 * Starts a simulator for `syncsAndFaults` (YAML under `api_key: KEY`) and a client with a
 * deterministic jitter (`random` 0.5 unless given).
 */
export async function setup(
  yaml: string,
  options: Partial<PolytomicClientOptions> = {},
): Promise<Setup> {
  const clock = new ManualClock();
  const sim = await startSimulator({
    scenario: parseScenario(`api_key: ${KEY}\n${yaml}`, "client-test.yaml"),
    clock,
    validateResponses: true,
    // `delay_seconds` faults really wait (scaled down 100x) so per-attempt timeouts can fire.
    sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms / 100)),
  });
  running.push(sim);
  const slept: number[] = [];
  const retries: RetryInfo[] = [];
  const makeClient = (extra: Partial<PolytomicClientOptions> = {}) =>
    new PolytomicClient({
      apiKey: KEY,
      baseUrl: sim.url,
      now: () => clock.now(),
      sleep: async (ms) => {
        slept.push(ms);
        clock.advance(ms);
      },
      random: () => 0.5,
      onRetry: (info) => retries.push(info),
      ...options,
      ...extra,
    });
  return {
    sim,
    clock,
    client: makeClient(),
    slept,
    retries,
    requests: (endpoint) =>
      sim.requests().filter((r) => endpoint === undefined || r.endpoint === endpoint),
    makeClient,
  };
}

/** A model sync and a bulk sync with the given extra YAML lines each, plus `rest`. */
export function syncs(model = "", bulk = "", rest = ""): string {
  const indent = (s: string) => s.replace(/^(?=.)/gm, "    ");
  return `syncs:
  ${MODEL}:
    type: model
    name: Contacts to HubSpot
${indent(model)}
  ${BULK}:
    type: bulk
    name: Salesforce to Snowflake
${indent(bulk)}
${rest}`;
}

/** Awaits a promise expected to reject and returns the error. */
export async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error("expected the promise to reject, but it resolved");
}

let counter = 0;
/** A fresh valid Idempotency-Key. */
export function idem(prefix = "test"): string {
  counter += 1;
  return `${prefix}-${process.pid}-${counter}-key`;
}
