import { CfnOutput, Duration, RemovalPolicies, type StackProps } from "aws-cdk-lib";
import * as logs from "aws-cdk-lib/aws-logs";
import * as s3 from "aws-cdk-lib/aws-s3";
import type { Construct } from "constructs";
import { E2E_OUTPUTS } from "../../e2e/constants";
import type { PipelinesConfig } from "../config/model";
import { OrchestratorStack } from "../stack";

export interface E2eOrchestratorProps extends StackProps {
  /** The e2e pipelines (e2e/pipelines.yaml). */
  readonly config: PipelinesConfig;
  /** The simulator's Function URL (a concrete URL: the simulator stack's output). */
  readonly polytomicApiUrl: string;
  /** The simulator's key secret (a concrete ARN: the simulator stack's output). */
  readonly apiKeySecretArn: string;
}

const ALARMS_PER_OUTPUT = 6;

/**
 * The orchestrator stack exactly as users deploy it (OrchestratorStack), pointed at the
 * simulator, plus what the driver needs: outputs naming the pipelines' state machines,
 * the alarms and the logs bucket, one-day log retention, and every resource destroyed with
 * the stack (the driver empties the logs bucket first).
 *
 * The simulator lives in its own stack, deployed first, because SyncFunctions checks that
 * `polytomicApiUrl` is an http(s) URL at synth time: a Function URL of the same stack would
 * be an unresolved token.
 */
export function e2eOrchestratorStack(
  scope: Construct,
  id: string,
  props: E2eOrchestratorProps,
): OrchestratorStack {
  const stack = new OrchestratorStack(scope, id, {
    ...props,
    logRetention: logs.RetentionDays.ONE_DAY,
    logsExpiration: Duration.days(1),
    description: "Polytomic orchestrator: deployed end-to-end check (destroyed after the run)",
  });
  const buckets = stack.node.findAll().filter((c): c is s3.Bucket => c instanceof s3.Bucket);
  const bucket = buckets[0];
  if (buckets.length !== 1 || !bucket) {
    throw new Error(`expected one S3 bucket (the logs bucket) in ${id}, found ${buckets.length}`);
  }
  RemovalPolicies.of(stack).destroy();

  const pipelines = Object.fromEntries(
    Object.entries(stack.pipelines).map(([name, p]) => [name, p.stateMachine.stateMachineArn]),
  );
  const monitoringPath = `${stack.monitoring.node.path}/`;
  const alarms = stack.monitoring.alarms.map((a) => [
    a.node.path.replace(monitoringPath, ""),
    a.alarmName,
  ]);
  new CfnOutput(stack, E2E_OUTPUTS.pipelines, { value: stack.toJsonString(pipelines) });
  // A few alarms an output, so no output value grows with the number of pipelines.
  for (let i = 0; i * ALARMS_PER_OUTPUT < alarms.length; i++) {
    const chunk = alarms.slice(i * ALARMS_PER_OUTPUT, (i + 1) * ALARMS_PER_OUTPUT);
    new CfnOutput(stack, `${E2E_OUTPUTS.alarms}${i + 1}`, {
      value: stack.toJsonString(Object.fromEntries(chunk)),
    });
  }
  new CfnOutput(stack, E2E_OUTPUTS.logsBucket, { value: bucket.bucketName });
  new CfnOutput(stack, E2E_OUTPUTS.logsPrefix, { value: stack.functions.logsPrefix });
  return stack;
}
