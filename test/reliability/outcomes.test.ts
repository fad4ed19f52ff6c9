/**
 * Guarantee: no false success. Every terminal status, and an unknown one, maps to a defined
 * outcome through the whole run-sync machine; a completed run with errors obeys the step's
 * policy; canceled and interrupted are never success.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { PolytomicApi } from "../../functions/core/ports";
import { config, handlers, runPipeline, stillRunning, uuid, type World, world } from "./harness";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const SYNC = uuid(1);

interface Case {
  type: "model" | "bulk";
  sync: string;
  policy?: string;
  status: "succeeded" | "failed";
  outcome: string;
  error?: string;
}

const CASES: Case[] = [
  { type: "model", sync: "outcome: completed", status: "succeeded", outcome: "succeeded" },
  { type: "bulk", sync: "outcome: completed", status: "succeeded", outcome: "succeeded" },
  {
    type: "model",
    sync: "outcome: failed",
    status: "failed",
    outcome: "failed",
    error: "Sync.Failed",
  },
  {
    type: "bulk",
    sync: "outcome: failed",
    status: "failed",
    outcome: "failed",
    error: "Sync.Failed",
  },
  {
    type: "model",
    sync: "outcome: canceled",
    status: "failed",
    outcome: "failed",
    error: "Sync.Canceled",
  },
  {
    type: "bulk",
    sync: "outcome: canceled",
    status: "failed",
    outcome: "failed",
    error: "Sync.Canceled",
  },
  {
    type: "model",
    sync: "outcome: interrupted",
    status: "failed",
    outcome: "failed",
    error: "Sync.Interrupted",
  },
  {
    type: "bulk",
    sync: "outcome: interrupted",
    status: "failed",
    outcome: "failed",
    error: "Sync.Interrupted",
  },
  {
    type: "bulk",
    sync: "outcome: errors\nerrors: 4",
    status: "failed",
    outcome: "failed",
    error: "Sync.CompletedWithErrors",
  },
  // `errors` always fails, whatever max_errors says.
  {
    type: "bulk",
    sync: "outcome: errors\nerrors: 4",
    policy: "max_errors: 100",
    status: "failed",
    outcome: "failed",
    error: "Sync.CompletedWithErrors",
  },
  {
    type: "model",
    sync: "outcome: completed_with_errors\nerrors: 3",
    status: "failed",
    outcome: "failed",
    error: "Sync.CompletedWithErrors",
  },
  {
    type: "model",
    sync: "outcome: completed_with_errors\nerrors: 3",
    policy: "max_errors: 3",
    status: "succeeded",
    outcome: "completed_with_errors",
  },
  {
    type: "model",
    sync: "outcome: completed_with_errors\nerrors: 3",
    policy: "max_errors: 2",
    status: "failed",
    outcome: "failed",
    error: "Sync.CompletedWithErrors",
  },
  { type: "model", sync: "warnings: 2", status: "succeeded", outcome: "succeeded_with_warnings" },
  {
    type: "model",
    sync: "warnings: 2",
    policy: "fail_on_warnings: true",
    status: "failed",
    outcome: "failed",
    error: "Sync.WarningsNotAllowed",
  },
  {
    type: "bulk",
    sync: "outcome: completed_with_errors\nschemas: [{ name: A }, { name: B, outcome: failed, errors: 1 }]",
    policy: "max_errors: 10",
    status: "failed",
    outcome: "failed",
    error: "Sync.SchemaErrors",
  },
  {
    type: "bulk",
    sync: "outcome: completed_with_errors\nschemas: [{ name: A }, { name: B, outcome: failed, errors: 1 }]",
    policy: "max_errors: 10\n        fail_on_schema_errors: false",
    status: "succeeded",
    outcome: "completed_with_errors",
  },
  // Expectations: a run that "succeeds" while loading nothing fails the step.
  {
    type: "model",
    sync: "records: 0",
    policy: "expect: { min_records: 1 }",
    status: "failed",
    outcome: "failed",
    error: "Sync.ExpectationFailed",
  },
  {
    type: "model",
    sync: "records: 5",
    policy: "expect: { min_records: 1 }",
    status: "succeeded",
    outcome: "succeeded",
  },
  {
    type: "bulk",
    sync: "records: 100\nschemas: [{ name: A, records: 100 }, { name: B, records: 0 }]",
    policy: "expect: { schemas: { B: { min_records: 1 } } }",
    status: "failed",
    outcome: "failed",
    error: "Sync.ExpectationFailed",
  },
];

const label = (c: Case) =>
  `${c.type} ${c.sync.replace(/\n/g, ", ")}${c.policy ? ` [${c.policy.replace(/\s+/g, " ")}]` : ""}`;

describe("no false success", () => {
  for (const c of CASES) {
    it(`${label(c)} -> ${c.status}${c.error ? ` (${c.error})` : ""}`, async () => {
      const sync = c.sync
        .split("\n")
        .map((l) => `    ${l}`)
        .join("\n");
      w = await world(
        `syncs:\n  ${SYNC}:\n    type: ${c.type}\n    duration_seconds: 90\n${sync}\n`,
      );
      const cfg = config(`pipelines:
  p:
    defaults:
      ${(c.policy ?? "max_errors: 0").replace(/\n\s+/g, "\n      ")}
    steps:
      - id: step
        ${c.type}_sync: ${SYNC}
      - id: next
        ${c.type}_sync: ${SYNC}
        after: [step]
`);
      const result = await runPipeline(w, handlers(w), cfg, "p");
      const [step, next] = result.steps;
      expect(step?.status).toBe(c.status);
      expect(step?.error?.name).toBe(c.error);
      if (c.status === "succeeded") expect(step?.outcome).toBe(c.outcome);
      expect(result.status).toBe(c.status === "succeeded" ? "succeeded" : "failed");
      expect(next?.status).toBe(c.status === "succeeded" ? "succeeded" : "skipped");
      expect(stillRunning(w)).toEqual([]);
    });
  }

  it("a missed expectation names what was expected and seen; logs and metrics still go out", async () => {
    w = await world(
      `syncs:\n  ${SYNC}:\n    type: bulk\n    duration_seconds: 90\n    records: 100\n    schemas: [{ name: A, records: 100 }, { name: B, records: 0 }]\n`,
    );
    const cfg = config(`pipelines:
  p:
    steps:
      - id: step
        bulk_sync: ${SYNC}
        expect: { min_records: 1, schemas: { A: { min_records: 1 }, B: { min_records: 1 } } }
`);
    const h = handlers(w);
    const result = await runPipeline(w, h, cfg, "p");
    const step = result.steps[0];
    expect(step?.error?.name).toBe("Sync.ExpectationFailed");
    expect(step?.error?.message).toContain('schema "B": expected at least 1 record, saw 0');
    expect(step?.error?.message).not.toContain('"A"');
    expect(h.sinks.objects.size).toBeGreaterThan(0);
    const metrics = h.sinks.metrics.flat();
    expect(metrics.find((m) => m.MetricName === "StepFailed")?.Value).toBe(1);
    expect(metrics.find((m) => m.MetricName === "RecordsSynced")?.Value).toBe(100);
  });

  it("an unknown status (an API change) fails the step with Sync.UnknownStatus", async () => {
    w = await world(`syncs:\n  ${SYNC}:\n    type: model\n    duration_seconds: 90\n`);
    const wrap = (api: PolytomicApi): PolytomicApi =>
      new Proxy(api, {
        get(target, prop, receiver) {
          const value = Reflect.get(target, prop, receiver);
          if (prop !== "getModelExecution" || typeof value !== "function") return value;
          return async (...args: unknown[]) => {
            const run = await value.apply(target, args);
            return run.status === "completed" ? { ...run, status: "paused_by_admin" } : run;
          };
        },
      });
    const cfg = config(
      `pipelines:\n  p:\n    steps:\n      - id: step\n        model_sync: ${SYNC}\n`,
    );
    const result = await runPipeline(w, handlers(w, { wrap }), cfg, "p");
    expect(result.status).toBe("failed");
    expect(result.steps[0]?.status).toBe("failed");
    expect(result.steps[0]?.error?.name).toBe("Sync.UnknownStatus");
    expect(result.steps[0]?.error?.message).toContain("paused_by_admin");
  });
});
