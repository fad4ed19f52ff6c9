import { stripVTControlCharacters } from "node:util";
import { describe, expect, it } from "vitest";
import { ANSI, LiveDisplay, type Output, stepLine, terminalSize } from "../../lib/cli/display";
import type { RunEvent, StepProgress } from "../../lib/local/runner";

class Capture implements Output {
  chunks: string[] = [];
  constructor(
    readonly isTTY: boolean,
    readonly columns = 120,
    readonly rows?: number,
  ) {}
  write(text: string): boolean {
    this.chunks.push(text);
    return true;
  }
  get text(): string {
    return this.chunks.join("");
  }
}

const STEPS = [
  { id: "load_salesforce", sync_type: "bulk" as const },
  { id: "push_hubspot", sync_type: "model" as const },
  { id: "report", sync_type: "model" as const },
];

function step(p: Partial<StepProgress> & Pick<StepProgress, "step" | "state">): RunEvent {
  return { type: "step", progress: { sync_type: "model", elapsed_seconds: 0, ...p } };
}

/** A run in which the load succeeds, the push fails and the report is skipped. */
const EVENTS: RunEvent[] = [
  { type: "pipeline", status: "running" },
  step({ step: "load_salesforce", state: "queued", sync_type: "bulk" }),
  step({ step: "load_salesforce", state: "running", sync_type: "bulk", elapsed_seconds: 5 }),
  step({
    step: "load_salesforce",
    state: "running",
    sync_type: "bulk",
    elapsed_seconds: 600,
    records: 4000,
  }),
  step({
    step: "load_salesforce",
    state: "succeeded",
    sync_type: "bulk",
    elapsed_seconds: 5400,
    records: 120000,
    errors: 0,
    warnings: 3,
    outcome: "succeeded_with_warnings",
  }),
  step({ step: "push_hubspot", state: "queued" }),
  step({ step: "push_hubspot", state: "running", elapsed_seconds: 60 }),
  step({
    step: "push_hubspot",
    state: "failed",
    elapsed_seconds: 600,
    records: 100,
    errors: 100,
    outcome: "failed",
  }),
  step({ step: "report", state: "skipped", outcome: "skipped" }),
  { type: "pipeline", status: "failed" },
];

describe("stepLine", () => {
  it("shows icon, state, elapsed time and counts; errors and warnings only when there are some", () => {
    const p: StepProgress = {
      step: "load",
      state: "succeeded",
      sync_type: "bulk",
      elapsed_seconds: 5400,
      records: 120000,
      errors: 0,
      warnings: 3,
      outcome: "succeeded_with_warnings",
    };
    expect(stepLine(p, 6)).toBe(
      "✔ load    succeeded  1h 30m 00s  120,000 records, 3 warnings  (succeeded_with_warnings)",
    );
    expect(
      stepLine({ step: "x", state: "waiting", sync_type: "model", elapsed_seconds: 0 }, 4),
    ).toBe("· x     waiting");
    expect(
      stepLine(
        { step: "x", state: "skipped", sync_type: "model", elapsed_seconds: 0, outcome: "skipped" },
        4,
      ),
    ).toBe("↷ x     skipped");
  });
});

describe("LiveDisplay, not a terminal", () => {
  it("appends one plain line per state change, with the overall progress", () => {
    const out = new Capture(false);
    const display = new LiveDisplay({ out, pipeline: "fanout", steps: STEPS });
    display.start();
    for (const e of EVENTS) display.handle(e);
    display.finish();
    expect(out.text).not.toContain("\x1b");
    expect(out.text.split("\n")).toEqual([
      "[----------] 0/3  … load_salesforce  queued             0s",
      "[----------] 0/3  ▶ load_salesforce  running            5s",
      "[###-------] 1/3  ✔ load_salesforce  succeeded  1h 30m 00s  120,000 records, 3 warnings  (succeeded_with_warnings)",
      "[###-------] 1/3  … push_hubspot     queued             0s",
      "[###-------] 1/3  ▶ push_hubspot     running        1m 00s",
      "[######----] 2/3  ✖ push_hubspot     failed        10m 00s  100 records, 100 errors",
      "[##########] 3/3  ↷ report           skipped",
      "",
    ]);
  });
});

