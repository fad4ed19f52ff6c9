/**
 * A layered layout of a pipeline's DAG for report.html: each step in the column of its
 * longest chain of dependencies, in file order within a column; edges as curves from a
 * dependency's right side to the dependant's left side.
 */

export interface LayoutNode {
  id: string;
  x: number;
  y: number;
}

export interface DagLayout {
  nodes: LayoutNode[];
  edges: Array<{ from: string; to: string; path: string }>;
  nodeWidth: number;
  nodeHeight: number;
  width: number;
  height: number;
}

const NODE_WIDTH = 150;
const NODE_HEIGHT = 22;
const COLUMN_GAP = 60;
const ROW_GAP = 8;
const MARGIN = 10;

/** Each step's column: 0 without dependencies, else one more than its deepest dependency. */
function depths(
  steps: ReadonlyArray<{ id: string; after: readonly string[] }>,
): Map<string, number> {
  const byId = new Map(steps.map((s) => [s.id, s]));
  const depth = new Map<string, number>();
  const visit = (id: string, seen: ReadonlySet<string>): number => {
    const known = depth.get(id);
    if (known !== undefined) return known;
    const step = byId.get(id);
    if (!step || seen.has(id)) return -1; // unknown or cyclic: validate refuses both
    const next = new Set(seen).add(id);
    const d = 1 + Math.max(-1, ...step.after.map((dep) => visit(dep, next)));
    depth.set(id, d);
    return d;
  };
  for (const s of steps) visit(s.id, new Set());
  return depth;
}

export function dagLayout(
  steps: ReadonlyArray<{ id: string; after: readonly string[] }>,
): DagLayout {
  const depth = depths(steps);
  const rowsUsed: number[] = [];
  const nodes = steps.map((s) => {
    const column = depth.get(s.id) ?? 0;
    const row = rowsUsed[column] ?? 0;
    rowsUsed[column] = row + 1;
    return {
      id: s.id,
      x: MARGIN + column * (NODE_WIDTH + COLUMN_GAP),
      y: MARGIN + row * (NODE_HEIGHT + ROW_GAP),
    };
  });
  const at = new Map(nodes.map((n) => [n.id, n]));
  const edges = steps.flatMap((s) =>
    s.after.flatMap((dep) => {
      const from = at.get(dep);
      const to = at.get(s.id);
      if (!from || !to) return [];
      const x1 = from.x + NODE_WIDTH;
      const y1 = from.y + NODE_HEIGHT / 2;
      const x2 = to.x;
      const y2 = to.y + NODE_HEIGHT / 2;
      const mid = (x1 + x2) / 2;
      return [{ from: dep, to: s.id, path: `M${x1},${y1} C${mid},${y1} ${mid},${y2} ${x2},${y2}` }];
    }),
  );
  const columns = rowsUsed.length;
  const rows = Math.max(0, ...rowsUsed);
  return {
    nodes,
    edges,
    nodeWidth: NODE_WIDTH,
    nodeHeight: NODE_HEIGHT,
    width: 2 * MARGIN + columns * NODE_WIDTH + Math.max(0, columns - 1) * COLUMN_GAP,
    height: 2 * MARGIN + rows * NODE_HEIGHT + Math.max(0, rows - 1) * ROW_GAP,
  };
}
