/**
 * Issue 13, point 2: report.html is self-contained, inert whatever Polytomic writes, and
 * readable at 200 steps. (Bars as a browser draws them: browser.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { ganttGeometry } from "../../lib/report/gantt";
import { renderReportHtml } from "../../lib/report/html";
import { syntheticReport } from "./fixtures";

const logHref = (key: string) => `../../${key}`;
const HOSTILE = `<script>alert(1)</script><img src=x onerror="alert(2)"> & 'quotes' https://evil.example/x.js`;

describe("report.html", () => {
  it("escapes Polytomic's text: a <script> in a failure message is inert text", () => {
    const report = syntheticReport(40, HOSTILE);
    report.steps[5] = { ...(report.steps[5] as (typeof report.steps)[number]), id: "<b>bold</b>" };
    const html = renderReportHtml(report, { logHref });
    expect(html.toLowerCase()).not.toContain("<script");
    expect(html).not.toContain("<img");
    expect(html).not.toContain("<b>bold</b>");
    expect(html).toContain(
      "&lt;script&gt;alert(1)&lt;/script&gt;&lt;img src=x onerror=&quot;alert(2)&quot;&gt;",
    );
    expect(html).toContain("&lt;b&gt;bold&lt;/b&gt;");
    // The failure text is shown as Polytomic's words, for each failed step.
    expect(html.match(/Polytomic says:/g)?.length).toBe(
      report.steps.filter((s) => s.failure_text).length,
    );
  });

  it("is self-contained: no script, no stylesheet or image from elsewhere, a policy forbidding both", () => {
    const html = renderReportHtml(syntheticReport(40, HOSTILE), { logHref });
    expect(html).toContain(
      `content="default-src 'none'; style-src 'unsafe-inline'; img-src data:"`,
    );
    // The only URL-looking text is the escaped failure text; no attribute points outside.
    expect(html).not.toMatch(/(src|href)="(https?:)?\/\//);
    expect(html).not.toMatch(/<link|<iframe|<object|@import|url\(/i);
    const hrefs = [...html.matchAll(/href="([^"]*)"/g)].map((m) => m[1]);
    expect(hrefs.length).toBeGreaterThan(0);
    for (const href of hrefs) expect(href?.startsWith("../../polytomic-logs/")).toBe(true);
  });

  it("stays readable at 200 steps: one row each, fixed height, long labels cut with a tooltip", () => {
    const report = syntheticReport(200);
    const html = renderReportHtml(report, { logHref });
    const rows = [...html.matchAll(/<g class="row" data-step="([^"]*)">/g)].map((m) => m[1]);
    expect(rows).toEqual(report.steps.map((s) => s.id));
    const geometry = ganttGeometry(report);
    expect(geometry.rowHeight).toBeGreaterThanOrEqual(16);
    expect(geometry.height).toBe(geometry.top + 200 * geometry.rowHeight);
    const long = report.steps[3]?.id ?? "";
    expect(long.length).toBeGreaterThan(28);
    expect(html).toContain(`>${long.slice(0, 27)}…</text>`);
    expect(html).toContain(`<title>${long} (model)`);
    // Every step that ran has its running bar; a skipped one its waiting bar.
    for (const step of report.steps) {
      const kind = step.status === "skipped" ? "waiting" : "running";
      expect(html, step.id).toContain(`data-step="${step.id}" data-kind="${kind}"`);
    }
  });
});
