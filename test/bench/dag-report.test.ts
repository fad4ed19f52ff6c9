import { describe, expect, it } from "vitest";
import type { DagResult } from "../../bench/dag";
import { benchDags } from "../../bench/dags";
import { type BenchReport, targets } from "../../bench/report";

/** A DAG run with only the fields the gate targets read set to something meaningful. */
function run(dag: string, held_out: boolean, transitions: number, polling: number, whole: number) {
  return {
    dag,
    shape: dag,
    series_parallel: false,
    held_out,
    strategy: "default",
    steps: 4,
    status: "succeeded",
    makespan_s: 100,
    critical_path_work_s: 100,
    critical_path_steps: [],
    critical_path_observed_s: 100,
    scheduling_delay_s: 0,
    excess_s: 0,
    allowance_s: 0,
    excess_in_intervals: 0,
    excess_per_edge_s: 0,
    within_target: true,
    checked_edges: 2,
    transitions,
    gates: 1,
    gate_transitions: whole,
    gate_polling_transitions: polling,
  } satisfies DagResult;
}

function gateTargets(results: DagResult[]) {
  const report: BenchReport = {
    generated_at: "",
    node: "",
    platform: "",
    cpus: 2,
    wall_seconds: 0,
    held_out: [],
    dag: { results, failures: [], wall_seconds: 0 },
  };
  return targets(report).filter((t) => t.target.includes("gate"));
}

describe("the DAG bench's gate targets", () => {
  it("report the worst share on the tuning DAGs and on the held-out ones, and hold both to 10%", () => {
    const [polling, whole] = gateTargets([
      run("tuned", false, 1000, 50, 90),
      run("held", true, 500, 60, 60),
    ]);
    expect(polling?.measured).toBe(
      "tuning DAGs: worst 5.0% (tuned, default: 50 of 1,000); held-out DAGs: worst 12.0% (held, default: 60 of 500)",
    );
    expect(polling?.met).toBe(false);
    expect(whole?.measured).toContain("tuning DAGs: worst 9.0%");
    expect(whole?.met).toBe(false);
  });

  it("hold out layered DAGs on seeds and sizes of their own", () => {
    const dags = benchDags();
    const held = dags.filter((d) => d.held_out);
    expect(held.length).toBeGreaterThanOrEqual(4);
    expect(held.every((d) => !d.series_parallel)).toBe(true);
    const tuned = new Set(dags.filter((d) => !d.held_out).map((d) => JSON.stringify(d.steps)));
    for (const d of held) expect(tuned.has(JSON.stringify(d.steps))).toBe(false);
  });
});
