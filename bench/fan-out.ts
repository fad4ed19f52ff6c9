/**
 * The partner fan-out at its limit (issue 15): one pipeline of 20 steps across
 * MAX_ORGANIZATIONS (500) organizations, against the Step Functions quotas that the
 * local engine does not enforce: definition size (1 MB, both machines), the fan-out
 * execution's history (25,000 events) and the largest state payload (256 KB).
 *
 * Three views of each number: the synthesized definitions as deployed; the worst case
 * `fanOutLimits` checks at synth (every start retried to the end, every name as long as
 * allowed); and a measurement, running the synthesized fan-out definition in the local
 * engine with 500 organizations whose children end at once (half of them failed, then all
 * of them, then all of them adopted after ExecutionAlreadyExists), its history modelled
 * event by event (bench/history-events.ts). The
 * per-organization execution's own history is measured the same way with steps that
 * succeed at once: it is a pipeline's, bounded as any pipeline's is.
 *
 *   npx tsx bench/fan-out.ts [--json]
 */
import { realpathSync } from "node:fs";
import type { AslDefinition } from "../lib/asl/definition";
import { parsePipelinesConfig } from "../lib/config/load";
import { MAX_ORGANIZATIONS } from "../lib/config/schema";
import { synthesizeDefinitions } from "../lib/constructs/definitions";
import {
  FAN_OUT_STATES,
  fanOutLimits,
  HISTORY_EVENTS_QUOTA,
  ORGANIZATION_NAME_ALLOWANCE,
  PAYLOAD_QUOTA,
} from "../lib/constructs/fan-out";
import { type EventLog, type LocalTask, runLocalExecution } from "../lib/local/engine";
import { VirtualClock } from "../lib/local/virtual-clock";
import { historyEvents } from "./history-events";

export const FAN_OUT_STEPS = 20;
export const DEFINITION_QUOTA_BYTES = 1024 * 1024;

/** 10 loads, each followed by its push: 20 steps naming their syncs by name. */
function fanOutYaml(): string {
  const lines = [
    "pipelines:",
    "  partner:",
    "    organizations: all",
    "    timeout: 12h",
    "    steps:",
  ];
  for (let i = 0; i < FAN_OUT_STEPS / 2; i++) {
    lines.push(`      - { id: load_${i}, bulk_sync: { name: "Load ${i}" } }`);
    lines.push(`      - { id: push_${i}, model_sync: { name: "Push ${i}" }, after: [load_${i}] }`);
  }
  return `${lines.join("\n")}\n`;
}

export interface Measured {
  history_events: number;
  largest_payload_bytes: number;
}

export interface FanOutReport {
  organizations: number;
  steps: number;
  fan_out_definition_bytes: number;
  organization_definition_bytes: number;
  definition_quota_bytes: number;
  worst_case: { history_events: number; payload_bytes: number };
  measured_half_failed: Measured;
  measured_all_failed: Measured;
  /** Every start met ExecutionAlreadyExists and adopted a failed child. */
  measured_all_adopted: Measured;
  organization_execution_history_events: number;
  history_quota: number;
  payload_quota: number;
}

/** The largest input or output of any state in the log, in bytes. */
function largestPayload(events: readonly EventLog[]): number {
  let largest = 0;
  for (const event of events) {
    for (const key of ["input", "output"] as const) {
      const value = (event as { state?: Record<string, unknown> }).state?.[key];
      if (value !== undefined)
        largest = Math.max(largest, Buffer.byteLength(JSON.stringify(value)));
    }
  }
  return largest;
}

/**
 * Runs the fan-out definition with 500 organizations whose children end at once; with
 * `adopted`, every start meets ExecutionAlreadyExists and the child is found FAILED.
 */
async function measureFanOut(
  definition: AslDefinition,
  failing: (i: number) => boolean,
  adopted = false,
) {
  const organizations = Array.from({ length: MAX_ORGANIZATIONS }, (_, i) => ({
    id: `7c1e0000-0000-4000-8000-${String(i).padStart(12, "0")}`,
    name: `${String(i).padStart(4, "0")}${"x".repeat(ORGANIZATION_NAME_ALLOWANCE - 4)}`,
  }));
  const byId = new Map(organizations.map((o, i) => [o.id, i]));
  const run: LocalTask = async (input) => {
    const id = (input as { Input: { organization_id: string } }).Input.organization_id;
    if (adopted) {
      throw Object.assign(new Error("exists"), {
        name: "StepFunctions.ExecutionAlreadyExistsException",
      });
    }
    if (failing(byId.get(id) ?? 0)) {
      throw Object.assign(new Error("{}"), { name: "States.TaskFailed" });
    }
    return { Output: {}, ExecutionArn: id };
  };
  const result = await runLocalExecution(definition, {
    name: "bench-fan-out",
    stateMachineName: "Pipeline-partner",
    input: {},
    clock: new VirtualClock(0),
    tasks: {
      [FAN_OUT_STATES.resolve]: async () => ({ organizations, count: organizations.length }),
      [FAN_OUT_STATES.run]: run,
      [FAN_OUT_STATES.findChild]: async () => ({ Status: "FAILED" }),
    },
  });
  return {
    history_events: historyEvents(definition, result.events),
    largest_payload_bytes: largestPayload(result.events),
  };
}

