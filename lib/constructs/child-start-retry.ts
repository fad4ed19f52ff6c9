import { Duration } from "aws-cdk-lib";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";

/**
 * Retries of a child execution's start (`startExecution.sync:2`: a step's run-sync child, a
 * gate, a fan-out's organization): the API's transient errors and the execution limit.
 */
export const START_RETRY: sfn.RetryProps = {
  errors: [
    "StepFunctions.SdkClientException",
    "StepFunctions.AWSStepFunctionsException",
    "StepFunctions.ExecutionLimitExceededException",
  ],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 5,
  maxDelay: Duration.minutes(1),
  jitterStrategy: sfn.JitterType.FULL,
};
