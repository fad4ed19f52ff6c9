import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { afterAll, describe, expect, it } from "vitest";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");

describe("npx cdk synth", () => {
  const outDirs: string[] = [];
  afterAll(async () => {
    await Promise.all(outDirs.map((d) => rm(d, { recursive: true, force: true })));
  });

  it("synthesizes the example pipelines offline with local esbuild bundling, using the pinned CLI", async () => {
    const out = await mkdtemp(join(tmpdir(), "cdk-out-"));
    outDirs.push(out);
    await run("npx", ["cdk", "synth", "--quiet", "--output", out], {
      cwd: repo,
      timeout: 240_000,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
    });
    const template = JSON.parse(
      await readFile(join(out, "PolytomicOrchestrator.template.json"), "utf8"),
    );
    const types = Object.values(template.Resources as Record<string, { Type: string }>).map(
      (r) => r.Type,
    );
    expect(types.filter((t) => t === "AWS::Lambda::Function").length).toBeGreaterThanOrEqual(5);
    expect(types).toContain("AWS::Scheduler::Schedule");
    const assets = JSON.parse(
      await readFile(join(out, "PolytomicOrchestrator.assets.json"), "utf8"),
    );
    expect(Object.keys(assets.files ?? {}).length).toBeGreaterThanOrEqual(5);
  }, 300_000);
});
