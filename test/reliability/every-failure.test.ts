/**
 * Guarantee: a step that fails, whatever the way, cancels the run it started, exports its
 * logs and publishes its metrics, in local runs as on AWS. Four ways: Polytomic's outcome,
 * a hung check-status (States.Timeout), a handler bug, and an engine error (States.Runtime,
 * which fails the execution past its Catch: cancel-sync, as the deployed EventBridge rule
 * delivers it, reads the execution's history and cleans up).
 */
import { afterEach, describe, expect, it } from "vitest";
import type { LocalTask } from "../../lib/local/engine";
import {
  config,
  type Handlers,
  handlers,
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

const SYNC = uuid(1);
const PIPELINE = config(`pipelines:
  p:
    steps:
      - id: load
        bulk_sync: ${SYNC}
        timeout: 2h
`);
const scenario = (outcome: string) => `syncs:
  ${SYNC}:
    type: bulk
    duration_seconds: 3600
    cancel_seconds: 20
    outcome: ${outcome}
`;

/** check-status as given, but its `n`th call (1-based) and later go `broken`. */
function breakCheck(h: Handlers, from: number, broken: LocalTask): void {
  const real = h.functions["check-status"];
  let calls = 0;
  h.functions["check-status"] = (input, signal) =>
    ++calls >= from ? broken(input, signal) : real(input, signal);
}

async function failWith(breakStep: (h: Handlers) => void, outcome = "completed") {
  w = await world(scenario(outcome));
  const h = handlers(w);
  breakStep(h);
  const result = await runPipeline(w, h, PIPELINE, "p");
  const step = result.steps[0];
  const failed = h.sinks.metrics.flat().filter((m) => m.MetricName === "StepFailed");
  return { result, step, h, failed };
}

describe("a step that fails, whatever the way, leaves nothing running and its logs and metrics", () => {
  it("Polytomic's outcome: the run failed", async () => {
    const { step, h, failed } = await failWith(() => {}, "failed");
    expect(step?.status).toBe("failed");
    expect(step?.error?.name).toBe("Sync.Failed");
    expectCleanedUp(step?.logs ?? [], h, failed);
  });

  it("States.Timeout: check-status hangs past its task timeout on every try", async () => {
    const { step, h, failed } = await failWith((handlersOf) =>
      breakCheck(handlersOf, 2, async (_input, signal) => {
        await (w as World).clock.sleep(24 * 3600_000, signal);
        return {};
      }),
    );
    expect(step?.status).toBe("failed");
    expect(step?.error?.name).toBe("States.Timeout");
    expectCleanedUp(step?.logs ?? [], h, failed);
  });

  it("a handler bug: check-status throws", async () => {
    const { step, h, failed } = await failWith((handlersOf) =>
      breakCheck(handlersOf, 2, async () => {
        throw new TypeError("Cannot read properties of undefined (reading 'status')");
      }),
    );
    expect(step?.status).toBe("failed");
    expect(step?.error?.name).toBe("TypeError");
    expectCleanedUp(step?.logs ?? [], h, failed);
  });

  it("an engine error: check-status answers what the machine cannot read (States.Runtime)", async () => {
    const { step, h, failed } = await failWith((handlersOf) => {
      const real = handlersOf.functions["check-status"];
      breakCheck(handlersOf, 2, async (input, signal) => ({
        ...((await real(input, signal)) as object),
        terminal: false,
        next_poll_seconds: "soon",
      }));
    });
    expect(step?.status).toBe("failed");
    expect(step?.error?.name).toBe("States.Runtime");
    expectCleanedUp(step?.logs ?? [], h, failed);
  });
});

/** No run left going, the step's logs exported, and one failure counted. */
function expectCleanedUp(logs: string[], h: Handlers, failed: Array<{ Value?: number }>): void {
  expect(stillRunning(w as World)).toEqual([]);
  expect(w?.sim.executions().filter((e) => !e.history)).toHaveLength(1);
  expect(logs.length).toBeGreaterThan(0);
  for (const key of logs) expect(h.sinks.objects.has(key), key).toBe(true);
  expect(failed.map((m) => m.Value)).toEqual([1]);
}
