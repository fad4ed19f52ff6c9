import { describe, expect, it } from "vitest";
import { parseStepInput } from "../../../functions/core/input";

const valid = {
  pipeline: "nightly",
  step: "load",
  execution_name: "nightly-1",
  sync_type: "model",
  sync: { id: "9f1c0d2e-0000-4000-8000-000000000001" },
  timeout_seconds: 3600,
};

describe("parseStepInput: skip", () => {
  it("keeps skip: true (a gated-on step's skip child) and drops false or absent", () => {
    expect(parseStepInput({ ...valid, skip: true }).skip).toBe(true);
    expect(parseStepInput({ ...valid, skip: false })).not.toHaveProperty("skip");
    expect(parseStepInput(valid)).not.toHaveProperty("skip");
    expect(parseStepInput({ ...valid, skip: null })).not.toHaveProperty("skip");
  });

  it("rejects a skip that is not a boolean, naming the field", () => {
    expect(() => parseStepInput({ ...valid, skip: "yes" })).toThrow(
      /^skip: must be true or false, got "yes"$/,
    );
    try {
      parseStepInput({ ...valid, skip: 1 });
      expect.unreachable();
    } catch (err) {
      expect((err as Error).name).toBe("Input.Invalid");
    }
  });
});
