/**
 * The run report as one self-contained HTML file (report.html): inline CSS and SVG, no
 * script, no network (a Content-Security-Policy forbids both), every string escaped
 * (failure text comes from Polytomic and may hold anything). It opens with a Gantt
 * timeline (waiting on dependencies, queued, running, detection delay; coloured by
 * outcome; the critical path marked), then the DAG, a table of counts and times, the
 * errors with Polytomic's text, and links to the exported logs.
 *
 * Built from the run report only (lib/report/model.ts), so a report read from AWS
 * histories renders the same way. Scales to 200 steps: fixed row height, the page
 * scrolls, long labels are cut with the whole text in a tooltip.
 */
import { formatElapsed, truncate } from "../text";
import { type GanttGeometry, ganttGeometry } from "./gantt";
import { dagLayout } from "./layout";
import {
  isLive,
  type OrganizationOutcome,
  organizationTally,
  REPORT_STEP_STATUSES,
  type ReportStep,
  type RunReport,
} from "./model";

export interface HtmlOptions {
  /**
   * A log key's link: a local run's relative path from the report to the exported file, a
   * deployed run's S3 console page (lib/report/log-links.ts); null: no link, the key is
   * shown as text.
   */
  logHref: (key: string) => string | null;
  /** Whether times are on a simulated clock; said in the header. */
  simulated?: boolean;
  /**
   * A fan-out's organizations listed at most (failed first), the others counted.
   * @default all of them
   */
  maxOrganizations?: number;
}

