/**
 * Writes docs/report.png: the report.html of the nightly example (pipelines.yaml against
 * examples/scenarios/nightly.yaml, on the virtual clock from 02:00 New York time), as the
 * system's Chromium shows it. The README shows the picture.
 *
 *   npm run screenshot
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { loadPipelinesConfig } from "../lib/config/load";
import { runPipelineLocally } from "../lib/local/runner";
import { VirtualClock } from "../lib/local/virtual-clock";
import { writeReportHtml } from "../lib/report/write";
import { loadScenario, startSimulator } from "../simulator";
import { CHROMIUM_PATH, chromiumInstalled, launchChromium } from "./browser";

const root = (path: string) => fileURLToPath(new URL(`../${path}`, import.meta.url));
const TARGET = root("docs/report.png");

async function nightlyReport(dir: string): Promise<string> {
  const config = loadPipelinesConfig(root("pipelines.yaml"));
  const scenario = await loadScenario(root("examples/scenarios/nightly.yaml"));
  const clock = new VirtualClock(Date.parse("2026-12-01T07:00:00Z"));
  const simulator = await startSimulator({ scenario, clock, host: "127.0.0.1" });
  try {
    const result = await runPipelineLocally({
      config,
      pipeline: "nightly",
      polytomic: { baseUrl: simulator.url, apiKey: scenario.api_key ?? "local-simulator-key" },
      clock,
      outDir: dir,
    });
    if (!result.timeline) throw new Error("the run has no timeline");
    return await writeReportHtml(result.timeline, dir, dir, true);
  } finally {
    await simulator.close();
  }
}

async function main(): Promise<number> {
  if (!chromiumInstalled()) {
    console.error(`screenshot: no Chromium at ${CHROMIUM_PATH}: apt-get install -y chromium`);
    return 2;
  }
  const dir = await mkdtemp(join(tmpdir(), "report-screenshot-"));
  const browser = await launchChromium();
  try {
    const report = await nightlyReport(dir);
    const page = await browser.newPage({ viewport: { width: 1300, height: 800 } });
    await page.goto(pathToFileURL(report).href);
    await page.screenshot({ path: TARGET, fullPage: true });
    console.log(`wrote ${TARGET}`);
    return 0;
  } finally {
    await browser.close();
    await rm(dir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
