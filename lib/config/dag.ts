/**
 * Validation of a pipeline's step dependencies (duplicate ids, unknown and self
 * dependencies, repeated dependencies, cycles), for the config loader. Works on the
 * minimal `{ id, after }` shape and is deterministic: ties are broken by the steps' order
 * in the file. How a valid graph runs (series, parallel, gates) is lib/asl/series-parallel.ts.
 */

/** What the graph functions need of a step. */
export interface DagNode {
  readonly id: string;
  readonly after: readonly string[];
}

/** A dependency problem, located at a step (by index in the file) and its field. */
export interface DagProblem {
  /** Index of the step in the pipeline's `steps`. */
  index: number;
  step: string;
  field: "id" | "after";
  message: string;
}

function knownList(ids: readonly string[], exclude: string): string {
  const others = ids.filter((id) => id !== exclude);
  if (others.length === 0) return "none";
  const shown = others.slice(0, 10).join(", ");
  return others.length > 10 ? `${shown}, ... ${others.length - 10} more` : shown;
}

/**
 * Every dependency problem of the steps: duplicate ids, dependencies on unknown steps or
 * on the step itself, dependencies listed twice, and cycles (each printed once, as
 * `a -> b -> c -> a` where `->` reads "runs before").
 */
export function validateDag(steps: readonly DagNode[]): DagProblem[] {
  const problems: DagProblem[] = [];
  const firstIndex = new Map<string, number>();
  steps.forEach((step, index) => {
    const first = firstIndex.get(step.id);
    if (first === undefined) firstIndex.set(step.id, index);
    else {
      problems.push({
        index,
        step: step.id,
        field: "id",
        message: `duplicate step id "${step.id}" (also step #${first + 1})`,
      });
    }
  });
  const ids = [...firstIndex.keys()];
  steps.forEach((step, index) => {
    const seen = new Set<string>();
    for (const dep of step.after) {
      if (dep === step.id) {
        problems.push({
          index,
          step: step.id,
          field: "after",
          message: "a step cannot depend on itself",
        });
      } else if (!firstIndex.has(dep)) {
        problems.push({
          index,
          step: step.id,
          field: "after",
          message: `unknown step "${dep}" (known: ${knownList(ids, step.id)})`,
        });
      } else if (seen.has(dep)) {
        problems.push({
          index,
          step: step.id,
          field: "after",
          message: `"${dep}" is listed twice`,
        });
      }
      seen.add(dep);
    }
  });
  for (const cycle of findCycles(steps)) {
    const first = cycle[0] as string;
    problems.push({
      index: firstIndex.get(first) ?? 0,
      step: first,
      field: "after",
      message: `dependency cycle: ${[...cycle, first].join(" -> ")}`,
    });
  }
  return problems;
}

/** Edges in run order: dependency -> dependent. Unknown and self dependencies are ignored. */
function successors(steps: readonly DagNode[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const step of steps) if (!out.has(step.id)) out.set(step.id, []);
  for (const step of steps) {
    for (const dep of new Set(step.after)) {
      if (dep === step.id) continue;
      const list = out.get(dep);
      if (list && !list.includes(step.id)) list.push(step.id);
    }
  }
  return out;
}

/**
 * One cycle per strongly connected component with more than one step, in run order,
 * starting at the component's first step in file order.
 */
function findCycles(steps: readonly DagNode[]): string[][] {
  const succ = successors(steps);
  const order = [...succ.keys()];
  // Tarjan's strongly connected components (iterative enough for 200 steps: recursion is fine).
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const onStack = new Set<string>();
  const stack: string[] = [];
  const components: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter);
    counter++;
    stack.push(v);
    onStack.add(v);
    for (const w of succ.get(v) ?? []) {
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v) as number, low.get(w) as number));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v) as number, index.get(w) as number));
      }
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string | undefined;
      do {
        w = stack.pop() as string;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) components.push(component);
    }
  };
  for (const v of order) if (!index.has(v)) visit(v);

  const position = new Map(order.map((id, i) => [id, i]));
  const cycles = components.map((component) => {
    const members = new Set(component);
    const start = [...component].sort(
      (a, b) => (position.get(a) as number) - (position.get(b) as number),
    )[0] as string;
    // Breadth-first search inside the component for the shortest way back to `start`.
    const previous = new Map<string, string>();
    const queue = [start];
    const visited = new Set([start]);
    while (queue.length > 0) {
      const v = queue.shift() as string;
      for (const w of succ.get(v) ?? []) {
        if (!members.has(w)) continue;
        if (w === start) {
          const path = [v];
          while (path[0] !== start) path.unshift(previous.get(path[0] as string) as string);
          return path;
        }
        if (!visited.has(w)) {
          visited.add(w);
          previous.set(w, v);
          queue.push(w);
        }
      }
    }
    return [start];
  });
  return cycles.sort(
    (a, b) => (position.get(a[0] as string) as number) - (position.get(b[0] as string) as number),
  );
}
