import { createHash } from "node:crypto";
import { Duration, Stack, Validations } from "aws-cdk-lib";
import * as cw from "aws-cdk-lib/aws-cloudwatch";
import * as cwActions from "aws-cdk-lib/aws-cloudwatch-actions";
import * as events from "aws-cdk-lib/aws-events";
import * as eventsTargets from "aws-cdk-lib/aws-events-targets";
import * as iam from "aws-cdk-lib/aws-iam";
import type * as lambda from "aws-cdk-lib/aws-lambda";
import type * as logs from "aws-cdk-lib/aws-logs";
import * as scheduler from "aws-cdk-lib/aws-scheduler";
import * as schedulerTargets from "aws-cdk-lib/aws-scheduler-targets";
import type * as sns from "aws-cdk-lib/aws-sns";
import { Construct } from "constructs";
import type { FreshnessInput, FreshSync } from "../../functions/core/freshness";
import {
  FRESHNESS_METRICS,
  FRESHNESS_NOTICE_TOPIC_ENV,
  FRESHNESS_SCHEMA_DIMENSION,
  FRESHNESS_SYNC_DIMENSION,
  METRIC_NAMESPACE,
} from "../../functions/core/freshness-metrics";
import { formatConfigDuration } from "../config/duration";
import type { FreshnessConfig } from "../config/model";
import { OrchestratorFunction } from "./orchestrator-function";
import { FRESHNESS_FUNCTION, FRESHNESS_NOTICE_FUNCTION, functionEntry } from "./paths";
import { grantPutMetrics, grantSecretRead, type SyncFunctions } from "./sync-functions";

export interface FreshnessProps {
  /** The pipelines file's `freshness:`. */
  readonly config: FreshnessConfig;
  /** Where the API key secret, its key and the Polytomic environment come from. */
  readonly functions: SyncFunctions;
  /** Where the alarms notify. */
  readonly alarmTopic: sns.ITopic;
  /**
   * The dashboard the ages are shown on, against their limits.
   * @default - no widgets
   */
  readonly dashboard?: cw.Dashboard;
  /**
   * Whether the check runs and its alarms notify. Off while the API key secret is empty:
   * every check would fail, and every alarm (missing data breaches) would page.
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Retention of the function's log group.
   * @default logs.RetentionDays.ONE_MONTH
   */
  readonly logRetention?: logs.RetentionDays;
  /**
   * Directory holding the handler entries, `<dir>/freshness/index.ts`.
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
}

/**
 * EventBridge Scheduler's limit on a target's `Input` is not documented as a number in
 * the API reference; EventBridge rules' is 8192 characters. The check's input (the watched
 * syncs) must fit that, so a pipelines file that does not is refused at synth.
 */
export const MAX_INPUT_CHARACTERS = 8192;

/** Time the notice function has: a page should not wait, and the reads are bounded anyway. */
const NOTICE_TIMEOUT = Duration.minutes(2);

/** How long an undelivered or failing notice is retried before its loss alarms. */
const NOTICE_MAX_AGE = Duration.hours(1);

/** CloudWatch's longest alarm name. */
const MAX_ALARM_NAME = 255;

/** Evaluation periods (of check_every) that must breach: one late check never pages. */
const PERIODS_TO_ALARM = 2;

/**
 * The freshness check (issue 14.2): one function, run every `check_every` by EventBridge
 * Scheduler with the watched syncs as its input, that publishes each sync's and schema's
 * SyncAgeSeconds; one alarm per sync and per schema (Maximum > max_age over two check
 * periods, missing data breaching: a sync that never succeeded, could not be read, or a
 * check that stopped running is never shown fresh); one alarm on syncs it could not read;
 * and dashboard widgets with the ages against their limits.
 *
 * The notice (issue 14): an age alarm's own notification could only quote the age
 * datapoint, so those alarms have no SNS action; instead an EventBridge rule on their
 * "CloudWatch Alarm State Change" to ALARM (matched by the alarm-name prefix this
 * construct gives them, `<stack>/freshness/`: one pattern for any number of alarms, well
 * under EventBridge's 2,048-character pattern quota, which a list of alarm ARNs is not)
 * runs the freshness-notice function with the watched syncs and the alarm's `detail`. It
 * re-reads that sync's last success and publishes to the alarm topic the sync's name and
 * id, the schema, when it last succeeded (or "never succeeded", or why it could not be
 * read), the age and max_age, and where to look: one message per alarm, no double page.
 * A notice that is lost is not silent: Lambda's AsyncEventsDropped (the function failed on
 * every attempt, or its event expired) and the rule's FailedInvocations (EventBridge could
 * not invoke it) each alarm the topic through CloudWatch's own SNS action.
 */
export class Freshness extends Construct {
  readonly function: lambda.IFunction;
  /** Sends an age alarm's notice to the alarm topic (its only notification). */
  readonly noticeFunction: lambda.IFunction;
  /** Runs noticeFunction when an age alarm goes into ALARM. */
  readonly noticeRule: events.Rule;
  /** The prefix of every age alarm's name, which noticeRule matches. */
  readonly alarmNamePrefix: string;
  readonly schedule: scheduler.Schedule;
  /** The role the schedule invokes the function with (that function only). */
  readonly scheduleRole: iam.Role;
  /** One per watched sync and schema, then the unreadable alarm. */
  readonly alarms: cw.Alarm[] = [];

