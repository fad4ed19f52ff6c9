import { createHash } from "node:crypto";
import { type CfnElement, Validations } from "aws-cdk-lib";
import { Annotations, Match } from "aws-cdk-lib/assertions";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import type { ResolveOrganizationsResult } from "../../../functions/core/contract";
import type { FanOutConfig, PipelinesConfig } from "../../../lib/config/model";
import { MAX_ORGANIZATIONS } from "../../../lib/config/schema";
import {
  FAN_OUT_STATES,
  fanOutLimits,
  HISTORY_EVENTS_QUOTA,
  ORGANIZATIONS_FAILED_ERROR,
  PAYLOAD_QUOTA,
  TOO_MANY_ORGANIZATIONS_ERROR,
} from "../../../lib/constructs/fan-out";
import { pipeline, sampleConfig, step } from "../../fixtures/cdk/config";
import { definitionOf, orchestratorStack, runLocally } from "../helpers";

const ACME = { id: "7c1e0000-0000-4000-8000-0000000000a0", name: "Acme" };
const GLOBEX = { id: "7c1e0000-0000-4000-8000-0000000000b0", name: "Globex" };
const INITECH = { id: "7c1e0000-0000-4000-8000-0000000000c0", name: "Initech" };

function fanOutConfig(fanOut: Partial<FanOutConfig> = {}): PipelinesConfig {
  const byName = { sync: { name: "Contacts" } };
  return {
    source: "/repo/pipelines.yaml",
    pipelines: [
      ...sampleConfig().pipelines,
      pipeline("partner", [step("load", [], byName), step("push", ["load"], byName)], {
        fan_out: {
          organizations: { all: true },
          max_concurrent: 2,
          fail_when: "any",
          ...fanOut,
        },
      }),
    ],
  };
}

function fanOutStack(fanOut: Partial<FanOutConfig> = {}) {
  const built = orchestratorStack({ config: fanOutConfig(fanOut) });
  const machine = built.stack.pipelines.partner;
  if (!machine?.organizationMachine) throw new Error("no fan-out");
  return {
    ...built,
    fanOut: definitionOf(built.stack, machine.stateMachine),
    perOrganization: definitionOf(built.stack, machine.organizationMachine),
  };
}

/** Runs the fan-out's definition: the resolver answers `organizations`, `failing` fail. */
async function runFanOut(
  fanOut: Partial<FanOutConfig>,
  organizations: { id: string; name: string }[],
  failing: string[],
  /** Organizations whose start meets ExecutionAlreadyExists, and what describing the child says. */
  existing: Record<string, string> = {},
) {
  const { fanOut: definition } = fanOutStack(fanOut);
  const starts: { Name: string; Input: { organization_id: string } }[] = [];
  const described: string[] = [];
  const resolved: ResolveOrganizationsResult = { organizations, count: organizations.length };
  const result = await runLocally(
    definition,
    {},
    {
      [FAN_OUT_STATES.resolve]: () => resolved,
      [FAN_OUT_STATES.run]: (input) => {
        const start = input as (typeof starts)[number];
        starts.push(start);
        if (existing[start.Input.organization_id] !== undefined) {
          const error = new Error("Execution Already Exists");
          error.name = "StepFunctions.ExecutionAlreadyExistsException";
          throw error;
        }
        if (failing.includes(start.Input.organization_id)) {
          const error = new Error("{}");
          error.name = "States.TaskFailed";
          throw error;
        }
        return { Output: { huge: "x".repeat(1000) }, ExecutionArn: "arn" };
      },
      [FAN_OUT_STATES.findChild]: (input) => {
        const arn = (input as { ExecutionArn: string }).ExecutionArn;
        described.push(arn);
        const found = Object.entries(existing).find(([id]) =>
          arn.endsWith(
            `:partner-${createHash("md5").update(`partner-run-1/${id}/0`).digest("hex")}`,
          ),
        );
        if (!found)
          throw Object.assign(new Error("no"), { name: "Sfn.ExecutionDoesNotExistException" });
        return { Status: found[1], Output: "{}" };
      },
    },
    {
      context: {
        Execution: {
          Id: "arn:aws:states:us-east-1:123456789012:execution:Pipeline-partner:partner-run-1",
          Name: "partner-run-1",
          RedriveCount: 0,
        },
      },
    },
  );
  if (result.error === "States.Runtime") throw new Error(result.cause);
  return { ...result, starts, described };
}

