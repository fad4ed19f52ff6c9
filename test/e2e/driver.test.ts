/**
 * The deployed check's sequence (e2e/driver.ts) with fake cdk deploy/destroy, AWS clients
 * mocked at the client boundary, and a clock that moves only when the driver sleeps.
 */
import { DeleteObjectsCommand, ListObjectsV2Command } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { StartExecutionCommand, StopExecutionCommand } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { E2E_OUTPUTS, E2E_STACKS } from "../../e2e/constants";
import { type DriverDeps, runE2e, waitFor } from "../../e2e/driver";
import { EXPECTATIONS, FINAL_RUN_STATUS } from "../../e2e/expectations";
import type { SimulatorStateView } from "../../simulator/lambda";
import {
  ACCOUNT,
  at,
  BEFORE,
  deployment,
  mockAws,
  resetAws,
  s3,
  sfn,
  simulator,
} from "./aws-world";

const secrets = mockClient(SecretsManagerClient);
afterEach(() => {
  resetAws();
  secrets.reset();
});

const SECRET_ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:ApiKey-AbCdEf";
const ABORT_SYNC = EXPECTATIONS.e2e_abort?.stop_when_running?.sync_id ?? "";

/** Outputs as `cdk deploy --outputs-file` writes them. */
const OUTPUTS: Record<string, Record<string, string>> = {
  [E2E_STACKS.simulator]: {
    [E2E_OUTPUTS.simulatorUrl]: `${deployment.simulatorUrl}/`,
    [E2E_OUTPUTS.apiKeySecretArn]: SECRET_ARN,
  },
  [E2E_STACKS.orchestrator]: {
    [E2E_OUTPUTS.pipelines]: JSON.stringify(deployment.pipelines),
    [`${E2E_OUTPUTS.alarms}1`]: JSON.stringify(
      Object.fromEntries(Object.entries(deployment.alarmNames).slice(0, 6)),
    ),
    [`${E2E_OUTPUTS.alarms}2`]: JSON.stringify(
      Object.fromEntries(Object.entries(deployment.alarmNames).slice(6)),
    ),
    [E2E_OUTPUTS.logsBucket]: deployment.logsBucket,
    [E2E_OUTPUTS.logsPrefix]: deployment.logsPrefix,
  },
};

/** A driver whose cdk, clock and simulator are fakes that record what happened, in order. */
function fakeDriver(failDeployOf?: string) {
  const events: string[] = [];
  let now = at.getTime();
  let reads = 0;
  let stopped = false;
  const clients = mockAws();
  secrets.on(GetSecretValueCommand, { SecretId: SECRET_ARN }).resolves({
    SecretString: deployment.apiKey,
  });
  sfn.on(StartExecutionCommand).callsFake((input: { stateMachineArn: string; name: string }) => {
    const pipeline = input.stateMachineArn.split(":").at(-1) ?? "";
    events.push(`start ${pipeline}`);
    return {
      executionArn: `${ACCOUNT}:execution:Pipeline-${pipeline}:${input.name}`,
      startDate: at,
    };
  });
  sfn.on(StopExecutionCommand).callsFake((input: { executionArn: string }) => {
    events.push(`stop ${input.executionArn.split(":").at(-1)}`);
    stopped = true;
    return { stopDate: at };
  });
  const bucketKeys = ["polytomic-logs/e2e_gate/2026-12-01/x/load_contacts/a.json.gz"];
  s3.on(ListObjectsV2Command, { Prefix: "" }).resolves({
    Contents: bucketKeys.map((Key) => ({ Key })),
  });
  s3.on(DeleteObjectsCommand).callsFake(() => {
    events.push("empty bucket");
    return {};
  });
  /** Sync 0008 queued at first, running from the third read, everything ended once stopped. */
  const readSimulator = async (): Promise<SimulatorStateView> => {
    reads += 1;
    events.push("read simulator");
    if (stopped) return simulator(BEFORE.instance);
    return simulator(BEFORE.instance, { [ABORT_SYNC]: reads >= 3 ? "running" : "queued" });
  };
  const deps: DriverDeps = {
    clients,
    secrets: secrets as unknown as SecretsManagerClient,
    deploy: async (stack, context) => {
      events.push(`deploy ${stack} ${JSON.stringify(context)}`);
      if (stack === failDeployOf) throw new Error(`${stack}: CREATE_FAILED`);
      return OUTPUTS[stack] ?? {};
    },
    destroy: async (stack) => {
      events.push(`destroy ${stack}`);
    },
    readSimulator,
    now: () => now,
    sleep: async (ms) => {
      now += ms;
    },
    log: () => {},
  };
  return { deps, events };
}

