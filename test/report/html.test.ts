/**
 * Issue 13, point 2: report.html is self-contained, inert whatever Polytomic writes, and
 * readable at 200 steps. (Bars as a browser draws them: browser.test.ts.)
 */
import { describe, expect, it } from "vitest";
import { ganttGeometry } from "../../lib/report/gantt";
import { renderReportHtml } from "../../lib/report/html";
import type { ReportStep, RunReport } from "../../lib/report/model";
import { formatElapsed } from "../../lib/text";
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

  it("draws a run still going: live bars and spans up to as_of, a now line, no end", () => {
    const ended = syntheticReport(3);
    const t0 = Date.parse(ended.started_at);
    const asOf = new Date(t0 + 50_000).toISOString();
    const [done, going, waiting] = ended.steps as [ReportStep, ReportStep, ReportStep];
    // A step that waits has none of its times yet.
    const times = ["released", "submitted", "queued", "started", "finished", "detected", "ended"];
    const notYet = Object.fromEntries(times.map((t) => [`${t}_at`, null]));
    const report: RunReport = {
      ...ended,
      status: "running",
      finished_at: null,
      as_of: asOf,
      critical_path: [],
      steps: [
        done,
        { ...going, status: "running", finished_at: null, detected_at: null, ended_at: null },
        { ...waiting, status: "waiting", ...notYet },
      ],
    };
    const html = renderReportHtml(report, { logHref });
    expect(html).toContain(`still running as of ${asOf} (50s so far)`);
    expect(html).toContain(`now (${asOf})`);
    expect(html).toMatch(new RegExp(`class="bar running live" data-step="${going.id}"`));
    expect(html).toMatch(new RegExp(`class="bar waiting live" data-step="${waiting.id}"`));
    expect(html).not.toMatch(new RegExp(`class="bar \\w+ live" data-step="${done.id}"`));
    const g = ganttGeometry(report);
    const right = g.left + g.width;
    const end = (i: number) => {
      const last = g.rows[i]?.segments.at(-1);
      return (last?.x ?? 0) + (last?.width ?? 0);
    };
    expect(end(1)).toBeCloseTo(right, 1);
    expect(end(2)).toBeCloseTo(right, 1);
    // The table counts the running step's time so far.
    const ran = formatElapsed((Date.parse(asOf) - Date.parse(going.started_at as string)) / 1000);
    expect(html).toContain(`<td style="color:#3b7dd8">running</td>`);
    const row = html.slice(html.indexOf(`<td class="id" title="${going.id}">`));
    expect(row.slice(0, row.indexOf("</tr>"))).toContain(`<td class="num">${ran}</td>`);
  });
});
