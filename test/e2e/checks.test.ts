/**
 * The deployed end-to-end check's assertion logic, on AWS answers shaped as AWS returns
 * them (aws-sdk-client-mock at the client boundary): collectEvidence gathers, assess judges.
 */
import { DescribeExecutionCommand, type DescribeExecutionOutput } from "@aws-sdk/client-sfn";
import { afterEach, describe, expect, it } from "vitest";
import {
  assess,
  type CheckRow,
  errorName,
  formatTable,
  organizationSumKey,
} from "../../e2e/checks";
import { collectEvidence } from "../../e2e/collect";
import { FINAL_RUN_STATUS, PARTNER_ORGANIZATIONS as ORGS } from "../../e2e/expectations";
import {
  arnOf,
  at,
  BEFORE,
  DESCRIBE,
  deployment,
  mockAws,
  resetAws,
  runSyncArn,
  runs,
  sfn,
  simulator,
  type World,
} from "./aws-world";

afterEach(resetAws);

/** Collects and judges; `override` changes the mocked answers after they are set up. */
async function judge(
  world: Partial<World> = {},
  after = simulator(BEFORE.instance),
  override: () => void = () => {},
): Promise<CheckRow[]> {
  const clients = mockAws(world);
  override();
  const evidence = await collectEvidence(
    clients,
    deployment,
    runs,
    { start: at, end: at },
    BEFORE,
    async () => after,
  );
  return assess(evidence);
}
const failed = (rows: CheckRow[]) => rows.filter((r) => !r.pass).map((r) => r.check);

describe("the deployed check's assertions", () => {
  it("pass when every outcome, log, metric, alarm, attach and run is as expected", async () => {
    const rows = await judge();
    expect(failed(rows)).toEqual([]);
    expect(rows.map((r) => r.check)).toEqual(
      expect.arrayContaining([
        "e2e_gate: gate of push_hubspot attached to the running load_accounts",
        "e2e_failing/load_orders: failed (Sync.Failed)",
        "e2e_timeout/load_events: failed (Sync.TimedOut)",
        "e2e_abort: execution ABORTED",
        "alarm Pipeline-e2e_failing/StepFailed-load_orders: ALARM",
        "alarm DeadLetters-Cancellations: not ALARM",
        "simulator: no run left going",
        "e2e_partner: error Pipeline.OrganizationsFailed",
        "e2e_partner: cause names exactly the failed organizations",
        "e2e_partner/E2E Initech/push_partner: failed (Sync.NotFound)",
        "e2e_partner/E2E Initech/push_partner: error names the organization",
        "e2e_partner/E2E Globex: OrganizationStepFailures = 1",
        "e2e_partner/E2E Acme: OrganizationStepFailures = 0",
        "simulator: every start made as its sync's organization, HTTP Basic",
        "simulator: organizations resolved with the partner key (Bearer)",
      ]),
    );
    expect(rows.filter((r) => r.check.startsWith("e2e_partner/E2E ")).length).toBe(20);
    expect(formatTable(rows)).toMatch(/ 0 failed$/);
    expect(formatTable(rows)).not.toContain(deployment.apiKey);
  });

  it("fails the attach row when the gate's Attach failed (StartExecution did not return the running child)", async () => {
    expect(failed(await judge({ attach: "TaskFailed" }))).toEqual([
      "e2e_gate: gate of push_hubspot attached to the running load_accounts",
    ]);
  });

  it("fails when a step's logs are missing from S3", async () => {
    expect(
      failed(
        await judge({
          logSteps: {
            e2e_gate: ["load_contacts"],
            e2e_failing: ["load_orders"],
            e2e_timeout: ["load_events"],
          },
        }),
      ),
    ).toEqual([
      "e2e_gate/load_accounts: logs in S3",
      "e2e_gate/push_hubspot: logs in S3",
      "e2e_gate/push_salesforce: logs in S3",
    ]);
  });

  it("fails when a metric has no datapoint or a wrong sum", async () => {
    const rows = await judge({
      metricsOverride: {
        "e2e_timeout/timedOut": [],
        "e2e_failing/load_orders/failed": [1, 1],
      },
    });
    expect(failed(rows)).toEqual([
      "e2e_failing/load_orders: StepFailed = 1",
      "e2e_timeout: StepTimedOut = 1",
    ]);
  });

  it("fails when an expected alarm did not fire, or another one did", async () => {
    const rows = await judge({
      alarmStates: {
        "Pipeline-e2e_timeout/StepFailed-load_events": "INSUFFICIENT_DATA",
        "DeadLetters-Cancellations": "ALARM",
      },
    });
    expect(failed(rows)).toEqual([
      "alarm Pipeline-e2e_timeout/StepFailed-load_events: ALARM",
      "alarm DeadLetters-Cancellations: not ALARM",
    ]);
  });

  it("fails when a run is left going, was not cancelled, or the simulator instance changed", async () => {
    const going = { ...FINAL_RUN_STATUS, "e2e00000-0000-4000-8000-000000000008": "running" };
    const rows = await judge({}, simulator("another-instance-0000", going));
    expect(failed(rows)).toEqual([
      "simulator: one instance (state kept)",
      "simulator: no run left going",
      "simulator: 0008 started once, canceled",
    ]);
  });

  it("fails when an execution ended otherwise", async () => {
    const rows = await judge({}, undefined, () => {
      sfn
        .on(DescribeExecutionCommand, { executionArn: arnOf("e2e_abort") })
        .resolves({ ...DESCRIBE.e2e_abort, status: "SUCCEEDED", output: '{"results":{}}' });
    });
    expect(failed(rows)).toEqual(["e2e_abort: execution ABORTED"]);
  });
});

