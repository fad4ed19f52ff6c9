/**
 * Bundles a Lambda handler with esbuild's JavaScript API (one direct esbuild process per
 * build, no `npx` launch as NodejsFunction's local bundling makes), into a cache directory
 * keyed by the entry, and reuses the bundle while nothing that went into it changed.
 *
 * What went into a bundle is esbuild's own metafile: every input file (project sources and
 * node_modules alike), recorded with its SHA-256 beside the bundle. A bundle is reused only
 * when the options, the esbuild version, and the content of every recorded input are the
 * same; otherwise it is rebuilt, and its record with it (a new import can only appear in an
 * input that changed). The bundle directory holds only what Lambda runs (index.mjs and its
 * source map); CDK hashes it as the function's asset, so an unchanged function keeps its
 * asset, and cdk.out keeps one copy per content.
 */
import { createHash, randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import { type BuildOptions, buildSync, version as esbuildVersion } from "esbuild";

/** Defines `require` in the ESM bundle, for the few CommonJS dependencies that call it. */
export const ESM_REQUIRE_BANNER =
  "import { createRequire as __orchestratorCreateRequire } from 'node:module'; const require = __orchestratorCreateRequire(import.meta.url);";

/**
 * esbuild options of every function: the arguments NodejsFunction passed the esbuild CLI
 * for OutputFormat.ESM, target node24, minify, sourceMap, mainFields, the banner and
 * externalModules: [] (`@aws-sdk/*` bundled, pinned to the tested version).
 */
export const BUNDLE_OPTIONS = {
  bundle: true,
  platform: "node",
  format: "esm",
  target: "node24",
  minify: true,
  sourcemap: true,
  mainFields: ["module", "main"],
  banner: { js: ESM_REQUIRE_BANNER },
  external: [],
  // Warnings and errors only: a size summary for each bundle buried the synth's messages.
  logLevel: "warning",
} as const satisfies BuildOptions;

/** The file Lambda loads (handler `index.handler`): ESM, so `.mjs`. */
export const BUNDLE_FILE = "index.mjs";

interface BundleRecord {
  /** Hash of the entry, the options and the esbuild version. */
  key: string;
  /** Every input esbuild read, by absolute path, with its content's SHA-256. */
  inputs: Record<string, string>;
}

export interface Bundle {
  /** The directory to deploy (index.mjs, index.mjs.map). */
  dir: string;
  /** Whether esbuild ran (false: the cached bundle was reused). */
  built: boolean;
}

const sha256 = (data: string | Buffer) => createHash("sha256").update(data).digest("hex");

/** The bundle of `entry` under `cacheDir`, built only when something that went into it changed. */
export function bundleHandler(entry: string, cacheDir: string, workingDir: string): Bundle {
  const home = join(cacheDir, `${basename(dirname(entry))}-${sha256(entry).slice(0, 12)}`);
  const key = sha256(JSON.stringify([entry, esbuildVersion, BUNDLE_OPTIONS]));
  const out = join(home, "out");
  if (isFresh(join(home, "record.json"), key) && existsSync(join(out, BUNDLE_FILE))) {
    return { dir: out, built: false };
  }
  const staging = `${home}.building-${process.pid}-${randomBytes(4).toString("hex")}`;
  try {
    const result = buildSync({
      ...BUNDLE_OPTIONS,
      entryPoints: [entry],
      outfile: join(staging, "out", BUNDLE_FILE),
      absWorkingDir: workingDir,
      metafile: true,
    });
    const inputs: Record<string, string> = {};
    for (const input of Object.keys(result.metafile.inputs)) {
      const path = resolve(workingDir, input);
      inputs[path] = sha256(readFileSync(path));
    }
    writeFileSync(join(staging, "record.json"), JSON.stringify({ key, inputs }));
    replaceDir(staging, home, key);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { dir: out, built: true };
}

/** Whether the record is for `key` and every input it lists still has the recorded content. */
function isFresh(recordPath: string, key: string): boolean {
  let record: BundleRecord;
  try {
    record = JSON.parse(readFileSync(recordPath, "utf8")) as BundleRecord;
  } catch {
    return false;
  }
  if (record.key !== key) return false;
  return Object.entries(record.inputs).every(([path, hash]) => {
    try {
      return sha256(readFileSync(path)) === hash;
    } catch {
      return false;
    }
  });
}

/**
 * Moves the freshly built `staging` to `home`. A `home` that another synth filled with a
 * fresh build meanwhile stays as it is (that synth may be reading it: two test suites at
 * once both start with an empty cache). A stale `home` is moved aside first; when
 * another synth put its own build there in between, that one (from the same inputs) stays.
 */
function replaceDir(staging: string, home: string, key: string): void {
  mkdirSync(dirname(home), { recursive: true });
  if (isFresh(join(home, "record.json"), key)) return;
  if (existsSync(home)) {
    const stale = `${home}.stale-${process.pid}-${randomBytes(4).toString("hex")}`;
    try {
      renameSync(home, stale);
      rmSync(stale, { recursive: true, force: true });
    } catch {
      // Another synth moved it first.
    }
  }
  try {
    renameSync(staging, home);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== "ENOTEMPTY" && code !== "EEXIST") throw error;
  }
}
