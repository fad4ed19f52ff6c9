/**
 * Series-parallel decomposition of a pipeline's step DAG, so the pipeline state
 * machine can run it with Parallel states and sequences, without level-by-level
 * barriers.
 *
 * Method. For a set S of steps:
 * - one step: run it;
 * - S not (weakly) connected: run its components in parallel;
 * - S connected: look for a series split at a step v: A = ancestors_S(v) is non-empty
 *   and every step b in S \ A has A ⊆ ancestors_S(b). Then S = A ; (S \ A): everything
 *   in A runs before everything else, and no step waits for anything it did not
 *   already (transitively) depend on. Recurse on both parts.
 * This is exact for series-parallel DAGs (chains, fan-out/fan-in, diamonds and their
 * nestings): no dependency is added.
 *
 * A DAG that is not series-parallel (e.g. the "N": a->c, b->c, b->d) has a connected
 * part with no exact split. Then every candidate A (ancestors of v, with or without v)
 * is priced by the dependencies it implies (pairs b in S \ A, a in A with a not an
 * ancestor of b: b now also waits for a) and the cheapest is taken (ties: the first
 * candidate in step order). The implied dependencies are returned so the construct
 * can report them; they only delay a step, they never skip it (skips follow the real
 * dependencies).
 *
 * Cost: at most n candidates per split, each checked in O(n^2) with precomputed
 * ancestor sets, and at most n splits: O(n^4) in the worst case, negligible for
 * pipelines of tens of steps.
 */

export type Plan =
  | { readonly kind: "step"; readonly id: string }
  | { readonly kind: "series"; readonly parts: readonly Plan[] }
  | { readonly kind: "parallel"; readonly branches: readonly Plan[] };

/** A dependency the composition adds: `step` also waits for `waitsFor`. */
export interface ImpliedDependency {
  readonly step: string;
  readonly waitsFor: string;
}

export interface Decomposition {
  readonly plan: Plan;
  readonly implied: readonly ImpliedDependency[];
}

export interface DagNode {
  readonly id: string;
  /** Ids of the steps this one runs after. */
  readonly after: readonly string[];
}

/**
 * Decomposes a DAG (nodes in a stable order, e.g. file order) into a series-parallel
 * plan. Throws on unknown dependencies, duplicate ids and cycles (the config loader
 * rejects those first; this guards direct use).
 */
export function decompose(nodes: readonly DagNode[]): Decomposition {
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
  const ancestors = ancestorSets(nodes);
  const parents = new Map(nodes.map((n) => [n.id, n.after]));
  const implied: ImpliedDependency[] = [];
  const byOrder = (a: string, b: string) => (order.get(a) ?? 0) - (order.get(b) ?? 0);

  const anc = (v: string, set: ReadonlySet<string>): Set<string> =>
    new Set([...(ancestors.get(v) ?? [])].filter((a) => set.has(a)));

  const build = (set: ReadonlySet<string>): Plan => {
    const ids = [...set].sort(byOrder);
    if (ids.length === 1) return { kind: "step", id: ids[0] as string };
    const components = weakComponents(ids, set, parents);
    if (components.length > 1) {
      return parallel(components.map((c) => build(new Set(c))));
    }
    let best: { a: Set<string>; cost: ImpliedDependency[] } | undefined;
    for (const v of ids) {
      const av = anc(v, set);
      for (const a of [av, new Set([...av, v])]) {
        if (a.size === 0 || a.size === set.size) continue;
        const cost: ImpliedDependency[] = [];
        for (const b of ids) {
          if (a.has(b)) continue;
          const ab = anc(b, set);
          for (const x of [...a].sort(byOrder)) {
            if (!ab.has(x)) cost.push({ step: b, waitsFor: x });
          }
        }
        if (!best || cost.length < best.cost.length) best = { a, cost };
        if (cost.length === 0) break;
      }
      if (best && best.cost.length === 0) break;
    }
    if (!best) throw new Error("decompose: no split found (is the graph acyclic?)");
    implied.push(...transitiveReduction(best.cost, ancestors));
    const rest = new Set(ids.filter((id) => !best.a.has(id)));
    return series([build(best.a), build(rest)]);
  };

  return { plan: build(new Set(nodes.map((n) => n.id))), implied };
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

/** Drops implied pairs already implied through another implied pair's step (a is before b anyway). */
function transitiveReduction(
  pairs: ImpliedDependency[],
  ancestors: ReadonlyMap<string, ReadonlySet<string>>,
): ImpliedDependency[] {
  return pairs.filter(
    (p) =>
      !pairs.some(
        (q) =>
          q !== p && q.step === p.step && (ancestors.get(q.waitsFor)?.has(p.waitsFor) ?? false),
      ),
  );
}

function ancestorSets(nodes: readonly DagNode[]): Map<string, Set<string>> {
  const parents = new Map(nodes.map((n) => [n.id, n.after]));
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
  for (const n of nodes) visit(n.id);
  return memo;
}

function weakComponents(
  ids: readonly string[],
  set: ReadonlySet<string>,
  parents: ReadonlyMap<string, readonly string[]>,
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
