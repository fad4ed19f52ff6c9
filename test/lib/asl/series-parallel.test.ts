import { describe, expect, it } from "vitest";
import {
  type DagNode,
  decompose,
  type Plan,
  planPredecessors,
  planSteps,
} from "../../../lib/asl/series-parallel";

const step = (id: string): Plan => ({ kind: "step", id });
const series = (...parts: Plan[]): Plan => ({ kind: "series", parts });
const parallel = (...branches: Plan[]): Plan => ({ kind: "parallel", branches });
const dag = (spec: Record<string, string[]>): DagNode[] =>
  Object.entries(spec).map(([id, after]) => ({ id, after }));

/**
 * Exactness: every declared dependency is ordered by the plan or gated (and gated only
 * when the plan does not order it), and the plan never orders a step after a step it
 * does not (transitively) depend on. Returns the number of gated dependencies.
 */
function expectExact(nodes: DagNode[]): number {
  const { plan, gated } = decompose(nodes);
  const before = planPredecessors(plan);
  expect(before).toEqual(predecessors(plan));
  const parents = new Map(nodes.map((n) => [n.id, n.after]));
  const closure = (id: string, acc = new Set<string>()): Set<string> => {
    for (const p of parents.get(id) ?? []) {
      if (!acc.has(p)) {
        acc.add(p);
        closure(p, acc);
      }
    }
    return acc;
  };
  const gatedKeys = new Set(gated.map((g) => `${g.dependsOn}->${g.step}`));
  expect(gatedKeys.size).toBe(gated.length);
  for (const n of nodes) {
    const ordered = before.get(n.id) ?? new Set();
    for (const x of ordered) {
      expect(closure(n.id).has(x), `${n.id} must not wait for unrelated ${x}`).toBe(true);
    }
    for (const d of n.after) {
      expect(ordered.has(d) !== gatedKeys.has(`${d}->${n.id}`), `${d}->${n.id}`).toBe(true);
    }
  }
  expect(planSteps(plan).sort()).toEqual(nodes.map((n) => n.id).sort());
  return gated.length;
}

/** Every real dependency is respected: each step runs after all its ancestors in the plan. */
function predecessors(plan: Plan): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const walk = (p: Plan, preceding: Set<string>): Set<string> => {
    if (p.kind === "step") {
      result.set(p.id, new Set(preceding));
      return new Set([p.id]);
    }
    if (p.kind === "series") {
      const acc = new Set(preceding);
      const done = new Set<string>();
      for (const part of p.parts) {
        for (const s of walk(part, acc)) {
          acc.add(s);
          done.add(s);
        }
      }
      return done;
    }
    const done = new Set<string>();
    for (const b of p.branches) for (const s of walk(b, preceding)) done.add(s);
    return done;
  };
  walk(plan, new Set());
  return result;
}

