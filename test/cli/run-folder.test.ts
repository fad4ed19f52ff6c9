/**
 * Issue 13, points 2 and 5: each `run` keeps its own folder under --out (its handler log,
 * its metrics, its report.html), and says where the report is.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { LOCAL_API_KEY } from "../../lib/cli/target";
import { runMain } from "./in-process";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");
let out: string;

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "run-folder-"));
});
afterAll(() => rm(out, { recursive: true, force: true }));

describe("run folders", () => {
  it("gives each run its own handler log, metrics and report.html, and prints the report's path", async () => {
    const first = await runMain(["run", "single", "--out", out], FIXTURES);
    // Wide enough for the long temporary paths on one line each (width: width.test.ts).
    const second = await runMain(["run", "fanout", "--out", out], FIXTURES, { COLUMNS: "400" });
    expect([first.code, second.code]).toEqual([0, 0]);
    const runs = readdirSync(join(out, "runs")).sort();
    expect(runs).toHaveLength(2);
    for (const name of runs) {
      const dir = join(out, "runs", name);
      expect(readdirSync(dir).sort()).toEqual([
        "handlers.log.jsonl",
        "metrics.jsonl",
        "report.html",
      ]);
    }
    // Nothing of a run is left in the shared directory but the exported logs.
    expect(readdirSync(out).sort()).toEqual(["polytomic-logs", "runs"]);
    const single = runs.find((r) => r.startsWith("single-")) as string;
    const fanout = runs.find((r) => r.startsWith("fanout-")) as string;
    const log = (run: string) => readFileSync(join(out, "runs", run, "handlers.log.jsonl"), "utf8");
    expect(log(single)).toContain('"step":"only"');
    expect(log(single)).not.toContain("load_salesforce");
    expect(log(fanout)).toContain("load_salesforce");
    // The path printed last is the run's report, relative to where run was started.
    const lastLine = (text: string) => text.trimEnd().split("\n").at(-1);
    expect(lastLine(second.stdout)).toBe(`Report: ${join(out, "runs", fanout, "report.html")}`);
    expect(second.stdout).toContain(
      `Run folder (handler log, metrics): ${join(out, "runs", fanout)}`,
    );
    expect(existsSync(join(out, "runs", single, "report.html"))).toBe(true);
    // The key sent to the simulator is in none of a run's files.
    for (const name of runs) {
      for (const file of ["handlers.log.jsonl", "metrics.jsonl", "report.html"]) {
        expect(readFileSync(join(out, "runs", name, file), "utf8")).not.toContain(LOCAL_API_KEY);
      }
    }
  });

  it("--json names the report", async () => {
    const json = await runMain(["run", "single", "--json", "--out", join(out, "j")], FIXTURES);
    const report = JSON.parse(json.stdout);
    expect(report.report).toMatch(/\/j\/runs\/single-[^/]+\/report\.html$/);
    expect(existsSync(report.report)).toBe(true);
  });
});
