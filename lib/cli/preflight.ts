/**
 * Preflight: what `run` checks before any step starts and `doctor` reports, against the
 * Polytomic API the run would use (the embedded simulator or, with --live, the real one):
 *
 * - one call checks the API key: `GET /api/syncs?limit=1` ("List Syncs"; `limit` is a
 *   documented parameter, so the call is one small page). The spec's identity endpoint
 *   (`GET /api/me`, "Get Identity") would say more about the key, but neither the client
 *   nor the simulator implements it; a key that cannot list syncs cannot run a pipeline
 *   either. A refused key (401 or 403) is a `CredentialError`, anything else that keeps
 *   the API from answering an `EnvironmentError`: one line, exit 2;
 * - every distinct sync reference of the pipeline is resolved once: an id by getting the
 *   sync (`GET /api/syncs/{id}`, `GET /api/bulk/syncs/{id}`), a name through the same
 *   `resolveSync` the start-sync handler uses, with "did you mean" from the names listed;
 * - syncs with `active: false` are reported. The spec says only that inactive syncs "do
 *   not run on their schedule"; whether a manual start of one is accepted is not
 *   documented, so it is a warning, not a problem.
 */

import type { SyncRef, SyncType } from "../../functions/core/contract";
import { resolveSync } from "../../functions/core/resolve";
import type { PolytomicApi } from "../../functions/polytomic/api";
import { PolytomicClient } from "../../functions/polytomic/client";
import { type Scenario, startSimulator } from "../../simulator";
import type { PipelineConfig, StepConfig } from "../config/model";
import { closest } from "../config/suggest";
import { CredentialError, EnvironmentError } from "./args";
import type { CliIO } from "./io";
import { embeddedDescription, embeddedKey, embeddedKeyHint, type NamedScenario } from "./target";

export { PreflightError } from "./args";

/** The API a run would talk to. */
export interface PreflightTarget {
  baseUrl: string;
  apiKey: string;
  /** How the API is named in messages ("the embedded simulator", "the Polytomic API at ..."). */
  description: string;
  /** Where the key came from, for the message when it is refused. */
  keyHint: string;
}

export interface PreflightReport {
  /** What stops a run, one line each, naming the step. */
  problems: string[];
  /** What a person should know but does not stop a run. */
  warnings: string[];
  /** The sync id each step resolved to (steps with a problem are absent). */
  resolved: Record<string, string>;
}

/** What the sync lists say about a sync (model list items and bulk syncs alike). */
interface ListedSync {
  id?: string;
  name?: string;
  active?: boolean;
}

/** What resolving one sync reference found. */
interface Resolution {
  id?: string;
  name?: string;
  active?: boolean;
  /** Why it cannot be resolved, without the step (several steps may share it). */
  problem?: string;
}

const REFUSED = new Set(["Polytomic.Unauthorized", "Polytomic.Forbidden"]);

/**
 * Checks the key, resolves every step's sync once and reports inactive syncs.
 * @throws CredentialError when the API refuses the key; EnvironmentError when it cannot be
 * asked (unreachable, failing after the client's retries)
 */
export async function preflight(
  pipeline: PipelineConfig,
  target: PreflightTarget,
  client: PolytomicApi = new PolytomicClient({ baseUrl: target.baseUrl, apiKey: target.apiKey }),
): Promise<PreflightReport> {
  const listed = new Map<SyncType, ListedSync[]>();
  const api = recordingLists(client, listed);
  const resolutions = new Map<string, Promise<Resolution>>();
  const report: PreflightReport = { problems: [], warnings: [], resolved: {} };
  try {
    await api.listModelSyncs({ limit: 1 });
    for (const step of pipeline.steps) {
      const key = `${step.sync_type} ${step.sync.id ?? `name:${step.sync.name}`}`;
      let resolution = resolutions.get(key);
      if (resolution === undefined) {
        resolution = resolveRef(api, step.sync_type, step.sync, listed);
        resolutions.set(key, resolution);
      }
      addStep(report, step, await resolution);
    }
  } catch (err) {
    throw targetError(err, target);
  }
  return report;
}

function addStep(report: PreflightReport, step: StepConfig, r: Resolution): void {
  if (r.problem !== undefined || r.id === undefined) {
    report.problems.push(`step "${step.id}": ${r.problem ?? "unresolved sync"}`);
    return;
  }
  report.resolved[step.id] = r.id;
  if (r.active === false) {
    const named = r.name !== undefined ? `"${r.name}" (${r.id})` : r.id;
    report.warnings.push(
      `step "${step.id}": the ${step.sync_type} sync ${named} is inactive (paused) in Polytomic; starting it may be refused`,
    );
  }
}