  constructor(scope: Construct, id: string, props: FreshnessProps) {
    super(scope, id);
    const { config, functions } = props;
    const input: FreshnessInput = {
      syncs: config.syncs,
      max_api_calls: config.max_api_calls,
      max_pages: config.max_pages,
    };
    // The notice rule's input template is the same input with the alarm's detail.
    const text = JSON.stringify({ ...input, alarm: "<detail>" });
    if (text.length > MAX_INPUT_CHARACTERS) {
      throw new Error(
        `freshness: the watched syncs take ${text.length} characters as the check's and the notice's input, more than ${MAX_INPUT_CHARACTERS}: watch fewer syncs or schemas, or name syncs by id`,
      );
    }
    // Stack names hold only letters, digits and hyphens: no other stack's alarms share it.
    this.alarmNamePrefix = `${Stack.of(this).stackName}/freshness/`;
    const fn = new OrchestratorFunction(this, "Function", {
      entry: functionEntry(FRESHNESS_FUNCTION, props.functionsDir),
      description: "Reads each watched Polytomic sync's last success and publishes its age",
      timeout: Duration.minutes(5),
      environment: { ...functions.polytomicEnvironment },
      logRetention: props.logRetention,
    });
    grantSecretRead(fn, functions.apiKeySecret, functions.apiKeySecretEncryptionKey);
    grantPutMetrics(fn);
    this.function = fn;
    const every = Duration.seconds(config.check_every_seconds);
    this.scheduleRole = new iam.Role(this, "ScheduleRole", {
      assumedBy: new iam.ServicePrincipal("scheduler.amazonaws.com"),
      description: "Invokes the freshness function on its schedule",
    });
    this.schedule = new scheduler.Schedule(this, "Schedule", {
      description: `Checks the freshness of ${config.syncs.length} Polytomic sync(s)`,
      schedule: scheduler.ScheduleExpression.rate(every),
      timeWindow: scheduler.TimeWindow.off(),
      enabled: props.enabled ?? true,
      // A missed check is followed by the next one: no retries, no dead letters.
      target: new schedulerTargets.LambdaInvoke(fn, {
        input: scheduler.ScheduleTargetInput.fromObject(input),
        role: this.scheduleRole,
        retryAttempts: 0,
        maxEventAge: every,
      }),
    });
    this.addAlarms(config, every, props);
    this.noticeFunction = this.makeNoticeFunction(props);
    this.noticeRule = this.addNoticeRule(input, props);
    this.addNoticeLossAlarms(props);
    if (props.dashboard) props.dashboard.addWidgets(...this.widgets(config, every));
  }

