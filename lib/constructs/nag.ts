/** cdk-nag acknowledgements, in one form for every construct. */
import { Validations } from "aws-cdk-lib";
import type { IConstruct } from "constructs";

/** Acknowledges a cdk-nag AwsSolutions finding on `scope`, with the reason. */
export function ack(scope: IConstruct, finding: string, reason: string): void {
  Validations.of(scope).acknowledge({ id: `AwsSolutions::AwsSolutions-${finding}`, reason });
}
