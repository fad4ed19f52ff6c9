/**
 * Test harness for the handlers: the simulator over HTTP (ManualClock), the real
 * PolytomicClient, the real S3 and CloudWatch adapters over aws-sdk-client-mock, and a
 * logger that captures every line.
 */
import { CloudWatchClient, PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from "@aws-sdk/client-s3";
import { mockClient } from "aws-sdk-client-mock";
import { CloudWatchMetricsSink } from "../../functions/aws/cloudwatch";
import { S3LogSink } from "../../functions/aws/s3-sink";
import { makeHandler as checkHandler } from "../../functions/check-status";
import {
  type CheckResult,
  isStartPending,
  type RunState,
  type StartPending,
  type StartResult,
  type StepInput,
} from "../../functions/core/contract";
import { createDeps, type Deps } from "../../functions/core/deps";
import { JsonLogger } from "../../functions/core/logger";
import { partnerAccess } from "../../functions/core/partner-access";
import type { PolytomicApi, PolytomicPartnerApi } from "../../functions/core/ports";
import { Redactor } from "../../functions/core/redact";
import { PolytomicClient } from "../../functions/polytomic/client";
import { makeHandler as startHandler } from "../../functions/start-sync";
import { ManualClock, parseScenario, type RunningSimulator, startSimulator } from "../../simulator";

export const MODEL = "9f1c0d2e-0000-4000-8000-00000000000a";
export const BULK = "9f1c0d2e-0000-4000-8000-00000000000b";
export const KEY = "sim-secret-key-123";
export const BUCKET = "logs-bucket";

export interface Env {
  sim: RunningSimulator;
  clock: ManualClock;
  client: PolytomicClient;
  deps: Deps;
  lines: string[];
  /** Objects put to the mocked S3 bucket: key -> bytes. */
  s3Objects: Map<string, Buffer>;
  s3: ReturnType<typeof mockS3>;
  cloudwatch: ReturnType<typeof mockCloudWatch>;
  close(): Promise<void>;
}

export interface EnvOptions {
  /** Wraps the real client (to inject odd answers the simulator cannot give). */
  wrap?: (api: PolytomicApi) => PolytomicApi;
  /** Lambda time budget for every invocation. */
  budgetMs?: number;
  apiKey?: string;
  /** The simulator's sleep for delay faults. @default advances the ManualClock */
  simSleep?: (ms: number) => Promise<void>;
  /** Register the API key with the redactor. @default true */
  registerKey?: boolean;
  /**
   * The partner key of `deps.partner` (the partner fan-out); undefined: a partner access
   * whose source holds no partner key. Absent (the key not given at all): no `deps.partner`.
   */
  partnerKey?: string | undefined;
  /** Wraps each client of `deps.partner` (to inject answers the simulator cannot give). */
  wrapPartner?: (api: PolytomicApi & PolytomicPartnerApi) => PolytomicApi & PolytomicPartnerApi;
}

const mockS3 = () => mockClient(S3Client);
const mockCloudWatch = () => mockClient(CloudWatchClient);

function bytesOf(body: unknown): Buffer {
  if (typeof body === "string") return Buffer.from(body);
  if (body instanceof Uint8Array) return Buffer.from(body);
  throw new Error(`unexpected S3 body type ${typeof body}`);
}

export async function env(scenarioYaml: string, options: EnvOptions = {}): Promise<Env> {
  const clock = new ManualClock();
  const sim = await startSimulator({
    scenario: parseScenario(scenarioYaml, "test.yaml"),
    clock,
    // Every answer the handlers get is checked against the spec's response schemas.
    validateResponses: true,
    sleep: options.simSleep ?? (async (ms) => clock.advance(ms)),
  });
  const sleep = async (ms: number) => clock.advance(ms);
  const s3Objects = new Map<string, Buffer>();
  const parts = new Map<string, Buffer[]>();
  const s3 = mockS3();
  s3.on(PutObjectCommand).callsFake((input) => {
    s3Objects.set(input.Key, bytesOf(input.Body));
    return { ETag: '"etag"' };
  });
  s3.on(CreateMultipartUploadCommand).callsFake((input) => {
    parts.set(input.Key, []);
    return { UploadId: `upload-${input.Key}` };
  });
  s3.on(UploadPartCommand).callsFake((input) => {
    parts.get(input.Key)?.push(bytesOf(input.Body));
    return { ETag: `"part-${input.PartNumber}"` };
  });
  s3.on(CompleteMultipartUploadCommand).callsFake((input) => {
    s3Objects.set(input.Key, Buffer.concat(parts.get(input.Key) ?? []));
    return {};
  });
  const cloudwatch = mockCloudWatch();
  cloudwatch.on(PutMetricDataCommand).resolves({});

  const lines: string[] = [];
  const redactor = new Redactor();
  // As the secret store does in production; a test can leave it out to prove the key is
  // never written in the first place.
  if (options.registerKey !== false) redactor.register(options.apiKey ?? KEY);
  const logger = new JsonLogger({
    redactor,
    write: (l) => lines.push(l),
    level: "debug",
    now: () => new Date(clock.now()),
  });
  const clientFor = (apiKey: ConstructorParameters<typeof PolytomicClient>[0]["apiKey"]) =>
    new PolytomicClient({
      apiKey,
      baseUrl: sim.url,
      now: () => clock.now(),
      sleep,
      retry: { maxAttempts: 3, baseDelayMs: 10, maxDelayMs: 100 },
      logger: {
        debug: (msg, data) => logger.debug(msg, { ...data }),
        warn: (msg, data) => logger.warn(msg, { ...data }),
      },
    });
  const client = clientFor(options.apiKey ?? KEY);
  const wrapPartner = options.wrapPartner ?? ((api) => api);
  const partner =
    "partnerKey" in options
      ? partnerAccess({
          partnerKey: async () => options.partnerKey,
          source: "the test's secret",
          client: (apiKey) => wrapPartner(clientFor(apiKey)),
          redactor,
        })
      : undefined;

  const api = options.wrap ? options.wrap(client) : client;
  const deps = createDeps({
    polytomic: api,
    logs: new S3LogSink(new S3Client({ region: "us-east-1" }), BUCKET),
    metrics: new CloudWatchMetricsSink(new CloudWatchClient({ region: "us-east-1" }), { sleep }),
    clock,
    sleep,
    redactor,
    logger,
    config: { defaultBudgetMs: options.budgetMs ?? 600_000 },
    ...(partner ? { partner } : {}),
  });
  return {
    sim,
    clock,
    client,
    deps,
    lines,
    s3Objects,
    s3,
    cloudwatch,
    async close() {
      s3.restore();
      cloudwatch.restore();
      await sim.close();
    },
  };
}

/** A scenario with one model and one bulk sync; `model`/`bulk` add YAML lines to each. */
export function scenario(model = "", bulk = "", extra = ""): string {
  const indent = (s: string) =>
    s
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => `    ${l}`)
      .join("\n");
  return `api_key: ${KEY}
syncs:
  ${MODEL}:
    type: model
    name: Contacts to HubSpot
${indent(model)}
  ${BULK}:
    type: bulk
    name: Salesforce to Snowflake
${indent(bulk)}
${extra}`;
}

