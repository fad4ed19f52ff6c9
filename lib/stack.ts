import {
  Annotations,
  type CfnElement,
  CfnOutput,
  Duration,
  Stack,
  type StackProps,
  Tags,
  Token,
} from "aws-cdk-lib";
import * as kms from "aws-cdk-lib/aws-kms";
import type { IFunction } from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import type * as s3 from "aws-cdk-lib/aws-s3";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import * as sqs from "aws-cdk-lib/aws-sqs";
import type { Construct, IConstruct } from "constructs";
import { EVENTS_PER_CHECK_WITH_TOKEN_WAIT, historyProblems } from "./config/history";
import type { PipelinesConfig } from "./config/model";
import { EventWait } from "./constructs/event-wait";
import { Freshness } from "./constructs/freshness";
import { LogsBucket } from "./constructs/logs-bucket";
import { Monitoring } from "./constructs/monitoring";
import { ack } from "./constructs/nag";
import { OrchestratorFunction } from "./constructs/orchestrator-function";
import { functionEntry, RESOLVE_ORGANIZATIONS_FUNCTION } from "./constructs/paths";
import { PipelineSchedule } from "./constructs/pipeline-schedule";
import { PipelineStateMachine } from "./constructs/pipeline-state-machine";
import { ReportWidget } from "./constructs/report-widget";
import { RunSyncStateMachine } from "./constructs/run-sync-state-machine";
import { SyncCancellation } from "./constructs/sync-cancellation";
import { grantSecretRead, SyncFunctions } from "./constructs/sync-functions";
import { WaitForStepStateMachine } from "./constructs/wait-for-step-state-machine";
import { WebhookReceiver, type WebhookReceiverProps } from "./constructs/webhook-receiver";
import { LOGS_BUCKET_TAG, PIPELINE_TAG, STACK_TAG } from "./deployed/tags";

export interface OrchestratorStackProps extends StackProps {
  /** The pipelines, as loaded by loadPipelinesConfig. */
  readonly config: PipelinesConfig;
  /**
   * The secret holding the Polytomic API key.
   * @default - a secret is created; put the key in it after deploying
   */
  readonly apiKeySecret?: secretsmanager.ISecret;
  /**
   * The complete ARN of an existing secret holding the API key (an alternative to
   * `apiKeySecret` for the CDK app's context).
   * @default - `apiKeySecret`, else a created secret
   */
  readonly apiKeySecretArn?: string;
  /**
   * The ARN of the customer-managed KMS key the API key secret is encrypted with
   * (`arn:<partition>:kms:<region>:<account>:key/<id>`): the functions that read the
   * secret get `kms:Decrypt` on it, via Secrets Manager only (the key's own policy must
   * also let this account use it); a created secret is encrypted with it.
   * @default - the secret uses the account's `aws/secretsmanager` key
   */
  readonly apiKeySecretKmsKeyArn?: string;
  /**
   * Whether the pipelines' schedules fire. A stack that creates the API key secret
   * creates it empty, so its schedules are deployed disabled until this is true (after
   * the key is in the secret): otherwise every firing would fail, and page, until then.
   * @default - true when `apiKeySecret` or `apiKeySecretArn` is given, else false
   */
  readonly schedulesEnabled?: boolean;
  /**
   * Polytomic API base URL.
   * @default - the handlers' default
   */
  readonly polytomicApiUrl?: string;
  /**
   * Retention of the functions' and state machines' log groups.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * How long exported run logs are kept.
   * @default Duration.days(90)
   */
  readonly logsExpiration?: Duration;
  /**
   * Directory holding the handler entries (`<dir>/<name>/index.ts`).
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
  /**
   * The webhook receiver of Polytomic's events (docs/webhooks.md), with its options. Opt-in
   * until the signature's hash and encoding are confirmed against a real organization.
   * @default - no receiver, no bus, no webhook secret
   */
  readonly webhooks?: Omit<WebhookReceiverProps, "alarmTopic" | "logRetention" | "functionsDir">;
}

/** A KMS key ARN (IAM grants need the key ARN itself, not an alias). */
const KMS_KEY_ARN = /^arn:aws[a-z-]*:kms:[a-z0-9-]+:\d{12}:key\/[A-Za-z0-9-]+$/;

/** Time after a step's deadline to cancel the run, export its logs and publish metrics. */
const STEP_MARGIN = Duration.minutes(30);

