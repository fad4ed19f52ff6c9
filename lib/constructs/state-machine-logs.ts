import { type Duration, RemovalPolicy, Stack } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
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

/** What differs between the orchestrator's state machines. */
export interface LoggedStateMachineProps {
  /** The machine's name in its log group's name (see stateMachineLogGroup). */
  readonly machine: string;
  readonly comment: string;
  /** The definition's start state (the chain it begins is the definition). */
  readonly start: sfn.IChainable;
  readonly timeout: Duration;
  /**
   * Retention of the execution log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
}

/**
 * A standard, JSONPath state machine `StateMachine` in `scope`, with X-Ray tracing and
 * every execution event (with its data) logged to its own log group `Logs`.
 */
export function loggedStateMachine(
  scope: Construct,
  props: LoggedStateMachineProps,
): { logGroup: logs.LogGroup; stateMachine: sfn.StateMachine } {
  const logGroup = stateMachineLogGroup(scope, props.machine, props.logRetention);
  const stateMachine = new sfn.StateMachine(scope, "StateMachine", {
    comment: props.comment,
    definitionBody: sfn.DefinitionBody.fromChainable(props.start),
    stateMachineType: sfn.StateMachineType.STANDARD,
    queryLanguage: sfn.QueryLanguage.JSON_PATH,
    timeout: props.timeout,
    tracingEnabled: true,
    logs: { destination: logGroup, level: sfn.LogLevel.ALL, includeExecutionData: true },
  });
  return { logGroup, stateMachine };
}
