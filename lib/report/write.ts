/**
 * Writes a run's report.html into its run folder, with links to the exported logs as
 * relative paths (the report keeps working when the output directory is moved whole).
 */
import { writeFile } from "node:fs/promises";
import { join, relative, resolve, sep } from "node:path";
import { renderReportHtml } from "./html";
import type { RunReport } from "./model";

export const REPORT_FILE = "report.html";

/**
 * @param runDir the run's folder (report.html goes there)
 * @param outDir where log keys are files
 * @returns the report's path
 */
export async function writeReportHtml(
  report: RunReport,
  runDir: string,
  outDir: string,
  simulated: boolean,
): Promise<string> {
  const path = join(runDir, REPORT_FILE);
  const logHref = (key: string) =>
    relative(runDir, resolve(outDir, key)).split(sep).map(encodeURIComponent).join("/");
  await writeFile(path, renderReportHtml(report, { logHref, simulated }));
  return path;
}
