import { App, Stack } from "aws-cdk-lib";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { describe, expect, it } from "vitest";
import { executionArn, executionsOf } from "../../../lib/constructs/execution-arns";

function machines() {
  const stack = new Stack(new App(), "S", {
    env: { account: "123456789012", region: "us-east-1" },
  });
  const imported = sfn.StateMachine.fromStateMachineArn(
    stack,
    "RunSync",
    "arn:aws:states:us-east-1:123456789012:stateMachine:run-sync",
  );
  const created = new sfn.StateMachine(stack, "Made", {
    definitionBody: sfn.DefinitionBody.fromChainable(new sfn.Pass(stack, "P")),
  });
  return { stack, imported, created };
}

/** An ARN in the stack's partition, as CloudFormation joins it. */
const inPartition = (rest: string) => ({
  "Fn::Join": ["", ["arn:", { Ref: "AWS::Partition" }, rest]],
});

describe("executionArn", () => {
  it("names the machine's executions: the machine's name, then the rest as given", () => {
    const { stack, imported } = machines();
    const resolved = (rest: string) => stack.resolve(executionArn(stack, imported, rest));
    expect(resolved(":*")).toEqual(
      inPartition(":states:us-east-1:123456789012:execution:run-sync:*"),
    );
    expect(resolved("*")).toEqual(
      inPartition(":states:us-east-1:123456789012:execution:run-sync*"),
    );
    expect(resolved(":")).toEqual(
      inPartition(":states:us-east-1:123456789012:execution:run-sync:"),
    );
    expect(stack.resolve(executionsOf(stack, imported))).toEqual(resolved(":*"));
  });

  it("takes a machine made in the stack by its ARN's token (the name is split out at deploy)", () => {
    const { stack, created } = machines();
    const text = JSON.stringify(stack.resolve(executionsOf(stack, created)));
    expect(text).toContain(":execution:");
    expect(text).toContain('"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"Made');
    expect(text).toContain(":*");
  });
});
