/**
 * `npm run cost`: the monthly AWS bill of a deployment, from list prices (named constants
 * below, each with its source) and usage measured by running the synthesized state
 * machines locally: state transitions, step runs, check-status polls and log files per
 * pipeline run, from the same engine and handlers as `npm start`. Alarms and dashboards
 * are counted in the synthesized template; custom metrics from functions/core/metrics.ts.
 *
 * Two deployments: the example pipelines (pipelines.yaml, the config `npm start` uses,
 * at their schedules) and 5 pipelines × 20 steps run hourly.
 *
 * Method and its limits: no free tier is applied (they are per account); a custom metric
 * is billed as a whole metric-month whenever it gets data in the month (CloudWatch
 * prorates by the hour, so a metric of a pipeline that runs once a night may cost less:
 * this is the upper bound); Lambda duration is an assumption (ASSUMED_LAMBDA), not a
 * measurement; CloudWatch Logs ingestion, KMS, SNS, SQS and GetMetricData from viewing
 * the dashboard are left out (cents at these volumes).
 */
import { realpathSync } from "node:fs";
import { join, resolve } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { ORGANIZATION_METRICS, PIPELINE_METRICS, STEP_METRICS } from "../functions/core/metrics";
import { cronValues } from "../lib/config/cron";
import { loadPipelinesConfig, parsePipelinesConfig } from "../lib/config/load";
import type { PipelinesConfig, ScheduleConfig } from "../lib/config/model";
import { rateSeconds } from "../lib/config/schedule-gaps";
import { scenarioFromConfig } from "../lib/local/scenario-from-config";
import { OrchestratorStack } from "../lib/stack";
import { runBench, synthesizeLocalApp } from "./harness";
import { Prng } from "./prng";

const CLOUDWATCH = "https://aws.amazon.com/cloudwatch/pricing/";

/** A list price in USD per unit, us-east-1, as read on PRICES_READ. */
export interface Price {
  readonly usd: number;
  readonly unit: string;
  readonly source: string;
}

/** The date the prices were read from their pages. */
export const PRICES_READ = "2026-12-01";
export const PRICE_REGION = "us-east-1";

export const PRICES = {
  /** Standard workflows, per state transition ($0.025 per 1,000). */
  stateTransition: {
    usd: 0.025 / 1000,
    unit: "state transition",
    source: "https://aws.amazon.com/step-functions/pricing/",
  },
  /** Custom metric, first 10,000 metrics ($0.30 per metric-month). */
  customMetric: { usd: 0.3, unit: "metric-month", source: CLOUDWATCH },
  /** PutMetricData ($0.01 per 1,000 requests). */
  putMetricData: { usd: 0.01 / 1000, unit: "request", source: CLOUDWATCH },
  /** Standard-resolution alarm ($0.10 per alarm metric-month). */
  alarm: { usd: 0.1, unit: "alarm-month", source: CLOUDWATCH },
  /** Dashboard ($3.00 per dashboard-month). */
  dashboard: { usd: 3, unit: "dashboard-month", source: CLOUDWATCH },
  /** Lambda requests ($0.20 per 1M). */
  lambdaRequest: {
    usd: 0.2 / 1_000_000,
    unit: "request",
    source: "https://aws.amazon.com/lambda/pricing/",
  },
  /** Lambda duration on arm64 ($0.0000133334 per GB-second, first 7.5 billion). */
  lambdaGbSecond: {
    usd: 0.0000133334,
    unit: "GB-second",
    source: "https://aws.amazon.com/lambda/pricing/",
  },
  /** EventBridge Scheduler invocation ($1.00 per 1M). */
  schedulerInvocation: {
    usd: 1 / 1_000_000,
    unit: "invocation",
    source: "https://aws.amazon.com/eventbridge/pricing/",
  },
  /** S3 Standard PUT ($0.005 per 1,000): one per exported log file. */
  s3Put: { usd: 0.005 / 1000, unit: "PUT request", source: "https://aws.amazon.com/s3/pricing/" },
} as const satisfies Record<string, Price>;

/** Hours in a billing month, as AWS's pricing examples count them. */
export const HOURS_PER_MONTH = 730;

/** Assumed billed duration and memory of an invocation (the functions mostly wait on HTTP). */
export const ASSUMED_LAMBDA = { seconds: 0.5, gb: 0.25 } as const;

