/**
 * Series-parallel decomposition of a pipeline's step DAG, so the pipeline state
 * machine can run it with Parallel states and sequences, without level-by-level
 * barriers and without making any step wait for a step it does not depend on.
 *
 * Method. For a set S of steps:
 * - one step: run it;
 * - S not (weakly) connected: run its components in parallel;
 * - S connected: look for a series split at a step v: A = ancestors_S(v) (with or
 *   without v) is non-empty and every step b in S \ A has A ⊆ ancestors_S(b). Then
 *   S = A ; (S \ A): everything in A runs before everything else, and no step waits for
 *   anything it did not already (transitively) depend on. Recurse on both parts.
 * This is exact for series-parallel DAGs (chains, fan-out/fan-in, diamonds and their
 * nestings): the plan is the same as without this module's cutting, and nothing is gated.
 *
 * A DAG that is not series-parallel (e.g. the "N": a->c, b->c, b->d) has a connected
 * part with no exact split. Then some of its real dependency edges are cut: a minimum
 * weight edge cut that disconnects the part (Stoer-Wagner on the undirected edges;
 * every edge weighs 1, plus a small penalty when the edge is its target's only
 * dependency inside the part, so that a gated step usually still waits for something
 * in its own branch first). The part then runs as parallel branches and the recursion
 * goes on. Each declared dependency u -> v that the plan does not order (u is not
 * before v) is returned in `gated`: the state machine makes v's branch wait for u's
 * child execution to end (a "gate"), so the combination of plan and gates orders
 * exactly the declared dependencies. Cutting is a heuristic: the fewest edges for each
 * stuck part, not a proven global minimum (which is NP-hard in general).
 *
 * Cost: at most n candidates per split, each checked in O(n^2) with precomputed
 * ancestor sets, and at most n splits: O(n^4) in the worst case; each cut is O(n^3).
 * Negligible for pipelines of tens of steps, well under a second for hundreds.
 */

export type Plan =
  | { readonly kind: "step"; readonly id: string }
  | { readonly kind: "series"; readonly parts: readonly Plan[] }
  | { readonly kind: "parallel"; readonly branches: readonly Plan[] };

/** A declared dependency: `step` runs after `dependsOn`. */
export interface Dependency {
  readonly step: string;
  readonly dependsOn: string;
}

export interface Decomposition {
  readonly plan: Plan;
  /**
   * Declared dependencies the plan does not order (`dependsOn` is not before `step` in
   * the plan), in step order then declaration order: each needs a gate. Empty for
   * series-parallel DAGs.
   */
  readonly gated: readonly Dependency[];
}

export interface DagNode {
  readonly id: string;
  /** Ids of the steps this one runs after. */
  readonly after: readonly string[];
}

/**
 * Decomposes a DAG (nodes in a stable order, e.g. file order) into a series-parallel
 * plan plus the dependencies it leaves to gates. Throws on unknown dependencies,
 * duplicate ids and cycles (the config loader rejects those first; this guards direct
 * use).
 */
export function decompose(nodes: readonly DagNode[]): Decomposition {
  const order = nodeOrder(nodes);
  // The edges the plan is built from; cut edges are removed from it.
  const parents = new Map(nodes.map((n) => [n.id, new Set(n.after)]));
  let ancestors = ancestorSets(
    nodes.map((n) => n.id),
    parents,
  );
  const byOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);

  const anc = (v: string, set: ReadonlySet<string>): Set<string> =>
    new Set([...(ancestors.get(v) ?? [])].filter((a) => set.has(a)));

  /** The first exact series split of a connected set (A before the rest), if any. */
  const exactSplit = (ids: readonly string[], set: ReadonlySet<string>) => {
    const within = new Map(ids.map((id) => [id, anc(id, set)]));
    for (const v of ids) {
      const av = within.get(v) as Set<string>;
      for (const a of [av, new Set([...av, v])]) {
        if (a.size === 0 || a.size === set.size) continue;
        const exact = ids.every((b) => {
          if (a.has(b)) return true;
          const ab = within.get(b) as Set<string>;
          if (ab.size < a.size) return false;
          for (const x of a) if (!ab.has(x)) return false;
          return true;
        });
        if (exact) return a;
      }
    }
    return undefined;
  };

  const build = (set: ReadonlySet<string>): Plan => {
    const ids = [...set].sort(byOrder);
    if (ids.length === 1) return { kind: "step", id: ids[0] as string };
    const components = weakComponents(ids, set, parents);
    if (components.length > 1) {
      return parallel(components.map((c) => build(new Set(c))));
    }
    const a = exactSplit(ids, set);
    if (a) {
      const rest = new Set(ids.filter((id) => !a.has(id)));
      return series([build(a), build(rest)]);
    }
    // Not series-parallel: cut the cheapest set of edges that disconnects this part.
    for (const { step, dependsOn } of minimumCut(ids, parents)) {
      parents.get(step)?.delete(dependsOn);
    }
    ancestors = ancestorSets(
      nodes.map((n) => n.id),
      parents,
    );
    return build(set);
  };

  const declared = new Map(nodes.map((n) => [n.id, new Set(n.after)]));
  const plan = hangUnorderedBranches(
    build(new Set(nodes.map((n) => n.id))),
    nodes,
    ancestorSets(
      nodes.map((n) => n.id),
      declared,
    ),
  );
  return { plan, gated: unorderedDependencies(nodes, plan) };
}

