/** The event-driven waiting part of the benchmark report (bench/events.ts): targets and table. */
import type { EventsReport, EventsVariant } from "./events";
import { f, i, type Target, table } from "./format";

function variant(r: EventsReport, key: string): EventsVariant | undefined {
  return r.variants.find((v) => v.key === key);
}

/** Issue 16.5's targets: on the base workload, and (50% loss) on every workload. */
export function eventsTargets(reports: readonly EventsReport[]): Target[] {
  const base = reports.find((r) => r.workload_key === "base");
  const out: Target[] = [];
  const adaptive = base && variant(base, "adaptive");
  const none = base && variant(base, "events-0");
  if (adaptive && none) {
    out.push(
      {
        target: "events, no loss: ≤ 1.5 status calls per run on average (base workload)",
        measured: `${f(none.polls_mean, 2)} (adaptive polling: ${f(adaptive.polls_mean, 2)})`,
        met: none.polls_mean <= 1.5,
      },
      {
        target: "events, no loss: median detection latency ≤ 2 s (base workload)",
        measured: `${f(none.latency_median, 1)} s (p95 ${f(none.latency_p95, 1)} s)`,
        met: none.latency_median <= 2,
      },
      {
        target: "events, no loss: transitions per run ≤ half of adaptive polling's (base workload)",
        measured: `${f(none.transitions_mean / adaptive.transitions_mean, 2)}× (${f(none.transitions_mean)} vs ${f(adaptive.transitions_mean)})`,
        met: none.transitions_mean <= adaptive.transitions_mean / 2,
      },
    );
  }
  const worse = reports.flatMap((r) => {
    const a = variant(r, "adaptive");
    const lossy = variant(r, "events-50");
    if (!a || !lossy) return [];
    const dearer = [
      lossy.polls_mean > a.polls_mean
        ? `status calls ${f(lossy.polls_mean, 2)} vs ${f(a.polls_mean, 2)}`
        : "",
      lossy.transitions_mean > a.transitions_mean
        ? `transitions ${f(lossy.transitions_mean)} vs ${f(a.transitions_mean)}`
        : "",
      lossy.latency_mean > a.latency_mean
        ? `mean latency ${f(lossy.latency_mean)} s vs ${f(a.latency_mean)} s`
        : "",
    ].filter((w) => w !== "");
    return dearer.length > 0 ? [`${r.workload_key} (${dearer.join(", ")})`] : [];
  });
  if (reports.some((r) => variant(r, "events-50"))) {
    out.push({
      target:
        "events, 50% lost: status calls, transitions and mean latency per run no worse than adaptive polling (every workload)",
      measured: worse.length === 0 ? "none worse" : `worse on ${worse.join(", ")}`,
      met: worse.length === 0,
    });
  }
  return out;
}

/** One row per workload and variant, with the ratios to adaptive polling on the same runs. */
export function eventsSection(reports: readonly EventsReport[]): string[] {
  if (reports.length === 0) return [];
  const rows = reports.flatMap((r) => {
    const a = variant(r, "adaptive");
    return r.variants.map((v) => [
      r.workload_label,
      `${r.seed}`,
      v.label,
      `${v.runs}`,
      `${f(v.polls_mean, 2)} (p95 ${i(v.polls_p95)})`,
      a && v !== a && !v.key.endsWith("-warmup") ? f(v.polls_mean / a.polls_mean, 2) : "",
      f(v.api_calls_mean, 2),
      f(v.transitions_mean),
      a && v !== a && !v.key.endsWith("-warmup")
        ? f(v.transitions_mean / a.transitions_mean, 2)
        : "",
      `${f(v.latency_median, 1)} / ${f(v.latency_p95, 0)}`,
      `${f(v.latency_pct_mean, 2)}%`,
      `${v.over_bound}`,
    ]);
  });
  return [
    "## 1c. Event-driven waiting",
    "",
    "The run-sync machine synthesized with webhooks, deciding each wait from the measured delivery (functions/core/delivery.ts): while the webhook's estimated loss p = (missed + 1) / (runs observed + 1) is over 25% (a fresh record: 100%; four running events seen in a row: 24%), the step polls exactly as without webhooks (the retry loop); once it is trusted, the start waits on a task token for the sync's median recent run plus 0.05/p of it (one list call), and each later wait times out after 0.1/p of the elapsed time (p at least 13%). The run's end event ends a wait at once. The simulator delivers signed events to the local receiver, losing each with the given probability (seeded per run). Each loss rate is a fresh deployment (a fresh record): its first 8 runs are a warm-up, not measured, shown on their own line; then every run of the workload is measured, the record still learning. Adaptive polling is the same runs without webhooks. API calls: every Polytomic call of the run (status calls, the start, the trusted first wait's list call, resolving the sync, exporting logs). Held-out workloads on their report seeds.",
    "",
    table(
      [
        "Workload",
        "Seed",
        "Waiting",
        "Runs",
        "Status calls / run",
        "÷ adaptive",
        "API calls / run",
        "Transitions / run",
        "÷ adaptive",
        "Latency median / p95 (s)",
        "Latency % of run (mean)",
        "Over max(15 s, 10%)",
      ],
      rows,
    ),
    "",
  ];
}