describe("the deployed check's sequence", () => {
  it("deploys, starts every pipeline, stops e2e_abort once its run is going, judges, then empties the bucket and destroys", async () => {
    const { deps, events } = fakeDriver();
    const rows = await runE2e(deps);
    expect(rows.filter((r) => !r.pass)).toEqual([]);
    const starts = Object.keys(EXPECTATIONS).map((p) => `start ${p}`);
    const stopAt = events.indexOf("stop e2e-20261201150000-e2e_abort");
    expect(events.slice(0, 2)).toEqual([
      `deploy ${E2E_STACKS.simulator} {}`,
      `deploy ${E2E_STACKS.orchestrator} ${JSON.stringify({ polytomicApiUrl: deployment.simulatorUrl, apiKeySecretArn: SECRET_ARN })}`,
    ]);
    expect(events.slice(3, 3 + starts.length)).toEqual(starts);
    // Stopped only after the simulator showed the run going (the third read).
    expect(events.slice(0, stopAt).filter((e) => e === "read simulator")).toHaveLength(3);
    expect(events.slice(-3)).toEqual([
      "empty bucket",
      `destroy ${E2E_STACKS.orchestrator}`,
      `destroy ${E2E_STACKS.simulator}`,
    ]);
    expect(s3.commandCalls(DeleteObjectsCommand)[0]?.args[0].input.Delete?.Objects).toEqual([
      { Key: "polytomic-logs/e2e_gate/2026-12-01/x/load_contacts/a.json.gz" },
    ]);
  });

  it("destroys both stacks even when a deploy fails", async () => {
    const { deps, events } = fakeDriver(E2E_STACKS.orchestrator);
    await expect(runE2e(deps)).rejects.toThrow("CREATE_FAILED");
    expect(events.filter((e) => e.startsWith("start"))).toEqual([]);
    expect(events.slice(-2)).toEqual([
      `destroy ${E2E_STACKS.orchestrator}`,
      `destroy ${E2E_STACKS.simulator}`,
    ]);
  });

  it("judges what it has once the deadline passed, and reports the rows that never passed", async () => {
    const { deps } = fakeDriver();
    const going = { ...FINAL_RUN_STATUS, [ABORT_SYNC]: "canceling" };
    let reads = 0;
    deps.readSimulator = async () =>
      simulator(BEFORE.instance, ++reads < 3 ? { [ABORT_SYNC]: "running" } : going);
    const rows = await runE2e(deps);
    expect(rows.filter((r) => !r.pass).map((r) => r.check)).toEqual([
      "simulator: no run left going",
      `simulator: ${ABORT_SYNC.slice(-4)} started once, canceled`,
    ]);
  });
});

describe("waitFor", () => {
  it("polls on the injected clock until the deadline; a poll that throws counts as not yet", async () => {
    let now = 0;
    let polls = 0;
    const lines: string[] = [];
    const deps = {
      now: () => now,
      sleep: async (ms: number) => {
        now += ms;
      },
      log: (line: string) => lines.push(line),
    };
    const done = await waitFor(deps, "something", 60_000, 15_000, async () => {
      polls += 1;
      if (polls === 1) throw new Error("HTTP 429");
      return false;
    });
    expect(done).toBe(false);
    expect(polls).toBe(5); // at 0, 15, 30, 45 and 60 s
    expect(lines).toEqual(["waiting for something: HTTP 429", "gave up waiting for something"]);
    expect(await waitFor(deps, "x", 0, 1, async () => true)).toBe(true);
  });
});