export function stepInput(overrides: Partial<StepInput> = {}): StepInput {
  return {
    pipeline: "nightly",
    step: "push_hubspot",
    execution_name: "exec-2025-01-01",
    sync_type: "model",
    sync: { id: MODEL },
    options: {},
    on_conflict: "attach",
    policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
    poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
    timeout_seconds: 3600,
    ...overrides,
  };
}

export function bulkInput(overrides: Partial<StepInput> = {}): StepInput {
  return stepInput({
    step: "load_salesforce",
    sync_type: "bulk",
    sync: { id: BULK },
    ...overrides,
  });
}

/** Captures the rejection of a promise (fails the test when it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected a rejection");
}

/**
 * For `EnvOptions.wrap`: the real client, but `name` answered by `impl`, which gets the
 * real call (to pass through, alter its answer, or answer something the simulator
 * cannot).
 */
export function answering<K extends keyof PolytomicApi>(
  name: K,
  impl: (
    real: PolytomicApi[K],
    ...args: Parameters<PolytomicApi[K]>
  ) => ReturnType<PolytomicApi[K]>,
): (api: PolytomicApi) => PolytomicApi {
  return (api) =>
    new Proxy(api, {
      get(target, prop, receiver) {
        const v = Reflect.get(target, prop, receiver);
        if (typeof v !== "function") return v;
        const real = v.bind(target);
        if (prop !== name) return real;
        return (...args: Parameters<PolytomicApi[K]>) => impl(real, ...args);
      },
    });
}

/** A StartPending of the MODEL step, first tried at `at`, for handlers' input. */
export function pendingStart(at: number, overrides: Partial<StartPending> = {}): StartPending {
  return {
    pending: true,
    sync_id: MODEL,
    key_index: 1,
    errors: 1,
    waits: 0,
    first_try_at: new Date(at).toISOString(),
    retry_after_seconds: 5,
    reason: "the start was answered 503",
    ...overrides,
  };
}

/** A start-sync answer that must have started (or adopted) a run. */
export function started(r: StartResult | StartPending): StartResult {
  if (isStartPending(r)) throw new Error(`expected a started run, got a StartPending: ${r.reason}`);
  return r;
}

/**
 * Calls start-sync as the run-sync machine does: after a StartPending, lets
 * `retry_after_seconds` pass on the clock and calls it again with that answer at `start`.
 */
export async function startStep(
  e: Env,
  input: StepInput,
  maxCalls = 100,
): Promise<{ start: StartResult; pending: StartPending[] }> {
  const pending: StartPending[] = [];
  let state: StepInput & { start?: StartPending } = input;
  for (let i = 0; i < maxCalls; i++) {
    const r = await startHandler(e.deps)(state);
    if (!isStartPending(r)) return { start: r, pending };
    pending.push(r);
    e.clock.advance(r.retry_after_seconds * 1000);
    state = { ...input, start: r };
  }
  throw new Error(`not started after ${maxCalls} calls`);
}

/** Starts the step, then checks (advancing the clock by next_poll_seconds) until it ends. */
export async function runToEnd(
  e: Env,
  input: StepInput,
  maxChecks = 500,
): Promise<{ start: StartResult; checks: CheckResult[]; state: RunState }> {
  const { start } = await startStep(e, input);
  const checks: CheckResult[] = [];
  let state: RunState = { ...input, start };
  for (let i = 0; i < maxChecks; i++) {
    const check = await checkHandler(e.deps)(state);
    checks.push(check);
    state = { ...state, check };
    if (check.terminal || check.timed_out) return { start, checks, state };
    e.clock.advance(check.next_poll_seconds * 1000);
  }
  throw new Error(`not terminal after ${maxChecks} checks`);
}
