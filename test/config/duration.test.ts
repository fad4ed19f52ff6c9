import { describe, expect, it } from "vitest";
import { formatConfigDuration, parseDuration } from "../../lib/config/duration";

describe("formatConfigDuration", () => {
  it.each([
    [0, "0s"],
    [45, "45s"],
    [5400, "1h30m"],
    [7200, "2h"],
    [3661, "1h1m1s"],
  ])("%i seconds is %s, which parses back to the same seconds", (seconds, text) => {
    expect(formatConfigDuration(seconds)).toBe(text);
    expect(parseDuration(text)).toBe(seconds);
  });
});