/** Each node's position; throws on an empty DAG, duplicate ids and unknown dependencies. */
function nodeOrder(nodes: readonly DagNode[]): Map<string, number> {
  if (nodes.length === 0) throw new Error("decompose: a pipeline needs at least one step");
  const order = new Map<string, number>();
  for (const [i, n] of nodes.entries()) {
    if (order.has(n.id)) throw new Error(`decompose: duplicate step id "${n.id}"`);
    order.set(n.id, i);
  }
  for (const n of nodes) {
    for (const d of n.after) {
      if (!order.has(d))
        throw new Error(`decompose: step "${n.id}" runs after unknown step "${d}"`);
    }
  }
  return order;
}

/** The declared dependencies the plan's structure does not order: each needs a gate. */
function unorderedDependencies(nodes: readonly DagNode[], plan: Plan): Dependency[] {
  const before = planPredecessors(plan);
  const gated: Dependency[] = [];
  for (const n of nodes) {
    for (const d of new Set(n.after)) {
      if (!before.get(n.id)?.has(d)) gated.push({ step: n.id, dependsOn: d });
    }
  }
  return gated;
}

/**
 * Cutting can leave a whole branch of the top-level Parallel ordered after nothing
 * although its first steps have dependencies: each of those is then a gate, the first
 * of them waiting (polling) from the pipeline's start. Such a branch B is moved into
 * the branch of a dependency `d` of its first step, right after `d`: `… ; d ; R`
 * becomes `… ; d ; [R | B]` (`… ; d ; B` when nothing follows). B's steps then wait for
 * `d` in their branch, without a gate, and their other gates start only once `d`
 * ended. A move is kept only when `d` is an ancestor of every step of B, no other
 * step's predecessors change, and B's steps gain only `d` and d's predecessors (all
 * ancestors of `d`): nobody waits for anything more than before, nor for anything it
 * does not depend on. The dependency tried first is the one with the most ancestors
 * (then the first declared): likely the last to end, so the remaining gates mostly find
 * theirs ended. Branches are taken in turn, in passes until one moves none (each move
 * removes a branch, so there are at most as many passes as branches).
 */
function hangUnorderedBranches(
  initial: Plan,
  nodes: readonly DagNode[],
  ancestors: ReadonlyMap<string, ReadonlySet<string>>,
): Plan {
  const after = new Map(nodes.map((n) => [n.id, n.after]));
  let plan = initial;
  for (let moved = true; moved; ) {
    moved = false;
    const firsts = plan.kind === "parallel" ? plan.branches.map(firstStep) : [];
    for (const first of firsts) {
      const next = hangBranch(plan, first, after.get(first) ?? [], ancestors);
      if (next === plan) continue;
      plan = next;
      moved = true;
    }
  }
  return plan;
}

/**
 * `plan` with its top-level branch that starts with step `first` moved right after the
 * first of `dependencies` (most ancestors first) for which the move keeps every order
 * (keepsOrder); `plan` itself when there is no such branch or dependency.
 */