/** Text and attribute values, escaped for HTML. */
export function esc(text: unknown): string {
  return String(text)
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

/** The colour of a step's outcome, by status. */
export const STATUS_COLOURS: Record<ReportStep["status"], string> = {
  succeeded: "#2e9d5b",
  failed: "#d6453d",
  skipped: "#9aa3ad",
  cancelled: "#c98a1b",
  not_started: "#c4cad0",
  // A run still going: readable as text on white, and under the DAG's white labels.
  waiting: "#8f9db0",
  queued: "#6b8cb3",
  running: "#3b7dd8",
};

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:24px;color:#1d2329;background:#fff}
h1{font-size:20px;margin:0 0 4px}h2{font-size:16px;margin:28px 0 8px}
.meta{color:#56616c}.status-succeeded{color:#2e9d5b}.status-failed{color:#d6453d}.status-interrupted{color:#c98a1b}.status-running{color:#3b7dd8}
svg .live{stroke:#1d2329;stroke-dasharray:3 2}svg .now{stroke:#3b7dd8;stroke-dasharray:4 3}
.scroll{overflow:auto;border:1px solid #e3e7eb;border-radius:4px}
svg text{font:12px system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;fill:#1d2329}
svg .axis{fill:#56616c;font-size:11px}svg .crit{font-weight:700}
.legend span{display:inline-block;margin-right:14px}.legend i{display:inline-block;width:14px;height:10px;margin-right:4px;vertical-align:middle}
table{border-collapse:collapse;font-size:13px}th,td{padding:3px 8px;border-bottom:1px solid #eef0f2;text-align:left;white-space:nowrap}
td.num,th.num{text-align:right}td.id{max-width:260px;overflow:hidden;text-overflow:ellipsis}
.error{border-left:3px solid #d6453d;padding:4px 10px;margin:8px 0;background:#fdf3f2}
.error pre{white-space:pre-wrap;word-break:break-word;margin:4px 0}
`;

export function renderReportHtml(report: RunReport, options: HtmlOptions): string {
  const gantt = ganttGeometry(report);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(`${report.pipeline} ${report.status}: run report`)}</title>
<style>${CSS}</style>
</head>
<body>
${header(report, options)}
${organizationsSection(report, options)}
<h2>Timeline</h2>
${legend()}
<div class="scroll">${ganttSvg(report, gantt)}</div>
<h2>Dependencies</h2>
<div class="scroll">${dagSvg(report)}</div>
<h2>Steps</h2>
<div class="scroll">${countsTable(report)}</div>
${errorsSection(report)}
${logsSection(report, options)}
</body>
</html>
`;
}

function header(report: RunReport, options: HtmlOptions): string {
  const ms = Date.parse(report.as_of) - Date.parse(report.started_at);
  const tally = REPORT_STEP_STATUSES.map(
    (s) => [s, report.steps.filter((step) => step.status === s).length] as const,
  )
    .filter(([, n]) => n > 0)
    .map(([s, n]) => `${n} ${s.replace("_", " ")}`)
    .join(", ");
  const elapsed = `${formatElapsed(ms / 1000)}${options.simulated ? " of simulated time" : ""}`;
  const span =
    report.finished_at === null
      ? `started ${esc(report.started_at)}, still running as of ${esc(report.as_of)} (${esc(elapsed)} so far)`
      : `${esc(report.started_at)} to ${esc(report.finished_at)} (${esc(elapsed)})`;
  return `<h1>Pipeline ${esc(report.pipeline)} <span class="status-${esc(report.status)}">${esc(report.status)}</span></h1>
<div class="meta">Execution ${esc(report.execution_name)} · ${span} · ${report.steps.length} steps${tally ? ` (${esc(tally)})` : ""}${shownOf(report)}</div>
<div class="meta">Critical path: ${report.critical_path.length > 0 ? esc(report.critical_path.join(" → ")) : "-"}</div>`;
}

const SEGMENT_STYLE = {
  waiting: { fill: "#e8ebee", label: "waiting on dependencies" },
  queued: { fill: "#b9c6d3", label: "queued in Polytomic" },
  running: { fill: "", label: "running (coloured by outcome)" },
  detection: { fill: "#f2c14e", label: "detection delay (ended, not yet noticed)" },
} as const;

function legend(): string {
  const items = Object.values(SEGMENT_STYLE).map(({ fill, label }) =>
    fill === ""
      ? Object.entries(STATUS_COLOURS)
          .map(
            ([s, c]) => `<span><i style="background:${c}"></i>${esc(s.replace("_", " "))}</span>`,
          )
          .join("")
      : `<span><i style="background:${fill}"></i>${esc(label)}</span>`,
  );
  items.push(
    `<span><i style="border:2px solid #1d2329;height:6px"></i>critical path (◆)</span>`,
    `<span><i style="border:1px dashed #1d2329;height:8px"></i>still going (up to the report's time)</span>`,
  );
  return `<div class="legend meta">${items.join("")}</div>`;
}

function ganttSvg(report: RunReport, g: GanttGeometry): string {
  const parts: string[] = [];
  for (const tick of g.ticks) {
    parts.push(
      `<line x1="${tick.x}" x2="${tick.x}" y1="${g.top - 4}" y2="${g.height}" stroke="#eef0f2"/>`,
      `<text class="axis" x="${tick.x}" y="${g.top - 8}" text-anchor="middle">${esc(tick.label)}</text>`,
    );
  }
  parts.push(
    `<rect id="timeline-area" x="${g.left}" y="${g.top}" width="${g.width}" height="${g.height - g.top}" fill="none" stroke="#e3e7eb" data-start="${esc(report.started_at)}" data-end="${esc(report.as_of)}"/>`,
  );
  if (report.finished_at === null) {
    const x = g.left + g.width;
    parts.push(
      `<line class="now" x1="${x}" x2="${x}" y1="${g.top - 4}" y2="${g.height}"/>`,
      `<text class="axis" x="${x}" y="${g.top - 18}" text-anchor="end">now (${esc(report.as_of)})</text>`,
    );
  }
  g.rows.forEach((row, i) => {
    const step = report.steps[i] as ReportStep;
    const y = row.y;
    const label = `${step.critical ? "◆ " : ""}${step.id}`;
    parts.push(
      `<g class="row" data-step="${esc(step.id)}"><title>${esc(rowTooltip(step))}</title>`,
      `<text x="8" y="${y + g.rowHeight - 5}"${step.critical ? ' class="crit"' : ""}>${esc(truncate(label, 28))}</text>`,
    );
    const lastKind = row.segments.at(-1)?.kind;
    for (const seg of row.segments) {
      const fill =
        seg.kind === "running" ? STATUS_COLOURS[step.status] : SEGMENT_STYLE[seg.kind].fill;
      const live = isLive(step) && seg.kind === lastKind ? " live" : "";
      parts.push(
        `<rect class="bar ${seg.kind}${live}" data-step="${esc(step.id)}" data-kind="${seg.kind}" x="${seg.x}" y="${y + 3}" width="${seg.width}" height="${g.rowHeight - 6}" fill="${fill}"${step.critical && seg.kind === "running" ? ' stroke="#1d2329" stroke-width="2"' : ""}/>`,
      );
    }
    parts.push("</g>");
  });
  return `<svg width="${g.left + g.width + 20}" height="${g.height + 10}" role="img" aria-label="Gantt timeline of the steps">${parts.join("")}</svg>`;
}

function rowTooltip(step: ReportStep): string {
  const lines = [
    `${step.id} (${step.sync_type}): ${step.status}, ${step.outcome}`,
    `queued ${step.queued_at ?? "-"}, started ${step.started_at ?? "-"}, finished ${step.finished_at ?? "-"}`,
    `noticed ${step.detected_at ?? "-"} after ${step.polls} polls`,
  ];
  for (const w of step.waiting_on) lines.push(`waited on ${w.step} until ${w.released_at ?? "-"}`);
  if (step.critical) lines.push("on the critical path");
  return lines.join("\n");
}

function dagSvg(report: RunReport): string {
  const layout = dagLayout(report.steps);
  const critical = new Set(report.critical_path);
  const parts: string[] = [];
  for (const edge of layout.edges) {
    const hot = critical.has(edge.from) && critical.has(edge.to);
    parts.push(
      `<path d="${edge.path}" fill="none" stroke="${hot ? "#1d2329" : "#b9c0c7"}" stroke-width="${hot ? 2.5 : 1}"/>`,
    );
  }
  for (const node of layout.nodes) {
    const step = report.steps.find((s) => s.id === node.id) as ReportStep;
    parts.push(
      `<g data-step="${esc(step.id)}"><title>${esc(`${step.id}: ${step.status}`)}</title>`,
      `<rect x="${node.x}" y="${node.y}" width="${layout.nodeWidth}" height="${layout.nodeHeight}" rx="4" fill="${STATUS_COLOURS[step.status]}"${step.critical ? ' stroke="#1d2329" stroke-width="2.5"' : ""}/>`,
      `<text x="${node.x + 6}" y="${node.y + layout.nodeHeight - 6}" style="fill:#fff">${esc(truncate(step.id, 20))}</text></g>`,
    );
  }
  return `<svg width="${layout.width}" height="${layout.height}" role="img" aria-label="Dependency graph">${parts.join("")}</svg>`;
}

/** The step table; a step still going counts its current span up to the report's `as_of`. */
function countsTable(report: RunReport): string {
  const span = (from: string | null, to: string | null) =>
    formatElapsed(from !== null && to !== null ? (Date.parse(to) - Date.parse(from)) / 1000 : null);
  const rows = report.steps.map((s) => {
    const upTo = (to: string | null) => to ?? (isLive(s) ? report.as_of : null);
    return `<tr><td class="id" title="${esc(s.id)}">${s.critical ? "◆ " : ""}${esc(s.id)}</td><td>${esc(s.sync_type)}</td><td style="color:${STATUS_COLOURS[s.status]}">${esc(s.status.replace("_", " "))}</td><td>${esc(s.outcome)}</td><td class="num">${s.records.toLocaleString("en-US")}</td><td class="num">${s.errors.toLocaleString("en-US")}</td><td class="num">${s.warnings.toLocaleString("en-US")}</td><td class="num">${span(report.started_at, upTo(s.submitted_at))}</td><td class="num">${span(s.queued_at, upTo(s.started_at))}</td><td class="num">${span(s.started_at, upTo(s.finished_at))}</td><td class="num">${span(s.finished_at, upTo(s.detected_at))}</td><td class="num">${s.polls}</td><td class="num">${s.api_retries}</td></tr>`;
  });
  return `<table><thead><tr><th>step</th><th>type</th><th>status</th><th>outcome</th><th class="num">records</th><th class="num">errors</th><th class="num">warnings</th><th class="num">waited</th><th class="num">queued</th><th class="num">ran</th><th class="num">noticed after</th><th class="num">polls</th><th class="num">API retries</th></tr></thead><tbody>${rows.join("")}</tbody></table>`;
}

function errorsSection(report: RunReport): string {
  const failed = report.steps.filter((s) => s.error !== null);
  if (failed.length === 0) return "";
  const items = failed.map(
    (s) =>
      `<div class="error" data-step="${esc(s.id)}"><strong>${esc(s.id)}</strong>: ${esc(s.error?.name)}<pre>${esc(s.error?.message)}</pre>${s.failure_text !== null ? `<div>Polytomic says: <q>${esc(s.failure_text)}</q></div>` : ""}</div>`,
  );
  return `<h2>Errors</h2>${items.join("")}`;
}

function logsSection(report: RunReport, options: HtmlOptions): string {
  const withLogs = report.steps.filter((s) => s.logs.length > 0);
  if (withLogs.length === 0) return "";
  const link = (key: string) => {
    const href = options.logHref(key);
    return href === null
      ? `<code>${esc(key)}</code>`
      : `<a href="${esc(href)}">${esc(key.split("/").at(-1))}</a>`;
  };
  const items = withLogs.map((s) => `<li>${esc(s.id)}: ${s.logs.map(link).join(", ")}</li>`);
  return `<h2>Exported logs</h2><ul>${items.join("")}</ul>`;
}

/** A fan-out's steps are those of the organizations shown: say of which. */
function shownOf(report: RunReport): string {
  const organizations = report.organizations;
  if (organizations === undefined) return "";
  const shown = organizations.filter((o) => o.steps_shown).length;
  return ` of ${shown} of ${organizations.length} organizations`;
}

/** The colour of an organization's outcome (a fan-out's), by status. */
const ORGANIZATION_COLOURS: Record<OrganizationOutcome["status"], string> = {
  failed: STATUS_COLOURS.failed,
  interrupted: STATUS_COLOURS.cancelled,
  running: STATUS_COLOURS.running,
  waiting: STATUS_COLOURS.waiting,
  not_started: STATUS_COLOURS.not_started,
  succeeded: STATUS_COLOURS.succeeded,
};

/**
 * A fan-out's organizations, failed first: outcome, error, failed steps and the execution
 * to drill into (`report <execution ARN>`); whose steps the timeline shows.
 */
function organizationsSection(report: RunReport, options: HtmlOptions): string {
  const organizations = report.organizations;
  if (organizations === undefined) return "";
  const shown = organizations.slice(0, options.maxOrganizations ?? organizations.length);
  const tally = organizationTally(organizations);
  const rows = shown.map(
    (o) =>
      `<tr data-organization="${esc(o.name)}"><td>${esc(o.name)}</td><td class="status-${esc(o.status)}" style="color:${ORGANIZATION_COLOURS[o.status]}">${esc(o.status.replace("_", " "))}</td><td>${esc(o.error ?? "")}</td><td>${esc(o.failed_steps.join(", "))}</td><td>${o.steps_shown ? "below" : ""}</td><td><code>${esc(o.execution_arn ?? "-")}</code></td></tr>`,
  );
  const more = organizations.length - shown.length;
  return `<h2>Organizations</h2>
<div class="meta">${organizations.length} organizations (${esc(tally)}). One organization's run, step by step: <code>polytomic-orchestrator report &lt;its execution ARN&gt;</code></div>
<div class="scroll"><table><thead><tr><th>organization</th><th>status</th><th>error</th><th>failed steps</th><th>steps</th><th>execution</th></tr></thead><tbody>${rows.join("")}</tbody></table></div>${more > 0 ? `<div class="meta">… and ${more} more (report --json lists every one)</div>` : ""}`;
}

/**
 * The report's header, Gantt timeline and exported logs, as an HTML fragment (no document,
 * no script): what the dashboard's custom widget shows (functions/report-widget).
 */
export function renderTimelineFragment(report: RunReport, options: HtmlOptions): string {
  return `<style>${CSS}</style>
${header(report, options)}
${organizationsSection(report, options)}
${legend()}
<div class="scroll">${ganttSvg(report, ganttGeometry(report))}</div>
${logsSection(report, options)}`;
}
