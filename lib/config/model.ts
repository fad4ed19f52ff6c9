/**
 * The typed, validated, defaults-applied form of pipelines.yaml. The loader
 * (lib/config/load.ts) parses and validates the file into these shapes; everything
 * downstream (constructs, local runner, CLI) reads only these.
 */
import type {
  BulkStartOptions,
  ConflictPolicy,
  FailurePolicy,
  ModelStartOptions,
  OrganizationsSpec,
  PollSettings,
  RunAfter,
  SyncRef,
  SyncType,
} from "../../functions/core/contract";
import type { FreshnessInput } from "../../functions/core/freshness";

export interface ScheduleConfig {
  /** Standard 5-field cron, as written. Exactly one of cron and rate. */
  cron?: string;
  /** `rate(5 minutes)`-style rate expression, as written. */
  rate?: string;
  /** IANA time zone. Default "UTC". */
  timezone: string;
  /** EventBridge Scheduler expression (`cron(0 2 ? * MON-FRI *)` or `rate(...)`). */
  expression: string;
}

export interface StepConfig {
  id: string;
  sync_type: SyncType;
  sync: SyncRef;
  options: ModelStartOptions | BulkStartOptions;
  after: string[];
  run_after: RunAfter;
  on_conflict: ConflictPolicy;
  policy: FailurePolicy;
  poll: PollSettings;
  /** Default 6 hours, capped by the pipeline timeout. */
  timeout_seconds: number;
}

/** A pipeline that runs once per organization of a Polytomic partner (issue 15). */
export interface FanOutConfig {
  /** As written: uuids or names, all, or a shared connection's (the resolver's input). */
  organizations: OrganizationsSpec;
  /** Organizations run at once (the Map's MaxConcurrency). Default 10. */
  max_concurrent: number;
  /** The pipeline fails when any (default) or all of its organizations failed. */
  fail_when: "any" | "all";
}

export interface PipelineConfig {
  name: string;
  description?: string;
  schedule?: ScheduleConfig;
  /** Whole-pipeline budget. Default 12 hours. */
  timeout_seconds: number;
  notify: string[];
  /** In file order; dependencies are in `after`. */
  steps: StepConfig[];
  /** Set only with `organizations:`: the steps run once per organization. */
  fan_out?: FanOutConfig;
}

/** `freshness:`: the freshness function's input, and how often it runs. */
export interface FreshnessConfig extends FreshnessInput {
  /** Default 15 minutes. */
  check_every_seconds: number;
}

export interface PipelinesConfig {
  /** Absolute path of the file it came from. */
  source: string;
  pipelines: PipelineConfig[];
  freshness?: FreshnessConfig;
}
