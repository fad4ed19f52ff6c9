import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

const json = (path: string) =>
  JSON.parse(readFileSync(new URL(`../../../${path}`, import.meta.url), "utf8"));

/**
 * lib/local/local-stepfunctions.ts reaches into aws-local-stepfunctions' internals (its
 * p-limit through the require cache, its States.Timeout class from a one-state run), so
 * a minor or patch release could break the local runner: the version is pinned exactly,
 * and the lock and the installed copy must be that version.
 */
describe("aws-local-stepfunctions", () => {
  const pinned = json("package.json").dependencies["aws-local-stepfunctions"];

  it("is pinned to an exact version in package.json", () => {
    expect(pinned).toMatch(/^\d+\.\d+\.\d+$/);
  });

  it("is that version in package-lock.json and in node_modules", () => {
    const lock = json("package-lock.json").packages;
    expect(lock[""].dependencies["aws-local-stepfunctions"]).toBe(pinned);
    expect(lock["node_modules/aws-local-stepfunctions"].version).toBe(pinned);
    expect(json("node_modules/aws-local-stepfunctions/package.json").version).toBe(pinned);
  });
});
