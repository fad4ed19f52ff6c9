import { describe, expect, it } from "vitest";
import {
  criticalPath,
  DagError,
  type DagNode,
  dependenciesOf,
  dependentsOf,
  isSeriesParallel,
  seriesParallelDecomposition,
  topologicalOrder,
  transitiveReduction,
  validateDag,
} from "../../lib/config/dag";

/** `"c:a,b"` -> { id: "c", after: ["a", "b"] } */
function graph(...specs: string[]): DagNode[] {
  return specs.map((spec) => {
    const [id = "", deps = ""] = spec.split(":");
    return { id, after: deps === "" ? [] : deps.split(",") };
  });
}

// load_a, load_b in parallel; three pushes after load_a; report after both loads.
const fanOutIn = graph(
  "load_a",
  "load_b",
  "push_1:load_a",
  "push_2:load_a",
  "push_3:load_a",
  "report:load_a,load_b",
);

describe("validateDag", () => {
  it("accepts a valid graph", () => {
    expect(validateDag(fanOutIn)).toEqual([]);
  });

  it("reports duplicates, unknown, self and repeated dependencies", () => {
    expect(validateDag(graph("a", "a", "b:a,a,b,zz"))).toEqual([
      { index: 1, step: "a", field: "id", message: 'duplicate step id "a" (also step #1)' },
      { index: 2, step: "b", field: "after", message: '"a" is listed twice' },
      { index: 2, step: "b", field: "after", message: "a step cannot depend on itself" },
      { index: 2, step: "b", field: "after", message: 'unknown step "zz" (known: a)' },
    ]);
  });

  it("shortens a long list of known steps", () => {
    const many = graph(...Array.from({ length: 13 }, (_, i) => `s${i}`), "x:nope");
    expect(validateDag(many)[0]?.message).toBe(
      'unknown step "nope" (known: s0, s1, s2, s3, s4, s5, s6, s7, s8, s9, ... 3 more)',
    );
  });

  it("prints each cycle once, in run order, from its first step in the file", () => {
    const problems = validateDag(graph("x", "b:a", "c:b", "a:c,x", "p:q", "q:p", "r:q"));
    expect(problems.map((p) => [p.step, p.message])).toEqual([
      ["b", "dependency cycle: b -> c -> a -> b"],
      ["p", "dependency cycle: p -> q -> p"],
    ]);
  });

  it("prints the shortest way round a component", () => {
    // a -> b -> c -> a and a -> c directly: the shortest cycle through a is a -> c -> a.
    const problems = validateDag(graph("a:c", "b:a", "c:a,b"));
    expect(problems.map((p) => p.message)).toEqual(["dependency cycle: a -> c -> a"]);
  });
});

describe("topologicalOrder", () => {
  it("puts dependencies first and keeps file order among ready steps", () => {
    expect(topologicalOrder(graph("c:b", "a", "b:a", "d"))).toEqual(["a", "b", "c", "d"]);
    expect(topologicalOrder(fanOutIn)).toEqual([
      "load_a",
      "load_b",
      "push_1",
      "push_2",
      "push_3",
      "report",
    ]);
  });

  it("throws on a cycle, printing it", () => {
    expect(() => topologicalOrder(graph("a:b", "b:a"))).toThrow(
      new DagError("dependency cycle: a -> b -> a"),
    );
  });
});

describe("dependentsOf / dependenciesOf", () => {
  const chain = graph("a", "b:a", "c:b", "d:a", "e");
  it("lists direct and transitive dependents in file order", () => {
    expect(dependentsOf(chain, "a")).toEqual(["b", "d"]);
    expect(dependentsOf(chain, "a", { transitive: true })).toEqual(["b", "c", "d"]);
    expect(dependentsOf(chain, "e", { transitive: true })).toEqual([]);
  });

  it("lists direct and transitive dependencies in file order", () => {
    expect(dependenciesOf(chain, "c")).toEqual(["b"]);
    expect(dependenciesOf(chain, "c", { transitive: true })).toEqual(["a", "b"]);
    expect(dependenciesOf(fanOutIn, "report")).toEqual(["load_a", "load_b"]);
  });
});

describe("criticalPath", () => {
  it("follows the heaviest chain", () => {
    const hours: Record<string, number> = {
      load_a: 2,
      load_b: 3,
      push_1: 1,
      push_2: 2,
      push_3: 0.5,
      report: 0.25,
    };
    expect(criticalPath(fanOutIn, (s) => hours[s.id] ?? 0)).toEqual({
      path: ["load_a", "push_2"],
      duration: 4,
    });
    hours.load_b = 5;
    expect(criticalPath(fanOutIn, (s) => hours[s.id] ?? 0)).toEqual({
      path: ["load_b", "report"],
      duration: 5.25,
    });
  });

  it("breaks ties by file order and handles no steps", () => {
    expect(criticalPath(graph("a", "b", "c:a,b"), () => 1)).toEqual({
      path: ["a", "c"],
      duration: 2,
    });
    expect(criticalPath([], () => 1)).toEqual({ path: [], duration: 0 });
  });
});

describe("transitiveReduction", () => {
  it("drops dependencies implied by others", () => {
    const reduced = transitiveReduction(graph("a", "b:a", "c:a,b", "d:a,b,c", "e:a"));
    expect(reduced.map((s) => `${s.id}:${s.after.join(",")}`)).toEqual([
      "a:",
      "b:a",
      "c:b",
      "d:c",
      "e:a",
    ]);
  });

  it("keeps the other fields of each step", () => {
    const steps = [
      { id: "a", after: [], sync: "x" },
      { id: "b", after: ["a"], sync: "y" },
    ];
    expect(transitiveReduction(steps)).toEqual(steps);
  });
});

describe("series-parallel", () => {
  it("decomposes a fan-out / fan-in graph", () => {
    const diamond = graph("start", "left:start", "right:start", "end:left,right");
    expect(seriesParallelDecomposition(diamond)).toEqual({
      kind: "series",
      parts: [
        { kind: "step", id: "start" },
        {
          kind: "parallel",
          parts: [
            { kind: "step", id: "left" },
            { kind: "step", id: "right" },
          ],
        },
        { kind: "step", id: "end" },
      ],
    });
    expect(isSeriesParallel(diamond)).toBe(true);
  });

  it("decomposes independent chains as parallel series", () => {
    expect(seriesParallelDecomposition(graph("a", "b:a", "c"))).toEqual({
      kind: "parallel",
      parts: [
        {
          kind: "series",
          parts: [
            { kind: "step", id: "a" },
            { kind: "step", id: "b" },
          ],
        },
        { kind: "step", id: "c" },
      ],
    });
  });

  it("recognises the N shape as not series-parallel", () => {
    const n = graph("a", "b", "c:a,b", "d:b");
    expect(seriesParallelDecomposition(n)).toBeUndefined();
    expect(isSeriesParallel(n)).toBe(false);
    // The fan-out/fan-in above has an N too: load_a feeds the pushes, both loads the report.
    expect(isSeriesParallel(fanOutIn)).toBe(false);
    expect(isSeriesParallel([])).toBe(false);
  });
});