  /** The age alarms (no action: the notice rule pages) and the unreadable alarm (to the topic). */
  private addAlarms(config: FreshnessConfig, every: Duration, props: FreshnessProps): void {
    const action = new cwActions.SnsAction(props.alarmTopic);
    const enabled = props.enabled ?? true;
    for (const sync of config.syncs) {
      for (const target of targets(sync)) {
        const alarm = ageMetric(sync, target.schema, every).createAlarm(
          this,
          alarmId(sync, target.schema),
          {
            alarmName: alarmName(this.alarmNamePrefix, sync, target.schema),
            alarmDescription: describeAlarm(sync, target),
            threshold: target.max_age_seconds,
            comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
            evaluationPeriods: PERIODS_TO_ALARM,
            datapointsToAlarm: PERIODS_TO_ALARM,
            treatMissingData: cw.TreatMissingData.BREACHING,
            actionsEnabled: enabled,
          },
        );
        this.alarms.push(alarm);
      }
    }
    const unreadable = checkMetric(FRESHNESS_METRICS.unreadable, every).createAlarm(
      this,
      "Unreadable",
      {
        alarmDescription:
          "The freshness check could not read some syncs' last success (an API error, an unknown sync name, or max_api_calls / max_pages reached): its log lines 'sync unreadable' give each reason.",
        threshold: 0,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        // Each sync's own alarm already breaches when the check stops publishing.
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        actionsEnabled: enabled,
      },
    );
    unreadable.addAlarmAction(action);
    this.alarms.push(unreadable);
  }

  /** The freshness-notice function: reads the secret, publishes to the alarm topic only. */
  private makeNoticeFunction(props: FreshnessProps): lambda.IFunction {
    const { functions, alarmTopic } = props;
    const fn = new OrchestratorFunction(this, "NoticeFunction", {
      entry: functionEntry(FRESHNESS_NOTICE_FUNCTION, props.functionsDir),
      description:
        "Sends a freshness alarm's notice: the sync, when it last succeeded, its age and max_age",
      timeout: NOTICE_TIMEOUT,
      environment: {
        ...functions.polytomicEnvironment,
        [FRESHNESS_NOTICE_TOPIC_ENV]: alarmTopic.topicArn,
      },
      logRetention: props.logRetention,
    });
    grantSecretRead(fn, functions.apiKeySecret, functions.apiKeySecretEncryptionKey);
    // sns:Publish on that topic, and its KMS key's GenerateDataKey*/Decrypt (encrypted topic).
    alarmTopic.grantPublish(fn);
    Validations.of(fn.role ?? fn).acknowledge({
      id: "AwsSolutions::AwsSolutions-IAM5[Action::kms:GenerateDataKey*]",
      reason:
        "Publishing to the KMS-encrypted alarm topic needs kms:GenerateDataKey* (CDK's grantPublish); the grant is on the topic's one key only.",
    });
    fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: NOTICE_MAX_AGE });
    return fn;
  }

  /** The rule that runs the notice when one of this construct's age alarms goes into ALARM. */
  private addNoticeRule(input: FreshnessInput, props: FreshnessProps): events.Rule {
    return new events.Rule(this, "NoticeRule", {
      description:
        "A freshness alarm went into ALARM: send its notice (the sync, when it last succeeded)",
      enabled: props.enabled ?? true,
      eventPattern: {
        source: ["aws.cloudwatch"],
        detailType: ["CloudWatch Alarm State Change"],
        detail: {
          alarmName: events.Match.prefix(this.alarmNamePrefix),
          state: { value: ["ALARM"] },
        },
      },
      targets: [
        new eventsTargets.LambdaFunction(this.noticeFunction, {
          event: events.RuleTargetInput.fromObject({
            ...input,
            alarm: events.EventField.fromPath("$.detail"),
          }),
          retryAttempts: 8,
          maxEventAge: NOTICE_MAX_AGE,
        }),
      ],
    });
  }

  /** A lost notice pages through CloudWatch's own action: dropped by Lambda, or never delivered. */
  private addNoticeLossAlarms(props: FreshnessProps): void {
    const action = new cwActions.SnsAction(props.alarmTopic);
    const lost = (id: string, metric: cw.Metric, why: string) => {
      const alarm = metric.createAlarm(this, id, {
        alarmDescription: `A freshness alarm's notice was lost: ${why}. Look in the CloudWatch console for the alarms named ${this.alarmNamePrefix}… in ALARM, and run polytomic-orchestrator freshness --live.`,
        threshold: 0,
        comparisonOperator: cw.ComparisonOperator.GREATER_THAN_THRESHOLD,
        evaluationPeriods: 1,
        treatMissingData: cw.TreatMissingData.NOT_BREACHING,
        actionsEnabled: props.enabled ?? true,
      });
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    };
    const period = Duration.minutes(5);
    lost(
      "NoticeDropped",
      this.noticeFunction.metric("AsyncEventsDropped", { statistic: cw.Stats.SUM, period }),
      "the notice function failed on every attempt, or its event expired (see its log)",
    );
    lost(
      "NoticeUndelivered",
      new cw.Metric({
        namespace: "AWS/Events",
        metricName: "FailedInvocations",
        dimensionsMap: { RuleName: this.noticeRule.ruleName },
        statistic: cw.Stats.SUM,
        period,
      }),
      "EventBridge could not run the notice function",
    );
  }

  /** A header, one graph per sync (its age and its schemas', each limit a line), the check's own. */
  private widgets(config: FreshnessConfig, every: Duration): cw.IWidget[] {
    const graphs = config.syncs.map(
      (sync) =>
        new cw.GraphWidget({
          title: `Age since last success: ${sync.label}`,
          width: 12,
          left: targets(sync).map((t) =>
            ageMetric(sync, t.schema, every).with({ label: t.schema ?? sync.label }),
          ),
          leftYAxis: { min: 0, label: "seconds" },
          leftAnnotations: targets(sync).map((t) => ({
            value: t.max_age_seconds,
            label: `max_age ${t.schema ?? "sync"}: ${formatConfigDuration(t.max_age_seconds)}`,
            color: cw.Color.RED,
          })),
        }),
    );
    const check = new cw.GraphWidget({
      title: "Freshness check: API calls and unreadable syncs",
      width: 12,
      left: [checkMetric(FRESHNESS_METRICS.apiCalls, every)],
      leftAnnotations: [{ value: config.max_api_calls, label: "max_api_calls" }],
      right: [checkMetric(FRESHNESS_METRICS.unreadable, every)],
    });
    return [
      new cw.TextWidget({
        markdown: `## Freshness\nAge of each watched sync's last success, checked every ${formatConfigDuration(config.check_every_seconds)}; red lines are the limits.`,
        width: 24,
        height: 2,
      }),
      ...graphs,
      check,
    ];
  }
}

