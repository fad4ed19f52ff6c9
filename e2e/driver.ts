/**
 * The deployed end-to-end check's sequence (scripts/e2e-aws.ts runs it with real clients
 * and `cdk` subprocesses; tests run it with fakes):
 *
 * 1. deploy the simulator stack, then the orchestrator stack pointed at its Function URL;
 * 2. start every pipeline of EXPECTATIONS; stop the ones that say so once their run is going;
 * 3. wait for the executions to end;
 * 4. collect and judge until every row passes or 10 minutes passed (metrics, alarms and
 *    cancellations lag behind the executions);
 * 5. always: empty the logs bucket, destroy the orchestrator stack, then the simulator's.
 */
import { DeleteObjectsCommand, type S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, type SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { parseSecret } from "../functions/aws/secrets";
import { keyOf } from "../functions/polytomic/client";
import type { SimulatorStateView } from "../simulator/lambda";
import { assess, type CheckRow } from "./checks";
import {
  type Clients,
  collectEvidence,
  type Deployment,
  listKeys,
  type StartedRun,
} from "./collect";
import { E2E_OUTPUTS, E2E_STACKS } from "./constants";
import { EXPECTATIONS, type PipelineExpectation } from "./expectations";

export interface DriverDeps {
  clients: Clients;
  secrets: SecretsManagerClient;
  /** `cdk deploy <stack>` with the context; resolves to the stack's outputs. */
  deploy: (stack: string, context: Record<string, string>) => Promise<Record<string, string>>;
  /** `cdk destroy <stack>` (a stack that does not exist is not an error). */
  destroy: (stack: string) => Promise<void>;
  /** The simulator's state through its Function URL. */
  readSimulator: (deployment: Deployment) => Promise<SimulatorStateView>;
  now: () => number;
  sleep: (ms: number) => Promise<void>;
  log: (line: string) => void;
  /** @default EXPECTATIONS */
  expectations?: Record<string, PipelineExpectation>;
}

const MINUTE = 60_000;

/** Polls `done` until it returns true or `ms` passed; a call that throws counts as "not yet". */
export async function waitFor(
  deps: Pick<DriverDeps, "now" | "sleep" | "log">,
  what: string,
  ms: number,
  everyMs: number,
  done: () => Promise<boolean>,
): Promise<boolean> {
  const deadline = deps.now() + ms;
  for (;;) {
    // A throttled call (the one-instance simulator answers 429 when busy) is retried.
    const ok = await done().catch((err: unknown) => {
      deps.log(`waiting for ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    });
    if (ok) return true;
    if (deps.now() >= deadline) {
      deps.log(`gave up waiting for ${what}`);
      return false;
    }
    await deps.sleep(everyMs);
  }
}

/** Deploys both stacks; the deployment the outputs describe. */
export async function deployAll(deps: DriverDeps): Promise<Deployment> {
  const sim = await deps.deploy(E2E_STACKS.simulator, {});
  const simulatorUrl = (sim[E2E_OUTPUTS.simulatorUrl] ?? "").replace(/\/+$/, "");
  const secretArn = sim[E2E_OUTPUTS.apiKeySecretArn] ?? "";
  if (!simulatorUrl || !secretArn)
    throw new Error("the simulator stack has no URL or secret output");
  const out = await deps.deploy(E2E_STACKS.orchestrator, {
    polytomicApiUrl: simulatorUrl,
    apiKeySecretArn: secretArn,
  });
  const secret = await deps.secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const alarmNames: Record<string, string> = {};
  for (const [key, value] of Object.entries(out)) {
    if (key.startsWith(E2E_OUTPUTS.alarms)) Object.assign(alarmNames, JSON.parse(value));
  }
  return {
    simulatorUrl,
    apiKey: keyOf(parseSecret(secret.SecretString) ?? ""),
    pipelines: JSON.parse(out[E2E_OUTPUTS.pipelines] ?? "{}") as Record<string, string>,
    alarmNames,
    logsBucket: out[E2E_OUTPUTS.logsBucket] ?? "",
    logsPrefix: out[E2E_OUTPUTS.logsPrefix] ?? "",
  };
}

/** Starts every pipeline, each under a name unique to this run. */
async function startPipelines(deps: DriverDeps, deployment: Deployment): Promise<StartedRun[]> {
  const stamp = new Date(deps.now()).toISOString().replace(/\D/g, "").slice(0, 14);
  const runs: StartedRun[] = [];
  for (const pipeline of Object.keys(deps.expectations ?? EXPECTATIONS)) {
    const arn = deployment.pipelines[pipeline];
    if (!arn) throw new Error(`the stack has no state machine for pipeline ${pipeline}`);
    const executionName = `e2e-${stamp}-${pipeline}`;
    const started = await deps.clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: executionName, input: "{}" }),
    );
    runs.push({ pipeline, executionArn: started.executionArn ?? "", executionName });
    deps.log(`started ${pipeline}: ${started.executionArn}`);
  }
  return runs;
}

/** Stops each run whose expectation says so, once the simulator shows its run going. */
async function stopWhenRunning(
  deps: DriverDeps,
  deployment: Deployment,
  runs: readonly StartedRun[],
): Promise<void> {
  for (const r of runs) {
    const stop = (deps.expectations ?? EXPECTATIONS)[r.pipeline]?.stop_when_running;
    if (!stop) continue;
    await waitFor(deps, `${stop.step}'s run to start`, 5 * MINUTE, 5_000, async () => {
      const state = await deps.readSimulator(deployment);
      return state.executions.some(
        (e) => e.syncId === stop.sync_id && !e.history && e.status === "running",
      );
    });
    await deps.clients.sfn.send(
      new StopExecutionCommand({
        executionArn: r.executionArn,
        error: "E2E.Aborted",
        cause: "the e2e check stops this execution while its run is going",
      }),
    );
    deps.log(`stopped ${r.pipeline}`);
  }
}

/** Starts the pipelines, stops the ones to abort, and waits (25 minutes at most) for all to end. */
export async function runPipelines(
  deps: DriverDeps,
  deployment: Deployment,
): Promise<StartedRun[]> {
  const runs = await startPipelines(deps, deployment);
  await stopWhenRunning(deps, deployment, runs);
  await waitFor(deps, "the executions to end", 25 * MINUTE, 15_000, async () => {
    for (const r of runs) {
      const d = await deps.clients.sfn.send(
        new DescribeExecutionCommand({ executionArn: r.executionArn }),
      );
      if (d.status === "RUNNING" || d.status === "PENDING_REDRIVE") return false;
    }
    return true;
  });
  return runs;
}

/** Collects and judges until every row passes or 10 minutes passed. */
async function judge(
  deps: DriverDeps,
  deployment: Deployment,
  runs: StartedRun[],
  start: Date,
  before: SimulatorStateView,
): Promise<CheckRow[]> {
  let rows: CheckRow[] = [];
  await waitFor(
    deps,
    "metrics, alarms and cancellations to show",
    10 * MINUTE,
    30_000,
    async () => {
      const window = { start, end: new Date(deps.now() + MINUTE) };
      const evidence = await collectEvidence(
        deps.clients,
        deployment,
        runs,
        window,
        before,
        () => deps.readSimulator(deployment),
        deps.expectations,
      );
      rows = assess(evidence, deps.expectations);
      return rows.every((r) => r.pass);
    },
  );
  return rows;
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = await listKeys(s3, bucket, "");
  for (let i = 0; i < keys.length; i += 1000) {
    const objects = keys.slice(i, i + 1000).map((Key) => ({ Key }));
    await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: objects } }));
  }
}

