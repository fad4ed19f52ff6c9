/**
 * ARNs of a state machine's executions, built from the machine's ARN (a token at synth
 * time): `arn:<partition>:states:<region>:<account>:execution:<machine name><rest>`
 * (Service Authorization Reference, AWS Step Functions, resource type "execution").
 */
import { ArnFormat, Stack } from "aws-cdk-lib";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import type { Construct } from "constructs";

/** `...:execution:<machine name>` followed by `rest` (`:` then a name, `:*`, `*`...). */
export function executionArn(scope: Construct, machine: sfn.IStateMachine, rest: string): string {
  const stack = Stack.of(scope);
  const name = stack.splitArn(machine.stateMachineArn, ArnFormat.COLON_RESOURCE_NAME).resourceName;
  return stack.formatArn({
    service: "states",
    resource: "execution",
    arnFormat: ArnFormat.COLON_RESOURCE_NAME,
    resourceName: `${name}${rest}`,
  });
}

/** The IAM resource of every execution of `machine`: `...:execution:<machine name>:*`. */
export const executionsOf = (scope: Construct, machine: sfn.IStateMachine): string =>
  executionArn(scope, machine, ":*");
