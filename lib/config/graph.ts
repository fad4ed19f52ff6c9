/**
 * A pipeline's dependency graph as text: Mermaid (`flowchart LR`) for Markdown and
 * Graphviz DOT. Nodes in file order, edges by dependent then by `after` order, so the
 * output only changes when the pipeline does. Bulk syncs are drawn as cylinders, model
 * syncs as rounded boxes; a dotted edge marks a step that runs after completion.
 */
import type { PipelineConfig, StepConfig } from "./model";

function syncLabel(step: StepConfig): string {
  const target = step.sync.name ?? step.sync.id ?? "";
  return `${step.sync_type}: ${target}`;
}

/** Mermaid text escapes: entity codes inside a quoted label. */
function mermaidText(text: string): string {
  return text.replace(/[#"<>&]/g, (c) => `#${c.charCodeAt(0)};`);
}

/**
 * The pipeline as a Mermaid flowchart. Node ids are `s1`, `s2`, ... (step ids such as
 * `end` would break Mermaid); labels carry the step id and the sync.
 */
export function toMermaid(pipeline: PipelineConfig): string {
  const nodeId = new Map(pipeline.steps.map((s, i) => [s.id, `s${i + 1}`]));
  const lines = ["flowchart LR"];
  for (const step of pipeline.steps) {
    const label = `${mermaidText(step.id)}<br/>${mermaidText(syncLabel(step))}`;
    const [open, close] = step.sync_type === "bulk" ? ['[("', '")]'] : ['("', '")'];
    lines.push(`  ${nodeId.get(step.id)}${open}${label}${close}`);
  }
  for (const step of pipeline.steps) {
    for (const dep of step.after) {
      const arrow = step.run_after === "completion" ? "-. completion .->" : "-->";
      lines.push(`  ${nodeId.get(dep)} ${arrow} ${nodeId.get(step.id)}`);
    }
  }
  return `${lines.join("\n")}\n`;
}

function dotString(text: string): string {
  return `"${text.replace(/[\\"]/g, (c) => `\\${c}`)}"`;
}

/** The pipeline as a Graphviz digraph (`dot -Tsvg`). */
export function toDot(pipeline: PipelineConfig): string {
  const lines = [
    `digraph ${dotString(pipeline.name)} {`,
    "  rankdir=LR;",
    '  node [shape=box, style=rounded, fontname="Helvetica"];',
    '  edge [fontname="Helvetica"];',
  ];
  for (const step of pipeline.steps) {
    const label = `${dotString(step.id).slice(0, -1)}\\n${dotString(syncLabel(step)).slice(1)}`;
    const shape = step.sync_type === "bulk" ? ", shape=cylinder, style=solid" : "";
    lines.push(`  ${dotString(step.id)} [label=${label}${shape}];`);
  }
  for (const step of pipeline.steps) {
    for (const dep of step.after) {
      const attrs = step.run_after === "completion" ? ' [style=dashed, label="completion"]' : "";
      lines.push(`  ${dotString(dep)} -> ${dotString(step.id)}${attrs};`);
    }
  }
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
