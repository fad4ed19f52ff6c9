import { describe, expect, it } from "vitest";
import { type DagNode, decompose, type Plan, planSteps } from "../../../lib/asl/series-parallel";

const step = (id: string): Plan => ({ kind: "step", id });
const series = (...parts: Plan[]): Plan => ({ kind: "series", parts });
const parallel = (...branches: Plan[]): Plan => ({ kind: "parallel", branches });
const dag = (spec: Record<string, string[]>): DagNode[] =>
  Object.entries(spec).map(([id, after]) => ({ id, after }));

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
    expect(decompose(dag({ a: [] }))).toEqual({ plan: step("a"), implied: [] });
  });

  it("turns a chain into one flat series", () => {
    expect(decompose(dag({ a: [], b: ["a"], c: ["b"] }))).toEqual({
      plan: series(step("a"), step("b"), step("c")),
      implied: [],
    });
  });

  it("fans out and in", () => {
    const { plan, implied } = decompose(
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
    expect(implied).toEqual([]);
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
    expect(nested.implied).toEqual([]);
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

  it("splits the N-shaped DAG with one implied dependency and reports it", () => {
    // a->c, b->c, b->d: no exact series-parallel form exists.
    const { plan, implied } = decompose(dag({ a: [], b: [], c: ["a", "b"], d: ["b"] }));
    expect(implied).toHaveLength(1);
    const order = predecessors(plan);
    expect(order.get("c")).toEqual(new Set(["a", "b"]));
    expect(order.get("d")?.has("b")).toBe(true);
    // The one added wait is reported.
    const [extra] = implied;
    expect(extra && order.get(extra.step)?.has(extra.waitsFor)).toBe(true);
    expect(["a", "b", "c", "d"].sort()).toEqual(planSteps(plan).sort());
  });

  it("respects every real dependency of a larger non-series-parallel DAG", () => {
    const spec = { a: [], b: [], c: ["a", "b"], d: ["b"], e: ["c", "d"], f: ["a"], g: ["f", "e"] };
    const { plan } = decompose(dag(spec));
    const order = predecessors(plan);
    for (const [id, after] of Object.entries(spec)) {
      for (const dep of after) expect(order.get(id)?.has(dep), `${id} after ${dep}`).toBe(true);
    }
    expect(planSteps(plan).sort()).toEqual(Object.keys(spec).sort());
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