/** One organization's execution of the 20-step DAG, its steps ending at once. */
async function measureOrganization(definition: AslDefinition): Promise<number> {
  const output = {
    status: "succeeded",
    outcome: "completed",
    sync_id: "s",
    execution_id: "e",
    counts: {},
    logs: [],
  };
  const tasks: Record<string, LocalTask> = {};
  for (let i = 0; i < FAN_OUT_STEPS / 2; i++) {
    for (const step of [`load_${i}`, `push_${i}`]) {
      tasks[`Run ${step}`] = async () => ({ Output: output, ExecutionArn: step });
      // Only after ExecutionAlreadyExists, which never happens here.
      tasks[`Find ${step} child`] = async () => ({});
    }
  }
  const result = await runLocalExecution(definition, {
    name: "bench-organization",
    stateMachineName: "Pipeline-partner-org",
    input: { organization_id: "7c1e0000-0000-4000-8000-000000000000", organization_name: "Acme" },
    clock: new VirtualClock(0),
    tasks,
  });
  if (result.status !== "SUCCEEDED") {
    throw new Error(`bench/fan-out: the organization's run ${result.status}: ${result.cause}`);
  }
  return historyEvents(definition, result.events);
}

export async function benchFanOut(): Promise<FanOutReport> {
  const config = parsePipelinesConfig(fanOutYaml(), "bench/fan-out (generated)");
  const pipeline = config.pipelines[0];
  if (!pipeline?.fan_out) throw new Error("bench/fan-out: the pipeline has no organizations");
  const synthesized = synthesizeDefinitions(config);
  const fanOut = synthesized.pipelines.partner as AslDefinition;
  const organization = synthesized.organizations.partner?.definition as AslDefinition;
  const limits = fanOutLimits(pipeline.fan_out);
  return {
    organizations: MAX_ORGANIZATIONS,
    steps: FAN_OUT_STEPS,
    fan_out_definition_bytes: Buffer.byteLength(JSON.stringify(fanOut)),
    organization_definition_bytes: Buffer.byteLength(JSON.stringify(organization)),
    definition_quota_bytes: DEFINITION_QUOTA_BYTES,
    worst_case: { history_events: limits.historyEvents, payload_bytes: limits.payloadBytes },
    measured_half_failed: await measureFanOut(fanOut, (i) => i % 2 === 1),
    measured_all_failed: await measureFanOut(fanOut, () => true),
    measured_all_adopted: await measureFanOut(fanOut, () => true, true),
    organization_execution_history_events: await measureOrganization(organization),
    history_quota: HISTORY_EVENTS_QUOTA,
    payload_quota: PAYLOAD_QUOTA,
  };
}

/** The report as lines: each number against its quota. */
export function formatFanOut(report: FanOutReport): string[] {
  const against = (value: number, quota: number) =>
    `${value.toLocaleString("en-US")} of ${quota.toLocaleString("en-US")} (${((100 * value) / quota).toFixed(1)}%)`;
  const { history_quota: events, payload_quota: bytes } = report;
  return [
    `Fan-out of ${report.steps} steps across ${report.organizations} organizations (Step Functions quotas)`,
    `  fan-out definition bytes              ${against(report.fan_out_definition_bytes, report.definition_quota_bytes)}`,
    `  per-organization definition bytes     ${against(report.organization_definition_bytes, report.definition_quota_bytes)}`,
    `  fan-out history events, worst case    ${against(report.worst_case.history_events, events)}`,
    `  fan-out history events, half failed   ${against(report.measured_half_failed.history_events, events)}`,
    `  fan-out history events, all failed    ${against(report.measured_all_failed.history_events, events)}`,
    `  fan-out history events, all adopted   ${against(report.measured_all_adopted.history_events, events)}`,
    `  per-organization history events       ${against(report.organization_execution_history_events, events)} (steps ending at once; a step's polling is in its own run-sync execution)`,
    `  largest payload bytes, worst case     ${against(report.worst_case.payload_bytes, bytes)}`,
    `  largest payload bytes, half failed    ${against(report.measured_half_failed.largest_payload_bytes, bytes)}`,
    `  largest payload bytes, all failed     ${against(report.measured_all_failed.largest_payload_bytes, bytes)}`,
    `  largest payload bytes, all adopted    ${against(report.measured_all_adopted.largest_payload_bytes, bytes)}`,
  ];
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(import.meta.filename)) {
  const report = await benchFanOut();
  process.stdout.write(
    process.argv.includes("--json")
      ? `${JSON.stringify(report, null, 2)}\n`
      : `${formatFanOut(report).join("\n")}\n`,
  );
}
