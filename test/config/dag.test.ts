import { describe, expect, it } from "vitest";
import { type DagNode, validateDag } from "../../lib/config/dag";

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
