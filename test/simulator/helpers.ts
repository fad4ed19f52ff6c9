import { expect } from "vitest";
import {
  ManualClock,
  parseScenario,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
  validateResponse,
} from "../../simulator";

export const BULK = "9f1c0d2e-0000-4000-8000-000000000001";
export const MODEL = "9f1c0d2e-0000-4000-8000-000000000002";
export const KEY = "sim-key";

// biome-ignore lint/suspicious/noExplicitAny: every body is validated against the spec schema before tests read it
export type Body = any;

export interface Harness {
  sim: RunningSimulator;
  clock: ManualClock;
  /** Calls the API, checks the response against the spec for `template`, returns status/body. */
  call(
    method: string,
    path: string,
    template: string,
    init?: { body?: unknown; headers?: Record<string, string>; rawBody?: string },
  ): Promise<{ status: number; body: Body; headers: Headers }>;
}

export async function harness(
  yaml: string,
  extra: Partial<Omit<SimulatorOptions, "scenario" | "clock">> = {},
): Promise<Harness> {
  const clock = new ManualClock();
  const sim = await startSimulator({
    scenario: parseScenario(yaml, "test.yaml"),
    clock,
    validateResponses: true,
    ...extra,
  });
  return {
    sim,
    clock,
    async call(method, path, template, init = {}) {
      const headers: Record<string, string> = { authorization: `Bearer ${KEY}`, ...init.headers };
      let body: string | undefined = init.rawBody;
      if (init.body !== undefined) {
        body = JSON.stringify(init.body);
        headers["content-type"] = "application/json";
      }
      const res = await fetch(sim.url + path, {
        method,
        headers,
        ...(body !== undefined ? { body } : {}),
      });
      const text = await res.text();
      const parsed = text === "" ? undefined : JSON.parse(text);
      expect(validateResponse(method, template, res.status, parsed), `${method} ${path}`).toEqual(
        [],
      );
      return { status: res.status, body: parsed, headers: res.headers };
    },
  };
}

export const T = {
  modelStart: "/api/syncs/{id}/executions",
  modelExecution: "/api/syncs/{sync_id}/executions/{id}",
  modelStatus: "/api/syncs/{id}/status",
  modelList: "/api/syncs/{sync_id}/executions",
  modelCancel: "/api/syncs/{sync_id}/executions/{id}/cancel",
  modelConsole: "/api/syncs/{sync_id}/executions/{id}/consolelog",
  modelLogs: "/api/syncs/{sync_id}/executions/{id}/{type}",
  syncs: "/api/syncs",
  sync: "/api/syncs/{id}",
  bulkStart: "/api/bulk/syncs/{id}/executions",
  bulkExecution: "/api/bulk/syncs/{id}/executions/{exec_id}",
  bulkStatus: "/api/bulk/syncs/{id}/status",
  bulkList: "/api/bulk/syncs/{id}/executions",
  bulkCancel: "/api/bulk/syncs/{id}/executions/{exec_id}/cancel",
  bulkExport: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs/export",
  job: "/api/jobs/{type}/{id}",
  bulkLogs: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs",
  bulkConsole: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/consolelog",
  bulkSyncs: "/api/bulk/syncs",
  bulkSync: "/api/bulk/syncs/{id}",
} as const;

export function scenario(model: string, bulk: string, rest = ""): string {
  return `api_key: ${KEY}
syncs:
  ${BULK}:
    type: bulk
    name: Salesforce to Snowflake
${bulk.replace(/^/gm, "    ")}
  ${MODEL}:
    type: model
    name: Contacts to HubSpot
${model.replace(/^/gm, "    ")}
${rest}`;
}

/**
 * Scenario lines (under `syncs:`) for `count` bulk syncs named `<prefix> <i>`, with ids
 * 9f1c0d2e-0000-4000-8000-<from + i, 12 digits>.
 */
export function bulkSyncEntries(count: number, from: number, prefix = "Bulk"): string {
  return Array.from(
    { length: count },
    (_, i) =>
      `  9f1c0d2e-0000-4000-8000-${String(from + i).padStart(12, "0")}:\n    type: bulk\n    name: ${prefix} ${i}`,
  ).join("\n");
}

/**
 * A simulator `sleep` that holds a delayed request in flight: `inFlight` resolves once a
 * request is being delayed, which goes on only after `release()`.
 */
export function heldSleep(): {
  sleep: (ms: number) => Promise<void>;
  inFlight: Promise<void>;
  release: () => void;
} {
  let delayed = () => {};
  let release = () => {};
  const inFlight = new Promise<void>((r) => {
    delayed = r;
  });
  const held = new Promise<void>((r) => {
    release = r;
  });
  return {
    sleep: () => {
      delayed();
      return held;
    },
    inFlight,
    release: () => release(),
  };
}
