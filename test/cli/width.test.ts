/**
 * Issue 13, point 5: `run` on a terminal of 60, 80 or 120 columns: no line it prints is
 * wider (the live block, the summary table, errors, paths), so nothing hard-wraps.
 * Columns shrink (cut with …) and drop; the times keep their labelled meaning.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { stripVTControlCharacters } from "node:util";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Output } from "../../lib/cli/display";
import { main } from "../../lib/cli/main";
import { summaryText } from "../../lib/cli/summary";
import type { LocalRunResult } from "../../lib/local/runner";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");

/** A terminal of `columns` columns that keeps what is written. */
class Terminal implements Output {
  readonly isTTY = true;
  readonly rows = 50;
  text = "";
  constructor(readonly columns: number) {}
  write(text: string): boolean {
    this.text += text;
    return true;
  }
  /** The lines as the terminal shows them (cursor movement and colours removed). */
  lines(): string[] {
    return stripVTControlCharacters(this.text)
      .split("\n")
      .map((l) => l.replace(/^.*\r/, ""));
  }
}

let out: string;
beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "width-test-"));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe("run on a narrow terminal", () => {
  it.each([60, 80, 120])("prints no line wider than %i columns", async (columns) => {
    const stdout = new Terminal(columns);
    const stderr = new Terminal(columns);
    const code = await main(
      ["run", "fanout", "--scenario", "hubspot-fails.yaml", "--out", join(out, String(columns))],
      { stdout, stderr, env: {}, cwd: FIXTURES },
    );
    expect(code).toBe(1);
    const lines = stdout.lines();
    const widest = Math.max(...lines.map((l) => Array.from(l).length));
    expect(
      widest,
      lines.find((l) => Array.from(l).length > columns),
    ).toBeLessThanOrEqual(columns);
    // The summary is all there: each step, the failure, the closing line, the report.
    for (const id of ["load_salesforce", "push_hubspot", "push_braze", "report"]) {
      expect(lines.some((l) => l.startsWith(id.slice(0, 9)))).toBe(true);
    }
    expect(lines.some((l) => l.startsWith("push_hubspot failed: Sync.Failed:"))).toBe(true);
    expect(lines.some((l) => l.startsWith("Pipeline fanout failed in"))).toBe(true);
    expect(lines.some((l) => l.startsWith("Report:"))).toBe(true);
    const header = lines.find((l) => l.startsWith("STEP")) ?? "";
    expect(header).toMatch(/OUTCOME\s+ELAPSED/);
    // Columns drop in order as space runs out: the logs first, then the sync names.
    expect(header.includes("LOGS")).toBe(columns >= 120);
    expect(header.includes("SYNC")).toBe(columns >= 80);
  });
});

describe("summaryText at a width", () => {
  const step = {
    sync_type: "model" as const,
    sync_id: "9f1c0d2e-0000-4000-8000-000000000001",
    status: "succeeded" as const,
    outcome: "succeeded_with_warnings",
    execution_id: "e1",
    duration_seconds: 5400,
    elapsed_seconds: 5525,
    records: 120000,
    errors: 0,
    warnings: 3,
    logs: ["polytomic-logs/nightly/2026-12-01/run/a_step/logs-0000000000000000000.jsonl.gz"],
  };
  const result: LocalRunResult = {
    pipeline: "nightly",
    status: "succeeded",
    started_at: "2026-12-01T07:00:00.000Z",
    finished_at: "2026-12-01T08:05:00.000Z",
    steps: [
      { ...step, id: "update_salesforce_accounts_from_the_warehouse_every_night" },
      { ...step, id: "b" },
    ],
    state_transitions: 229,
    polls: 59,
    executions: [],
  };

  it.each([60, 80, 120])(
    "keeps every line within %i columns, cutting long ids with …",
    (columns) => {
      const lines = summaryText(result, { outDir: "/o", cwd: "/", simulated: true, columns }).split(
        "\n",
      );
      for (const line of lines) expect(Array.from(line).length, line).toBeLessThanOrEqual(columns);
      expect(lines.find((l) => l.startsWith("update_s"))).toMatch(/^update_s\S*…\s/);
      // Both times are always there at 80 columns and more, each in its labelled column.
      if (columns >= 80) expect(lines[0]).toMatch(/ELAPSED\s+RUNNING/);
      expect(lines.join(" ")).toContain("ELAPSED: from the step's start to its end");
    },
  );

  it("is unchanged without a width", () => {
    const text = summaryText(result, { outDir: "/o", cwd: "/", simulated: true });
    expect(text).toContain("update_salesforce_accounts_from_the_warehouse_every_night  ");
    expect(text).toMatch(/LOGS\n/);
  });
});
