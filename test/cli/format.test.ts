import { describe, expect, it } from "vitest";
import { BLOCK_BAR, formatCount, plural, progressBar, renderTable } from "../../lib/cli/format";
import { formatElapsed, truncate } from "../../lib/text";

describe("formatElapsed", () => {
  it.each([
    [0, "0s"],
    [42.9, "42s"],
    [200, "3m 20s"],
    [3600, "1h 00m 00s"],
    [3 * 3600 + 62, "3h 01m 02s"],
    [null, "-"],
    [undefined, "-"],
    [Number.NaN, "-"],
  ])("%s -> %s", (seconds, text) => {
    expect(formatElapsed(seconds)).toBe(text);
  });
});

describe("counts", () => {
  it("groups thousands and pluralizes", () => {
    expect(formatCount(1234567)).toBe("1,234,567");
    expect(formatCount(undefined)).toBe("-");
    expect(plural(1, "record")).toBe("1 record");
    expect(plural(12000, "record")).toBe("12,000 records");
  });
});

describe("progressBar", () => {
  it("fills a cell only once its share is done, full only at the end", () => {
    expect(progressBar(0, 4, 8)).toBe("[--------]");
    expect(progressBar(1, 4, 8)).toBe("[##------]");
    expect(progressBar(9, 10, 10)).toBe("[#########-]");
    expect(progressBar(10, 10, 10)).toBe("[##########]");
    expect(progressBar(1, 3, 4, BLOCK_BAR)).toBe("[█░░░]");
    expect(progressBar(0, 0, 4)).toBe("[####]");
  });
});

describe("renderTable", () => {
  it("aligns columns, right-aligns numbers and trims trailing spaces", () => {
    const text = renderTable(
      [{ header: "STEP" }, { header: "RECORDS", align: "right" }, { header: "LOGS" }],
      [
        ["load", "120,000", ".local/a.log"],
        ["push_hubspot", "7", "-"],
      ],
    );
    expect(text).toBe(
      [
        "STEP          RECORDS  LOGS",
        "------------  -------  ------------",
        "load          120,000  .local/a.log",
        "push_hubspot        7  -",
      ].join("\n"),
    );
  });
});

describe("truncate", () => {
  it("cuts with an ellipsis only when needed", () => {
    expect(truncate("abcdef", 6)).toBe("abcdef");
    expect(truncate("abcdef", 4)).toBe("abc…");
    expect(truncate("abc", 0)).toBe("");
  });
});
