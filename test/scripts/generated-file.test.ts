import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { writeOrCheck } from "../../scripts/generated-file";

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), "generated-file-"));
  vi.spyOn(console, "log").mockImplementation(() => {});
  vi.spyOn(console, "error").mockImplementation(() => {});
});
afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe("writeOrCheck", () => {
  it("writes the file without --check", async () => {
    const target = pathToFileURL(join(dir, "out.md"));
    expect(await writeOrCheck(target, "new\n", "gen:x", ["node", "gen"])).toBe(0);
    expect(await readFile(target, "utf8")).toBe("new\n");
  });

  it("with --check, fails on a stale or missing file and leaves it alone", async () => {
    const target = pathToFileURL(join(dir, "out.md"));
    const argv = ["node", "gen", "--check"];
    expect(await writeOrCheck(target, "new\n", "gen:x", argv)).toBe(1);
    await writeFile(target, "old\n");
    expect(await writeOrCheck(target, "new\n", "gen:x", argv)).toBe(1);
    expect(await readFile(target, "utf8")).toBe("old\n");
    expect(console.error).toHaveBeenCalledWith(expect.stringContaining("run npm run gen:x"));
    expect(await writeOrCheck(target, "old\n", "gen:x", argv)).toBe(0);
  });
});