function hangBranch(
  plan: Plan,
  first: string,
  dependencies: readonly string[],
  ancestors: ReadonlyMap<string, ReadonlySet<string>>,
): Plan {
  if (plan.kind !== "parallel" || dependencies.length === 0) return plan;
  const k = plan.branches.findIndex((b) => firstStep(b) === first);
  const branch = plan.branches[k];
  if (branch === undefined) return plan;
  const steps = planSteps(branch);
  const size = (id: string) => ancestors.get(id)?.size ?? 0;
  const targets = [...new Set(dependencies)]
    .filter((d) => steps.every((id) => ancestors.get(id)?.has(d)))
    .sort((x, y) => size(y) - size(x));
  const rest = plan.branches.filter((_, i) => i !== k);
  const without = rest.length === 1 ? (rest[0] as Plan) : parallel(rest);
  const before = planPredecessors(plan);
  for (const d of targets) {
    const moved = hangAfter(without, d, branch);
    if (keepsOrder(before, planPredecessors(moved), steps, d)) return moved;
  }
  return plan;
}

/** The step a plan starts with (the first of its first parts and branches). */
export function firstStep(plan: Plan): string {
  switch (plan.kind) {
    case "step":
      return plan.id;
    case "series":
      return firstStep(plan.parts[0] as Plan);
    case "parallel":
      return firstStep(plan.branches[0] as Plan);
  }
}

/** `plan` with `branch` run right after step `d`, beside what follows `d` in its series. */
function hangAfter(plan: Plan, d: string, branch: Plan): Plan {
  switch (plan.kind) {
    case "step":
      return plan.id === d ? series([plan, branch]) : plan;
    case "parallel":
      return parallel(plan.branches.map((b) => hangAfter(b, d, branch)));
    case "series": {
      const k = plan.parts.findIndex((p) => p.kind === "step" && p.id === d);
      if (k < 0) return series(plan.parts.map((p) => hangAfter(p, d, branch)));
      const tail = plan.parts.slice(k + 1);
      const rest = tail.length === 1 ? (tail[0] as Plan) : series(tail);
      return series([
        ...plan.parts.slice(0, k + 1),
        tail.length === 0 ? branch : parallel([rest, branch]),
      ]);
    }
  }
}

/**
 * Whether a move kept every other step's predecessors, and gave the `moved` steps
 * only `d` and d's predecessors more.
 */
function keepsOrder(
  before: ReadonlyMap<string, ReadonlySet<string>>,
  after: ReadonlyMap<string, ReadonlySet<string>>,
  moved: readonly string[],
  d: string,
): boolean {
  const same = (x: ReadonlySet<string> | undefined, y: ReadonlySet<string> | undefined) =>
    (x?.size ?? 0) === (y?.size ?? 0) && [...(x ?? [])].every((v) => y?.has(v));
  const gained = [...(before.get(d) ?? []), d];
  if (after.size !== before.size) return false;
  return [...before].every(([id, preds]) =>
    same(moved.includes(id) ? new Set([...preds, ...gained]) : preds, after.get(id)),
  );
}

