import {
  checkFreshness,
  type FreshnessReport,
  type FreshnessRow,
  isFresh,
} from "../../../functions/core/freshness";
import { ManualClock } from "../../../simulator";
import type { FreshnessConfig, PipelinesConfig } from "../../config/model";
import { freshnessScenarioFromConfig } from "../../local/scenario-from-config";
import { formatElapsed, truncate } from "../../text";
import { commandSpec, flag, parseCommandArgs, stringValue, UsageError } from "../args";
import { CONFIG_OPTION, displayPath, loadConfig, SCENARIO_OPTION } from "../config";
import { plural, renderTable } from "../format";
import { helpRequested } from "../help";
import type { CliIO } from "../io";
import { targetError } from "../preflight";
import { type ApiTarget, chooseTarget, openTarget, type TargetChoice } from "../target";

export const FRESHNESS = commandSpec({
  name: "freshness",
  usage: "freshness [--config FILE] [--live | --scenario FILE] [--json]",
  description:
    "Reads when each sync under freshness: in the pipelines file last succeeded (and each " +
    "watched schema of a bulk sync) and prints the table the deployed check publishes: " +
    "sync, schema, last success, age, max age and status (ok, STALE, never succeeded, " +
    "unreadable), with the same code and the same bounds (max_api_calls, max_pages).",
  positionals: 0,
  options: [
    CONFIG_OPTION,
    {
      name: "live",
      type: "boolean",
      description: "ask the real Polytomic API (POLYTOMIC_API_KEY, POLYTOMIC_API_URL)",
    },
    {
      ...SCENARIO_OPTION,
      default:
        "generated: the pipelines' syncs succeeded an hour ago, the other watched syncs never ran",
    },
    { name: "json", type: "boolean", description: "print only the report, as JSON" },
  ],
  environment: [
    ["POLYTOMIC_API_KEY", "the API key --live sends"],
    ["POLYTOMIC_API_URL", "the API --live asks (default https://app.polytomic.com)"],
  ],
  exitCodes:
    "0 every sync and schema is within its max_age, 1 one is stale, never succeeded or could not be read, 2 usage, configuration or credential error.",
});

/** Where the check's API calls go, and the time its ages are taken at. */
interface Source extends ApiTarget {
  now: () => number;
}

/**
 * `freshness [--config FILE] [--live | --scenario FILE] [--json]`: the freshness check of
 * the deployed function (functions/core/freshness.ts), run once here.
 * @returns 0 all fresh, 1 anything stale, never succeeded or unreadable
 */
export async function freshnessCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(FRESHNESS, args);
  if (helpRequested(FRESHNESS, parsed, io)) return 0;
  const config = loadConfig(io.cwd, stringValue(parsed, "config"));
  const choice = chooseTarget("freshness", flag(parsed, "live"), {
    scenario: stringValue(parsed, "scenario"),
  });
  const report = await runFreshness(config, choice, io);
  if (flag(parsed, "json")) io.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
  else io.stdout.write(reportText(report, report.against));
  return report.rows.every(isFresh) ? 0 : 1;
}

/**
 * The freshness check of `config` once, against the real API (`choice.live`) or the
 * embedded simulator (`choice.scenarioPath`, else the generated scenario), after a key check.
 * @throws UsageError when the file has no `freshness:`; CredentialError, EnvironmentError
 */
export async function runFreshness(
  config: PipelinesConfig,
  choice: TargetChoice,
  io: CliIO,
): Promise<FreshnessReport & { against: string }> {
  if (config.freshness === undefined) {
    throw new UsageError(
      `${displayPath(config.source, io.cwd)} has no freshness: section; list the syncs to watch there (docs/pipelines.md, "Freshness")`,
    );
  }
  const source = await openSource(config, choice, io);
  try {
    await checkKey(source);
    const input = freshnessInput(config.freshness);
    return {
      ...(await checkFreshness(input, source.client, source.now())),
      against: source.description,
    };
  } finally {
    await source.close();
  }
}