describe("the fan-out's assertions (e2e_partner)", () => {
  it("fail when an organization's child was started for another organization", async () => {
    const rows = await judge({
      childInput: { [ORGS.acme]: JSON.stringify({ organization_id: ORGS.globex }) },
    });
    expect(failed(rows)).toEqual([
      expect.stringMatching(
        /^e2e_partner\/E2E Acme: child [0-9a-f]{8} ran for the organization, SUCCEEDED$/,
      ),
    ]);
  });

  it("fail when a failed organization's datapoint is missing, or a succeeded one has one", async () => {
    const rows = await judge({
      metricsOverride: {
        [organizationSumKey("e2e_partner", ORGS.globex)]: [],
        [organizationSumKey("e2e_partner", ORGS.acme)]: [1],
      },
    });
    expect(failed(rows)).toEqual([
      "e2e_partner/E2E Acme: OrganizationStepFailures = 0",
      "e2e_partner/E2E Globex: OrganizationStepFailures = 1",
    ]);
  });

  it("fail when a start was made as another organization, or as Bearer", async () => {
    const after = simulator(BEFORE.instance);
    const moved = after.starts.map((c) =>
      c.sync_id?.endsWith("01a1")
        ? { ...c, as: ORGS.globex }
        : c.sync_id?.endsWith("0001")
          ? { ...c, scheme: "bearer" as const }
          : c,
    );
    const rows = await judge({}, { ...after, starts: moved });
    expect(failed(rows)).toEqual([
      "simulator: every start made as its sync's organization, HTTP Basic",
    ]);
  });

  it("fail when one Idempotency-Key served starts in two organizations", async () => {
    const after = simulator(BEFORE.instance);
    const same = after.starts.map((c) =>
      c.sync_id?.endsWith("01b1") ? { ...c, idempotency_key: "start-01a1-0" } : c,
    );
    const rows = await judge({}, { ...after, starts: same });
    expect(failed(rows)).toEqual([
      "simulator: every start keyed, no Idempotency-Key used in two organizations",
    ]);
  });

  it("fail when the cause names other organizations, or a step's run-sync ended otherwise", async () => {
    const rows = await judge({}, undefined, () => {
      const cause = `1 of 3 organizations failed: ${JSON.stringify([{ id: ORGS.globex }])}`;
      sfn
        .on(DescribeExecutionCommand, { executionArn: arnOf("e2e_partner") })
        .resolves({ ...DESCRIBE.e2e_partner, cause });
      sfn
        .on(DescribeExecutionCommand, { executionArn: runSyncArn("push_partner", ORGS.initech) })
        .resolves({
          executionArn: runSyncArn("push_partner", ORGS.initech),
          status: "FAILED",
          input: JSON.stringify({ step: "push_partner", organization_id: ORGS.initech }),
          error: "Sync.Failed",
          cause: "bulk sync failed",
        } as DescribeExecutionOutput);
    });
    expect(failed(rows)).toEqual([
      "e2e_partner: cause names exactly the failed organizations",
      "e2e_partner/E2E Initech/push_partner: failed (Sync.NotFound)",
      "e2e_partner/E2E Initech/push_partner: error names the organization",
    ]);
  });
});

describe("errorName", () => {
  it("reads the child's error name under either reading of a failed .sync:2 child", () => {
    expect(errorName({ Error: "Sync.Failed", Cause: "x" })).toBe("Sync.Failed");
    expect(
      errorName({ Error: "States.TaskFailed", Cause: JSON.stringify({ error: "Sync.TimedOut" }) }),
    ).toBe("Sync.TimedOut");
    expect(errorName({ Error: "States.TaskFailed", Cause: "not json" })).toBe("States.TaskFailed");
    expect(errorName(undefined)).toBeUndefined();
  });
});
