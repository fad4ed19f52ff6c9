/**
 * `npm run bench`: every benchmark, side by side in one run. The work is spread over
 * worker processes (BENCH_JOBS, default 2: one per core of the reference machine); the
 * Lambda cold-start measurements run last, alone, so no other work skews them.
 *
 * Writes bench/results/report.json and bench/results/report.md and prints the Markdown.
 * Exits 1 when a DAG run breaks a dependency or a pipeline does not run to the end;
 * unmet performance targets are reported as NOT MET.
 *
 * `tsx bench/run.ts --task <name> --out <file>` runs one task (used by the workers).
 * `tsx bench/run.ts --only polling,heldout,events,dag,scale,lambda` runs some groups of tasks and
 * prints their sections only (the targets of the others are left out). `events` is
 * event-driven waiting (events.ts) on the base and held-out workloads.
 */
import { spawn } from "node:child_process";
import { mkdir, readFile, rm, writeFile } from "node:fs/promises";
import { cpus, platform } from "node:os";
import { join, resolve } from "node:path";
import { benchDag, type DagReport } from "./dag";
import { benchEventsOn, type EventsReport } from "./events";
import { benchLambda, type LambdaReport } from "./lambda";
import {
  benchHeldOut,
  benchPolling,
  combinePolling,
  type PollingReport,
  STRATEGIES,
} from "./polling";
import { type BenchReport, renderMarkdown, targets } from "./report";
import { benchScale, type ScaleReport } from "./scale";
import { mapLimit } from "./stats";
import { HELD_OUT_WORKLOADS } from "./workload";

const RESULTS = resolve(import.meta.dirname, "results");

type TaskName =
  | `polling:${string}`
  | `heldout:${string}`
  | `events:${string}`
  | "dag"
  | "scale"
  | "lambda";

async function runTask(task: TaskName): Promise<unknown> {
  const progress = (m: string) => process.stderr.write(`  ${m}\n`);
  if (task.startsWith("polling:")) {
    const key = task.slice("polling:".length);
    const strategy = STRATEGIES.find((s) => s.key === key);
    if (!strategy) throw new Error(`unknown polling strategy ${key}`);
    return benchPolling({ strategies: [strategy], onProgress: progress });
  }
  if (task.startsWith("heldout:")) {
    return benchHeldOut(task.slice("heldout:".length), { onProgress: progress });
  }
  if (task.startsWith("events:")) {
    return benchEventsOn(task.slice("events:".length), { onProgress: progress });
  }
  if (task === "dag") return benchDag({ onProgress: progress });
  if (task === "scale") return benchScale({ onProgress: progress });
  if (task === "lambda") return benchLambda();
  throw new Error(`unknown task ${task}`);
}

/** Runs a task in a fresh process of this script and reads its JSON result. */
function inWorker(task: TaskName): Promise<unknown> {
  const out = join(RESULTS, `.task-${task.replace(/[^a-z0-9]/gi, "_")}.json`);
  const began = performance.now();
  process.stderr.write(`started ${task}\n`);
  return new Promise((ok, fail) => {
    const child = spawn(
      process.execPath,
      [...process.execArgv, import.meta.filename, "--task", task, "--out", out],
      { stdio: ["ignore", "inherit", "inherit"] },
    );
    child.on("error", fail);
    child.on("exit", async (code) => {
      if (code !== 0) {
        fail(new Error(`bench task ${task} exited with ${code}`));
        return;
      }
      process.stderr.write(
        `finished ${task} in ${((performance.now() - began) / 1000).toFixed(0)} s\n`,
      );
      const text = await readFile(out, "utf8");
      await rm(out, { force: true });
      ok(JSON.parse(text));
    });
  });
}

async function main(): Promise<number> {
  const args = process.argv.slice(2);
  const taskAt = args.indexOf("--task");
  if (taskAt >= 0) {
    const task = args[taskAt + 1] as TaskName;
    const out = args[args.indexOf("--out") + 1];
    if (!out) throw new Error("--task needs --out");
    await writeFile(out, JSON.stringify(await runTask(task)));
    return 0;
  }

  const began = performance.now();
  await mkdir(RESULTS, { recursive: true });
  const jobs = Math.max(1, Number(process.env.BENCH_JOBS ?? 2) || 2);
  const onlyAt = args.indexOf("--only");
  const groups = new Set(
    onlyAt >= 0
      ? (args[onlyAt + 1] ?? "").split(",")
      : ["polling", "heldout", "events", "dag", "scale", "lambda"],
  );
  // Longest first, so the two workers finish together.
  const tasks: TaskName[] = [
    ...(groups.has("polling") ? (["polling:fixed15", "polling:fixed30"] as const) : []),
    ...(groups.has("scale") ? (["scale"] as const) : []),
    ...(groups.has("heldout") ? HELD_OUT_WORKLOADS.map((w) => `heldout:${w.key}` as const) : []),
    ...(groups.has("polling") ? (["polling:default", "polling:backoff"] as const) : []),
    ...(groups.has("events")
      ? (["base", ...HELD_OUT_WORKLOADS.map((w) => w.key)] as const).map(
          (key) => `events:${key}` as const,
        )
      : []),
    ...(groups.has("dag") ? (["dag"] as const) : []),
  ];
  const results = await mapLimit(tasks, jobs, (task) => inWorker(task));
  const lambda = groups.has("lambda") ? ((await inWorker("lambda")) as LambdaReport) : undefined;
  const byTask = new Map(tasks.map((t, k) => [t, results[k]]));
  const pollingParts = tasks.filter((t) => t.startsWith("polling:"));
  const report: BenchReport = {
    generated_at: new Date().toISOString(),
    node: process.version,
    platform: `${platform()} ${process.arch}`,
    cpus: cpus().length,
    wall_seconds: (performance.now() - began) / 1000,
    ...(pollingParts.length > 0
      ? { polling: combinePolling(pollingParts.map((t) => byTask.get(t) as PollingReport)) }
      : {}),
    held_out: tasks
      .filter((t) => t.startsWith("heldout:"))
      .map((t) => byTask.get(t) as PollingReport),
    ...(groups.has("events")
      ? {
          events: tasks
            .filter((t) => t.startsWith("events:"))
            .map((t) => byTask.get(t) as EventsReport),
        }
      : {}),
    ...(groups.has("dag") ? { dag: byTask.get("dag") as DagReport } : {}),
    ...(groups.has("scale") ? { scale: byTask.get("scale") as ScaleReport } : {}),
    ...(lambda ? { lambda } : {}),
  };
  const markdown = renderMarkdown(report);
  await writeFile(
    join(RESULTS, "report.json"),
    `${JSON.stringify({ ...report, targets: targets(report) }, null, 2)}\n`,
  );
  await writeFile(join(RESULTS, "report.md"), `${markdown}\n`);
  process.stdout.write(`${markdown}\n`);
  process.stderr.write(`\nWrote ${join(RESULTS, "report.md")} and report.json\n`);
  const dagFailed = (report.dag?.failures.length ?? 0) > 0;
  return dagFailed || (report.scale && report.scale.status !== "succeeded") ? 1 : 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(`bench failed: ${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  },
);