describe("decompose", () => {
  it("keeps a single step", () => {
    expect(decompose(dag({ a: [] }))).toEqual({ plan: step("a"), gated: [] });
  });

  it("turns a chain into one flat series", () => {
    expect(decompose(dag({ a: [], b: ["a"], c: ["b"] }))).toEqual({
      plan: series(step("a"), step("b"), step("c")),
      gated: [],
    });
  });

  it("fans out and in", () => {
    const { plan, gated } = decompose(
      dag({
        load: [],
        model_a: ["load"],
        model_b: ["load"],
        model_c: ["load"],
        report: ["model_a", "model_b", "model_c"],
      }),
    );
    expect(plan).toEqual(
      series(
        step("load"),
        parallel(step("model_a"), step("model_b"), step("model_c")),
        step("report"),
      ),
    );
    expect(gated).toEqual([]);
  });

  it("decomposes a diamond and nested diamonds exactly", () => {
    expect(decompose(dag({ a: [], b: ["a"], c: ["a"], d: ["b", "c"] })).plan).toEqual(
      series(step("a"), parallel(step("b"), step("c")), step("d")),
    );
    const nested = decompose(
      dag({
        a: [],
        b: ["a"],
        b2: ["b"],
        c: ["a"],
        d: ["b2", "c"],
        e: ["d"],
        f: ["d"],
        g: ["e", "f"],
      }),
    );
    expect(nested.gated).toEqual([]);
    expect(nested.plan).toEqual(
      series(
        step("a"),
        parallel(series(step("b"), step("b2")), step("c")),
        step("d"),
        parallel(step("e"), step("f")),
        step("g"),
      ),
    );
  });

  it("runs disconnected components in parallel", () => {
    expect(decompose(dag({ a: [], b: ["a"], x: [], y: [] })).plan).toEqual(
      parallel(series(step("a"), step("b")), step("x"), step("y")),
    );
  });

  it("splits the N-shaped DAG into parallel branches with one gated dependency", () => {
    // a->c, b->c, b->d: no exact series-parallel form exists.
    const { plan, gated } = decompose(dag({ a: [], b: [], c: ["a", "b"], d: ["b"] }));
    expect(gated).toHaveLength(1);
    expectExact(dag({ a: [], b: [], c: ["a", "b"], d: ["b"] }));
    // The cut leaves the gated step a dependency in its own branch (c keeps one of a, b).
    expect(gated[0]?.step).toBe("c");
    expect(plan.kind).toBe("parallel");
    expect(planSteps(plan).sort()).toEqual(["a", "b", "c", "d"]);
  });

  it("gates the shipped nightly shape once: refresh_reporting on one of its two loads", () => {
    const nightly = dag({
      load_salesforce: [],
      load_stripe: [],
      push_hubspot: ["load_salesforce"],
      push_braze: ["load_salesforce"],
      update_salesforce_accounts: ["load_salesforce"],
      refresh_reporting: ["load_salesforce", "load_stripe"],
    });
    const { gated } = decompose(nightly);
    expect(gated).toHaveLength(1);
    expect(gated[0]?.step).toBe("refresh_reporting");
    expectExact(nightly);
  });

  it("is exact for larger non-series-parallel DAGs: ordered or gated, never an unrelated wait", () => {
    expectExact(
      dag({ a: [], b: [], c: ["a", "b"], d: ["b"], e: ["c", "d"], f: ["a"], g: ["f", "e"] }),
    );
    // W: a->x, b->x, b->y, c->y.
    expectExact(dag({ a: [], b: [], c: [], x: ["a", "b"], y: ["b", "c"] }));
    // Redundant declared edges (a->c also through b) stay exact.
    expectExact(dag({ a: [], b: ["a"], z: [], c: ["a", "b", "z"], d: ["z"] }));
  });

  it("runs a step whose dependencies the cut left unordered in one of their branches, not behind gates from the start", () => {
    // The bench's 20-step layered DAG (bench/dags.ts, layered_20). Cutting alone left 11
    // steps as branches of their own, every dependency a gate polling from the start:
    // 23 of its 28 dependencies gated, l3_1, l4_2 and l4_3 on their only dependency.
    const layered = dag({
      l0_0: [],
      l0_1: [],
      l0_2: [],
      l0_3: [],
      l1_0: ["l0_1", "l0_3"],
      l1_1: ["l0_1", "l0_2"],
      l1_2: ["l0_1", "l0_3"],
      l1_3: ["l0_0", "l0_1"],
      l2_0: ["l1_3"],
      l2_1: ["l1_0", "l1_1"],
      l2_2: ["l1_0", "l1_2"],
      l2_3: ["l1_1", "l1_3"],
      l3_0: ["l2_2", "l2_3"],
      l3_1: ["l2_0"],
      l3_2: ["l2_0", "l2_2"],
      l3_3: ["l2_1", "l2_2"],
      l4_0: ["l3_1", "l3_2"],
      l4_1: ["l3_0", "l3_2"],
      l4_2: ["l3_2"],
      l4_3: ["l3_2"],
    });
    expect(expectExact(layered)).toBe(12);
    const before = planPredecessors(decompose(layered).plan);
    const allGated = layered.filter(
      (n) => n.after.length > 0 && !n.after.some((d) => before.get(n.id)?.has(d)),
    );
    expect(allGated.map((n) => n.id)).toEqual([]);
  });

  it("moves a step left on its own after its dependency, beside what already follows it", () => {
    // The cut leaves x on its own (both of its dependencies gated); it moves after b
    // (more ancestors than a), beside y, which already followed b: y waits for nothing new.
    const { plan, gated } = decompose(
      dag({ a: [], r: [], b: ["r"], y: ["b"], c: ["a", "r"], x: ["a", "b"] }),
    );
    expectExact(dag({ a: [], r: [], b: ["r"], y: ["b"], c: ["a", "r"], x: ["a", "b"] }));
    expect(planPredecessors(plan).get("x")).toEqual(new Set(["r", "b"]));
    expect(gated).toContainEqual({ step: "x", dependsOn: "a" });
    expect(gated).not.toContainEqual({ step: "x", dependsOn: "b" });
  });

  it("is exact on random DAGs (seeded), gating only what the plan cannot order", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    let nonSp = 0;
    for (let t = 0; t < 60; t++) {
      const n = 3 + Math.floor(random() * 14);
      const spec: Record<string, string[]> = {};
      for (let i = 0; i < n; i++) {
        const after: string[] = [];
        for (let j = 0; j < i; j++) if (random() < 0.25) after.push(`s${j}`);
        spec[`s${i}`] = after;
      }
      if (expectExact(dag(spec)) > 0) nonSp++;
    }
    expect(nonSp).toBeGreaterThan(10);
  });

  it("decomposes a 200-step non-series-parallel DAG quickly enough to synthesize", () => {
    const spec: Record<string, string[]> = {};
    for (let i = 0; i < 200; i++) {
      spec[`s${i}`] = i < 10 ? [] : [`s${i - 10}`, `s${(i * 7) % i}`];
    }
    expect(expectExact(dag(spec))).toBeGreaterThan(0);
  });

  it("rejects unknown dependencies, duplicates, cycles and empty pipelines", () => {
    expect(() => decompose(dag({ a: ["zz"] }))).toThrow(/runs after unknown step "zz"/);
    expect(() =>
      decompose([
        { id: "a", after: [] },
        { id: "a", after: [] },
      ]),
    ).toThrow(/duplicate step id "a"/);
    expect(() => decompose(dag({ a: ["b"], b: ["a"] }))).toThrow(/cycle/);
    expect(() => decompose([])).toThrow(/at least one step/);
  });
});
