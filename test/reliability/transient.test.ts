/**
 * Guarantee: transient API faults never fail a step. The step ends with the scenario's
 * outcome, nothing starts twice, and every retry shows in the handler log.
 */
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isRetryableName } from "../../functions/core/errors";
import { PIPELINE_METRICS } from "../../functions/core/metrics";
import { runPipelineLocally } from "../../lib/local/runner";
import {
  config,
  handlers,
  KEY,
  logRecords,
  runPipeline,
  stillRunning,
  uuid,
  type World,
  world,
} from "./harness";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const MODEL = uuid(1);
const BULK = uuid(2);
const syncs = `api_key: ${KEY}
syncs:
  ${BULK}:
    type: bulk
    queue_seconds: 5
    duration_seconds: 300
    records: 5000
    schemas: [{ name: Account }, { name: Contact }]
  ${MODEL}:
    type: model
    queue_seconds: 5
    duration_seconds: 200
    records: 800
    warnings: 2
`;

const PIPELINE = config(`pipelines:
  nightly:
    steps:
      - id: load
        bulk_sync: ${BULK}
      - id: push
        model_sync: ${MODEL}
        after: [load]
`);

const RETRY_LINE = "polytomic request failed; retrying";
/** start-sync's line when a start answered 429/5xx is left to the machine, with the next key. */
const START_AGAIN_LINE = "not started yet; trying again later with the next Idempotency-Key";

/** Every scripted fault kind, once or in bursts, on every endpoint a step calls. */
const FAULTS: Array<{ name: string; faults: string }> = [
  {
    name: "a burst of 429s with Retry-After on start and status",
    faults: `
  - { endpoint: start, status: 429, retry_after_seconds: 3, times: 3 }
  - { endpoint: execution, status: 429, retry_after_seconds: 30, times: 4 }`,
  },
  {
    name: "500, 502 and 503 on every endpoint",
    faults: `
  - { endpoint: any, status: 500, times: 2 }
  - { endpoint: start, status: 502, times: 1 }
  - { endpoint: execution, status: 503, times: 2 }
  - { endpoint: export, status: 502, times: 1 }
  - { endpoint: job, status: 503, times: 1 }
  - { endpoint: logs, status: 500, times: 1 }`,
  },
  {
    name: "connection resets",
    faults: `
  - { endpoint: start, reset: true, times: 2 }
  - { endpoint: execution, reset: true, times: 3 }
  - { endpoint: logs, reset: true, times: 1 }
  - { endpoint: download, reset: true, times: 1 }`,
  },
  {
    name: "malformed JSON bodies",
    faults: `
  - { endpoint: start, malformed: true, times: 1 }
  - { endpoint: execution, malformed: true, times: 2 }
  - { endpoint: syncs, malformed: true, times: 1 }
  - { endpoint: job, malformed: true, times: 1 }`,
  },
];

