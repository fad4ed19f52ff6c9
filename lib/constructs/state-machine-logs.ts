import { RemovalPolicy, Stack } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import type { Construct } from "constructs";

/**
 * The prefix of every state machine's log group. Step Functions delivers execution logs
 * through CloudWatch Logs vended-log delivery, which adds each log group to a CloudWatch
 * Logs resource policy limited to 5,120 characters; names under `/aws/vendedlogs/` are
 * covered by one wildcard entry instead of one entry each, so many machines fit.
 * ("Logging best practices": docs.aws.amazon.com/step-functions/latest/dg/bp-cwl.html)
 */
export const STATE_MACHINE_LOG_PREFIX = "/aws/vendedlogs/states/";

/**
 * The execution log group of one state machine:
 * `/aws/vendedlogs/states/<stack name>-<machine>` (stack names and pipeline names are
 * letters, digits, - and _, all valid in a log group name).
 */
export function stateMachineLogGroup(
  scope: Construct,
  machine: string,
  retention: logs.RetentionDays | undefined,
): logs.LogGroup {
  return new logs.LogGroup(scope, "Logs", {
    logGroupName: `${STATE_MACHINE_LOG_PREFIX}${Stack.of(scope).stackName}-${machine}`,
    retention: retention ?? logs.RetentionDays.ONE_MONTH,
    removalPolicy: RemovalPolicy.DESTROY,
  });
}
