/**
 * Benchmark 4, Lambda: each of the five functions bundled with esbuild exactly as
 * OrchestratorFunction bundles it (BUNDLE_OPTIONS of lib/constructs/lambda-bundle.ts: ESM,
 * node24, minified, source map, the createRequire banner, nothing external), its size and what
 * fills it (from the metafile), and a cold-start proxy: the median time for a fresh Node
 * process to import the bundle (module evaluation only; no handler call, no AWS call),
 * with the NODE_OPTIONS the functions are deployed with (`--enable-source-maps`), and
 * without them for comparison (the two alternate, run by run).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { BUNDLE_OPTIONS } from "../lib/constructs/lambda-bundle";
import { DEPLOYED_NODE_OPTIONS } from "../lib/constructs/orchestrator-function";
import { median } from "./stats";

export const FUNCTIONS = [
  "start-sync",
  "check-status",
  "export-logs",
  "publish-metrics",
  "cancel-sync",
] as const;

const REPO_ROOT = resolve(import.meta.dirname, "..");

export interface LambdaResult {
  name: string;
  bundle_bytes: number;
  sourcemap_bytes: number;
  /** Largest contributors to the bundle, by package (bytes in the output). */
  top_packages: Array<{ name: string; bytes: number }>;
  /**
   * Median of `runs` fresh processes: import of the bundle, measured inside the process,
   * with the deployed NODE_OPTIONS (DEPLOYED_NODE_OPTIONS).
   */
  import_ms_median: number;
  /** Median of `runs`: process spawn to exit (Node's own start-up included), deployed flags. */
  process_ms_median: number;
  /** The deployed NODE_OPTIONS the two medians above ran with. */
  node_options: string;
  /** Median import time without those NODE_OPTIONS. */
  import_ms_median_without_flags: number;
  /** Median of the paired ratios: import with the deployed flags ÷ without (same run index). */
  import_ratio_flags: number;
  /** Node started and exited with an empty script, for reference (same for all). */
  runs: number;
}

function packageOf(path: string): string {
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  return m ? (m[1] as string) : "(project code)";
}

function topPackages(metafile: Metafile): Array<{ name: string; bytes: number }> {
  const bytes = new Map<string, number>();
  for (const output of Object.values(metafile.outputs)) {
    for (const [input, info] of Object.entries(output.inputs)) {
      const name = packageOf(input);
      bytes.set(name, (bytes.get(name) ?? 0) + info.bytesInOutput);
    }
  }
  return [...bytes.entries()]
    .map(([name, b]) => ({ name, bytes: b }))
    .sort((a, b) => b.bytes - a.bytes)
    .slice(0, 4);
}

function timeProcess(script: string, nodeOptions = ""): { total: number; inner: number } {
  const began = performance.now();
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: {
      PATH: process.env.PATH ?? "",
      AWS_REGION: "us-east-1",
      ...(nodeOptions ? { NODE_OPTIONS: nodeOptions } : {}),
    },
  });
  const total = performance.now() - began;
  if (out.status !== 0) {
    throw new Error(`lambda bench: a bundle failed to import: ${out.stderr.slice(0, 500)}`);
  }
  return { total, inner: Number(out.stdout.trim()) };
}

export interface LambdaReport {
  node: string;
  functions: LambdaResult[];
  /** Median process time of an empty script: Node's own start-up. */
  empty_process_ms_median: number;
  wall_seconds: number;
}

export async function benchLambda(options: { runs?: number } = {}): Promise<LambdaReport> {
  const began = performance.now();
  const runs = options.runs ?? 15;
  const dir = await mkdtemp(join(tmpdir(), "orchestrator-bench-lambda-"));
  try {
    const empty = median(Array.from({ length: runs }, () => timeProcess("console.log(0)").total));
    const functions: LambdaResult[] = [];
    for (const name of FUNCTIONS) {
      const outfile = join(dir, name, "index.mjs");
      const result = await build({
        entryPoints: [join(REPO_ROOT, "functions", name, "index.ts")],
        outfile,
        ...BUNDLE_OPTIONS,
        metafile: true,
        logLevel: "silent",
      });
      const url = pathToFileURL(outfile).href;
      const script = `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`;
      // Alternating, so a drift in the machine's speed touches both alike.
      const pairs = Array.from({ length: runs }, () => ({
        deployed: timeProcess(script, DEPLOYED_NODE_OPTIONS),
        bare: timeProcess(script),
      }));
      const timings = pairs.map((p) => p.deployed);
      functions.push({
        name,
        bundle_bytes: (await stat(outfile)).size,
        sourcemap_bytes: (await stat(`${outfile}.map`)).size,
        top_packages: topPackages(result.metafile),
        import_ms_median: median(timings.map((t) => t.inner)),
        process_ms_median: median(timings.map((t) => t.total)),
        node_options: DEPLOYED_NODE_OPTIONS,
        import_ms_median_without_flags: median(pairs.map((p) => p.bare.inner)),
        import_ratio_flags: median(pairs.map((p) => p.deployed.inner / p.bare.inner)),
        runs,
      });
    }
    return {
      node: process.version,
      functions,
      empty_process_ms_median: empty,
      wall_seconds: (performance.now() - began) / 1000,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