async function resolveRef(
  api: PolytomicApi,
  type: SyncType,
  ref: SyncRef,
  listed: Map<SyncType, ListedSync[]>,
): Promise<Resolution> {
  if (ref.id !== undefined) return resolveId(api, type, ref.id);
  const name = ref.name ?? "";
  try {
    const { id } = await resolveSync(api, type, ref, {});
    const found = (listed.get(type) ?? []).find((s) => s.id === id);
    return { id, name, ...(found?.active !== undefined ? { active: found.active } : {}) };
  } catch (err) {
    const e = err as Error;
    if (e.name === "Sync.AmbiguousName") return { problem: e.message };
    if (e.name !== "Sync.NotFound") throw err;
    const names = (listed.get(type) ?? []).flatMap((s) => (s.name !== undefined ? [s.name] : []));
    const guess = closest(name, names);
    return {
      problem: `no ${type} sync is named "${name}"${guess !== undefined ? ` (did you mean "${guess}"?)` : ""}`,
    };
  }
}

async function resolveId(api: PolytomicApi, type: SyncType, id: string): Promise<Resolution> {
  try {
    const sync = type === "model" ? await api.getModelSync(id) : await api.getBulkSync(id);
    return {
      id,
      ...(sync?.name !== undefined ? { name: sync.name } : {}),
      ...(sync?.active !== undefined ? { active: sync.active } : {}),
    };
  } catch (err) {
    if ((err as Error).name !== "Polytomic.NotFound") throw err;
    const other: SyncType = type === "model" ? "bulk" : "model";
    const isOther = await (other === "model" ? api.getModelSync(id) : api.getBulkSync(id)).then(
      () => true,
      () => false,
    );
    const hint = isOther ? ` (it is a ${other} sync: use ${other}_sync)` : "";
    return { problem: `no ${type} sync has the id ${id}${hint}` };
  }
}

/**
 * `client` with its sync lists called once per query (steps sharing a list share the
 * answer) and every listed sync kept by type, for "did you mean" and `active`.
 */
function recordingLists(client: PolytomicApi, listed: Map<SyncType, ListedSync[]>): PolytomicApi {
  const memo = new Map<string, Promise<unknown>>();
  const wrap =
    (method: "listModelSyncs" | "listBulkSyncs", type: SyncType) =>
    (query: unknown, options: unknown) => {
      const key = `${method} ${JSON.stringify(query ?? {})}`;
      let answer = memo.get(key);
      if (answer === undefined) {
        answer = (client[method] as (q: unknown, o: unknown) => Promise<unknown>)
          .call(client, query, options)
          .then((page) => {
            const items = Array.isArray(page) ? page : (page as { data: ListedSync[] }).data;
            listed.set(type, [...(listed.get(type) ?? []), ...(items as ListedSync[])]);
            return page;
          });
        memo.set(key, answer);
      }
      return answer;
    };
  const overrides: Record<string, unknown> = {
    listModelSyncs: wrap("listModelSyncs", "model"),
    listBulkSyncs: wrap("listBulkSyncs", "bulk"),
  };
  return new Proxy(client, {
    get(target, property, receiver) {
      if (typeof property === "string" && Object.hasOwn(overrides, property))
        return overrides[property];
      const value = Reflect.get(target, property, receiver);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
}

/** A failed call as the person running the command should read it. */
export function targetError(
  err: unknown,
  target: Pick<PreflightTarget, "description" | "keyHint">,
): Error {
  if (err instanceof CredentialError || err instanceof EnvironmentError) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  if (REFUSED.has(e.name)) {
    const status = e.name === "Polytomic.Unauthorized" ? "401 Unauthorized" : "403 Forbidden";
    return new CredentialError(
      `${target.description} refused the API key (${status}); check ${target.keyHint}`,
    );
  }
  return new EnvironmentError(`cannot ask ${target.description}: ${e.message.split("\n")[0]}`);
}

/**
 * Preflight against the embedded simulator: a second simulator from the same scenario
 * without its faults, so that the scripted and random faults (taken in request order)
 * still meet the requests of the state machines they were written for.
 */
export async function preflightScenario(
  pipeline: PipelineConfig,
  scenario: Scenario,
  target: Omit<PreflightTarget, "baseUrl">,
): Promise<PreflightReport> {
  const { random_faults: _, ...calm } = scenario;
  const twin = await startSimulator({ scenario: { ...calm, faults: [] }, host: "127.0.0.1" });
  try {
    return await preflight(pipeline, { ...target, baseUrl: twin.url });
  } finally {
    await twin.close();
  }
}

/** How `run` and `doctor` name the scenario generated from the pipelines file. */
export const GENERATED_STEPS_SUCCEED = "generated: every step succeeds";

/** The preflight against the embedded simulator serving `named`, with the key it would get. */
export function embeddedPreflight(
  pipeline: PipelineConfig,
  named: NamedScenario,
  io: CliIO,
): Promise<PreflightReport> {
  return preflightScenario(pipeline, named.scenario, {
    apiKey: embeddedKey(named.scenario, io),
    keyHint: embeddedKeyHint(named),
    description: embeddedDescription(named),
  });
}