/** For each step, the steps the plan runs before it (all of them end before it starts). */
export function planPredecessors(plan: Plan): Map<string, Set<string>> {
  const result = new Map<string, Set<string>>();
  const walk = (p: Plan, preceding: ReadonlySet<string>): Set<string> => {
    switch (p.kind) {
      case "step":
        result.set(p.id, new Set(preceding));
        return new Set([p.id]);
      case "series": {
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
      case "parallel": {
        const done = new Set<string>();
        for (const b of p.branches) for (const s of walk(b, preceding)) done.add(s);
        return done;
      }
    }
  };
  walk(plan, new Set());
  return result;
}

/** Steps of a plan in execution order (depth first). */
export function planSteps(plan: Plan): string[] {
  switch (plan.kind) {
    case "step":
      return [plan.id];
    case "series":
      return plan.parts.flatMap(planSteps);
    case "parallel":
      return plan.branches.flatMap(planSteps);
  }
}

function series(parts: Plan[]): Plan {
  return { kind: "series", parts: parts.flatMap((p) => (p.kind === "series" ? p.parts : [p])) };
}

function parallel(branches: Plan[]): Plan {
  return {
    kind: "parallel",
    branches: branches.flatMap((b) => (b.kind === "parallel" ? b.branches : [b])),
  };
}

function ancestorSets(
  ids: readonly string[],
  parents: ReadonlyMap<string, ReadonlySet<string>>,
): Map<string, Set<string>> {
  const memo = new Map<string, Set<string>>();
  const visiting = new Set<string>();
  const visit = (id: string): Set<string> => {
    const known = memo.get(id);
    if (known) return known;
    if (visiting.has(id)) throw new Error(`decompose: dependency cycle through "${id}"`);
    visiting.add(id);
    const result = new Set<string>();
    for (const p of parents.get(id) ?? []) {
      result.add(p);
      for (const a of visit(p)) result.add(a);
    }
    visiting.delete(id);
    memo.set(id, result);
    return result;
  };
  for (const id of ids) visit(id);
  return memo;
}

/**
 * The edges (inside `ids`, a connected set) crossing a minimum weight cut, found with
 * Stoer-Wagner (O(n^3)). Weights: 1 per edge, plus a penalty below 1 in total when the
 * edge is its target's only dependency inside the set. Deterministic: ties go to the
 * first vertex in `ids` order.
 */
function minimumCut(
  ids: readonly string[],
  parents: ReadonlyMap<string, ReadonlySet<string>>,
): Dependency[] {
  const index = new Map(ids.map((id, i) => [id, i]));
  const edges: Array<{ from: number; to: number; dep: Dependency }> = [];
  for (const [to, id] of ids.entries()) {
    for (const p of parents.get(id) ?? []) {
      const from = index.get(p);
      if (from !== undefined) edges.push({ from, to, dep: { step: id, dependsOn: p } });
    }
  }
  const n = ids.length;
  const indegree = new Array<number>(n).fill(0);
  for (const e of edges) indegree[e.to] = (indegree[e.to] ?? 0) + 1;
  const penalty = 1 / (edges.length + 1);
  // Symmetric weight matrix, row-major.
  const w = new Float64Array(n * n);
  for (const e of edges) {
    const weight = 1 + (indegree[e.to] === 1 ? penalty : 0);
    w[e.from * n + e.to] = (w[e.from * n + e.to] as number) + weight;
    w[e.to * n + e.from] = (w[e.to * n + e.from] as number) + weight;
  }
  const groups: number[][] = ids.map((_, i) => [i]);
  const active = ids.map((_, i) => i);
  const connection = new Float64Array(n);
  const added = new Uint8Array(n);
  let best = Number.POSITIVE_INFINITY;
  let bestSide: number[] = [];
  while (active.length > 1) {
    const first = active[0] as number;
    for (const v of active) {
      connection[v] = w[first * n + v] as number;
      added[v] = 0;
    }
    added[first] = 1;
    let previous = first;
    let last = first;
    let lastConnection = 0;
    for (let count = 1; count < active.length; count++) {
      let next = -1;
      let most = -1;
      for (const v of active) {
        if (!added[v] && (connection[v] as number) > most) {
          most = connection[v] as number;
          next = v;
        }
      }
      added[next] = 1;
      previous = last;
      last = next;
      lastConnection = most;
      for (const v of active) {
        if (!added[v]) connection[v] = (connection[v] as number) + (w[next * n + v] as number);
      }
    }
    if (lastConnection < best - 1e-9) {
      best = lastConnection;
      bestSide = [...(groups[last] as number[])];
    }
    // Merge `last` into `previous`.
    (groups[previous] as number[]).push(...(groups[last] as number[]));
    for (const v of active) {
      if (v === previous || v === last) continue;
      const merged = (w[previous * n + v] as number) + (w[last * n + v] as number);
      w[previous * n + v] = merged;
      w[v * n + previous] = merged;
    }
    active.splice(active.indexOf(last), 1);
  }
  const side = new Set(bestSide);
  return edges.filter((e) => side.has(e.from) !== side.has(e.to)).map((e) => e.dep);
}

function weakComponents(
  ids: readonly string[],
  set: ReadonlySet<string>,
  parents: ReadonlyMap<string, ReadonlySet<string>>,
): string[][] {
  const neighbours = new Map<string, Set<string>>(ids.map((id) => [id, new Set()]));
  for (const id of ids) {
    for (const p of parents.get(id) ?? []) {
      if (!set.has(p)) continue;
      neighbours.get(id)?.add(p);
      neighbours.get(p)?.add(id);
    }
  }
  const seen = new Set<string>();
  const components: string[][] = [];
  for (const id of ids) {
    if (seen.has(id)) continue;
    const component: string[] = [];
    const stack = [id];
    seen.add(id);
    while (stack.length > 0) {
      const cur = stack.pop() as string;
      component.push(cur);
      for (const n of neighbours.get(cur) ?? []) {
        if (!seen.has(n)) {
          seen.add(n);
          stack.push(n);
        }
      }
    }
    components.push(ids.filter((i) => component.includes(i)));
  }
  return components;
}