/** Everything one deployment needs: functions, state machines, schedules, monitoring. */
export class OrchestratorStack extends Stack {
  readonly functions: SyncFunctions;
  readonly runSync: RunSyncStateMachine;
  /** The machine gates run as (only when some pipeline is not series-parallel). */
  waitForStep?: WaitForStepStateMachine;
  /** resolve-organizations (only when some pipeline has `organizations:`). */
  resolveOrganizations?: IFunction;
  readonly pipelines: Record<string, PipelineStateMachine> = {};
  readonly monitoring: Monitoring;
  /** The freshness check, when the pipelines file has `freshness:`. */
  readonly freshness?: Freshness;
  /** The webhook receiver and its bus, when `webhooks` is given. */
  readonly webhookReceiver?: WebhookReceiver;
  /** The run-sync machine's token wait (register-wait, wake, the waits' bucket), with `webhooks`. */
  readonly eventWait?: EventWait;
  /** The dashboard's run timelines (a custom widget per pipeline) and their function. */
  readonly reportWidget: ReportWidget;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    const { config } = props;
    if (config.pipelines.length === 0) {
      throw new Error(
        `${config.source}: no pipelines defined; add at least one under "pipelines:"`,
      );
    }
    const { secret: apiKeySecret, key: apiKeySecretEncryptionKey } = this.apiKeySecret(props);
    const schedulesEnabled = props.schedulesEnabled ?? apiKeySecret !== undefined;
    const logsBucket = new LogsBucket(this, "RunLogs", { expiration: props.logsExpiration });
    this.functions = new SyncFunctions(this, "Functions", {
      logsBucket: logsBucket.bucket,
      apiKeySecret,
      apiKeySecretEncryptionKey,
      polytomicApiUrl: props.polytomicApiUrl,
      logRetention: props.logRetention,
      functionsDir: props.functionsDir,
    });
    const maxStep = Math.max(
      ...config.pipelines.flatMap((p) => p.steps.map((s) => s.timeout_seconds)),
    );
    // With webhooks, steps wait on a task token between checks (docs/webhooks.md).
    if (props.webhooks) checkTokenWaitHistory(config);
    const eventWait = props.webhooks
      ? new EventWait(this, "EventWait", {
          logRetention: props.logRetention,
          functionsDir: props.functionsDir,
        })
      : undefined;
    this.runSync = new RunSyncStateMachine(this, "RunSync", {
      functions: this.functions,
      maxStepTimeout: Duration.seconds(maxStep),
      timeoutMargin: STEP_MARGIN,
      logRetention: props.logRetention,
      ...(eventWait ? { eventWait: { registerWait: eventWait.registerWait } } : {}),
    });
    const cancellation = new SyncCancellation(this, "Cancellation", {
      runSync: this.runSync.stateMachine,
      cancelSync: this.functions.cancelSync,
    });