/** The sync itself (no schema), then each of its watched schemas. */
function targets(sync: FreshSync): { schema?: string; max_age_seconds: number }[] {
  return [{ max_age_seconds: sync.max_age_seconds }, ...sync.schemas];
}

function ageMetric(sync: FreshSync, schema: string | undefined, every: Duration): cw.Metric {
  return new cw.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: FRESHNESS_METRICS.age.name,
    dimensionsMap: {
      [FRESHNESS_SYNC_DIMENSION]: sync.label,
      ...(schema !== undefined ? { [FRESHNESS_SCHEMA_DIMENSION]: schema } : {}),
    },
    statistic: cw.Stats.MAXIMUM,
    period: every,
  });
}

function checkMetric(metric: { name: string }, every: Duration): cw.Metric {
  return new cw.Metric({
    namespace: METRIC_NAMESPACE,
    metricName: metric.name,
    statistic: cw.Stats.MAXIMUM,
    period: every,
  });
}

/** A construct id per sync and schema (sync names may hold any character). */
function alarmId(sync: FreshSync, schema: string | undefined): string {
  return `Stale-${sync.type}-${sync.label}${schema === undefined ? "" : `-${schema}`}`;
}

/**
 * An age alarm's name: `prefix` (which the notice rule matches), the type, and the label
 * and schema as JSON strings (unambiguous whatever they hold; control characters escaped).
 * One over CloudWatch's 255 characters is cut and ends with a hash of the whole, to stay unique.
 */
export function alarmName(prefix: string, sync: FreshSync, schema: string | undefined): string {
  const name = `${prefix}${sync.type} ${JSON.stringify(sync.label)}${schema === undefined ? "" : ` schema ${JSON.stringify(schema)}`}`;
  const chars = Array.from(name);
  if (chars.length <= MAX_ALARM_NAME) return name;
  const hash = createHash("sha256").update(name).digest("hex").slice(0, 12);
  return `${chars.slice(0, MAX_ALARM_NAME - hash.length - 1).join("")}~${hash}`;
}

function describeAlarm(
  sync: FreshSync,
  target: { schema?: string; max_age_seconds: number },
): string {
  const what =
    target.schema === undefined
      ? `${sync.type} sync "${sync.label}"`
      : `schema "${target.schema}" of bulk sync "${sync.label}"`;
  return `The ${what} has not succeeded within its max_age of ${formatConfigDuration(target.max_age_seconds)}, never succeeded, or could not be read. This alarm has no action of its own: going into ALARM, it sends the alarm topic a notice with the sync's name and id and when it last succeeded (the freshness-notice function; see its log if none came).`;
}
