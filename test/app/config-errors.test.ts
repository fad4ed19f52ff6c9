/**
 * The CDK app (`cdk synth`) refuses a bad pipelines file before it builds anything, and
 * prints each problem at file:line:col as the command line does.
 */
import { execFile } from "node:child_process";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";

const ROOT = resolve(import.meta.dirname, "../..");
const TSX = join(ROOT, "node_modules/tsx/dist/cli.mjs");

describe("bin/app.ts", () => {
  it("prints each problem of a bad pipelines file at file:line:col and exits 1", async () => {
    const file = join(ROOT, "test/fixtures/cli/positions.yaml");
    const { code, stderr } = await new Promise<{ code: number | null; stderr: string }>((done) =>
      execFile(
        process.execPath,
        [TSX, join(ROOT, "bin/app.ts")],
        {
          cwd: ROOT,
          env: { ...process.env, CDK_CONTEXT_JSON: JSON.stringify({ pipelinesFile: file }) },
        },
        (error, _stdout, stderr) =>
          done({ code: error === null ? 0 : (error.code as number), stderr }),
      ),
    );
    expect(code).toBe(1);
    expect(stderr).toContain(
      `${file}:4:23: pipeline "nightly", field "schedule.cron": invalid cron`,
    );
    expect(stderr).toContain(`${file}:8:9: pipeline "nightly", step "load", field "tiemout"`);
    expect(stderr).toContain(`${file}:11:16: pipeline "nightly", step "x", field "after"`);
  });
});
