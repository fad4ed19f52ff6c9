/**
 * Problems of the machine's the user can fix (a port, an output directory), told apart from
 * bugs: the cases the subprocess tests in cli.test.ts cannot set up (root bypasses
 * permissions, no read-only file system to hand).
 */
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { EnvironmentError } from "../../lib/cli/args";
import { outDirProblem } from "../../lib/cli/commands/run";
import { listenProblem } from "../../lib/cli/commands/simulator";

/** An error as node:fs raises it. */
function fsError(code: string, path: string, syscall = "mkdir"): NodeJS.ErrnoException {
  return Object.assign(new Error(`${code}: ${syscall} '${path}'`), { code, path, syscall });
}

describe("outDirProblem", () => {
  const cwd = "/home/me/project";
  const outDir = join(cwd, ".local");

  it.each([
    ["EACCES", "permission denied"],
    ["EROFS", "the file system is read-only"],
    ["ENOTDIR", "a part of the path is not a directory"],
    ["EEXIST", "it exists and is not a directory"],
    ["ENOENT", "a part of the path does not exist"],
  ])("%s on the directory names it, says why and what to do", (code, reason) => {
    const given = outDirProblem(fsError(code, "/srv/out"), "/srv/out", true, cwd);
    expect(given).toBeInstanceOf(EnvironmentError);
    expect(given?.message).toMatch(
      new RegExp(
        `^run: cannot write logs and metrics to /srv/out: ${reason}.*; choose a directory you can write with --out$`,
      ),
    );
    // Without --out: the default, relative to the working directory, said to be the default.
    expect(outDirProblem(fsError(code, outDir), outDir, false, cwd)?.message).toContain(
      `to .local (the default --out): ${reason}`,
    );
  });

  it("names the file when writing in the directory fails later on", () => {
    const file = join(outDir, "polytomic-logs", "p", "step.jsonl");
    const problem = outDirProblem(fsError("ENOSPC", file, "open"), outDir, false, cwd);
    expect(problem?.message).toBe(
      "run: cannot write logs and metrics to .local (the default --out): no space left on the device " +
        "(.local/polytomic-logs/p/step.jsonl); choose a directory you can write with --out",
    );
  });

  it("leaves alone what is not a file system error on the directory: that is a bug", () => {
    expect(outDirProblem(fsError("EACCES", "/etc/shadow", "open"), outDir, true, cwd)).toBe(
      undefined,
    );
    expect(outDirProblem(fsError("EBADF", outDir), outDir, true, cwd)).toBe(undefined);
    expect(outDirProblem(new TypeError("x is undefined"), outDir, true, cwd)).toBe(undefined);
    expect(outDirProblem(undefined, outDir, true, cwd)).toBe(undefined);
  });
});

describe("listenProblem", () => {
  it("a privileged port says so", () => {
    const problem = listenProblem(fsError("EACCES", "", "listen"), 80);
    expect(problem).toBeInstanceOf(EnvironmentError);
    expect(problem?.message).toBe(
      "simulator: not permitted to listen on port 80 on 127.0.0.1 (ports below 1024 need privileges); " +
        "choose another --port (--port 0 picks a free one)",
    );
  });

  it("leaves alone errors other than a refused listen", () => {
    expect(listenProblem(fsError("EADDRINUSE", "", "connect"), 8080)).toBe(undefined);
    expect(listenProblem(fsError("EMFILE", "", "listen"), 8080)).toBe(undefined);
    expect(listenProblem(new Error("boom"), 8080)).toBe(undefined);
  });
});

describe("package.json engines", () => {
  const root = resolve(import.meta.dirname, "../..");
  const read = (file: string) => JSON.parse(readFileSync(join(root, file), "utf8"));

  it("names the Node that runs npm (any from 20), not the Node 24 the project pins for itself", () => {
    // npm compares the root's engines with the Node running npm: ">=24 <25" made every
    // `npm install` on a Node 20 machine warn EBADENGINE, though nothing of the project
    // runs on that Node but npm and the bin launcher (npm scripts put the pinned
    // node_modules/.bin/node first on the PATH; the launcher starts it).
    const pkg = read("package.json");
    const lowest = /^>=(\d+)$/.exec(pkg.engines.node)?.[1];
    expect(Number(lowest)).toBeLessThanOrEqual(20);
    expect(pkg.devDependencies.node).toMatch(/^\^24\./);
    expect(read("package-lock.json").packages[""].engines).toEqual(pkg.engines);
  });
});
