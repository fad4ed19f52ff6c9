/**
 * Issue 13 fix: a deployed report links each exported log to its S3 console page
 * (lib/report/log-links.ts), every part URL-encoded and the link HTML-escaped.
 */
import { describe, expect, it } from "vitest";
import { renderReportHtml } from "../../lib/report/html";
import { deployedLogHref, logsLocation, s3ConsoleObjectUrl } from "../../lib/report/log-links";
import { syntheticReport } from "./fixtures";

const MACHINE = "arn:aws:states:eu-west-1:123456789012:stateMachine:Pipeline-night";

describe("the S3 console page of an exported log", () => {
  it("is the console's object page, in the stack's region", () => {
    expect(
      s3ConsoleObjectUrl(
        { bucket: "runlogs-1a2b", region: "eu-west-1" },
        "polytomic-logs/p/a/console.json",
      ),
    ).toBe(
      "https://eu-west-1.console.aws.amazon.com/s3/object/runlogs-1a2b?region=eu-west-1&prefix=polytomic-logs%2Fp%2Fa%2Fconsole.json",
    );
  });

  it("URL-encodes a key holding what a URL would misread", () => {
    const url = s3ConsoleObjectUrl({ bucket: "b", region: "us-east-1" }, 'x/a b&c=d#e?f"<g>');
    expect(url).toBe(
      "https://us-east-1.console.aws.amazon.com/s3/object/b?region=us-east-1&prefix=x%2Fa%20b%26c%3Dd%23e%3Ff%22%3Cg%3E",
    );
    expect(new URL(url).searchParams.get("prefix")).toBe('x/a b&c=d#e?f"<g>');
  });

  it("takes the region from the pipeline machine's ARN; none outside the aws partition or without a bucket", () => {
    expect(logsLocation("runlogs", MACHINE)).toEqual({ bucket: "runlogs", region: "eu-west-1" });
    expect(logsLocation(undefined, MACHINE)).toBeUndefined();
    expect(logsLocation("", MACHINE)).toBeUndefined();
    expect(
      logsLocation("runlogs", "arn:aws-cn:states:cn-north-1:123456789012:stateMachine:P"),
    ).toBeUndefined();
    expect(logsLocation("runlogs", "not-an-arn")).toBeUndefined();
  });

  it("is linked in report.html, escaped; without a bucket each key is shown as text", () => {
    const report = syntheticReport(2, "x");
    const key = report.steps[0]?.logs[0] as string;
    const linked = renderReportHtml(report, {
      logHref: deployedLogHref(logsLocation("runlogs", MACHINE)),
    });
    expect(linked).toContain(
      `<a href="https://eu-west-1.console.aws.amazon.com/s3/object/runlogs?region=eu-west-1&amp;prefix=${encodeURIComponent(key)}">console.json</a>`,
    );
    const hostile = 'polytomic-logs/p/"><script>x</script>.json';
    report.steps[1]?.logs.push(hostile);
    const bare = renderReportHtml(report, { logHref: deployedLogHref(undefined) });
    expect(bare).toContain(`<code>${key}</code>`);
    expect(bare).not.toContain(`href="${key}"`);
    expect(bare).toContain(
      "<code>polytomic-logs/p/&quot;&gt;&lt;script&gt;x&lt;/script&gt;.json</code>",
    );
    expect(bare).not.toContain("<script>");
  });
});
