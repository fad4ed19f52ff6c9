/**
 * The DAG shapes of the timing benchmark: series-parallel ones (chains, fan-out, fan-in,
 * diamonds and their nestings) and ones that are not series-parallel (N, W, and a seeded
 * layered DAG), each step with its own sync and duration. Durations are chosen so that
 * waiting for an unrelated branch would show: in the N and W shapes the step that shares
 * a dependency with a long branch is itself short.
 */
import { Prng } from "./prng";

export interface DagStep {
  id: string;
  after: string[];
  /** Queue and run time of the step's sync, seconds. */
  queue_seconds: number;
  duration_seconds: number;
}

export interface Dag {
  name: string;
  shape: string;
  series_parallel: boolean;
  /** Held out: not looked at while tuning the gates (the figures on them are not in-sample). */
  held_out?: boolean;
  steps: DagStep[];
}

const MIN = 60;

function step(id: string, minutes: number, after: string[] = []): DagStep {
  return { id, after, queue_seconds: 5, duration_seconds: Math.round(minutes * MIN) };
}

function layered(seed: number, layers: number, width: number): DagStep[] {
  const rng = new Prng(seed);
  const steps: DagStep[] = [];
  let previous: string[] = [];
  for (let layer = 0; layer < layers; layer++) {
    const current: string[] = [];
    for (let i = 0; i < width; i++) {
      const id = `l${layer}_${i}`;
      const after =
        previous.length === 0
          ? []
          : [...new Set([rng.int(0, previous.length - 1), rng.int(0, previous.length - 1)])]
              .map((k) => previous[k] as string)
              .sort();
      steps.push({
        id,
        after,
        queue_seconds: rng.int(2, 20),
        duration_seconds: Math.round(rng.logUniform(2 * MIN, 45 * MIN)),
      });
      current.push(id);
    }
    previous = current;
  }
  return steps;
}

export function benchDags(): Dag[] {
  return [...simpleDags(), ...composedDags(), ...notSeriesParallelDags(), ...heldOutDags()];
}

/**
 * Layered DAGs on seeds and sizes that were not looked at while choosing how gates are
 * placed and how they wait (that was tuned on layered_random and layered_20), so the
 * gate figures on them are not in-sample; the way bench/workload.ts holds out polling
 * workloads.
 */
function heldOutDags(): Dag[] {
  const sizes: Array<[seed: number, layers: number, width: number]> = [
    [101, 4, 4],
    [202, 5, 4],
    [303, 6, 3],
    [404, 3, 6],
  ];
  return sizes.map(([seed, layers, width]) => ({
    name: `held_out_${seed}`,
    shape: `${layers} layers × ${width} steps, each on 1–2 random steps of the layer above (seed ${seed}, held out)`,
    series_parallel: false,
    held_out: true,
    steps: layered(seed, layers, width),
  }));
}

/** A chain, fans out and in. */
function simpleDags(): Dag[] {
  return [
    {
      name: "chain",
      shape: "a → b → c → d → e",
      series_parallel: true,
      steps: [
        step("a", 12),
        step("b", 3, ["a"]),
        step("c", 47, ["b"]),
        step("d", 1.5, ["c"]),
        step("e", 20, ["d"]),
      ],
    },
    {
      name: "fan_out",
      shape: "a → {b1..b6}",
      series_parallel: true,
      steps: [step("a", 10), ...[2, 30, 7, 55, 1, 15].map((m, i) => step(`b${i + 1}`, m, ["a"]))],
    },
    {
      name: "fan_in",
      shape: "{a1..a6} → z",
      series_parallel: true,
      steps: [
        ...[4, 25, 90, 2, 11, 40].map((m, i) => step(`a${i + 1}`, m)),
        step("z", 8, ["a1", "a2", "a3", "a4", "a5", "a6"]),
      ],
    },
    {
      name: "fan_out_fan_in",
      shape: "a → {b1..b5} → z",
      series_parallel: true,
      steps: [
        step("a", 6),
        ...[3, 70, 12, 1, 33].map((m, i) => step(`b${i + 1}`, m, ["a"])),
        step("z", 14, ["b1", "b2", "b3", "b4", "b5"]),
      ],
    },
  ];
}

/** Series-parallel shapes built of the simple ones. */
function composedDags(): Dag[] {
  return [
    {
      name: "diamonds",
      shape: "a → {b, c} → d → {e, f} → g, with a long c and a long e",
      series_parallel: true,
      steps: [
        step("a", 5),
        step("b", 2, ["a"]),
        step("c", 40, ["a"]),
        step("d", 9, ["b", "c"]),
        step("e", 60, ["d"]),
        step("f", 4, ["d"]),
        step("g", 3, ["e", "f"]),
      ],
    },
    {
      name: "independent_chains",
      shape: "a1 → a2 → a3 beside b1 → b2 → b3 (no barrier between the chains)",
      series_parallel: true,
      steps: [
        step("a1", 50),
        step("a2", 50, ["a1"]),
        step("a3", 5, ["a2"]),
        step("b1", 2),
        step("b2", 3, ["b1"]),
        step("b3", 4, ["b2"]),
      ],
    },
  ];
}

/** Shapes that are not series-parallel: a scheduler with barriers would show here. */
function notSeriesParallelDags(): Dag[] {
  return [
    {
      name: "n_shape",
      shape: "N: a → c, b → c, b → d (a long, b and d short)",
      series_parallel: false,
      steps: [step("a", 60), step("b", 5), step("c", 10, ["a", "b"]), step("d", 10, ["b"])],
    },
    {
      name: "w_shape",
      shape: "W: a → x, b → x, b → y, c → y (a long, b short, c long)",
      series_parallel: false,
      steps: [
        step("a", 70),
        step("b", 3),
        step("c", 45),
        step("x", 6, ["a", "b"]),
        step("y", 12, ["b", "c"]),
      ],
    },
    {
      name: "n_chain",
      shape: "N with tails: a → c → e, b → c, b → d → f (d, f short)",
      series_parallel: false,
      steps: [
        step("a", 40),
        step("b", 4),
        step("c", 8, ["a", "b"]),
        step("d", 2, ["b"]),
        step("e", 6, ["c"]),
        step("f", 3, ["d"]),
      ],
    },
    {
      name: "layered_random",
      shape: "4 layers × 4 steps, each on 1–2 random steps of the layer above (seeded)",
      series_parallel: false,
      steps: layered(7, 4, 4),
    },
    {
      name: "layered_20",
      shape: "5 layers × 4 steps, each on 1–2 random steps of the layer above (seeded)",
      series_parallel: false,
      steps: layered(20, 5, 4),
    },
  ];
}
