/** Number formatting and Markdown tables shared by the report's parts. */

export interface Target {
  target: string;
  measured: string;
  met: boolean;
}

export const f = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : "n/a";
export const i = (n: number) =>
  Number.isFinite(n) ? Math.round(n).toLocaleString("en-US") : "n/a";

export function table(head: string[], rows: string[][]): string {
  const line = (cells: string[]) => `| ${cells.join(" | ")} |`;
  return [line(head), line(head.map(() => "---")), ...rows.map(line)].join("\n");
}
