import { describe, expect, it } from "vitest";
import { cutText, failureText, singleLine } from "../../../functions/core/failure-text";
import { Redactor } from "../../../functions/core/redact";

describe("failure text helpers", () => {
  it("cuts by code points, never splitting a character, and says how much was cut", () => {
    expect(cutText("short", 10)).toBe("short");
    const cut = cutText("😀".repeat(100), 40);
    expect(Array.from(cut).length).toBeLessThanOrEqual(40);
    expect(cut).toMatch(/^(😀)+ …\[\d+ more characters\]$/u);
    const kept = Array.from(cut.split(" …")[0] ?? "").length;
    expect(cut).toContain(`[${100 - kept} more characters]`);
  });

  it("puts every run of whitespace on one line", () => {
    expect(singleLine("  a\r\n\tb \n\n c ")).toBe("a b c");
  });

  it("drops empty pieces and says nothing when none is left", () => {
    const redactor = new Redactor();
    expect(failureText(redactor, ["", " \n "])).toBeUndefined();
    expect(failureText(redactor, ["one", "", "two"])).toBe("one | two");
  });
});
