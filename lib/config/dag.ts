/**
 * Dependency graphs of pipeline steps: validation (unknown and self dependencies,
 * duplicate ids, cycles) and helpers for the CDK constructs and the CLI. Everything works
 * on the minimal `{ id, after }` shape and is deterministic: ties are broken by the
 * steps' order in the file.
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

/** Thrown by the helpers when handed a graph that `validateDag` would reject. */
export class DagError extends Error {
  override name = "DagError";
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

/**
 * Step ids in an order where every step comes after its dependencies; among steps that
 * are ready at the same time, file order wins.
 *
 * @throws DagError when the steps have a cycle.
 */
export function topologicalOrder(steps: readonly DagNode[]): string[] {
  const succ = successors(steps);
  const indegree = new Map<string, number>();
  for (const id of succ.keys()) indegree.set(id, 0);
  for (const targets of succ.values()) {
    for (const t of targets) indegree.set(t, (indegree.get(t) ?? 0) + 1);
  }
  const position = new Map([...succ.keys()].map((id, i) => [id, i]));
  const ready = [...succ.keys()].filter((id) => indegree.get(id) === 0);
  const order: string[] = [];
  while (ready.length > 0) {
    ready.sort((a, b) => (position.get(a) as number) - (position.get(b) as number));
    const v = ready.shift() as string;
    order.push(v);
    for (const w of succ.get(v) ?? []) {
      const d = (indegree.get(w) as number) - 1;
      indegree.set(w, d);
      if (d === 0) ready.push(w);
    }
  }
  if (order.length !== succ.size) {
    const cycle = findCycles(steps)[0] ?? [];
    throw new DagError(`dependency cycle: ${[...cycle, cycle[0]].join(" -> ")}`);
  }
  return order;
}

function closure(start: string, next: Map<string, string[]>): Set<string> {
  const seen = new Set<string>();
  const queue = [...(next.get(start) ?? [])];
  while (queue.length > 0) {
    const v = queue.shift() as string;
    if (seen.has(v)) continue;
    seen.add(v);
    queue.push(...(next.get(v) ?? []));
  }
  return seen;
}

function predecessors(steps: readonly DagNode[]): Map<string, string[]> {
  const known = new Set(steps.map((s) => s.id));
  const out = new Map<string, string[]>();
  for (const step of steps) {
    if (out.has(step.id)) continue;
    out.set(
      step.id,
      [...new Set(step.after)].filter((d) => d !== step.id && known.has(d)),
    );
  }
  return out;
}

function inFileOrder(steps: readonly DagNode[], ids: Iterable<string>): string[] {
  const wanted = new Set(ids);
  return [...new Set(steps.map((s) => s.id))].filter((id) => wanted.has(id));
}

/**
 * The steps that depend on `id`: directly, or with `transitive` also through other
 * steps (everything skipped when `id` fails and nobody runs after completion). File order.
 */
export function dependentsOf(
  steps: readonly DagNode[],
  id: string,
  options: { transitive?: boolean } = {},
): string[] {
  const succ = successors(steps);
  const found = options.transitive ? closure(id, succ) : new Set(succ.get(id) ?? []);
  return inFileOrder(steps, found);
}

/** The steps `id` depends on: directly, or with `transitive` also indirectly. File order. */
export function dependenciesOf(
  steps: readonly DagNode[],
  id: string,
  options: { transitive?: boolean } = {},
): string[] {
  const pred = predecessors(steps);
  const found = options.transitive ? closure(id, pred) : new Set(pred.get(id) ?? []);
  return inFileOrder(steps, found);
}

/** The longest chain of dependent steps, weighted by step durations. */
export interface CriticalPath {
  /** Step ids, first to last. Empty for no steps. */
  path: string[];
  /** Sum of the durations of the steps on the path. */
  duration: number;
}

/**
 * The chain of steps that bounds the pipeline's duration when everything else runs in
 * parallel: the heaviest path, with `durationOf` giving each step's (expected) duration.
 * Ties go to the path that ends, then starts, earliest in file order.
 *
 * @throws DagError when the steps have a cycle.
 */
export function criticalPath<T extends DagNode>(
  steps: readonly T[],
  durationOf: (step: T) => number,
): CriticalPath {
  const order = topologicalOrder(steps);
  const byId = new Map<string, T>();
  for (const step of steps) if (!byId.has(step.id)) byId.set(step.id, step);
  const pred = predecessors(steps);
  const finish = new Map<string, number>();
  const via = new Map<string, string | undefined>();
  for (const id of order) {
    let best: string | undefined;
    let bestFinish = 0;
    for (const dep of pred.get(id) ?? []) {
      const f = finish.get(dep) as number;
      if (best === undefined || f > bestFinish) {
        best = dep;
        bestFinish = f;
      }
    }
    finish.set(id, bestFinish + durationOf(byId.get(id) as T));
    via.set(id, best);
  }
  let end: string | undefined;
  for (const id of inFileOrder(steps, order)) {
    if (end === undefined || (finish.get(id) as number) > (finish.get(end) as number)) end = id;
  }
  if (end === undefined) return { path: [], duration: 0 };
  const path: string[] = [];
  for (let v: string | undefined = end; v !== undefined; v = via.get(v)) path.unshift(v);
  return { path, duration: finish.get(end) as number };
}

/**
 * The same steps with every dependency that is implied by another one removed
 * (`c after [a, b]` with `b after [a]` becomes `c after [b]`). Same order, same objects
 * otherwise.
 *
 * @throws DagError when the steps have a cycle.
 */
export function transitiveReduction<T extends DagNode>(steps: readonly T[]): T[] {
  topologicalOrder(steps);
  const pred = predecessors(steps);
  return steps.map((step) => {
    const direct = pred.get(step.id) ?? [];
    const implied = new Set<string>();
    for (const dep of direct) for (const a of closure(dep, pred)) implied.add(a);
    return { ...step, after: direct.filter((dep) => !implied.has(dep)) };
  });
}

/** A series-parallel decomposition of a step graph. */
export type SeriesParallel =
  | { kind: "step"; id: string }
  | { kind: "series"; parts: SeriesParallel[] }
  | { kind: "parallel"; parts: SeriesParallel[] };

/**
 * The graph as nested series and parallel blocks, when it is one (it has no "N": a->c,
 * b->c, b->d without a->d); undefined otherwise. Parallel parts and series parts are in
 * file / run order. Useful for building nested Parallel states.
 *
 * @throws DagError when the steps have a cycle.
 */
export function seriesParallelDecomposition(steps: readonly DagNode[]): SeriesParallel | undefined {
  const order = topologicalOrder(steps);
  const fileOrder = [...new Set(steps.map((s) => s.id))];
  const succ = successors(steps);
  const reach = new Map(order.map((id) => [id, closure(id, succ)]));
  const comparable = (a: string, b: string) =>
    (reach.get(a) as Set<string>).has(b) || (reach.get(b) as Set<string>).has(a);

  const components = (ids: string[], linked: (a: string, b: string) => boolean): string[][] => {
    const left = new Set(ids);
    const result: string[][] = [];
    for (const seed of ids) {
      if (!left.has(seed)) continue;
      left.delete(seed);
      const group = [seed];
      for (let i = 0; i < group.length; i++) {
        for (const other of [...left]) {
          if (linked(group[i] as string, other)) {
            left.delete(other);
            group.push(other);
          }
        }
      }
      result.push(ids.filter((id) => group.includes(id)));
    }
    return result;
  };

  const decompose = (ids: string[]): SeriesParallel | undefined => {
    if (ids.length === 1) return { kind: "step", id: ids[0] as string };
    const parallel = components(ids, comparable);
    if (parallel.length > 1) {
      const parts = parallel.map((group) => decompose(inFileOrderOf(fileOrder, group)));
      return parts.every((p) => p !== undefined) ? { kind: "parallel", parts } : undefined;
    }
    const series = components(ids, (a, b) => !comparable(a, b));
    if (series.length > 1) {
      // Every member of an earlier block runs before every member of a later one.
      const rank = new Map(order.map((id, i) => [id, i]));
      series.sort(
        (x, y) => (rank.get(x[0] as string) as number) - (rank.get(y[0] as string) as number),
      );
      const parts = series.map((group) => decompose(inFileOrderOf(fileOrder, group)));
      return parts.every((p) => p !== undefined) ? { kind: "series", parts } : undefined;
    }
    return undefined;
  };
  if (fileOrder.length === 0) return undefined;
  return decompose(fileOrder);
}

function inFileOrderOf(fileOrder: readonly string[], ids: readonly string[]): string[] {
  const wanted = new Set(ids);
  return fileOrder.filter((id) => wanted.has(id));
}

/** Whether the graph can be run as nested series and parallel blocks without losing parallelism. */
export function isSeriesParallel(steps: readonly DagNode[]): boolean {
  return steps.length > 0 && seriesParallelDecomposition(steps) !== undefined;
}
