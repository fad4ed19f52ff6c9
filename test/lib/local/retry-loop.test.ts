/**
 * The webhooks-off run-sync machine's retry loop (functions/core/polling.ts), run as
 * synthesized in the local engine with the real handlers against the simulator: a check of a
 * run still going is ONE billed transition (a retry of "Check status"), the latency bound
 * holds, and every reader of the histories counts those checks.
 */
import { afterEach, describe, expect, it } from "vitest";
import { STILL_RUNNING_PREFIX } from "../../../functions/core/error-names";
import { synthesizeDefinitions } from "../../../lib/constructs/definitions";
import { RUN_SYNC_STATES as S } from "../../../lib/constructs/run-sync-state-machine";
import { billedTransitions } from "../../../lib/local/engine";
import {
  config,
  handlers,
  KEY,
  runPipeline,
  uuid,
  type World,
  world,
} from "../../reliability/harness";

const SYNC = uuid(7);
const open: World[] = [];
afterEach(async () => {
  for (const w of open.splice(0)) await w.close();
});

async function runOne(poll: string, durationSeconds: number, extra = "") {
  const w = await world(`api_key: ${KEY}
syncs:
  ${SYNC}: { type: model, name: Contacts, queue_seconds: 5, duration_seconds: ${durationSeconds}, records: 10 }
${extra}`);
  open.push(w);
  const cfg = config(`pipelines:
  p:
    steps:
      - { id: push, model_sync: ${SYNC}, timeout: 6h, poll: ${poll} }
`);
  const states: string[] = [];
  const result = await runPipeline(w, handlers(w), cfg, "p", {
    onEvent: (event) => {
      if (event.type === "step") states.push(event.progress.state);
    },
  });
  const child = result.executions.find((e) => e.executionArn.includes(":run-sync:"));
  const run = w.sim.executions().find((e) => !e.history);
  if (!child || !run?.completedAt) throw new Error("the step did not run to its end");
  return { w, result, child, run, states };
}

const named = (events: { type: string; state?: { name: string } }[], type: string) =>
  events.filter((e) => e.type === type && e.state?.name === S.check).length;

describe("the retry loop (webhooks off, adaptive)", () => {
  it("costs one billed transition per check of a run still going, and sees the end within max(15 s, 10%)", async () => {
    const { result, child, run, states } = await runOne("{ strategy: adaptive }", 3600);
    expect(result.status).toBe("succeeded");
    // The live display saw the run go from queued to running between the retried checks.
    expect(states.indexOf("running")).toBeGreaterThan(states.indexOf("queued"));
    expect(states.indexOf("running")).toBeLessThan(states.indexOf("succeeded"));
    const entered = named(child.events, "StateEntered");
    const retried = child.events.filter((e) => e.type === "StateRetried").length;
    // The whole polling is one entry of "Check status" and its retries...
    expect(entered).toBe(1);
    expect(retried).toBe(result.polls - 1);
    expect(result.polls).toBeGreaterThan(30);
    // ...so the execution's billed transitions are the fixed path plus one per retry.
    const fixedPath = child.stateTransitions;
    expect(fixedPath).toBeLessThanOrEqual(10);
    expect(billedTransitions(child)).toBe(fixedPath + result.polls - 1);
    // Each failure before a retry is a still-running check, none a real error.
    const failed = child.events.filter((e) => e.type === "StateFailed");
    expect(
      failed.every((e) => "Error" in e && String(e.Error).startsWith(STILL_RUNNING_PREFIX)),
    ).toBe(true);
    // Seen within the bound: the last check's exit, after the run's end.
    const seenAt = child.events.findLast(
      (e) => e.type === "StateExited" && e.state.name === S.check,
    )?.timestamp;
    const runSeconds = ((run.completedAt as number) - (run.startedAt as number)) / 1000;
    expect(((seenAt as number) - (run.completedAt as number)) / 1000).toBeLessThanOrEqual(
      Math.max(15, 0.1 * runSeconds),
    );
  });

  it("counts the retried checks in the run report as the local runner does", async () => {
    const { result } = await runOne("{ strategy: adaptive }", 900);
    expect(result.timeline?.steps[0]?.polls).toBe(result.polls);
    expect(result.steps[0]).toMatchObject({ status: "succeeded" });
  });

  it("rides out an API outage longer than the transient retrier's attempts: the step still succeeds", async () => {
    // 60 answers of 503 to the status reads: many more failed checks than the transient
    // retrier's 6 attempts, which count over every check of the one state entry.
    const outage = "faults:\n  - { endpoint: execution, status: 503, times: 60 }";
    const { result, child } = await runOne("{ strategy: adaptive }", 1800, outage);
    expect(result.status).toBe("succeeded");
    const unreadable = child.events.filter(
      (e) => e.type === "StateFailed" && "Cause" in e && String(e.Cause).includes("unreadable"),
    );
    expect(unreadable.length).toBeGreaterThan(6);
  });

  it("keeps the Wait loop for a fixed step: three transitions a check, no retry", async () => {
    const { result, child } = await runOne("{ strategy: fixed, min: 30s, max: 30s }", 300);
    expect(child.events.filter((e) => e.type === "StateRetried")).toHaveLength(0);
    expect(named(child.events, "StateEntered")).toBe(result.polls);
    expect(result.timeline?.steps[0]?.polls).toBe(result.polls);
  });
});

describe("which loop the definition asks for", () => {
  const cfg = config(`pipelines:
  p:
    steps:
      - { id: push, model_sync: ${SYNC} }
`);

  it("without webhooks: the check Task names the retry loop and retries every interval check-status can throw", () => {
    const { runSync } = synthesizeDefinitions(cfg);
    const check = runSync.States[S.check];
    expect(check?.Parameters).toEqual({ poll_loop: "retry", "state.$": "$" });
    const names = ((check?.Retry ?? []) as { ErrorEquals: string[] }[]).flatMap(
      (r) => r.ErrorEquals,
    );
    expect(names.filter((n) => n.startsWith(STILL_RUNNING_PREFIX))).toHaveLength(138);
  });

  it("with webhooks: the payload and the retriers too (check-status polls until the webhook is trusted), and the token wait's loop", () => {
    const { runSync } = synthesizeDefinitions(cfg, { webhooks: true });
    const check = runSync.States[S.check];
    expect(check?.Parameters).toEqual({ poll_loop: "retry", "state.$": "$" });
    const names = ((check?.Retry ?? []) as { ErrorEquals: string[] }[]).flatMap(
      (r) => r.ErrorEquals,
    );
    expect(names.filter((n) => n.startsWith(STILL_RUNNING_PREFIX))).toHaveLength(138);
    expect(runSync.States[S.runFinished]?.Default).toBe(S.waitForEvent);
  });
});