/** Empties the logs bucket, then destroys the orchestrator stack (it uses the simulator's), then the simulator's. */
export async function destroyAll(
  deps: DriverDeps,
  deployment: Deployment | undefined,
): Promise<void> {
  if (deployment?.logsBucket) {
    await emptyBucket(deps.clients.s3, deployment.logsBucket).catch((err: unknown) =>
      deps.log(`emptying the logs bucket failed: ${String(err)}`),
    );
  }
  await deps.destroy(E2E_STACKS.orchestrator);
  await deps.destroy(E2E_STACKS.simulator);
}

/** The whole check; the rows judged (empty when it failed before judging, which throws). */
export async function runE2e(deps: DriverDeps): Promise<CheckRow[]> {
  let deployment: Deployment | undefined;
  try {
    deployment = await deployAll(deps);
    const target = deployment;
    let before: SimulatorStateView | undefined;
    await waitFor(deps, "the simulator to answer", 2 * MINUTE, 5_000, async () => {
      before = await deps.readSimulator(target);
      return true;
    });
    if (!before) throw new Error("the simulator's Function URL does not answer");
    const start = new Date(deps.now() - MINUTE);
    const runs = await runPipelines(deps, deployment);
    return await judge(deps, deployment, runs, start, before);
  } finally {
    await destroyAll(deps, deployment);
  }
}