describe("transient API faults never fail a step", () => {
  for (const { name, faults } of FAULTS) {
    it(`${name}: the steps end as without faults, each retry logged`, async () => {
      w = await world(`${syncs}faults:${faults}`);
      const h = handlers(w);
      const result = await runPipeline(w, h, PIPELINE, "nightly");
      expect(result.steps.map((s) => [s.id, s.status, s.outcome])).toEqual([
        ["load", "succeeded", "succeeded"],
        ["push", "succeeded", "succeeded_with_warnings"],
      ]);
      expect(result.status).toBe("succeeded");
      expect([w.sim.startCount(BULK), w.sim.startCount(MODEL)]).toEqual([1, 1]);
      expect(stillRunning(w)).toEqual([]);
      // Every faulted request was followed by a retry in the log: the client's own, the
      // StartPending of a start answered 429/5xx (the machine starts again with the next
      // key), or (when the client's budget ran out, e.g. under a long Retry-After) the
      // handler's failure with a retryable name, which the state machine retries.
      const faulted = w.sim.requests().filter((r) => r.faulted).length;
      expect(faulted).toBeGreaterThan(3);
      const records = logRecords(h.lines);
      const clientRetries = records.filter((l) => l.message === RETRY_LINE).length;
      const handlerRetries = records.filter(
        (l) => String(l.message).endsWith(" failed") && isRetryableName(String(l.error_name)),
      ).length;
      const startsAgain = records.filter((l) => l.message === START_AGAIN_LINE).length;
      expect(clientRetries + startsAgain + handlerRetries).toBe(faulted);
    });
  }

  it("a burst longer than the client's attempts: the state machine retries the handler", async () => {
    // 8 × 503 on the status read: 5 client attempts fail, check-status throws the retryable
    // Polytomic.ServerError, the Retry of the Task invokes it again and it gets through.
    w = await world(`${syncs}faults:\n  - { endpoint: execution, status: 503, times: 8 }`);
    const h = handlers(w);
    const result = await runPipeline(w, h, PIPELINE, "nightly");
    expect(result.status).toBe("succeeded");
    const records = logRecords(h.lines);
    const failedInvocations = records.filter(
      (l) => l.message === "check-status failed" && l.error_name === "Polytomic.ServerError",
    );
    expect(failedInvocations).toHaveLength(1);
    expect(records.filter((l) => l.message === RETRY_LINE)).toHaveLength(8 - 1);
  });

  it("slow responses under the client's attempt timeout are waited for, not retried", async () => {
    w = await world(
      `${syncs}faults:\n  - { endpoint: execution, delay_seconds: 0.08, times: 3 }\n  - { endpoint: start, delay_seconds: 0.08 }`,
      { delays: "real" },
    );
    const h = handlers(w, { client: { requestTimeoutMs: 2_000 } });
    const result = await runPipeline(w, h, PIPELINE, "nightly");
    expect(result.status).toBe("succeeded");
    expect(logRecords(h.lines).filter((l) => l.message === RETRY_LINE)).toEqual([]);
    expect(w.sim.startCount(BULK)).toBe(1);
  });

  it("a response slower than the client's attempt timeout is retried and the step still succeeds", async () => {
    w = await world(`${syncs}faults:\n  - { endpoint: execution, delay_seconds: 60, times: 2 }`);
    // A faulted answer never comes while its request is in flight (time stands still then);
    // 2 s of real time leaves an ordinary request room on a loaded machine.
    const h = handlers(w, { client: { requestTimeoutMs: 2_000 } });
    const result = await runPipeline(w, h, PIPELINE, "nightly");
    expect(result.status).toBe("succeeded");
    const retries = logRecords(h.lines).filter((l) => l.message === RETRY_LINE);
    expect(retries).toHaveLength(2);
    expect(JSON.stringify(retries)).toContain("no response within 2000 ms");
  });

  it("through runPipelineLocally, a burst beyond the client's attempts shows in handlers.log.jsonl", async () => {
    w = await world(`${syncs}faults:\n  - { endpoint: execution, status: 500, times: 6 }`);
    const outDir = await mkdtemp(join(tmpdir(), "reliability-"));
    try {
      const result = await runPipelineLocally({
        config: PIPELINE,
        pipeline: "nightly",
        polytomic: { baseUrl: w.sim.url, apiKey: KEY },
        clock: w.clock,
        outDir,
      });
      expect(result.status).toBe("succeeded");
      const log = logRecords(
        (await readFile(join(outDir, "handlers.log.jsonl"), "utf8")).trim().split("\n"),
      );
      expect(
        log.filter(
          (l) => l.message === "check-status failed" && l.error_name === "Polytomic.ServerError",
        ),
      ).toHaveLength(1);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it("through runPipelineLocally, every client retry shows in handlers.log.jsonl", async () => {
    w = await world(`${syncs}faults:\n  - { endpoint: execution, status: 500, times: 2 }`);
    const outDir = await mkdtemp(join(tmpdir(), "reliability-"));
    try {
      await runPipelineLocally({
        config: PIPELINE,
        pipeline: "nightly",
        polytomic: { baseUrl: w.sim.url, apiKey: KEY },
        clock: w.clock,
        outDir,
      });
      const text = await readFile(join(outDir, "handlers.log.jsonl"), "utf8");
      expect(text.split(RETRY_LINE).length - 1).toBe(2);
    } finally {
      await rm(outDir, { recursive: true, force: true });
    }
  });

  it("the step's API retries are published as the ApiRetries metric", async () => {
    w = await world(`${syncs}faults:\n  - { endpoint: execution, status: 500, times: 2 }`);
    const h = handlers(w);
    await runPipeline(w, h, PIPELINE, "nightly");
    const retries = h.sinks.metrics
      .flat()
      .filter((d) => d.MetricName === PIPELINE_METRICS.apiRetries.name)
      .reduce((sum, d) => sum + d.Value, 0);
    expect(retries).toBe(2);
  });
});
