/**
 * The scenario `run` uses when none is given: every sync of the pipeline exists in the
 * embedded simulator and succeeds, with plausible, deterministic durations and counts
 * (bulk syncs take tens of minutes to hours, model syncs minutes), so the example
 * pipeline runs end to end without a hand-written scenario.
 */
import { createHash } from "node:crypto";
import {
  type BulkStartOptions,
  type OrganizationsSpec,
  UUID_PATTERN,
} from "../../functions/core/contract";
import type { Scenario, SchemaScenario, SyncScenario } from "../../simulator/scenario";
import type { PipelineConfig, PipelinesConfig, StepConfig } from "../config/model";

/** Namespace of the name-derived sync ids (a fixed, random uuid). */
const NAME_NAMESPACE = "3a6b8f0e-5c1d-4e7a-9b2f-6d0c4e8a1f37";

/**
 * A deterministic uuid for a sync given by name, shaped like a version 5 uuid (SHA-1 of a
 * namespace and the type and name). The same name and type always give the same id.
 */
export function syncIdFromName(syncType: "model" | "bulk", name: string): string {
  const hash = createHash("sha1")
    .update(NAME_NAMESPACE)
    .update("\0")
    .update(syncType)
    .update("\0")
    .update(name)
    .digest();
  const b = Buffer.from(hash.subarray(0, 16));
  b[6] = ((b[6] ?? 0) & 0x0f) | 0x50;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  const hex = b.toString("hex");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The sync id a step runs against in the generated scenario (lower case). */
export function scenarioSyncId(step: StepConfig): string {
  if (step.sync.id !== undefined) return step.sync.id.toLowerCase();
  if (step.sync.name !== undefined) return syncIdFromName(step.sync_type, step.sync.name);
  throw new Error(`step "${step.id}" names no sync (neither id nor name)`);
}

/** A stream of deterministic numbers in [0, 1) seeded by a string. */
function randomFrom(seed: string): () => number {
  let counter = 0;
  return () => {
    const h = createHash("sha1").update(seed).update(String(counter++)).digest();
    return h.readUInt32BE(0) / 0x1_0000_0000;
  };
}

function between(random: () => number, min: number, max: number, step = 1): number {
  return min + Math.floor((random() * (max - min)) / step) * step;
}

function defaultName(step: StepConfig): string {
  const words = step.id.replace(/[-_]+/g, " ").trim();
  return `${words.charAt(0).toUpperCase()}${words.slice(1)} (${step.sync_type} sync)`;
}

function syncFor(step: StepConfig, id: string): SyncScenario {
  const random = randomFrom(`${step.sync_type}:${id}`);
  const bulk = step.sync_type === "bulk";
  // Bulk: 20 minutes to 3 hours, in whole minutes. Model: 2 to 15 minutes, in 10 s steps.
  const duration = bulk ? between(random, 20 * 60, 3 * 3600, 60) : between(random, 120, 900, 10);
  const records = bulk
    ? between(random, 50_000, 2_000_000, 1000)
    : between(random, 1_000, 50_000, 10);
  const history = [0.92, 1.05, 0.98, 1.1, 0.95].map((f) => Math.round(duration * f));
  const schemaNames = bulk ? ((step.options as BulkStartOptions).schemas ?? []) : [];
  return {
    id,
    type: step.sync_type,
    name: step.sync.name ?? defaultName(step),
    active: true,
    queue_seconds: between(random, 3, 30),
    duration_seconds: duration,
    cancel_seconds: 2,
    outcome: "completed",
    records,
    errors: 0,
    warnings: 0,
    schemas: splitRecords(schemaNames, records),
    history_seconds: history,
    export_seconds: 3,
    export_outcome: "done",
  };
}

function splitRecords(names: readonly string[], records: number): SchemaScenario[] {
  if (names.length === 0) return [];
  const share = Math.floor(records / names.length);
  return names.map((name, i) => ({
    name,
    outcome: "completed",
    records: i === 0 ? records - share * (names.length - 1) : share,
    errors: 0,
    warnings: 0,
  }));
}

/**
 * A scenario in which every step of `pipeline` succeeds. Syncs given by name get an id
 * derived from the name ({@link syncIdFromName}) and are registered under that name, so
 * name resolution finds them. A sync used by several steps appears once; a bulk sync's
 * schemas are the union of its steps' `schemas` options.
 * @throws Error when the pipeline is not in the config
 */
export function scenarioFromConfig(config: PipelinesConfig, pipeline: string): Scenario {
  const found = config.pipelines.find((p) => p.name === pipeline);
  if (found === undefined) {
    const known = config.pipelines.map((p) => p.name).join(", ") || "(none)";
    throw new Error(`unknown pipeline "${pipeline}" in ${config.source}; known: ${known}`);
  }
  if (found.fan_out) return partnerScenario(config, found, found.fan_out.organizations);
  return {
    source: `generated for pipeline "${pipeline}" of ${config.source}`,
    syncs: stepSyncs(found.steps, scenarioSyncId),
    faults: [],
  };
}

/** Every step's sync, once per id (`idOf`); a bulk sync's schemas are its steps' union. */
function stepSyncs(
  steps: readonly StepConfig[],
  idOf: (step: StepConfig) => string,
): Record<string, SyncScenario> {
  const syncs: Record<string, SyncScenario> = {};
  for (const step of steps) {
    const id = idOf(step);
    const existing = syncs[id];
    if (existing === undefined) {
      syncs[id] = syncFor(step, id);
      continue;
    }
    const extra = ((step.options as BulkStartOptions).schemas ?? []).filter(
      (name) => step.sync_type === "bulk" && !existing.schemas.some((s) => s.name === name),
    );
    if (extra.length > 0) {
      const names = [...existing.schemas.map((s) => s.name), ...extra];
      existing.schemas = splitRecords(names, existing.records);
    }
  }
  return syncs;
}

/** The partner key of a generated partner scenario (docs/partners.md). */
export const GENERATED_PARTNER_KEY = "local-partner-key";
/** Organizations a generated scenario gives `all` or a shared connection. */
const GENERATED_ORGANIZATIONS = 3;

/**
 * A fan-out's scenario (issue 15): a partner key and the organizations `organizations:`
 * names (a listed name gets a name-derived id, a listed uuid a name from it; `all` and a
 * shared connection get three, the connection shared with each), each with every step's
 * sync, succeeding, under an id derived from the organization too; with `all`, the
 * partner's own organization (which Get Organizations lists too) has them as well.
 */
function partnerScenario(
  config: PipelinesConfig,
  pipeline: PipelineConfig,
  spec: OrganizationsSpec,
): Scenario {
  const organizations = generatedOrganizations(spec);
  // `all` includes the partner's own organization: it gets the syncs too.
  const syncs: Record<string, SyncScenario> =
    "all" in spec ? stepSyncs(pipeline.steps, scenarioSyncId) : {};
  for (const organization of organizations) {
    const idOf = (step: StepConfig) =>
      syncIdFromName(step.sync_type, `${organization.id}\0${scenarioSyncId(step)}`);
    for (const sync of Object.values(stepSyncs(pipeline.steps, idOf))) {
      syncs[sync.id] = { ...sync, organization_id: organization.id };
    }
  }
  const shared = "sharing_connection" in spec ? spec.sharing_connection.toLowerCase() : undefined;
  return {
    source: `generated for pipeline "${pipeline.name}" of ${config.source}`,
    partner_key: GENERATED_PARTNER_KEY,
    organization_name: "Partner",
    ...(shared ? { connections: [{ id: shared, name: "Shared connection" }] } : {}),
    organizations: organizations.map((organization) => ({
      ...organization,
      users: [],
      connections: shared
        ? [
            {
              id: syncIdFromName("model", `${organization.id}\0connection`),
              name: `Shared connection (${organization.name})`,
              shared_from: shared,
            },
          ]
        : [],
    })),
    syncs,
    faults: [],
  };
}

function generatedOrganizations(spec: OrganizationsSpec): { id: string; name: string }[] {
  const named = (name: string) => ({ id: syncIdFromName("model", `organization\0${name}`), name });
  if (!("list" in spec)) {
    return Array.from({ length: GENERATED_ORGANIZATIONS }, (_, i) => named(`Customer ${i + 1}`));
  }
  return spec.list.map((entry) =>
    UUID_PATTERN.test(entry)
      ? { id: entry.toLowerCase(), name: `Organization ${entry.slice(0, 8)}` }
      : named(entry),
  );
}

/**
 * The scenario `freshness` uses when none is given: every pipeline's generated syncs (each
 * with its generated history, the latest run ending an hour before the simulator starts),
 * and every watched sync that no pipeline runs, which has never run (a sync Polytomic
 * schedules itself, as far as the generated world knows, never succeeded).
 */
export function freshnessScenarioFromConfig(config: PipelinesConfig): Scenario {
  const syncs: Record<string, SyncScenario> = {};
  // A fan-out's syncs are in its customers' organizations; freshness reads the secret's.
  for (const pipeline of config.pipelines.filter((p) => !p.fan_out)) {
    Object.assign(syncs, scenarioFromConfig(config, pipeline.name).syncs);
  }
  for (const watched of config.freshness?.syncs ?? []) {
    const step = {
      id: watched.label,
      sync_type: watched.type,
      sync: watched.sync,
      options: { schemas: watched.schemas.map((s) => s.schema) },
    } as StepConfig;
    const id = scenarioSyncId(step);
    syncs[id] ??= { ...syncFor(step, id), history_seconds: [] };
  }
  return { source: `generated from ${config.source}`, syncs, faults: [] };
}