/** Custom metrics each step and each pipeline publishes (functions/core/metrics.ts). */
export const METRICS_PER_STEP = Object.keys(STEP_METRICS).length;
export const METRICS_PER_PIPELINE = Object.keys(PIPELINE_METRICS).length;
/**
 * Partner fan-out: custom metrics an organization adds to a pipeline in a month in which one
 * of its steps fails there (OrganizationStepFailures{Pipeline, Organization}); an organization
 * that never fails adds none, whatever the number of steps.
 */
export const METRICS_PER_FAILING_ORGANIZATION = Object.keys(ORGANIZATION_METRICS).length;

/** One pipeline's usage: its size and schedule, and what one run used (measured locally). */
export interface PipelineUsage {
  name: string;
  steps: number;
  runsPerMonth: number;
  /** Per run: state transitions of the pipeline execution and every child. */
  transitions: number;
  /** Per run: steps that ran (each publishes metrics once). */
  stepRuns: number;
  /** Per run: check-status invocations. */
  polls: number;
  /** Per run: log files exported to S3. */
  logFiles: number;
  /** Partner fan-out: organizations in which a step of this pipeline fails in the month. @default 0 */
  failingOrganizations?: number;
}

export interface DeploymentUsage {
  pipelines: PipelineUsage[];
  /** Alarms and dashboards in the synthesized template. */
  alarms: number;
  dashboards: number;
}

export interface CostLine {
  item: string;
  service: "Step Functions" | "CloudWatch" | "Lambda" | "EventBridge Scheduler" | "S3";
  quantity: number;
  price: Price;
  usd: number;
}

export interface MonthlyCost {
  lines: CostLine[];
  total: number;
  byService: Record<CostLine["service"], number>;
}

/** The month's bill for a deployment's usage (pure). */
export function monthlyCost(
  usage: DeploymentUsage,
  metrics = { perStep: METRICS_PER_STEP, perPipeline: METRICS_PER_PIPELINE },
): MonthlyCost {
  const sum = (f: (p: PipelineUsage) => number) =>
    usage.pipelines.reduce((total, p) => total + f(p) * p.runsPerMonth, 0);
  const running = usage.pipelines.filter((p) => p.runsPerMonth > 0);
  const invocations = sum((p) => p.polls + 3 * p.stepRuns); // start, export, publish + polls
  const line = (
    item: string,
    service: CostLine["service"],
    quantity: number,
    price: Price,
  ): CostLine => ({ item, service, quantity, price, usd: quantity * price.usd });
  const lines = [
    line(
      "state transitions",
      "Step Functions",
      sum((p) => p.transitions),
      PRICES.stateTransition,
    ),
    line(
      "custom metrics",
      "CloudWatch",
      running.reduce(
        (n, p) =>
          n +
          p.steps * metrics.perStep +
          metrics.perPipeline +
          (p.failingOrganizations ?? 0) * METRICS_PER_FAILING_ORGANIZATION,
        0,
      ),
      PRICES.customMetric,
    ),
    line(
      "PutMetricData calls",
      "CloudWatch",
      sum((p) => p.stepRuns),
      PRICES.putMetricData,
    ),
    line("alarms", "CloudWatch", usage.alarms, PRICES.alarm),
    line("dashboards", "CloudWatch", usage.dashboards, PRICES.dashboard),
    line("Lambda requests", "Lambda", invocations, PRICES.lambdaRequest),
    line(
      "Lambda duration (assumed)",
      "Lambda",
      invocations * ASSUMED_LAMBDA.seconds * ASSUMED_LAMBDA.gb,
      PRICES.lambdaGbSecond,
    ),
    line(
      "schedule firings",
      "EventBridge Scheduler",
      sum(() => 1),
      PRICES.schedulerInvocation,
    ),
    line(
      "log files",
      "S3",
      sum((p) => p.logFiles),
      PRICES.s3Put,
    ),
  ];
  const byService = {} as Record<CostLine["service"], number>;
  for (const l of lines) byService[l.service] = (byService[l.service] ?? 0) + l.usd;
  return { lines, total: lines.reduce((t, l) => t + l.usd, 0), byService };
}

