/** Run reports made up for tests: a layered DAG of any size, with every kind of step. */
import type { ReportStep, RunReport } from "../../lib/report/model";

const T0 = Date.UTC(2026, 0, 5, 7, 0, 0);
const at = (s: number) => new Date(T0 + s * 1000).toISOString();

/**
 * `n` steps in layers of 10, each depending on two steps of the layer before; each step
 * waits for its layer, queues 5-24 s, runs 100-390 s and is noticed 0-29 s late. Every
 * 17th step fails (with `failureText`), and the one after it is skipped.
 */
export function syntheticReport(
  n: number,
  failureText = "the destination rejected the batch",
): RunReport {
  const steps: ReportStep[] = [];
  const endOf = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const layer = Math.floor(i / 10);
    const after =
      layer === 0
        ? []
        : [`step_${(layer - 1) * 10 + (i % 10)}`, `step_${(layer - 1) * 10 + ((i + 3) % 10)}`];
    const released = Math.max(0, ...after.map((d) => endOf.get(d) ?? 0));
    const id =
      i === 3 ? `a_very_long_step_name_that_cannot_fit_in_the_label_column_${i}` : `step_${i}`;
    const skipped = i % 17 === 1 && i > 1;
    const failed = i % 17 === 0 && i > 0;
    const queued = released + 1;
    const started = queued + 5 + (i % 20);
    const finished = started + 100 + (i % 30) * 10;
    const detected = finished + (i % 30);
    const ended = detected + 2;
    endOf.set(id, skipped ? released : ended);
    endOf.set(`step_${i}`, skipped ? released : ended);
    steps.push({
      id,
      sync_type: i % 2 === 0 ? "bulk" : "model",
      status: skipped ? "skipped" : failed ? "failed" : "succeeded",
      outcome: skipped ? "skipped" : failed ? "failed" : "succeeded",
      execution_id: skipped ? null : `run-${i}`,
      after,
      waiting_on: after.map((d) => ({ step: d, released_at: at(endOf.get(d) ?? 0) })),
      released_at: at(released),
      submitted_at: skipped ? null : at(released),
      queued_at: skipped ? null : at(queued),
      started_at: skipped ? null : at(started),
      finished_at: skipped ? null : at(finished),
      detected_at: skipped ? null : at(detected),
      ended_at: skipped ? null : at(ended),
      polls: skipped ? 0 : 5,
      api_retries: i % 7 === 0 ? 1 : 0,
      failure_text: failed ? failureText : null,
      critical: false,
      records: skipped ? 0 : 1000 + i,
      errors: failed ? 3 : 0,
      warnings: 0,
      logs: skipped ? [] : [`polytomic-logs/p/${id}/console.json`],
      error: failed
        ? { name: "Sync.Failed", message: `model sync execution failed. Polytomic: ${failureText}` }
        : null,
    });
  }
  const last = Math.max(...endOf.values());
  return {
    pipeline: "synthetic",
    execution_name: "synthetic-1",
    status: steps.some((s) => s.status === "failed") ? "failed" : "succeeded",
    started_at: at(0),
    finished_at: at(last + 1),
    steps,
    critical_path: [],
  };
}
