/**
 * Issue 13, point 6: report.html as a person sees it, in a real headless Chromium (Debian's
 * `chromium` package through playwright-core; .ci/run installs it). Every step has a bar
 * whose position and length, as the browser lays it out, match the times of `run --json`.
 * Without a browser this file says so loudly and skips.
 */
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderReportHtml } from "../../lib/report/html";
import type { JsonReport } from "../../lib/report/model";
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from "../../scripts/browser";
import { runMain } from "../cli/in-process";
import { syntheticReport } from "./fixtures";

const FIXTURES = resolve(import.meta.dirname, "../fixtures/cli");
const installed = chromiumInstalled();
if (!installed) {
  console.warn(
    `\n*** report.html browser test SKIPPED: no Chromium at ${CHROMIUM_PATH}. ` +
      "Install Debian's chromium package (apt-get install -y chromium; .ci/run does) " +
      "or set CHROMIUM_PATH. ***\n",
  );
}

interface Box {
  step: string;
  kind: string;
  x: number;
  width: number;
}

let browser: Browser;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "report-browser-"));
  if (installed) browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await rm(dir, { recursive: true, force: true });
});

/** The chart area and every bar, as laid out by the browser. */
async function layout(page: Page): Promise<{ area: { x: number; width: number }; bars: Box[] }> {
  const area = await page.$eval("#timeline-area", (el) => {
    const r = el.getBoundingClientRect();
    return { x: r.x, width: r.width };
  });
  const bars = await page.$$eval("rect.bar", (els) =>
    els.map((el) => {
      const r = el.getBoundingClientRect();
      return {
        step: el.getAttribute("data-step") ?? "",
        kind: el.getAttribute("data-kind") ?? "",
        x: r.x,
        width: r.width,
      };
    }),
  );
  return { area, bars };
}

/** Where a bar from `from` to `to` must be, from the JSON's times alone. */
function expected(json: JsonReport, area: { x: number; width: number }, from: string, to: string) {
  const t0 = Date.parse(json.started_at);
  const span = Date.parse(json.finished_at) - t0;
  const xOf = (iso: string) => area.x + ((Date.parse(iso) - t0) / span) * area.width;
  return { x: xOf(from), width: xOf(to) - xOf(from) };
}

if (!installed) {
  it.skip(`report.html in a real browser: SKIPPED, no Chromium at ${CHROMIUM_PATH}`, () => {});
}

describe.skipIf(!installed)("report.html in a real browser", () => {
  it("has a bar for every step whose position and length match run --json", async () => {
    const out = join(dir, "out");
    const run = await runMain(
      ["run", "fanout", "--scenario", "hubspot-fails.yaml", "--json", "--out", out],
      FIXTURES,
    );
    expect(run.code).toBe(1); // push_hubspot fails, report is skipped
    const json = JSON.parse(run.stdout) as JsonReport;
    expect(json.report).not.toBeNull();
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    const requests: string[] = [];
    page.on("request", (r) => requests.push(r.url()));
    await page.goto(pathToFileURL(json.report as string).href);
    const { area, bars } = await layout(page);
    for (const step of json.steps) {
      const mine = bars.filter((b) => b.step === step.id);
      expect(mine.length, `${step.id} has a bar`).toBeGreaterThan(0);
      const spans: Array<[string, string | null, string | null]> = [
        ["waiting", json.started_at, step.submitted_at ?? step.released_at],
        ["queued", step.queued_at, step.started_at],
        ["running", step.started_at, step.finished_at],
        ["detection", step.finished_at, step.detected_at],
      ];
      for (const [kind, from, to] of spans) {
        const bar = mine.find((b) => b.kind === kind);
        if (from === null || to === null || Date.parse(to) <= Date.parse(from)) {
          expect(bar, `${step.id} ${kind}`).toBeUndefined();
          continue;
        }
        const want = expected(json, area, from, to);
        expect(bar, `${step.id} ${kind}`).toBeDefined();
        expect(Math.abs((bar?.x ?? 0) - want.x), `${step.id} ${kind} x`).toBeLessThan(1);
        expect(Math.abs((bar?.width ?? 0) - want.width), `${step.id} ${kind} width`).toBeLessThan(
          1,
        );
      }
    }
    // The failed step ran; the skipped one only waited; the critical path is marked.
    expect(bars.some((b) => b.step === "push_hubspot" && b.kind === "running")).toBe(true);
    expect(bars.filter((b) => b.step === "report").map((b) => b.kind)).toEqual(["waiting"]);
    const marked = await page.$$eval("g.row text.crit", (els) => els.map((e) => e.textContent));
    expect(marked).toEqual(json.critical_path.map((id) => `◆ ${id}`));
    // Self-contained: the page asked for nothing but itself.
    expect(requests).toEqual([pathToFileURL(json.report as string).href]);
    await page.close();
  });

  it("shows a <script> in Polytomic's failure text as text, and runs nothing", async () => {
    const file = join(dir, "hostile.html");
    const text = `<script>document.title = "pwned"</script><img src=x onerror="document.title='pwned'">`;
    await writeFile(file, renderReportHtml(syntheticReport(20, text), { logHref: (k) => k }));
    const page = await browser.newPage();
    await page.goto(pathToFileURL(file).href);
    expect(await page.title()).not.toBe("pwned");
    expect(await page.$$("script, img")).toEqual([]);
    const shown = await page.$$eval(".error q", (els) => els.map((e) => e.textContent));
    expect(shown).toContain(text);
    await page.close();
  });

  it("stays readable at 200 steps: a row and a bar each, labels inside their column", async () => {
    const report = syntheticReport(200);
    const file = join(dir, "big.html");
    await writeFile(file, renderReportHtml(report, { logHref: (k) => k }));
    const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
    await page.goto(pathToFileURL(file).href);
    const { area, bars } = await layout(page);
    for (const step of report.steps) {
      const visible = bars.filter((b) => b.step === step.id && b.width >= 1);
      expect(visible.length, step.id).toBeGreaterThan(0);
    }
    const labels = await page.$$eval("g.row text", (els) =>
      els.map((e) => {
        const r = e.getBoundingClientRect();
        return { right: r.right, height: r.height };
      }),
    );
    expect(labels).toHaveLength(200);
    for (const label of labels) expect(label.right).toBeLessThan(area.x);
    const rows = await page.$$eval("g.row", (els) => els.map((e) => e.getBoundingClientRect().y));
    for (let i = 1; i < rows.length; i++) {
      expect((rows[i] ?? 0) - (rows[i - 1] ?? 0)).toBeGreaterThanOrEqual(16);
    }
    await page.close();
  });
});