describe("fan-out of a pipeline with organizations (issue 15)", () => {
  it("makes the pipeline's machine a fan-out over a per-organization machine holding the DAG", () => {
    const { template, fanOut, perOrganization } = fanOutStack();
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      LoggingConfiguration: Match.anyValue(),
    });
    const map = fanOut.States[FAN_OUT_STATES.map] as Record<string, unknown>;
    expect(map).toMatchObject({ Type: "Map", MaxConcurrency: 2, ItemsPath: "$.organizations" });
    expect(fanOut.StartAt).toBe(FAN_OUT_STATES.resolve);
    expect(fanOut.States[FAN_OUT_STATES.resolve]).toMatchObject({
      Parameters: { pipeline: "partner", organizations: { all: true } },
    });
    // Every step's (and only this machine's) child input names the organization.
    const runLoad = perOrganization.States["Run load"] as unknown as {
      Parameters: { Input: object };
    };
    expect(runLoad.Parameters.Input).toMatchObject({
      "organization_id.$": "$$.Execution.Input.organization_id",
      "organization_name.$": "$$.Execution.Input.organization_name",
    });
  });

  it("keeps a pipeline without organizations free of organization fields and of the resolver", () => {
    const { stack, template } = orchestratorStack();
    const nightly = stack.pipelines.nightly;
    if (!nightly) throw new Error("no nightly");
    expect(nightly.organizationMachine).toBeUndefined();
    expect(JSON.stringify(definitionOf(stack, nightly.stateMachine))).not.toContain("organization");
    expect(stack.resolveOrganizations).toBeUndefined();
    expect(Object.keys(template.findResources("AWS::Lambda::Function"))).not.toContainEqual(
      expect.stringMatching(/ResolveOrganizations/),
    );
  });

  it("adds resolve-organizations once, reading the secret and nothing else; the fan-out may invoke it", () => {
    const { template, stack } = fanOutStack();
    const functions = template.findResources("AWS::Lambda::Function", {
      Properties: { Description: Match.stringLikeRegexp("organizations a partner pipeline") },
    });
    expect(Object.keys(functions)).toHaveLength(1);
    const policies = Object.values(
      template.findResources("AWS::IAM::Policy", {
        Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^ResolveOrganizationsRole") }] },
      }),
    ) as { Properties: { PolicyDocument: { Statement: { Action: unknown }[] } } }[];
    const actions = policies.flatMap((p) =>
      p.Properties.PolicyDocument.Statement.map((s) => s.Action),
    );
    expect(actions.flat().sort()).toEqual([
      "logs:CreateLogStream",
      "logs:PutLogEvents",
      "secretsmanager:DescribeSecret",
      "secretsmanager:GetSecretValue",
      "xray:PutTelemetryRecords",
      "xray:PutTraceSegments",
    ]);
    expect(stack.resolveOrganizations).toBeDefined();
  });

  it("runs every organization, with a deterministic child name of at most 80 characters, unique per organization", async () => {
    const result = await runFanOut({}, [ACME, GLOBEX, INITECH], []);
    expect(result.error).toBeUndefined();
    expect(result.output).toEqual({
      organizations: [ACME, GLOBEX, INITECH].map((o) => ({ ...o, status: "succeeded" })),
      count: 3,
      failed_ids: [],
      failed_count: 0,
    });
    const names = result.starts.map((s) => s.Name);
    expect(new Set(names).size).toBe(3);
    for (const [i, org] of [ACME, GLOBEX, INITECH].entries()) {
      const hash = createHash("md5").update(`partner-run-1/${org.id}/0`).digest("hex");
      expect(names[i]).toBe(`partner-${hash}`);
      expect(result.starts[i]?.Input).toMatchObject({
        organization_id: org.id,
        organization_name: org.name,
      });
    }
    expect(Math.max(...names.map((n) => n.length))).toBeLessThanOrEqual(80);
  });

  it("fails the pipeline when any organization failed, naming the failed ones by name and id", async () => {
    const result = await runFanOut({}, [ACME, GLOBEX, INITECH], [ACME.id, INITECH.id]);
    expect(result.error).toBe(ORGANIZATIONS_FAILED_ERROR);
    expect(result.cause).toMatch(/^2 of 3 organizations failed/);
    const listed = JSON.parse((result.cause ?? "").slice((result.cause ?? "").indexOf("[")));
    expect(listed).toEqual([
      { ...ACME, status: "failed", error: "States.TaskFailed" },
      { ...INITECH, status: "failed", error: "States.TaskFailed" },
    ]);
  });

  it("adopts the end of a child a retried start met as ExecutionAlreadyExists, describing it by its name", async () => {
    const result = await runFanOut({ fail_when: "all" }, [ACME, GLOBEX, INITECH], [], {
      [ACME.id]: "SUCCEEDED",
      [GLOBEX.id]: "FAILED",
    });
    expect(result.output).toMatchObject({
      organizations: [
        { ...ACME, status: "succeeded" },
        { ...GLOBEX, status: "failed", error: "FAILED" },
        { ...INITECH, status: "succeeded" },
      ],
      failed_ids: [GLOBEX.id],
    });
    expect(result.described).toHaveLength(2);
  });

  it("with fail_when all, succeeds unless every organization failed", async () => {
    const some = await runFanOut({ fail_when: "all" }, [ACME, GLOBEX], [ACME.id]);
    expect(some.error).toBeUndefined();
    expect(some.output).toMatchObject({ failed_ids: [ACME.id], failed_count: 1, count: 2 });
    const every = await runFanOut({ fail_when: "all" }, [ACME, GLOBEX], [ACME.id, GLOBEX.id]);
    expect(every.error).toBe(ORGANIZATIONS_FAILED_ERROR);
  });

  it("lists at most 25 failed organizations in the cause", async () => {
    const many = Array.from({ length: 30 }, (_, i) => ({
      id: `7c1e0000-0000-4000-8000-${String(i).padStart(12, "0")}`,
      name: `Org ${i}`,
    }));
    const result = await runFanOut(
      {},
      many,
      many.map((o) => o.id),
    );
    expect(result.cause).toMatch(/^30 of 30 organizations failed/);
    expect(JSON.parse((result.cause ?? "").slice((result.cause ?? "").indexOf("[")))).toHaveLength(
      25,
    );
  });

  it(`refuses at run time a resolved set of more than ${MAX_ORGANIZATIONS} organizations`, async () => {
    const many = Array.from({ length: MAX_ORGANIZATIONS + 1 }, (_, i) => ({
      id: `id-${i}`,
      name: `n${i}`,
    }));
    const result = await runFanOut({}, many, []);
    expect(result.error).toBe(TOO_MANY_ORGANIZATIONS_ERROR);
    expect(result.starts).toHaveLength(0);
    expect((await runFanOut({}, [], [])).error).toBe("Organization.NoneFound");
  });
});

