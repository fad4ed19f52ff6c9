/**
 * The partner fan-out's dashboard widget (docs/partners.md): a pipeline with `organizations:`
 * gets one Metrics Insights top-10 of its organizations by failed steps; no alarm and no
 * metric per organization. Targeted Template assertions on a Monitoring of its own.
 */
import { App, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { describe, expect, it } from "vitest";
import { METRIC_NAMESPACE } from "../../../functions/core/metrics";
import type { PipelineConfig } from "../../../lib/config/model";
import { Monitoring, organizationFailuresQuery } from "../../../lib/constructs/monitoring";
import { pipeline, step } from "../../fixtures/cdk/config";

function dashboardOf(pipelines: PipelineConfig[]): { body: string; template: Template } {
  const stack = new Stack(new App(), "Test", {
    env: { account: "123456789012", region: "us-east-1" },
  });
  new Monitoring(stack, "Monitoring", {
    pipelines: pipelines.map((config) => ({
      config,
      stateMachine: new sfn.StateMachine(stack, `Machine-${config.name}`, {
        definitionBody: sfn.DefinitionBody.fromChainable(
          new sfn.Pass(stack, `Pass-${config.name}`),
        ),
      }),
    })),
    functions: {},
  });
  const template = Template.fromStack(stack);
  const [dashboard] = Object.values(template.findResources("AWS::CloudWatch::Dashboard"));
  if (!dashboard) throw new Error("no dashboard");
  const body = (dashboard.Properties as { DashboardBody: unknown }).DashboardBody;
  const parts = (body as { "Fn::Join": [string, unknown[]] })["Fn::Join"][1];
  return {
    body: parts.map((p) => (typeof p === "string" ? p : "TOKEN")).join(""),
    template,
  };
}

const QUERY = `SELECT SUM(OrganizationStepFailures) FROM SCHEMA("${METRIC_NAMESPACE}", Organization, Pipeline) WHERE Pipeline = 'partners' GROUP BY Organization ORDER BY SUM() DESC LIMIT 10`;

describe("Monitoring: organizations", () => {
  it("builds the agreed Metrics Insights query", () => {
    expect(organizationFailuresQuery("partners")).toBe(QUERY);
    expect(() => organizationFailuresQuery("it's")).toThrow(/cannot be quoted/);
  });

  it("a pipeline with organizations gets the top-10 widget, one without does not", () => {
    const { body, template } = dashboardOf([
      pipeline("partners", [step("a")], {
        fan_out: { organizations: { all: true }, max_concurrent: 10, fail_when: "any" },
      }),
      pipeline("single", [step("a")]),
    ]);
    const widgets = (JSON.parse(body) as { widgets: { properties: Record<string, unknown> }[] })
      .widgets;
    const top = widgets.filter((w) => String(w.properties.title).includes("organizations with"));
    expect(top).toHaveLength(1);
    expect(top[0]?.properties).toMatchObject({
      title: "partners: organizations with the most failed steps (top 10)",
      view: "bar",
      setPeriodToTimeRange: true,
      metrics: [[{ expression: QUERY, label: "failed steps" }]],
    });
    expect(body).not.toContain("Pipeline = 'single'");
    // No alarm reads the organization metric.
    const alarms = JSON.stringify(template.findResources("AWS::CloudWatch::Alarm"));
    expect(alarms).not.toContain("OrganizationStepFailures");
    expect(alarms).not.toContain("Organization");
  });
});