    const scheduleDlq = new sqs.Queue(this, "ScheduleDeadLetters", {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.addPipelines(props, scheduleDlq, schedulesEnabled, logsBucket.bucket);
    this.monitoring = this.makeMonitoring(config, scheduleDlq, cancellation, schedulesEnabled);
    if (config.freshness)
      this.freshness = this.addFreshness(config.freshness, props, schedulesEnabled);
    if (eventWait) {
      this.webhookReceiver = this.addWebhookReceiver(props, eventWait);
      this.eventWait = eventWait;
    }
    this.reportWidget = this.addRunTimelines(props, logsBucket.bucket);
    this.monitoring.monitorFunctions(this.functionsMadeAfterMonitoring());
    this.acknowledgeNagFindings(logsBucket, scheduleDlq, cancellation);
    this.describeApiKeySecret(apiKeySecret === undefined, schedulesEnabled, config);
  }

  /** The freshness check (lib/constructs/freshness.ts), on the monitoring's topic and dashboard. */
  private addFreshness(
    config: NonNullable<PipelinesConfig["freshness"]>,
    props: OrchestratorStackProps,
    enabled: boolean,
  ): Freshness {
    return new Freshness(this, "Freshness", {
      config,
      functions: this.functions,
      alarmTopic: this.monitoring.topic,
      dashboard: this.monitoring.dashboard,
      enabled,
      logRetention: props.logRetention,
      functionsDir: props.functionsDir,
    });
  }

  /**
   * With webhooks: the receiver and its bus, wake on the bus, and the delivery record that
   * check-status writes and start-sync reads (docs/webhooks.md).
   */
  private addWebhookReceiver(props: OrchestratorStackProps, eventWait: EventWait): WebhookReceiver {
    const receiver = new WebhookReceiver(this, "Webhooks", {
      ...props.webhooks,
      alarmTopic: this.monitoring.topic,
      logRetention: props.logRetention,
      functionsDir: props.functionsDir,
    });
    eventWait.connect(receiver.bus, this.runSync.stateMachine);
    eventWait.useDeliveryRecord({
      readWrite: this.functions.checkStatus,
      read: this.functions.startSync,
    });
    return receiver;
  }

  /**
   * Each pipeline's state machine and, when it has one, its schedule; the wait-for-step
   * machine is created on the first pipeline that needs gates.
   */
  private addPipelines(
    props: OrchestratorStackProps,
    scheduleDlq: sqs.IQueue,
    schedulesEnabled: boolean,
    logsBucket: s3.IBucket,
  ): void {
    const maxPipelineTimeout = Math.max(...props.config.pipelines.map((p) => p.timeout_seconds));
    const waitForStep = () => {
      this.waitForStep ??= new WaitForStepStateMachine(this, "WaitForStep", {
        runSync: this.runSync.stateMachine,
        maxWait: Duration.seconds(maxPipelineTimeout),
        logRetention: props.logRetention,
      });
      return this.waitForStep.stateMachine;
    };
    const resolveOrganizations = () => {
      this.resolveOrganizations ??= this.makeResolveOrganizations(props);
      return this.resolveOrganizations;
    };
    for (const pipeline of props.config.pipelines) {
      const machine = new PipelineStateMachine(this, `Pipeline-${pipeline.name}`, {
        pipeline,
        runSync: this.runSync.stateMachine,
        waitForStep,
        resolveOrganizations,
        childTimeoutMargin: STEP_MARGIN,
        logRetention: props.logRetention,
      });
      this.pipelines[pipeline.name] = machine;
      // How the deployed-run commands find it (lib/deployed/stack.ts).
      Tags.of(machine.stateMachine).add(STACK_TAG, this.stackName);
      Tags.of(machine.stateMachine).add(PIPELINE_TAG, pipeline.name);
      // Where a deployed report links the exported logs (lib/report/log-links.ts).
      Tags.of(machine.stateMachine).add(LOGS_BUCKET_TAG, logsBucket.bucketName);
      if (pipeline.schedule) {
        new PipelineSchedule(this, `Schedule-${pipeline.name}`, {
          pipelineName: pipeline.name,
          schedule: pipeline.schedule,
          stateMachine: machine.stateMachine,
          deadLetterQueue: scheduleDlq,
          enabled: schedulesEnabled,
        });
      }
    }
  }

  /**
   * resolve-organizations (issue 15), made on the first pipeline with `organizations:`: it
   * reads the partner key from the API key secret and calls only Polytomic, so it gets
   * the secret read grant and nothing else (the state machines' roles may invoke it).
   */
  private makeResolveOrganizations(props: OrchestratorStackProps): IFunction {
    const fn = new OrchestratorFunction(this, "ResolveOrganizations", {
      entry: functionEntry(RESOLVE_ORGANIZATIONS_FUNCTION, props.functionsDir),
      description: "Lists the Polytomic organizations a partner pipeline runs in",
      timeout: Duration.minutes(2),
      environment: { ...this.functions.polytomicEnvironment },
      logRetention: props.logRetention,
    });
    grantSecretRead(fn, this.functions.apiKeySecret, this.functions.apiKeySecretEncryptionKey);
    return fn;
  }

  /** The dashboard and alarms of the pipelines, the functions and the dead-letter queues. */
  private makeMonitoring(
    config: PipelinesConfig,
    scheduleDlq: sqs.IQueue,
    cancellation: SyncCancellation,
    schedulesEnabled: boolean,
  ): Monitoring {
    return new Monitoring(this, "Monitoring", {
      runSync: this.runSync.stateMachine,
      pipelines: config.pipelines.map((p) => ({
        config: p,
        stateMachine: (this.pipelines[p.name] as PipelineStateMachine).stateMachine,
        scheduleEnabled: schedulesEnabled,
      })),
      functions: this.functions.all,
      deadLetterQueues: {
        ScheduleFirings: {
          queue: scheduleDlq,
          holds: "a schedule firing could not start its pipeline, which did not run",
        },
        Cancellations: {
          queue: cancellation.deadLetterQueue,
          holds:
            "cancel-sync never ran for a stopped or timed-out step, so its Polytomic run may still be going",
        },
      },
    });
  }

  /** The functions the Monitoring construct was made before, by name. */
  private functionsMadeAfterMonitoring(): Record<string, IFunction> {
    const fns: Record<string, IFunction> = { "report-widget": this.reportWidget.function };
    if (this.freshness) {
      fns.freshness = this.freshness.function;
      fns["freshness-notice"] = this.freshness.noticeFunction;
    }
    if (this.webhookReceiver) fns.webhook = this.webhookReceiver.function;
    if (this.resolveOrganizations) {
      fns[RESOLVE_ORGANIZATIONS_FUNCTION] = this.resolveOrganizations;
    }
    if (this.eventWait) {
      fns["register-wait"] = this.eventWait.registerWait;
      fns.wake = this.eventWait.wake;
    }
    return fns;
  }

  /** Each pipeline's latest run as a timeline on the dashboard (issue 13.4). */
  private addRunTimelines(props: OrchestratorStackProps, logsBucket: s3.IBucket): ReportWidget {
    const childMachines = [this.runSync.stateMachine];
    if (this.waitForStep) childMachines.push(this.waitForStep.stateMachine);
    // A fan-out's children are its per-organization executions: the widget may read them
    // (it draws no steps for them yet: their steps are their own children).
    for (const pipeline of Object.values(this.pipelines)) {
      if (pipeline.organizationMachine) childMachines.push(pipeline.organizationMachine);
    }
    const widget = new ReportWidget(this, "RunTimelines", {
      pipelines: props.config.pipelines.map((p) => ({
        config: p,
        stateMachine: (this.pipelines[p.name] as PipelineStateMachine).stateMachine,
      })),
      childMachines,
      logsBucket,
      logRetention: props.logRetention,
      functionsDir: props.functionsDir,
    });
    this.monitoring.dashboard.addWidgets(...widget.widgets());
    ack(
      roleOf(widget.function),
      "IAM5[Resource::*]",
      "X-Ray PutTraceSegments/PutTelemetryRecords support no resource ARNs.",
    );
    for (const machine of [
      ...childMachines,
      ...Object.values(this.pipelines).map((p) => p.stateMachine),
    ]) {
      ack(
        roleOf(widget.function),
        `${this.executionsFinding(machine).slice(0, -2)}:*]`,
        "The widget reads the latest pipeline execution and the child executions it started, whose names are generated per run: the grant is read-only, on that machine's executions only.",
      );
    }
    return widget;
  }

  /** The API key secret given in props (with its KMS key), or none (SyncFunctions creates it). */
  private apiKeySecret(props: OrchestratorStackProps): {
    secret?: secretsmanager.ISecret;
    key?: kms.IKey;
  } {
    if (props.apiKeySecret && props.apiKeySecretArn) {
      throw new Error("Give either apiKeySecret or apiKeySecretArn, not both");
    }
    const secret =
      props.apiKeySecret ??
      (props.apiKeySecretArn
        ? secretsmanager.Secret.fromSecretCompleteArn(this, "ApiKey", props.apiKeySecretArn)
        : undefined);
    const arn = props.apiKeySecretKmsKeyArn;
    if (arn === undefined) return { secret };
    if (!Token.isUnresolved(arn) && !KMS_KEY_ARN.test(arn)) {
      throw new Error(
        `apiKeySecretKmsKeyArn must be a KMS key ARN (arn:aws:kms:<region>:<account>:key/<key id>; not an alias), got "${arn}"`,
      );
    }
    return { secret, key: kms.Key.fromKeyArn(this, "ApiKeyEncryptionKey", arn) };
  }

  /**
   * Outputs the API key secret's ARN; when the stack created it (empty) and the
   * schedules are off, says what to do, in the synth output and the stack's outputs.
   */
  private describeApiKeySecret(
    created: boolean,
    schedulesEnabled: boolean,
    config: PipelinesConfig,
  ): void {
    const arn = this.functions.apiKeySecret.secretArn;
    new CfnOutput(this, "ApiKeySecretArn", {
      description: created
        ? "The API key secret this stack created, empty: put the Polytomic API key in it"
        : "The API key secret the functions read",
      value: arn,
    });
    const scheduled = config.pipelines.filter((p) => p.schedule).map((p) => p.name);
    if (schedulesEnabled || scheduled.length === 0) return;
    const note = `Schedules of ${scheduled.join(", ")} are deployed DISABLED: ${created ? "the API key secret was created empty. Put the key in it (aws secretsmanager put-secret-value --secret-id <ApiKeySecretArn output> --secret-string <key>), then" : "schedulesEnabled is false;"} deploy again with -c schedulesEnabled=true.`;
    new CfnOutput(this, "SchedulesDisabled", { value: note });
    Annotations.of(this).addInfo(note);
  }

  /**
   * cdk-nag AwsSolutions findings that are deliberate, each acknowledged on the
   * construct it concerns with the reason it is acceptable.
   */
  private acknowledgeNagFindings(
    logsBucket: LogsBucket,
    scheduleDlq: sqs.Queue,
    cancellation: SyncCancellation,
  ): void {
    ack(
      logsBucket.bucket,
      "S1",
      "Holds copies of Polytomic run logs written only by export-logs; access is through IAM (turn on CloudTrail S3 data events for an object-level audit trail). A second bucket just for server access logs is not worth its cost here.",
    );
    if (this.functions.apiKeySecret instanceof secretsmanager.Secret) {
      ack(
        this.functions.apiKeySecret,
        "SMG4",
        "A Polytomic API key is issued in the Polytomic UI; no rotation function can mint one. Rotate it there and put the new value in this secret.",
      );
    }
    this.acknowledgeFunctionFindings(logsBucket);
    this.acknowledgeStateMachineFindings();
    ack(
      cancellation.historyPolicy,
      `${this.executionsFinding(this.runSync.stateMachine).slice(0, -2)}:*]`,
      "cancel-sync reads the history of the run-sync execution that ended (to cancel only the runs it started), whose name is generated per run: the grant is that machine's executions only.",
    );
    for (const queue of [scheduleDlq, cancellation.deadLetterQueue]) {
      ack(queue, "SQS3", "This queue is itself a dead-letter queue.");
    }
  }

  /**
   * The functions' roles: X-Ray (and PutMetricData) on `*`; export-logs and cancel-sync
   * on the logs prefix.
   */
  private acknowledgeFunctionFindings(logsBucket: LogsBucket): void {
    const all: Record<string, IFunction> = { ...this.functions.all };
    if (this.resolveOrganizations) all[RESOLVE_ORGANIZATIONS_FUNCTION] = this.resolveOrganizations;
    if (this.freshness) {
      all.freshness = this.freshness.function;
      all["freshness-notice"] = this.freshness.noticeFunction;
    }
    for (const [name, fn] of Object.entries(all)) {
      ack(
        roleOf(fn),
        "IAM5[Resource::*]",
        `X-Ray PutTraceSegments/PutTelemetryRecords support no resource ARNs${["publish-metrics", "cancel-sync", "freshness"].includes(name) ? "; PutMetricData supports none either and is scoped by the cloudwatch:namespace condition" : ""}.`,
      );
    }
    if (this.freshness) {
      ack(
        this.freshness.scheduleRole,
        `IAM5[Resource::<${this.logicalIdOf(this.freshness.function)}.Arn>:*]`,
        "EventBridge Scheduler's role invokes the freshness function by any version or alias qualifier of that one function (CDK's LambdaInvoke target grant).",
      );
    }
    for (const fn of [this.functions.exportLogs, this.functions.cancelSync]) {
      ack(
        roleOf(fn),
        `IAM5[Resource::<${this.logicalIdOf(logsBucket.bucket)}.Arn>/${this.functions.logsPrefix}/*]`,
        "It writes one object per log file under the logs prefix (cancel-sync for a run whose execution stopped before exporting); the keys are per run, so the grant is the prefix.",
      );
    }
  }

  /**
   * The state machines' roles: logging and X-Ray on `*`; run-sync invoking its functions
   * by any qualifier; pipelines and gates on the executions of the machines they start.
   */
  private acknowledgeStateMachineFindings(): void {
    const runSync = this.runSync.stateMachine;
    ack(runSync, "IAM5[Resource::*]", NO_RESOURCE_ARNS);
    for (const [name, fn] of Object.entries(this.functions.all)) {
      ack(
        runSync,
        `IAM5[Resource::<${this.logicalIdOf(fn)}.Arn>:*]`,
        `Invoking ${name} by any version or alias qualifier of that one function (CDK's LambdaInvoke grant).`,
      );
    }
    for (const pipeline of Object.values(this.pipelines)) {
      const dag = pipeline.organizationMachine ?? pipeline.stateMachine;
      ack(dag, "IAM5[Resource::*]", NO_RESOURCE_ARNS);
      ack(
        dag,
        this.executionsFinding(runSync),
        "startExecution.sync must describe and stop the child executions of the run-sync machine, whose names are generated per run: the grant is that machine's executions only.",
      );
      if (pipeline.organizationMachine) this.acknowledgeFanOutFindings(pipeline);
    }
    if (!this.waitForStep) return;
    const wait = this.waitForStep.stateMachine;
    ack(wait, "IAM5[Resource::*]", NO_RESOURCE_ARNS);
    ack(
      wait,
      this.executionsFinding(runSync),
      "A gate describes, attaches to (startExecution.sync) and so may stop the run-sync child execution of the step it waits for, whose name is generated per run: the grant is that machine's executions only.",
    );
    for (const pipeline of Object.values(this.pipelines)) {
      if (pipeline.gatedDependencies.length === 0) continue;
      ack(
        pipeline.organizationMachine ?? pipeline.stateMachine,
        this.executionsFinding(wait),
        "startExecution.sync must describe and stop the gates' wait-for-step executions, whose names are generated per run: the grant is that machine's executions only.",
      );
    }
  }

  /** A fan-out's machine: it invokes the resolver and starts the per-organization machine. */
  private acknowledgeFanOutFindings(pipeline: PipelineStateMachine): void {
    const fanOut = pipeline.stateMachine;
    ack(fanOut, "IAM5[Resource::*]", NO_RESOURCE_ARNS);
    ack(
      fanOut,
      this.executionsFinding(pipeline.organizationMachine as IConstruct),
      "startExecution.sync must describe and stop the per-organization executions, whose names are generated per run: the grant is that machine's executions only.",
    );
    if (this.resolveOrganizations) {
      ack(
        fanOut,
        `IAM5[Resource::<${this.logicalIdOf(this.resolveOrganizations)}.Arn>:*]`,
        "Invoking resolve-organizations by any version or alias qualifier of that one function (CDK's LambdaInvoke grant).",
      );
    }
  }

  /** The CloudFormation logical ID of a construct's default child. */
  private logicalIdOf(scope: IConstruct): string {
    return this.getLogicalId(scope.node.defaultChild as CfnElement);
  }

  /** The IAM5 finding of a grant on every execution of `machine` (as cdk-nag renders it). */
  private executionsFinding(machine: IConstruct): string {
    const region = Token.isUnresolved(this.region) ? "<AWS::Region>" : this.region;
    const account = Token.isUnresolved(this.account) ? "<AWS::AccountId>" : this.account;
    return `IAM5[Resource::arn:<AWS::Partition>:states:${region}:${account}:execution:{"Fn::Select":[6,{"Fn::Split":[":",{"Ref":"${this.logicalIdOf(machine)}"}]}]}*]`;
  }
}

/**
 * A token wait puts more events in a step's history than a Wait (lib/config/history.ts): the
 * loader checked the budget for Waits, this checks it again for token waits.
 */
function checkTokenWaitHistory(config: PipelinesConfig): void {
  const [problem] = historyProblems(config, EVENTS_PER_CHECK_WITH_TOKEN_WAIT);
  if (problem) {
    throw new Error(
      `${config.source}: pipeline "${problem.pipeline}", step "${problem.step}" with webhooks (token waits): ${problem.message}`,
    );
  }
}

/** Why a state machine role's logging and tracing statements are on `*`. */
const NO_RESOURCE_ARNS =
  "CloudWatch Logs vended-log delivery and X-Ray actions support no resource ARNs.";

/** Where a function's grants live: its role's policy (OrchestratorFunction's own role). */
function roleOf(fn: IFunction): IConstruct {
  return fn.role ?? fn;
}
