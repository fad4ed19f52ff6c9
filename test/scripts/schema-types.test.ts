import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { generateSchemaTypes, SCHEMA_TYPES_PATH, SPEC_PATH } from "../../scripts/schema-types";

describe("generated API types", () => {
  it("match the committed OpenAPI document (run `npm run gen:types` when this fails)", async () => {
    const committed = await readFile(fileURLToPath(SCHEMA_TYPES_PATH), "utf8");
    expect(committed === (await generateSchemaTypes())).toBe(true);
  });

  it("come from the spec the team shares, when it is beside the repo", async () => {
    const shared = new URL("../../../shared/polytomic-openapi.json", import.meta.url);
    const sharedText = await readFile(fileURLToPath(shared), "utf8").catch(() => undefined);
    if (sharedText === undefined) return; // a clone without ../shared: nothing to compare
    const committed = await readFile(fileURLToPath(SPEC_PATH), "utf8");
    expect(JSON.parse(committed)).toEqual(JSON.parse(sharedText));
  });
});