describe("LiveDisplay, on a terminal", () => {
  it("draws the block once, then redraws it in place with cursor-up and line clears", () => {
    const out = new Capture(true);
    const display = new LiveDisplay({
      out,
      pipeline: "fanout",
      steps: STEPS,
      minFrameMs: 0,
      tickMs: 0,
    });
    display.start();
    expect(out.chunks).toEqual([
      ANSI.hideCursor,
      [
        "\r\x1b[2Kfanout  [░░░░░░░░░░░░░░░░░░░░░░░░]  0/3 steps  waiting\n",
        "\r\x1b[2K  · load_salesforce  waiting\n",
        "\r\x1b[2K  · push_hubspot     waiting\n",
        "\r\x1b[2K  · report           waiting\n",
      ].join(""),
    ]);
    out.chunks = [];
    for (const e of EVENTS.slice(0, 5)) display.handle(e);
    expect(out.chunks).toHaveLength(5);
    expect(out.chunks[4]).toBe(
      [
        "\x1b[4A",
        "\r\x1b[2Kfanout  [████████░░░░░░░░░░░░░░░░]  1/3 steps  running\n",
        "\r\x1b[2K  ✔ load_salesforce  succeeded  1h 30m 00s  120,000 records, 3 warnings  (succeeded_with_warnings)\n",
        "\r\x1b[2K  · push_hubspot     waiting\n",
        "\r\x1b[2K  · report           waiting\n",
      ].join(""),
    );
    out.chunks = [];
    for (const e of EVENTS.slice(5)) display.handle(e);
    display.finish();
    expect(out.chunks.at(-1)).toBe(ANSI.showCursor);
    expect(out.chunks.at(-2)).toContain(
      "\x1b[4A\r\x1b[2Kfanout  [████████████████████████]  3/3 steps  failed\n",
    );
    // Finishing twice writes nothing more, and later events are ignored.
    const n = out.chunks.length;
    display.finish();
    display.handle(EVENTS[1] as RunEvent);
    expect(out.chunks).toHaveLength(n);
  });

  it("cuts lines to the terminal width so that redrawing stays aligned", () => {
    const out = new Capture(true, 30);
    const display = new LiveDisplay({
      out,
      pipeline: "fanout",
      steps: STEPS,
      minFrameMs: 0,
      tickMs: 0,
    });
    display.start();
    display.handle(EVENTS[4] as RunEvent);
    for (const line of out.text.split("\n")) {
      const visible = stripVTControlCharacters(line).replace(/\r/g, "");
      expect(Array.from(visible).length).toBeLessThanOrEqual(29);
    }
    display.finish();
  });

  it("at 60 columns cuts long step ids rather than the counts at the end of the line", () => {
    const out = new Capture(true, 60);
    const id = "update_salesforce_accounts_from_the_warehouse";
    const display = new LiveDisplay({
      out,
      pipeline: "nightly",
      steps: [{ id, sync_type: "model" }],
      minFrameMs: 0,
      tickMs: 0,
    });
    display.start();
    display.handle(step({ step: id, state: "succeeded", elapsed_seconds: 959, records: 80000 }));
    const line = display.frame()[1] ?? "";
    expect(line).toMatch(/^ {2}✔ update_sales\S*… +succeeded +15m 59s {2}80,000 records$/);
    expect(Array.from(line).length).toBeLessThanOrEqual(59);
    display.finish();
  });

  it("keeps a running step's elapsed time moving on the simulated clock between events", () => {
    const out = new Capture(true);
    let now = Date.parse("2025-01-01T00:00:00Z");
    const display = new LiveDisplay({
      out,
      pipeline: "p",
      steps: STEPS,
      now: () => now,
      minFrameMs: 0,
      tickMs: 0,
    });
    display.handle(
      step({
        step: "push_hubspot",
        state: "running",
        started_at: "2025-01-01T00:00:00.000Z",
        elapsed_seconds: 0,
      }),
    );
    now += 125_000;
    expect(display.frame()[2]).toBe("  ▶ push_hubspot     running        2m 05s");
    display.finish();
  });

  it("coalesces redraws that come faster than the frame interval", async () => {
    const out = new Capture(true);
    const display = new LiveDisplay({
      out,
      pipeline: "p",
      steps: STEPS,
      minFrameMs: 20,
      tickMs: 0,
    });
    display.start();
    out.chunks = [];
    for (const e of EVENTS) display.handle(e);
    expect(out.chunks.length).toBeLessThanOrEqual(1);
    await new Promise((r) => setTimeout(r, 40));
    expect(out.chunks.at(-1)).toContain("3/3 steps  failed");
    display.finish();
  });

  it("keeps a pipeline taller than the terminal to the screen: busy and failed steps first", () => {
    const out = new Capture(true, 120, 7);
    const steps = Array.from({ length: 10 }, (_, i) => ({
      id: `s${i}`,
      sync_type: "model" as const,
    }));
    const display = new LiveDisplay({ out, pipeline: "big", steps, minFrameMs: 0, tickMs: 0 });
    display.handle(step({ step: "s0", state: "succeeded", elapsed_seconds: 60 }));
    display.handle(step({ step: "s1", state: "failed", elapsed_seconds: 60 }));
    display.handle(step({ step: "s7", state: "running", elapsed_seconds: 5 }));
    display.handle(step({ step: "s4", state: "queued" }));
    expect(display.frame()).toEqual([
      "big  [████░░░░░░░░░░░░░░░░░░░░]  2/10 steps  waiting",
      "  ✔ s0    succeeded      1m 00s",
      "  ✖ s1    failed         1m 00s",
      "  … s4    queued             0s",
      "  ▶ s7    running            5s",
      "  … 6 more (6 waiting)",
    ]);
    display.finish();
  });

  it.each([
    ["0 columns and 0 rows (a pty without a size, as under script)", 0, 0],
    ["NaN", Number.NaN, Number.NaN],
    ["Infinity", Number.POSITIVE_INFINITY, Number.POSITIVE_INFINITY],
    ["negative sizes", -1, -1],
  ])("takes %s as unknown: the default width, every step shown", (_, columns, rows) => {
    const out = new Capture(true, columns, rows);
    const steps = Array.from({ length: 10 }, (_, i) => ({
      id: `step_with_a_long_name_${i}`,
      sync_type: "model" as const,
    }));
    const display = new LiveDisplay({ out, pipeline: "ten", steps, minFrameMs: 0, tickMs: 0 });
    display.start();
    display.handle(step({ step: "step_with_a_long_name_3", state: "running", elapsed_seconds: 5 }));
    const frame = display.frame();
    expect(frame).toHaveLength(11);
    const drawn = stripVTControlCharacters(out.chunks.at(-1) ?? "")
      .split("\n")
      .map((l) => l.replace(/\r/g, ""));
    // Every step, none of the lines cut (at 20 columns each would be).
    expect(drawn).toEqual([...frame, ""]);
    expect(Math.min(...frame.map((l) => l.length))).toBeGreaterThan(20);
    display.finish();
  });
});

describe("terminalSize", () => {
  it("keeps a reported size, rounded down; 0, negative, non-finite and missing are unknown", () => {
    expect(terminalSize(80)).toBe(80);
    expect(terminalSize(80.7)).toBe(80);
    expect(terminalSize(1)).toBe(1);
    for (const unknown of [0, 0.5, -24, Number.NaN, Number.POSITIVE_INFINITY, undefined]) {
      expect(terminalSize(unknown)).toBe(undefined);
    }
  });
});
