/** Issue 13.4: each pipeline's latest run as a timeline on the dashboard, and its grants. */

import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { describe, expect, it } from "vitest";
import { ReportWidget } from "../../../lib/constructs/report-widget";
import { PIPELINE_TAG, STACK_TAG } from "../../../lib/deployed/tags";
import { OrchestratorStack } from "../../../lib/stack";
import { sampleConfig } from "../../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR, unbundledStack } from "../helpers";

function stack() {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const s = new OrchestratorStack(app, "Widgets", {
    config: sampleConfig(),
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    env: { account: "123456789012", region: "us-east-1" },
  });
  return { stack: s, template: Template.fromStack(s) };
}

interface Widget {
  type: string;
  properties: { title?: string; endpoint?: string; params?: unknown };
}

/** The dashboard's widgets, each token in the body written as its JSON text. */
function dashboardWidgets(template: Template): Widget[] {
  const dashboard = Object.values(template.findResources("AWS::CloudWatch::Dashboard"))[0];
  const parts = dashboard?.Properties.DashboardBody["Fn::Join"][1] as unknown[];
  const text = parts
    .map((p) => (typeof p === "string" ? p : JSON.stringify(p).replace(/"/g, '\\"')))
    .join("");
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

type Statement = { Action: string | string[]; Resource: unknown };

function widgetStatements(template: Template, s: OrchestratorStack): Statement[] {
  const roleId = s.getLogicalId(s.reportWidget.function.role?.node.defaultChild as never);
  const policies = Object.values(template.findResources("AWS::IAM::Policy")).filter((p) =>
    JSON.stringify(p.Properties.Roles).includes(roleId),
  );
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement as Statement[]);
}

describe("ReportWidget in the stack", () => {
  it("adds one custom widget per pipeline to the dashboard, with the pipeline's steps as parameters", () => {
    const { stack: s, template } = stack();
    const custom = dashboardWidgets(template).filter((w) => w.type === "custom");
    const functionId = s.getLogicalId(s.reportWidget.function.node.defaultChild as never);
    expect(custom.map((w) => w.properties.title)).toEqual([
      "nightly: latest run",
      "manual: latest run",
    ]);
    const nightly = custom[0]?.properties;
    expect(nightly?.endpoint).toBe(`{"Fn::GetAtt":["${functionId}","Arn"]}`);
    expect(nightly?.params).toEqual({
      pipeline: "nightly",
      stateMachineArn: `{"Ref":"${s.getLogicalId(s.pipelines.nightly?.stateMachine.node.defaultChild as never)}"}`,
      steps: [
        { id: "load_salesforce", sync_type: "bulk", after: [] },
        { id: "push-hubspot", sync_type: "model", after: ["load_salesforce"] },
        { id: "push_braze", sync_type: "model", after: ["load_salesforce"] },
        { id: "report", sync_type: "model", after: ["push-hubspot", "push_braze"] },
      ],
    });
  });

  it("lets the function list the pipelines' executions and read executions, nothing else", () => {
    const { stack: s, template } = stack();
    const statements = widgetStatements(template, s).filter((st) =>
      JSON.stringify(st.Action).includes("states:"),
    );
    const actions = statements.flatMap((st) => [st.Action].flat()).sort();
    expect(actions).toEqual([
      "states:DescribeExecution",
      "states:GetExecutionHistory",
      "states:ListExecutions",
    ]);
    const list = statements.find((st) => st.Action === "states:ListExecutions");
    const pipelineIds = Object.values(s.pipelines).map((p) =>
      s.getLogicalId(p.stateMachine.node.defaultChild as never),
    );
    expect(list?.Resource).toEqual(pipelineIds.map((id) => ({ Ref: id })));
    const read = JSON.stringify(statements.find((st) => st.Action !== "states:ListExecutions"));
    // Executions of the two pipelines and of run-sync, each `<machine>:*`.
    expect(read.match(/execution:/g)).toHaveLength(3);
    expect(read).not.toMatch(/"Resource":"\*"/);
  });

  it("tags each pipeline's state machine with the stack and the pipeline, for the command line", () => {
    const { template } = stack();
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      Tags: [
        { Key: PIPELINE_TAG, Value: "nightly" },
        { Key: STACK_TAG, Value: "Widgets" },
      ],
    });
  });

  it("refuses to be built without a pipeline", () => {
    const s = unbundledStack();
    expect(
      () =>
        new ReportWidget(s, "W", {
          pipelines: [],
          childMachines: [],
          functionsDir: FIXTURE_FUNCTIONS_DIR,
        }),
    ).toThrow("ReportWidget: give at least one pipeline to show");
  });
});
