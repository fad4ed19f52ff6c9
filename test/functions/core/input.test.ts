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

describe("parseStepInput: organization (partner fan-out)", () => {
  const org = "7c1e0000-0000-4000-8000-0000000000a0";

  it("keeps organization_id and organization_name; without them the input is as before", () => {
    expect(
      parseStepInput({ ...valid, organization_id: org, organization_name: "Acme" }),
    ).toMatchObject({ organization_id: org, organization_name: "Acme" });
    expect(parseStepInput({ ...valid, organization_id: org })).not.toHaveProperty(
      "organization_name",
    );
    const plain = parseStepInput(valid);
    expect(plain).not.toHaveProperty("organization_id");
    expect(plain).not.toHaveProperty("organization_name");
    expect(parseStepInput({ ...valid, organization_id: null })).toEqual(plain);
  });

  it("rejects an organization_id that is not a UUID, and a name without an id", () => {
    expect(() => parseStepInput({ ...valid, organization_id: "Acme" })).toThrow(
      /^organization_id: must be an organization's UUID, got "Acme"$/,
    );
    expect(() => parseStepInput({ ...valid, organization_name: "Acme" })).toThrow(
      /^organization_name: needs organization_id$/,
    );
  });
});

describe("parseStepInput: policy.expect", () => {
  const bulk = { ...valid, sync_type: "bulk" };
  const withExpect = (expect: unknown, base: object = valid) =>
    parseStepInput({ ...base, policy: { expect } }).policy.expect;

  it("keeps a valid expect, and none when absent", () => {
    expect(parseStepInput(valid).policy).not.toHaveProperty("expect");
    expect(
      withExpect(
        {
          min_records: 1,
          max_records: 10,
          max_error_rate_percent: 2.5,
          max_duration_seconds: 60,
          schemas: [{ schema: "Contact", min_records: 100 }],
        },
        bulk,
      ),
    ).toEqual({
      min_records: 1,
      max_records: 10,
      max_error_rate_percent: 2.5,
      max_duration_seconds: 60,
      schemas: [{ schema: "Contact", min_records: 100 }],
    });
  });

  it.each([
    [{ min_records: -1 }, valid, /^policy\.expect\.min_records: must be an integer >= 0/],
    [{ max_records: 1.5 }, valid, /^policy\.expect\.max_records: must be an integer >= 0/],
    [
      { max_error_rate_percent: 101 },
      valid,
      /^policy\.expect\.max_error_rate_percent: must be at most 100/,
    ],
    [
      { max_error_rate_percent: "5%" },
      valid,
      /^policy\.expect\.max_error_rate_percent: must be a number/,
    ],
    [{ min_rows: 1 }, valid, /^policy\.expect\.min_rows: unknown field/],
    [
      { schemas: [{ schema: "A", min_records: 1 }] },
      valid,
      /^policy\.expect\.schemas: is for bulk syncs only/,
    ],
    [
      { schemas: { A: { min_records: 1 } } },
      bulk,
      /^policy\.expect\.schemas: must be a list, got an object/,
    ],
    [
      { schemas: [{ name: "A", min_records: 1 }] },
      bulk,
      /^policy\.expect\.schemas\[0\]\.name: unknown field/,
    ],
    [
      { schemas: [{ schema: "A", min_records: "x" }] },
      bulk,
      /^policy\.expect\.schemas\[0\]\.min_records: must be an integer/,
    ],
    ["all", valid, /^policy\.expect: must be an object/],
  ])("rejects %j", (expect_, base, message) => {
    expect(() => withExpect(expect_, base)).toThrow(message);
  });
});
