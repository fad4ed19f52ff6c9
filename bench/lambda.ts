/**
 * Benchmark 4, Lambda: each of the five functions bundled with esbuild exactly as
 * lib/constructs/orchestrator-function.ts has NodejsFunction bundle it (ESM, node24,
 * minified, source map, the createRequire banner, nothing external), its size and what
 * fills it (from the metafile), and a cold-start proxy: the median time for a fresh Node
 * process to import the bundle (module evaluation only; no handler call, no AWS call).
 */
import { spawnSync } from "node:child_process";
import { mkdtemp, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { median } from "./stats";

export const FUNCTIONS = [
  "start-sync",
  "check-status",
  "export-logs",
  "publish-metrics",
  "cancel-sync",
] as const;

const REPO_ROOT = resolve(import.meta.dirname, "..");
const BANNER =
  "import { createRequire as __orchestratorCreateRequire } from 'node:module'; const require = __orchestratorCreateRequire(import.meta.url);";

export interface LambdaResult {
  name: string;
  bundle_bytes: number;
  sourcemap_bytes: number;
  /** Largest contributors to the bundle, by package (bytes in the output). */
  top_packages: Array<{ name: string; bytes: number }>;
  /** Median of `runs` fresh processes: import of the bundle, measured inside the process. */
  import_ms_median: number;
  /** Median of `runs`: process spawn to exit (Node's own start-up included). */
  process_ms_median: number;
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

function timeProcess(script: string): { total: number; inner: number } {
  const began = performance.now();
  const out = spawnSync(process.execPath, ["--input-type=module", "-e", script], {
    encoding: "utf8",
    env: { PATH: process.env.PATH ?? "", AWS_REGION: "us-east-1" },
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
        bundle: true,
        platform: "node",
        format: "esm",
        target: "node24",
        minify: true,
        sourcemap: true,
        mainFields: ["module", "main"],
        banner: { js: BANNER },
        external: [],
        metafile: true,
        logLevel: "silent",
      });
      const url = pathToFileURL(outfile).href;
      const script = `const t = performance.now(); await import(${JSON.stringify(url)}); console.log(performance.now() - t);`;
      const timings = Array.from({ length: runs }, () => timeProcess(script));
      functions.push({
        name,
        bundle_bytes: (await stat(outfile)).size,
        sourcemap_bytes: (await stat(`${outfile}.map`)).size,
        top_packages: topPackages(result.metafile),
        import_ms_median: median(timings.map((t) => t.inner)),
        process_ms_median: median(timings.map((t) => t.total)),
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
