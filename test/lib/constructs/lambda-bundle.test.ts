import { mkdirSync } from "node:fs";
import { mkdtemp, readdir, rm, stat, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterEach, describe, expect, it } from "vitest";
import { BUNDLE_FILE, bundleHandler } from "../../../lib/constructs/lambda-bundle";
import { OrchestratorFunction } from "../../../lib/constructs/orchestrator-function";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});

/** Two handlers, a and b, both importing shared.ts, in a fresh directory. */
async function project() {
  const root = await mkdtemp(join(tmpdir(), "orchestrator-bundle-"));
  dirs.push(root);
  for (const name of ["a", "b"]) {
    mkdirSync(join(root, name));
    await writeFile(
      join(root, name, "index.ts"),
      `import { greet } from "../shared";\nexport const handler = async () => greet("${name}");\n`,
    );
  }
  await writeFile(join(root, "shared.ts"), 'export const greet = (n: string) => "hi " + n;\n');
  const cache = join(root, ".cache");
  const bundle = (name: string) => bundleHandler(join(root, name, "index.ts"), cache, root);
  return { root, bundle };
}

describe("bundleHandler", () => {
  it("bundles once, then reuses the bundle while nothing that went into it changed", async () => {
    const { bundle } = await project();
    const first = bundle("a");
    expect(first.built).toBe(true);
    expect((await readdir(first.dir)).sort()).toEqual([BUNDLE_FILE, `${BUNDLE_FILE}.map`]);
    const { handler } = (await import(pathToFileURL(join(first.dir, BUNDLE_FILE)).href)) as {
      handler: () => Promise<string>;
    };
    expect(await handler()).toBe("hi a");
    const mtime = (await stat(join(first.dir, BUNDLE_FILE))).mtimeMs;
    expect(bundle("a")).toEqual({ dir: first.dir, built: false });
    expect((await stat(join(first.dir, BUNDLE_FILE))).mtimeMs).toBe(mtime);
  });

  it("rebuilds only the function whose source changed; a shared file rebuilds both", async () => {
    const { root, bundle } = await project();
    bundle("a");
    bundle("b");
    await writeFile(join(root, "a", "index.ts"), 'export const handler = async () => "changed";\n');
    expect(bundle("a").built).toBe(true);
    expect(bundle("b").built).toBe(false);
    await writeFile(join(root, "shared.ts"), 'export const greet = (n: string) => "hello " + n;\n');
    // a no longer imports shared.ts (its record says so); b does.
    expect(bundle("a").built).toBe(false);
    expect(bundle("b").built).toBe(true);
  });
});

describe("OrchestratorFunction bundling", () => {
  it("a second synth reuses the bundle and keeps the function's asset", async () => {
    const { root } = await project();
    const cache = join(root, "synth-cache");
    const synth = () => {
      const stack = new Stack(
        new App({ outdir: join(root, `out-${dirs.length}-${Math.random()}`) }),
        "S",
      );
      new OrchestratorFunction(stack, "Fn", {
        entry: join(root, "a", "index.ts"),
        description: "x",
        bundleCacheDir: cache,
      });
      const fn = Object.values(Template.fromStack(stack).findResources("AWS::Lambda::Function"))[0];
      return { code: fn?.Properties.Code, handler: fn?.Properties.Handler };
    };
    const first = synth();
    const [home] = await readdir(cache);
    const bundled = join(cache, home as string, "out", BUNDLE_FILE);
    const mtime = (await stat(bundled)).mtimeMs;
    expect(synth()).toEqual(first);
    expect(first.handler).toBe("index.handler");
    expect((await stat(bundled)).mtimeMs).toBe(mtime);
  });
});