/**
 * One call before the check, as `run` makes (lib/cli/preflight.ts): a refused key is one
 * line and exit 2, not a table of unreadable syncs.
 * @throws CredentialError, EnvironmentError
 */
async function checkKey(source: Source): Promise<void> {
  try {
    await source.client.listModelSyncs({ limit: 1 });
  } catch (err) {
    throw targetError(err, source);
  }
}

function freshnessInput(config: FreshnessConfig) {
  const { check_every_seconds: _, ...input } = config;
  return input;
}

/**
 * The real API with the wall clock, or the embedded simulator with a clock that stands
 * still: every age is taken at the moment the simulator started.
 */
async function openSource(
  config: PipelinesConfig,
  choice: TargetChoice,
  io: CliIO,
): Promise<Source> {
  const clock = new ManualClock(Date.now());
  const target = await openTarget(choice, io, {
    command: "freshness",
    clock,
    fallback: { scenario: () => freshnessScenarioFromConfig(config), name: "generated" },
  });
  return { ...target, now: choice.live ? () => Date.now() : () => clock.now() };
}

const STATUS_TEXT: Record<FreshnessRow["status"], string> = {
  ok: "ok",
  stale: "STALE",
  never: "never succeeded",
  unreadable: "unreadable",
};

/** The table's widest line, in columns. */
export const TABLE_WIDTH = 100;

/** Columns a sync's name keeps at least, however wide the other columns are. */
const MIN_NAME = 12;

/**
 * The sync column: the label; for a sync watched by id whose name the list gave, the name
 * and the id's first 8 characters ("Salesforce to Snowflake (9f1c0d2e…)"); the name cut to
 * fit `width`.
 */
function syncCell(r: FreshnessRow, width: number): string {
  const paused = r.active === false ? " (paused)" : "";
  const byId = r.name !== undefined && r.name !== r.sync;
  const suffix = `${byId ? ` (${r.sync.slice(0, 8)}…)` : ""}${paused}`;
  const name = byId ? (r.name as string) : r.sync;
  return `${truncate(name, Math.max(MIN_NAME, width - Array.from(suffix).length))}${suffix}`;
}

/** An ISO time to the second (the table's; the JSON report keeps milliseconds). */
const toSecond = (iso: string | undefined) => (iso ? iso.replace(/\.\d+Z$/, "Z") : "-");

/** The table, the reasons of unreadable rows, and a summary line. */
export function reportText(report: FreshnessReport, against: string): string {
  const others = report.rows.map((r) => [
    r.schema ?? "",
    toSecond(r.last_success),
    formatElapsed(r.age_seconds),
    formatElapsed(r.max_age_seconds),
    STATUS_TEXT[r.status],
  ]);
  const columns = [
    { header: "sync" },
    { header: "schema" },
    { header: "last success" },
    { header: "age", align: "right" as const },
    { header: "max age", align: "right" as const },
    { header: "status" },
  ];
  // What the other columns and the separators leave for the sync's.
  const used = columns
    .slice(1)
    .map((c, i) => Math.max(c.header.length, ...others.map((o) => (o[i] ?? "").length)) + 2)
    .reduce((a, b) => a + b, 0);
  const rows = report.rows.map((r, i) => [syncCell(r, TABLE_WIDTH - used), ...(others[i] ?? [])]);
  const table = renderTable(columns, rows);
  const reasons = report.rows
    .filter((r) => r.reason !== undefined)
    .map((r) => `${r.sync}${r.schema ? ` / ${r.schema}` : ""}: ${r.reason}`);
  const attention = report.rows.filter((r) => !isFresh(r)).length;
  const summary = `${plural(attention, "sync or schema", "syncs or schemas")} ${attention === 1 ? "needs" : "need"} attention; ${plural(report.api_calls, "API call")} of at most ${report.max_api_calls}, against ${against}`;
  return `${[table, ...reasons, summary].join("\n")}\n`;
}
