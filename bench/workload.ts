/**
 * The polling workloads: simulated sync runs. In the base workload each sync has a
 * typical duration from one minute to six hours (log-uniform, so short model syncs and
 * long bulk syncs are equally represented); its earlier runs (`history_seconds`, what
 * check-status learns the expected duration from) and the measured run are drawn
 * log-normally around it with a 20% spread, and a few measured runs are outliers that
 * take two to three times as long.
 *
 * The other workloads (HELD_OUT_WORKLOADS) break what the base one takes for granted:
 * runs whose history says something else (faster or slower), heavy tails, no history,
 * and runs of 20-60 s. Each has a seed for tuning and another one for the report, so no
 * reported figure is measured on the runs a knob was chosen on.
 */
import { Prng } from "./prng";

export interface WorkloadOptions {
  runs: number;
  seed: number;
  /** Shortest and longest typical duration, seconds. */
  minSeconds: number;
  maxSeconds: number;
  /** Log-normal spread (sigma) of history and actual durations around the typical one. */
  spread: number;
  /** Share of runs that are outliers, and how much longer they take (uniform in the range). */
  outlierShare: number;
  outlierFactor: [number, number];
  /** Earlier runs per sync. */
  historyRuns: number;
  /** Queue time before the run starts, uniform in this range, seconds. */
  queueSeconds: [number, number];
  /**
   * When set, the history's typical duration is drawn on its own (log-uniform in this
   * range, seconds) instead of being the run's: the sync's runs changed regime.
   */
  historySeconds?: [number, number];
}

export const DEFAULT_WORKLOAD: WorkloadOptions = {
  runs: 200,
  seed: 20250101,
  minSeconds: 60,
  maxSeconds: 6 * 3600,
  spread: 0.2,
  outlierShare: 0.05,
  outlierFactor: [2, 3],
  historyRuns: 5,
  queueSeconds: [1, 20],
};

/** Runs are cut at 17 h, within the 18 h step timeout a fixed 30 s loop may have. */
export const MAX_RUN_SECONDS = 17 * 3600;

export interface WorkloadRun {
  index: number;
  sync_type: "model" | "bulk";
  /** The sync's typical duration, seconds. */
  typical_seconds: number;
  /** Durations of the sync's earlier runs (the simulator's `history_seconds`). */
  history_seconds: number[];
  queue_seconds: number;
  /** How long the measured run runs (the simulator's `duration_seconds`). */
  duration_seconds: number;
  outlier: boolean;
}

export function generateWorkload(options: WorkloadOptions = DEFAULT_WORKLOAD): WorkloadRun[] {
  const rng = new Prng(options.seed);
  const runs: WorkloadRun[] = [];
  // Outliers are placed exactly, not left to chance: round(share * runs) of them.
  const outliers = new Set<number>();
  const wanted = Math.round(options.outlierShare * options.runs);
  while (outliers.size < wanted) outliers.add(rng.int(0, options.runs - 1));
  for (let index = 0; index < options.runs; index++) {
    const typical = Math.round(rng.logUniform(options.minSeconds, options.maxSeconds));
    const past = options.historySeconds
      ? rng.logUniform(options.historySeconds[0], options.historySeconds[1])
      : typical;
    const history = Array.from({ length: options.historyRuns }, () =>
      Math.max(1, Math.round(rng.logNormal(past, options.spread))),
    );
    const outlier = outliers.has(index);
    const factor = outlier ? rng.uniform(options.outlierFactor[0], options.outlierFactor[1]) : 1;
    const drawn = Math.round(rng.logNormal(typical, options.spread) * factor);
    const duration = Math.min(MAX_RUN_SECONDS, Math.max(1, drawn));
    runs.push({
      index,
      // Model syncs are the short ones in practice; the type only changes the API paths.
      sync_type: typical < 1800 ? "model" : "bulk",
      typical_seconds: typical,
      history_seconds: history,
      queue_seconds: rng.int(options.queueSeconds[0], options.queueSeconds[1]),
      duration_seconds: duration,
      outlier,
    });
  }
  return runs;
}

/** A workload the base one does not cover, with its tuning and report seeds. */
export interface HeldOutWorkload {
  key: string;
  label: string;
  options: Omit<WorkloadOptions, "seed">;
  /** Seed of the runs used while choosing the polling knobs. */
  tuneSeed: number;
  /** Seed of the runs the report measures (never used for tuning). */
  reportSeed: number;
}

const BASE: Omit<WorkloadOptions, "seed"> = {
  ...DEFAULT_WORKLOAD,
  runs: 30,
  outlierShare: 0,
};

export const HELD_OUT_WORKLOADS: HeldOutWorkload[] = [
  {
    key: "faster",
    label: "faster than its history: history 1–3 h, this run 2–10 min",
    options: { ...BASE, minSeconds: 120, maxSeconds: 600, historySeconds: [3600, 3 * 3600] },
    tuneSeed: 17001,
    reportSeed: 27001,
  },
  {
    key: "slower",
    label: "slower than its history: history 2–10 min, this run 1–3 h",
    options: { ...BASE, minSeconds: 3600, maxSeconds: 3 * 3600, historySeconds: [120, 600] },
    tuneSeed: 17002,
    reportSeed: 27002,
  },
  {
    key: "heavy_tail",
    label: "heavy tail: history and run log-normal with σ = 1.5 around 1 min – 1 h",
    options: { ...BASE, minSeconds: 60, maxSeconds: 3600, spread: 1.5 },
    tuneSeed: 17003,
    reportSeed: 27003,
  },
  {
    key: "no_history",
    label: "no history (new syncs), 1 min – 6 h",
    options: { ...BASE, historyRuns: 0 },
    tuneSeed: 17004,
    reportSeed: 27004,
  },
  {
    key: "very_short",
    label: "very short: runs of 20–60 s (history alike)",
    options: { ...BASE, minSeconds: 20, maxSeconds: 60, spread: 0.1 },
    tuneSeed: 17005,
    reportSeed: 27005,
  },
];
