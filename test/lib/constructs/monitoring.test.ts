/**
 * The failure notice (issue 11, point 6): a failed pipeline execution sends its error and
 * cause, which carry Polytomic's failure text, to the pipeline's alarm topic. Targeted
 * Template assertions; test/lib/local/failure-text.test.ts renders the notice from a
 * real local run.
 */
import { App } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { OrchestratorStack } from "../../../lib/stack";
import { sampleConfig } from "../../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR } from "../helpers";

function template(): Template {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new OrchestratorStack(app, "Orchestrator", {
    config: sampleConfig(),
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    env: { account: "123456789012", region: "us-east-1" },
  });
  return Template.fromStack(stack);
}

type Resources = Record<string, { Properties: Record<string, unknown> }>;

describe("Monitoring: failure notices", () => {
  const t = template();
  const rules = t.findResources("AWS::Events::Rule", {
    Properties: { Description: Match.stringLikeRegexp("send why an execution failed") },
  }) as Resources;
  const topics = Object.keys(t.findResources("AWS::SNS::Topic"));
  const nightlyTopic = topics.find((id) => id.startsWith("MonitoringAlarmsnightly"));
  const deploymentTopic = topics.find((id) => /^MonitoringAlarms[0-9A-F]{8}$/.test(id));
  const roles = Object.keys(
    t.findResources("AWS::IAM::Role", {
      Properties: { Description: Match.stringLikeRegexp("notices to the alarm topics") },
    }),
  );

  it("one rule per pipeline, on its machine's FAILED executions, to the topic its alarms use", () => {
    expect(Object.keys(rules)).toHaveLength(2);
    expect(roles).toHaveLength(1);
    for (const [name, topic] of [
      ["nightly", nightlyTopic],
      ["manual", deploymentTopic],
    ] as const) {
      t.hasResourceProperties("AWS::Events::Rule", {
        Description: `Pipeline ${name}: send why an execution failed to the alarm topic`,
        EventPattern: {
          source: ["aws.states"],
          "detail-type": ["Step Functions Execution Status Change"],
          detail: {
            status: ["FAILED"],
            stateMachineArn: [{ Ref: Match.stringLikeRegexp(`^Pipeline${name}StateMachine`) }],
          },
        },
        Targets: [
          Match.objectLike({
            Arn: { Ref: topic },
            RoleArn: { "Fn::GetAtt": [roles[0], "Arn"] },
          }),
        ],
      });
    }
  });

  it("the notice carries the execution's error and cause as JSON values, and a console link", () => {
    for (const rule of Object.values(rules)) {
      const [target] = rule.Properties.Targets as {
        InputTransformer: { InputPathsMap: Record<string, string>; InputTemplate: string };
      }[];
      const { InputPathsMap: paths, InputTemplate: tpl } = target?.InputTransformer ?? {
        InputPathsMap: {},
        InputTemplate: "",
      };
      const key = (path: string) => Object.keys(paths).find((k) => paths[k] === path);
      // Outside quotes: inserted as JSON values, so quotes in the cause cannot break it.
      for (const path of ["$.detail.cause", "$.detail.error", "$.detail.name"]) {
        expect(tpl).toContain(`:<${key(path)}>`);
      }
      expect(tpl).toMatch(/"console":"https:\/\/us-east-1\.console\.aws\.amazon\.com\/states\//);
      expect(tpl).toContain(`/v2/executions/details/<${key("$.detail.executionArn")}>"`);
    }
  });

  it("publishes through its own role: the topic policies still admit only this account's alarms", () => {
    t.hasResourceProperties("AWS::IAM::Role", {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: "events.amazonaws.com" },
            Condition: { StringEquals: { "aws:SourceAccount": "123456789012" } },
          }),
        ],
      },
    });
    for (const statement of [
      { Action: "sns:Publish", Resource: { Ref: nightlyTopic } },
      { Action: "sns:Publish", Resource: { Ref: deploymentTopic } },
      {
        Action: ["kms:Decrypt", "kms:GenerateDataKey*"],
        Resource: { "Fn::GetAtt": [Match.stringLikeRegexp("^MonitoringTopicKey"), "Arn"] },
      },
    ]) {
      t.hasResourceProperties("AWS::IAM::Policy", {
        Roles: [{ Ref: roles[0] }],
        PolicyDocument: { Statement: Match.arrayWith([Match.objectLike(statement)]) },
      });
    }
    const policies = JSON.stringify(t.findResources("AWS::SNS::TopicPolicy"));
    expect(policies).not.toContain("events.amazonaws.com");
  });
});
