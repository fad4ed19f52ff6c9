/**
 * The polling workload: simulated sync runs whose durations span one minute to six
 * hours. Each sync has a typical duration (log-uniform, so short model syncs and long
 * bulk syncs are equally represented); its earlier runs (`history_seconds`, what
 * check-status learns the expected duration from) and the measured run are drawn
 * log-normally around it with a 20% spread, and a few measured runs are outliers that
 * take two to three times as long.
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
    const history = Array.from({ length: options.historyRuns }, () =>
      Math.max(1, Math.round(rng.logNormal(typical, options.spread))),
    );
    const outlier = outliers.has(index);
    const factor = outlier ? rng.uniform(options.outlierFactor[0], options.outlierFactor[1]) : 1;
    const duration = Math.max(1, Math.round(rng.logNormal(typical, options.spread) * factor));
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