/**
 * Firings a month: a rate's fixed interval, or a cron's firings over a non-leap year
 * (in its time zone's wall clock; a skipped or repeated daylight-saving hour is ignored).
 */
export function runsPerMonth(schedule: ScheduleConfig | undefined): number {
  if (schedule === undefined) return 0;
  if (schedule.cron === undefined) {
    const seconds = rateSeconds(schedule.expression);
    return seconds === undefined ? 0 : (HOURS_PER_MONTH * 3600) / seconds;
  }
  const values = cronValues(schedule.cron);
  let days = 0;
  for (let day = 0; day < 365; day++) {
    const date = new Date(Date.UTC(2025, 0, 1 + day));
    if (!values.months.has(date.getUTCMonth() + 1)) continue;
    if (values.daysOfMonth !== undefined && !values.daysOfMonth.has(date.getUTCDate())) continue;
    if (values.daysOfWeek !== undefined && !values.daysOfWeek.has(date.getUTCDay())) continue;
    days++;
  }
  return (days * values.hours.length * values.minutes.length) / 12;
}

/** Alarms and dashboards of the deployment, counted in its synthesized template. */
export function countMonitoring(config: PipelinesConfig): { alarms: number; dashboards: number } {
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new OrchestratorStack(app, "Cost", {
    config,
    schedulesEnabled: true, // as deployed to run: with the "schedule stopped firing" alarms
    env: { account: "123456789012", region: PRICE_REGION },
  });
  const template = Template.fromStack(stack);
  const count = (type: string) => Object.keys(template.findResources(type)).length;
  return {
    alarms: count("AWS::CloudWatch::Alarm"),
    dashboards: count("AWS::CloudWatch::Dashboard"),
  };
}

/** Runs each pipeline once locally (every step succeeds) and reads its usage. */
export async function measureUsage(
  config: PipelinesConfig,
  scenarioOf: (pipeline: string) => ReturnType<typeof scenarioFromConfig> = (p) =>
    scenarioFromConfig(config, p),
): Promise<DeploymentUsage> {
  const app = synthesizeLocalApp(config);
  const pipelines: PipelineUsage[] = [];
  for (const p of config.pipelines) {
    const { result } = await runBench({
      app,
      config,
      pipeline: p.name,
      scenario: scenarioOf(p.name),
    });
    if (result.status !== "succeeded") {
      throw new Error(
        `cost: pipeline ${p.name} ${result.status} locally: ${result.error?.message}`,
      );
    }
    pipelines.push({
      name: p.name,
      steps: p.steps.length,
      runsPerMonth: runsPerMonth(p.schedule),
      transitions: result.state_transitions,
      stepRuns: result.steps.filter((s) => s.status !== "skipped").length,
      polls: result.polls,
      logFiles: result.steps.reduce((n, s) => n + s.logs.length, 0),
    });
  }
  return { pipelines, ...countMonitoring(config) };
}

/**
 * 5 pipelines × 20 steps, hourly: 8 bulk loads, then 12 model syncs each after one or two
 * of them; loads take 5-25 minutes and model syncs 2-10 (seeded), so a run fits its hour.
 */
export function hourlyFleet(pipelines = 5, steps = 20): PipelinesConfig {
  const loads = 8;
  const lines = ["pipelines:"];
  for (let p = 0; p < pipelines; p++) {
    lines.push(`  fleet_${p}:`, "    schedule: { rate: 1 hour }", "    timeout: 55m", "    steps:");
    const prng = new Prng(20_261_201 + p);
    for (let s = 0; s < steps; s++) {
      const id = `${p}${String(s).padStart(11, "0")}`;
      const sync = `9f1c0d2e-0000-4000-8000-${id}`;
      if (s < loads) {
        lines.push(`      - { id: load_${s}, bulk_sync: ${sync} }`);
        continue;
      }
      const after = [...new Set([prng.int(0, loads - 1), prng.int(0, loads - 1)])];
      lines.push(
        `      - { id: push_${s}, model_sync: ${sync}, after: [${after.map((a) => `load_${a}`).join(", ")}] }`,
      );
    }
  }
  return parsePipelinesConfig(`${lines.join("\n")}\n`, "bench/cost.ts (hourly fleet)");
}

