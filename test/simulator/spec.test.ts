import { describe, expect, it } from "vitest";
import { ManualClock, ScaledClock, validateResponse } from "../../simulator";

describe("validateResponse", () => {
  const t = "/api/syncs/{sync_id}/executions/{id}";
  it("accepts a conforming body and names each problem of a bad one", () => {
    expect(
      validateResponse("GET", t, 200, {
        data: { id: "9f1c0d2e-0000-4000-8000-000000000001", status: "running" },
      }),
    ).toEqual([]);
    const problems = validateResponse("GET", t, 200, {
      data: { id: "x", status: "done", extra: 1 },
    });
    expect(problems).toEqual(
      expect.arrayContaining([
        "body.data.extra: unknown field",
        'body.data.id: must match format "uuid"',
        expect.stringContaining("body.data.status: must be one of created"),
      ]),
    );
  });
  it("checks unlisted error statuses against ApiError and refuses unknown operations", () => {
    expect(validateResponse("GET", t, 429, { key: "k", message: "m", status: 429 })).toEqual([]);
    expect(validateResponse("GET", t, 401, { key: 1 })).toEqual(["body.key: must be string"]);
    expect(validateResponse("GET", "/api/nope", 200, {})[0]).toContain("no such operation");
    expect(validateResponse("GET", t, 201, {})[0]).toContain("no 201 response");
  });
});

describe("clocks", () => {
  it("ManualClock moves only forward", () => {
    const c = new ManualClock(1000);
    c.advance(500);
    expect(c.now()).toBe(1500);
    c.set(5000);
    expect(c.now()).toBe(5000);
    expect(() => c.set(10)).toThrow(RangeError);
    expect(() => c.advance(-1)).toThrow(RangeError);
  });
  it("ScaledClock starts at the given time and rejects bad speeds", () => {
    const c = new ScaledClock(1000, 0);
    expect(c.now()).toBeGreaterThanOrEqual(0);
    expect(() => new ScaledClock(0)).toThrow(RangeError);
  });
});
