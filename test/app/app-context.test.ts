import { describe, expect, it } from "vitest";
import { ContextError, logsExpirationFrom, schedulesEnabledFrom } from "../../lib/app-context";

describe("logsExpirationDays context", () => {
  it("takes whole days from the command line (strings) or cdk.json (numbers)", () => {
    expect(logsExpirationFrom("30")?.toDays()).toBe(30);
    expect(logsExpirationFrom(" 7 ")?.toDays()).toBe(7);
    expect(logsExpirationFrom(365)?.toDays()).toBe(365);
  });

  it("leaves the stack's default when not set", () => {
    expect(logsExpirationFrom(undefined)).toBeUndefined();
    expect(logsExpirationFrom("")).toBeUndefined();
  });

  it.each(["0", "-3", "1.5", "ninety", 0, 2.5, true])("rejects %j, naming the key", (value) => {
    expect(() => logsExpirationFrom(value)).toThrow(ContextError);
    expect(() => logsExpirationFrom(value)).toThrow(
      /^context logsExpirationDays: must be a whole number/,
    );
  });
});

describe("schedulesEnabled context", () => {
  it("takes true or false from the command line (strings) or cdk.json (booleans)", () => {
    expect(schedulesEnabledFrom("true")).toBe(true);
    expect(schedulesEnabledFrom(false)).toBe(false);
    expect(schedulesEnabledFrom("false")).toBe(false);
    expect(schedulesEnabledFrom(undefined)).toBeUndefined();
  });

  it.each(["yes", "1", 1, "TRUE "])("rejects %j, naming the key", (value) => {
    expect(() => schedulesEnabledFrom(value)).toThrow(
      /^context schedulesEnabled: must be true or false/,
    );
  });
});