/** The generated scenario, with durations that fit an hourly run (seeded). */
function hourlyScenario(config: PipelinesConfig, pipeline: string) {
  const scenario = scenarioFromConfig(config, pipeline);
  const prng = new Prng(7_000 + config.pipelines.findIndex((p) => p.name === pipeline));
  for (const sync of Object.values(scenario.syncs)) {
    const minutes = sync.type === "bulk" ? prng.uniform(5, 25) : prng.uniform(2, 10);
    sync.duration_seconds = Math.round(minutes * 60);
    sync.history_seconds = [0.92, 1.05, 0.98, 1.1, 0.95].map((f) =>
      Math.round(sync.duration_seconds * f),
    );
  }
  return scenario;
}

export interface CostReport {
  prices_read: string;
  region: string;
  examples: { usage: DeploymentUsage; cost: MonthlyCost };
  fleet: { usage: DeploymentUsage; cost: MonthlyCost; cost_with_ten_metrics_per_step: MonthlyCost };
}

export async function benchCost(
  examplesFile = join(REPO_ROOT, "pipelines.yaml"),
): Promise<CostReport> {
  const examples = loadPipelinesConfig(examplesFile);
  const exampleUsage = await measureUsage(examples);
  const fleet = hourlyFleet();
  const fleetUsage = await measureUsage(fleet, (p) => hourlyScenario(fleet, p));
  return {
    prices_read: PRICES_READ,
    region: PRICE_REGION,
    examples: { usage: exampleUsage, cost: monthlyCost(exampleUsage) },
    fleet: {
      usage: fleetUsage,
      cost: monthlyCost(fleetUsage),
      // Before metrics moved to per pipeline: all ten per step.
      cost_with_ten_metrics_per_step: monthlyCost(fleetUsage, { perStep: 10, perPipeline: 0 }),
    },
  };
}

const REPO_ROOT = resolve(import.meta.dirname, "..");

const usd = (n: number) => `$${n < 10 ? n.toFixed(2) : n.toFixed(0)}`;
const count = (n: number) => Math.round(n).toLocaleString("en-US");

/** The Markdown report: per deployment, a line per cost item and the totals. */
export function renderCost(report: CostReport): string {
  const table = (title: string, usage: DeploymentUsage, cost: MonthlyCost) => {
    const runs = usage.pipelines
      .map(
        (p) =>
          `${p.name} (${p.steps} steps, ${count(p.runsPerMonth)} runs/month, ${count(p.transitions)} transitions/run)`,
      )
      .join("; ");
    return [
      `### ${title}`,
      "",
      runs,
      "",
      "| Item | Service | Quantity / month | Price | USD / month |",
      "| --- | --- | --- | --- | --- |",
      ...cost.lines.map(
        (l) =>
          `| ${l.item} | ${l.service} | ${count(l.quantity)} | $${l.price.usd.toPrecision(3)} per ${l.price.unit} | ${usd(l.usd)} |`,
      ),
      `| **total** | | | | **${usd(cost.total)}** |`,
      "",
      `CloudWatch ${usd(cost.byService.CloudWatch)}, Step Functions ${usd(cost.byService["Step Functions"])}.`,
    ].join("\n");
  };
  const before = report.fleet.cost_with_ten_metrics_per_step;
  const sources = [...new Set(Object.values(PRICES).map((p) => p.source))].join(", ");
  return [
    `## Cost (list prices, ${report.region}, read ${report.prices_read}; no free tier)`,
    "",
    table(
      "Example pipelines (pipelines.yaml, at their schedules)",
      report.examples.usage,
      report.examples.cost,
    ),
    "",
    table("5 pipelines × 20 steps, hourly", report.fleet.usage, report.fleet.cost),
    `With all ten metrics per step (before): ${usd(before.total)} a month, CloudWatch ${usd(before.byService.CloudWatch)}.`,
    "",
    `Prices: ${sources}. Lambda duration assumed ${ASSUMED_LAMBDA.seconds} s at ${ASSUMED_LAMBDA.gb * 1024} MB per invocation.`,
  ].join("\n");
}

async function main(): Promise<void> {
  const report = await benchCost();
  process.stdout.write(`${renderCost(report)}\n`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === realpathSync(import.meta.filename)) {
  main().catch((error: unknown) => {
    process.stderr.write(`cost failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  });
}
