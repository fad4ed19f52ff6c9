import { mkdtemp, readdir, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { AslDefinition } from "../../../lib/asl/definition";
import { validateDefinition } from "../../../lib/local/validated";

const dirs: string[] = [];
afterEach(async () => {
  await Promise.all(dirs.splice(0).map((d) => rm(d, { recursive: true, force: true })));
});
async function cacheDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), "orchestrator-validated-"));
  dirs.push(dir);
  return join(dir, "cache");
}
const pass = (name: string): AslDefinition =>
  ({ StartAt: name, States: { [name]: { Type: "Pass", End: true } } }) as AslDefinition;

describe("validateDefinition", () => {
  it("validates a definition once: a later run with the same definition skips it", async () => {
    const cache = await cacheDir();
    expect(validateDefinition(pass("A"), cache)).toBe(true);
    expect(validateDefinition(pass("A"), cache)).toBe(false); // a new object, same content
    expect(validateDefinition(pass("B"), cache)).toBe(true);
  });

  it("refuses an invalid definition every time and remembers nothing for it", async () => {
    const cache = await cacheDir();
    const invalid = { StartAt: "Missing", States: { A: { Type: "Pass", End: true } } };
    for (let i = 0; i < 2; i++) {
      expect(() => validateDefinition(invalid as AslDefinition, cache)).toThrow();
    }
    await expect(readdir(cache)).rejects.toThrow(/ENOENT/);
  });
});
