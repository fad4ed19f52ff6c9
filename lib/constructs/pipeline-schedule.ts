import { Duration, TimeZone } from "aws-cdk-lib";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as schedulerTargets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sqs from "aws-cdk-lib/aws-sqs";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { ScheduleConfig } from "../config/model";

export interface PipelineScheduleProps {
  readonly pipelineName: string;
  readonly schedule: ScheduleConfig;
  /** The pipeline's state machine; the schedule's role may only start this one. */
  readonly stateMachine: sfn.IStateMachine;
  /** Where invocations that failed all retries go (encrypted, TLS only). */
  readonly deadLetterQueue: sqs.IQueue;
  /**
   * Whether the schedule fires; a disabled one is deployed and can be enabled later.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Retries of a failed StartExecution.
   * @default 10
   */
  readonly retryAttempts?: number;
  /**
   * How long a firing may keep being retried.
   * @default Duration.hours(1)
   */
  readonly maxEventAge?: Duration;
}

/**
 * Starts a pipeline on its schedule with EventBridge Scheduler, in the pipeline's time
 * zone, with no flexible window, retries and a dead-letter queue. The input names the
 * schedule and the scheduled time, for the execution history.
 */
export class PipelineSchedule extends Construct {
  readonly schedule: scheduler.Schedule;

  constructor(scope: Construct, id: string, props: PipelineScheduleProps) {
    super(scope, id);
    const retryAttempts = props.retryAttempts ?? 10;
    if (!Number.isInteger(retryAttempts) || retryAttempts < 0 || retryAttempts > 185) {
      throw new Error(
        `Pipeline "${props.pipelineName}": schedule retryAttempts must be an integer from 0 to 185, got ${retryAttempts}`,
      );
    }
    this.schedule = new scheduler.Schedule(this, "Schedule", {
      description: `Starts pipeline ${props.pipelineName}`,
      schedule: scheduler.ScheduleExpression.expression(
        props.schedule.expression,
        TimeZone.of(props.schedule.timezone),
      ),
      timeWindow: scheduler.TimeWindow.off(),
      enabled: props.enabled ?? true,
      target: new schedulerTargets.StepFunctionsStartExecution(props.stateMachine, {
        input: scheduler.ScheduleTargetInput.fromObject({
          trigger: "schedule",
          scheduled_time: scheduler.ContextAttribute.scheduledTime,
        }),
        deadLetterQueue: props.deadLetterQueue,
        retryAttempts,
        maxEventAge: props.maxEventAge ?? Duration.hours(1),
      }),
    });
  }
}
