import { join } from "node:path";
import { Duration } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { Construct } from "constructs";
import type { PipelineConfig } from "../config/model";
import { executionsOf } from "./execution-arns";
import { OrchestratorFunction } from "./orchestrator-function";
import { FUNCTIONS_DIR } from "./paths";

export interface ReportWidgetProps {
  /** Each pipeline and its state machine: one widget each. */
  readonly pipelines: readonly { config: PipelineConfig; stateMachine: sfn.IStateMachine }[];
  /** The machines whose executions a pipeline run starts: run-sync, and wait-for-step (gates). */
  readonly childMachines: readonly sfn.IStateMachine[];
  /**
   * The bucket the runs' logs are exported to: the timelines link each exported log to its
   * S3 console page (the widget's `logsBucket` parameter).
   * @default - logs are listed by key, without links to the console
   */
  readonly logsBucket?: s3.IBucket;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding the handler entries (`<dir>/report-widget/index.ts`).
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
}

/** How tall a pipeline's widget is: a header and a Gantt row per step (dashboard grid units). */
function widgetHeight(steps: number): number {
  return Math.min(24, 4 + Math.ceil(steps / 2));
}

/**
 * The dashboard's run timelines: a Lambda (functions/report-widget) that renders a
 * pipeline's latest run as the run report's timeline, and a CloudWatch custom widget per
 * pipeline backed by it. The function may only list the pipelines' executions and read
 * the executions of the pipelines and of the machines they start.
 */
export class ReportWidget extends Construct {
  readonly function: OrchestratorFunction;
  private readonly pipelines: ReportWidgetProps["pipelines"];
  private readonly logsBucket: s3.IBucket | undefined;

  constructor(scope: Construct, id: string, props: ReportWidgetProps) {
    super(scope, id);
    this.pipelines = props.pipelines;
    this.logsBucket = props.logsBucket;
    if (props.pipelines.length === 0) {
      throw new Error("ReportWidget: give at least one pipeline to show");
    }
    this.function = new OrchestratorFunction(this, "Function", {
      entry: join(props.functionsDir ?? FUNCTIONS_DIR, "report-widget", "index.ts"),
      description: "Dashboard custom widget: a pipeline's latest run as a timeline",
      timeout: Duration.seconds(60),
      logRetention: props.logRetention,
    });
    const machines = [...props.pipelines.map((p) => p.stateMachine), ...props.childMachines];
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:ListExecutions"],
        resources: props.pipelines.map((p) => p.stateMachine.stateMachineArn),
      }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ["states:DescribeExecution", "states:GetExecutionHistory"],
        resources: machines.map((m) => executionsOf(this, m)),
      }),
    );
  }

  /** One custom widget per pipeline, in the order given. */
  widgets(): cw.CustomWidget[] {
    return this.pipelines.map(
      ({ config, stateMachine }) =>
        new cw.CustomWidget({
          functionArn: this.function.functionArn,
          title: `${config.name}: latest run`,
          width: 24,
          height: widgetHeight(config.steps.length),
          updateOnRefresh: true,
          updateOnResize: false,
          updateOnTimeRangeChange: false,
          params: {
            pipeline: config.name,
            stateMachineArn: stateMachine.stateMachineArn,
            steps: config.steps.map((s) => ({ id: s.id, sync_type: s.sync_type, after: s.after })),
            ...(this.logsBucket ? { logsBucket: this.logsBucket.bucketName } : {}),
          },
        }),
    );
  }
}
