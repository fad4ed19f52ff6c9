/**
 * The token wait in the stack (issue 16.2): off without webhooks (the run-sync definition
 * byte-identical to the one before the feature), and with them a bucket of waits that expire,
 * the rule on run-end events, and least-privilege grants.
 */
import { readFileSync } from "node:fs";
import aslValidator from "asl-validator";
import { type CfnElement, Validations } from "aws-cdk-lib";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as s3 from "aws-cdk-lib/aws-s3";
import { AwsSolutionsChecks } from "cdk-nag";
import { describe, expect, it } from "vitest";
import { EVENT_TYPES } from "../../../functions/core/webhook-contract";
import { allStates } from "../../../lib/asl/definition";
import {
  RunSyncStateMachine,
  RUN_SYNC_STATES as S,
} from "../../../lib/constructs/run-sync-state-machine";
import { SyncFunctions } from "../../../lib/constructs/sync-functions";
import { pipeline, step } from "../../fixtures/cdk/config";
import { definitionOf, FIXTURE_FUNCTIONS_DIR, orchestratorStack, unbundledStack } from "../helpers";

const build = orchestratorStack;

describe("run-sync token wait", () => {
  it("without webhooks, synthesizes the run-sync definition exactly as before the feature", () => {
    const stack = unbundledStack();
    const functions = new SyncFunctions(stack, "Functions", {
      logsBucket: new s3.Bucket(stack, "Logs"),
      functionsDir: FIXTURE_FUNCTIONS_DIR,
    });
    const machine = new RunSyncStateMachine(stack, "RunSync", { functions });
    const id = stack.getLogicalId(machine.stateMachine.node.defaultChild as CfnElement);
    const resource = Template.fromStack(stack).toJSON().Resources[id];
    const fixture = new URL("../../fixtures/cdk/run-sync-definition.json", import.meta.url);
    expect(resource.Properties.DefinitionString).toEqual(JSON.parse(readFileSync(fixture, "utf8")));
  });

  it("without webhooks, the stack has no waits bucket, wake or rule", () => {
    const { stack, template } = build();
    expect(stack.eventWait).toBeUndefined();
    const rules = template.findResources("AWS::Events::Rule", {
      Properties: { EventPattern: { source: ["polytomic"] } },
    });
    expect(rules).toEqual({});
    template.resourceCountIs("AWS::S3::Bucket", 1); // the run logs' bucket only
    expect(JSON.stringify(template.toJSON())).not.toContain("waitForTaskToken");
  });

  it("with webhooks, waits on a token with the event fallback as timeout, falling back on the Wait (at the poll interval)", () => {
    const { stack } = build({ webhooks: {} });
    const definition = definitionOf(stack, stack.runSync.stateMachine);
    const states = Object.fromEntries(allStates(definition));
    const wait = states[S.waitForEvent];
    expect(wait).toMatchObject({
      Type: "Task",
      Resource: "arn:aws:states:::lambda:invoke.waitForTaskToken",
      TimeoutSecondsPath: "$.check.event_wait_seconds",
      ResultPath: null,
      Next: S.check,
      Parameters: {
        Payload: {
          "execution_id.$": "$.start.execution_id",
          "waiter.$": "$$.Execution.Id",
          "token.$": "$$.Task.Token",
          "wait_seconds.$": "$.check.event_wait_seconds",
        },
      },
      Catch: [
        { ErrorEquals: ["States.Timeout"], ResultPath: null, Next: S.check },
        { ErrorEquals: ["States.ALL"], ResultPath: null, Next: S.wait },
      ],
    });
    expect(wait?.Retry).toBeUndefined();
    const validation = aslValidator(definition);
    expect(validation.errorsText("\n")).toBe("");
    expect(states[S.runFinished]?.Default).toBe(S.waitForEvent);
    expect(states[S.wait]?.Next).toBe(S.check);
  });

  it("with webhooks as without, the start goes to the check (no state a step whose webhook is not trusted would pay for)", () => {
    for (const webhooks of [{}, undefined]) {
      const { stack } = build(webhooks ? { webhooks } : undefined);
      const states = Object.fromEntries(allStates(definitionOf(stack, stack.runSync.stateMachine)));
      expect(states[S.start]?.Next).toBe(S.check);
      const choices = Object.values(states).filter((s) => s.Type === "Choice");
      // Skip requested?, Run finished?, Step outcome?: nothing between the start and the check.
      expect(choices).toHaveLength(3);
    }
  });

  it("with webhooks, keeps waits, seen marks and delivery records in a private bucket, each prefix expiring, and takes every run event (running ones too)", () => {
    const { stack, template } = build({ webhooks: {} });
    template.hasResourceProperties("AWS::S3::Bucket", {
      LifecycleConfiguration: {
        Rules: [
          Match.objectLike({ Id: "expire-waits", Prefix: "waits/", ExpirationInDays: 1 }),
          Match.objectLike({ Id: "expire-seen-marks", Prefix: "seen/", ExpirationInDays: 7 }),
          Match.objectLike({ Id: "expire-delivery-records", Prefix: "delivery/" }),
        ],
      },
      PublicAccessBlockConfiguration: Match.objectLike({ BlockPublicAcls: true }),
    });
    const rule = template.findResources("AWS::Events::Rule", {
      Properties: { EventPattern: { source: ["polytomic"] } },
    });
    const [props] = Object.values(rule).map((r) => r.Properties);
    expect(props.EventPattern["detail-type"]).toEqual([...EVENT_TYPES]);
    expect(props.EventPattern["detail-type"]).toContain("sync.running");
    expect(props.EventPattern["detail-type"]).toContain("bulk_sync.running");
    expect(props.EventBusName).toEqual({
      Ref: stack.resolve(
        stack.getLogicalId(stack.webhookReceiver?.bus.node.defaultChild as CfnElement),
      ),
    });
    expect(props.Targets[0].Arn).toEqual({
      "Fn::GetAtt": [
        stack.getLogicalId(stack.eventWait?.wake.node.defaultChild as CfnElement),
        "Arn",
      ],
    });
  });

  it("with webhooks, lets only wake send task success, and only to the run-sync machine", () => {
    const { stack, template } = build({ webhooks: {} });
    const machineId = stack.getLogicalId(
      stack.runSync.stateMachine.node.defaultChild as CfnElement,
    );
    const policies = template.findResources("AWS::IAM::Policy");
    const granting = Object.entries(policies).filter(([, p]) =>
      JSON.stringify(p).includes("states:SendTask"),
    );
    expect(granting).toHaveLength(1);
    const [, policy] = granting[0] ?? [];
    const statements = (policy as { Properties: { PolicyDocument: { Statement: unknown[] } } })
      .Properties.PolicyDocument.Statement;
    expect(statements).toContainEqual({
      Action: "states:SendTaskSuccess",
      Effect: "Allow",
      Resource: { Ref: machineId },
    });
    const wakeRole = stack.getLogicalId(
      stack.eventWait?.wake.role?.node.defaultChild as CfnElement,
    );
    expect(JSON.stringify(granting[0]?.[1])).toContain(wakeRole);
    // register-wait may only put objects into the waits bucket.
    const registerRole = stack.getLogicalId(
      stack.eventWait?.registerWait.role?.node.defaultChild as CfnElement,
    );
    const registerPolicy = Object.values(policies).find((p) =>
      JSON.stringify(p.Properties.Roles).includes(registerRole),
    );
    const actions = JSON.stringify(registerPolicy?.Properties.PolicyDocument.Statement);
    expect(actions).toContain("s3:PutObject");
    expect(actions).not.toContain("s3:GetObject");
    expect(actions).not.toContain("states:");
  });

  it("with webhooks, refuses polling whose token waits could reach the 25,000-event history", () => {
    // 1,801 fixed 10 s checks in 5 h: 16,209 events with Waits, 25,214 with token waits.
    const poll = { strategy: "fixed" as const, min_seconds: 10, max_seconds: 600 };
    const config = {
      source: "/repo/pipelines.yaml",
      pipelines: [
        pipeline("long", [step("slow", [], { poll, timeout_seconds: 5 * 3600 })], {
          timeout_seconds: 6 * 3600,
        }),
      ],
    };
    expect(() => build({ config })).not.toThrow();
    expect(() => build({ config, webhooks: {} })).toThrow(
      /step "slow" with webhooks \(token waits\): .*14 history events each/,
    );
  });

  it("with webhooks, the check Task has both the retry loop (payload and retriers) and the token wait's Choice", () => {
    const { stack } = build({ webhooks: {} });
    const states = Object.fromEntries(allStates(definitionOf(stack, stack.runSync.stateMachine)));
    const check = states[S.check];
    expect(check?.Parameters).toEqual({ poll_loop: "retry", "state.$": "$" });
    expect(check?.Retry?.[0]).toMatchObject({
      ErrorEquals: ["Polytomic.StillRunning.1s"],
      IntervalSeconds: 1,
      BackoffRate: 1,
    });
    expect(check?.Next).toBe(S.runFinished);
    expect(states[S.runFinished]?.Default).toBe(S.waitForEvent);
  });

  it("with webhooks, check-status and start-sync get the waits bucket and only the delivery grants", () => {
    const { stack, template } = build({ webhooks: {} });
    const bucketId = stack.getLogicalId(stack.eventWait?.bucket.node.defaultChild as CfnElement);
    const fns = template.findResources("AWS::Lambda::Function");
    const envOf = (fn: unknown) =>
      fns[stack.getLogicalId(fn as CfnElement)]?.Properties.Environment.Variables;
    const checkEnv = envOf(stack.functions.checkStatus.node.defaultChild);
    const startEnv = envOf(stack.functions.startSync.node.defaultChild);
    expect(checkEnv.WAITS_BUCKET).toEqual({ Ref: bucketId });
    expect(startEnv.WAITS_BUCKET).toEqual({ Ref: bucketId });
    const policies = template.findResources("AWS::IAM::Policy");
    const statementsOf = (fn: { role?: unknown }) => {
      const role = stack.getLogicalId(
        (fn.role as { node: { defaultChild: CfnElement } }).node.defaultChild,
      );
      const policy = Object.values(policies).find((p) =>
        JSON.stringify(p.Properties.Roles).includes(role),
      );
      return JSON.stringify(policy?.Properties.PolicyDocument.Statement);
    };
    const check = statementsOf(stack.functions.checkStatus);
    expect(check).toContain('"s3:GetObject","s3:PutObject"');
    expect(check).toContain("/delivery/*");
    expect(check).not.toContain("/waits/*");
    const start = statementsOf(stack.functions.startSync);
    expect(start).toContain("/delivery/*");
    expect(start).not.toContain("s3:PutObject");
    const wake = statementsOf(stack.eventWait?.wake ?? {});
    expect(wake).toContain("/seen/*");
  });

  it("without webhooks, check-status and start-sync have no waits bucket", () => {
    const { template } = build();
    expect(JSON.stringify(template.findResources("AWS::Lambda::Function"))).not.toContain(
      "WAITS_BUCKET",
    );
  });

  it("keeps cdk-nag clean with the token wait", () => {
    const { app, stack } = build({ webhooks: {} });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoError("*", Match.anyValue());
  });
});
