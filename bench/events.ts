/**
 * Benchmark 1c, event-driven waiting (issue 16.5): every run of a workload goes through the
 * run-sync machine synthesized with webhooks, its step waiting on the simulator's signed
 * events (lib/local/event-wait.ts) with 0%, 10% and 50% of them lost, next to the same runs
 * under adaptive polling (no webhooks). Per run, as in polling.ts: status calls
 * (check-status invocations), Polytomic API calls (the start and the first wait's list call
 * too), state transitions and detection latency.
 *
 * Each loss rate is its own deployment: a fresh app, so a fresh delivery record
 * (functions/core/delivery.ts; shared by that app's runs, lib/local/event-wait.ts
 * sharedDeliveryStore). The record starts unknown (poll), so each deployment first runs a
 * warm-up of WARMUP_RUNS of the workload's runs, NOT measured (reported on their own line);
 * then every run of the workload is measured with what the record has learned, and it goes
 * on learning from them, as a deployment would.
 */
import type { PipelinesConfig } from "../lib/config/model";
import type { LocalApp } from "../lib/local/runner";
import { synthesizeLocalApp } from "./harness";
import { measure, pollingConfig, type RunMeasure, STRATEGIES, type Strategy } from "./polling";
import { mapLimit, mean, median, percentile } from "./stats";
import {
  DEFAULT_WORKLOAD,
  generateWorkload,
  HELD_OUT_WORKLOADS,
  type WorkloadOptions,
} from "./workload";

/** The event loss rates the issue asks for. */
export const EVENT_LOSSES = [0, 0.1, 0.5] as const;

/** Runs of the workload each deployment runs first, unmeasured (their figures are reported apart). */
export const WARMUP_RUNS = 8;

/** The step's polling settings: the default (adaptive) one, which the event fallback extends. */
const ADAPTIVE = STRATEGIES.find((s) => s.key === "default") as Strategy;

export interface EventsVariant {
  /** "adaptive" (polling alone), or "events-<loss %>". */
  key: string;
  label: string;
  /** Share of events lost; null for polling alone. */
  loss: number | null;
  runs: number;
  polls_mean: number;
  polls_p95: number;
  /** Polytomic API calls: status calls, the start, the first wait's list call when trusted. */
  api_calls_mean: number;
  transitions_mean: number;
  latency_median: number;
  latency_p95: number;
  latency_mean: number;
  /** Mean over runs of latency / duration, percent. */
  latency_pct_mean: number;
  /** Runs seen later than max(15 s, 10% of the run) (polling's bound; events do not promise it). */
  over_bound: number;
}

export interface EventsReport {
  workload_key: string;
  workload_label: string;
  seed: number;
  runs: number;
  variants: EventsVariant[];
  wall_seconds: number;
}

function summarize(
  key: string,
  label: string,
  loss: number | null,
  runs: RunMeasure[],
): EventsVariant {
  const latencies = runs.map((r) => r.latency_seconds);
  return {
    key,
    label,
    loss,
    runs: runs.length,
    polls_mean: mean(runs.map((r) => r.polls)),
    polls_p95: percentile(
      runs.map((r) => r.polls),
      95,
    ),
    api_calls_mean: mean(runs.map((r) => r.api_calls)),
    transitions_mean: mean(runs.map((r) => r.transitions)),
    latency_median: median(latencies),
    latency_p95: percentile(latencies, 95),
    latency_mean: mean(latencies),
    latency_pct_mean: 100 * mean(runs.map((r) => r.latency_seconds / r.duration_seconds)),
    over_bound: runs.filter((r) => r.latency_bound_ratio > 1).length,
  };
}

export interface EventsOptions {
  workload?: WorkloadOptions;
  /** @default "base" */
  workloadKey?: string;
  workloadLabel?: string;
  losses?: readonly number[];
  /** Runs in flight at once (each on its own simulator and clock). @default 8 */
  concurrency?: number;
  onProgress?: (message: string) => void;
}

/** Adaptive polling, then event waiting at each loss rate, on the same runs. */
export async function benchEvents(options: EventsOptions = {}): Promise<EventsReport> {
  const began = performance.now();
  const workloadOptions = options.workload ?? DEFAULT_WORKLOAD;
  const workload = generateWorkload(workloadOptions);
  const config: PipelinesConfig = pollingConfig([ADAPTIVE]);
  const variants: EventsVariant[] = [];
  const concurrency = options.concurrency ?? 8;
  const each = async (key: string, label: string, loss: number | null) => {
    const t0 = performance.now();
    // One deployment per variant: with webhooks, a fresh app is a fresh delivery record.
    const app: LocalApp = synthesizeLocalApp(config, { webhooks: loss !== null });
    const run = (r: (typeof workload)[number]) =>
      measure(app, config, ADAPTIVE, r, loss ?? undefined);
    if (loss !== null) {
      const warmup = await mapLimit(workload.slice(0, WARMUP_RUNS), concurrency, run);
      variants.push(summarize(`${key}-warmup`, `${label}: warm-up (not measured)`, loss, warmup));
    }
    const runs = await mapLimit(workload, concurrency, run);
    variants.push(summarize(key, label, loss, runs));
    options.onProgress?.(
      `events (${options.workloadKey ?? "base"}): ${key}, ${runs.length} runs in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
    );
  };
  await each("adaptive", "adaptive polling (no webhooks)", null);
  for (const loss of options.losses ?? EVENT_LOSSES) {
    await each(`events-${Math.round(loss * 100)}`, `events, ${Math.round(loss * 100)}% lost`, loss);
  }
  return {
    workload_key: options.workloadKey ?? "base",
    workload_label: options.workloadLabel ?? "base workload",
    seed: workloadOptions.seed,
    runs: workload.length,
    variants,
    wall_seconds: (performance.now() - began) / 1000,
  };
}

/**
 * Event waiting on the base workload ("base") or a held-out one (workload.ts), on its
 * report seed or its tuning seed (the base workload's tuning seed is its seed + 1).
 */
export function benchEventsOn(
  key: string,
  options: { seed?: "report" | "tune"; onProgress?: (message: string) => void } = {},
): Promise<EventsReport> {
  const tune = options.seed === "tune";
  const progress = options.onProgress ? { onProgress: options.onProgress } : {};
  if (key === "base") {
    const seed = DEFAULT_WORKLOAD.seed + (tune ? 1 : 0);
    return benchEvents({ workload: { ...DEFAULT_WORKLOAD, seed }, ...progress });
  }
  const held = HELD_OUT_WORKLOADS.find((w) => w.key === key);
  if (!held) throw new Error(`unknown events workload ${key}`);
  return benchEvents({
    workload: { ...held.options, seed: tune ? held.tuneSeed : held.reportSeed },
    workloadKey: held.key,
    workloadLabel: held.label,
    ...progress,
  });
}