describe("fan-out and the dashboard's run timelines", () => {
  it("lets the widget read the per-organization executions, the fan-out's children", () => {
    const { template, stack } = fanOutStack();
    const organizationMachine = stack.pipelines.partner?.organizationMachine;
    if (!organizationMachine) throw new Error("no per-organization machine");
    const id = stack.getLogicalId(organizationMachine.node.defaultChild as CfnElement);
    const widgetPolicies = template.findResources("AWS::IAM::Policy", {
      Properties: { Roles: [{ Ref: Match.stringLikeRegexp("^RunTimelines") }] },
    });
    expect(JSON.stringify(widgetPolicies)).toContain(id);
  });
});

describe("fan-out and cdk-nag", () => {
  it("has zero unacknowledged cdk-nag AwsSolutions findings and no warnings", () => {
    const { app, stack } = orchestratorStack({ config: fanOutConfig() });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
  });
});

describe("fan-out limits at synth", () => {
  it(`fits ${MAX_ORGANIZATIONS} organizations (all, or a shared connection's) in the history and payload quotas`, () => {
    const limits = fanOutLimits({
      organizations: { all: true },
      max_concurrent: 10,
      fail_when: "any",
    });
    expect(limits.organizations).toBe(MAX_ORGANIZATIONS);
    expect(limits.historyEvents).toBeLessThan(HISTORY_EVENTS_QUOTA);
    expect(limits.payloadBytes).toBeLessThan(PAYLOAD_QUOTA);
    const { stack } = fanOutStack();
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
  });

  it("fails synth for a list whose long names would put the results over 256 KB", () => {
    const list = Array.from(
      { length: MAX_ORGANIZATIONS },
      (_, i) => `${"Customer ".repeat(50)}${i}`,
    );
    const { stack } = fanOutStack({ organizations: { list } });
    Annotations.fromStack(stack).hasError(
      "*",
      Match.stringLikeRegexp(
        'Pipeline "partner": the results of 500 organizations could take \\d+ bytes in one state \\(the limit is 262144\\)',
      ),
    );
  });
});
