/**
 * The deployed end-to-end check: `npm run e2e:aws` (needs AWS credentials and a
 * bootstrapped account/region; never part of `npm test`).
 *
 * 1. deploys the simulator stack, then the orchestrator stack pointed at its Function URL
 *    (bin/e2e-app.ts; `cdk deploy` as a subprocess);
 * 2. starts every pipeline of e2e/expectations.ts, stops `e2e_abort` once its run is going;
 * 3. waits for the executions, for the simulator to have no run going, and (up to 10
 *    minutes) for the metrics and alarms to show;
 * 4. prints the pass/fail table (e2e/checks.ts) and exits 1 if any row failed;
 * 5. always empties the logs bucket and destroys both stacks.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { DeleteObjectsCommand, S3Client } from "@aws-sdk/client-s3";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import {
  DescribeExecutionCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from "@aws-sdk/client-sfn";
import { assess, type CheckRow, formatTable } from "../e2e/checks";
import {
  type Clients,
  collectEvidence,
  type Deployment,
  listKeys,
  type StartedRun,
  simulatorState,
} from "../e2e/collect";
import { E2E_OUTPUTS, E2E_STACKS } from "../e2e/constants";
import { EXPECTATIONS } from "../e2e/expectations";
import { parseSecret } from "../functions/aws/secrets";
import { REPO_ROOT } from "../lib/constructs/paths";
import type { SimulatorStateView } from "../simulator/lambda";

const run = promisify(execFile);
const APP = "npx tsx bin/e2e-app.ts";
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

async function cdk(args: string[]): Promise<void> {
  log(`cdk ${args.join(" ")}`);
  const child = run("npx", ["cdk", ...args, "--app", APP, "--require-approval", "never"], {
    cwd: REPO_ROOT,
    maxBuffer: 64 * 1024 * 1024,
    env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
  });
  child.child.stderr?.pipe(process.stderr);
  await child;
}

/** Deploys one stack and returns its outputs. */
async function deploy(
  stack: string,
  context: Record<string, string> = {},
): Promise<Record<string, string>> {
  const dir = await mkdtemp(join(tmpdir(), "e2e-outputs-"));
  try {
    const file = join(dir, "outputs.json");
    const ctx = Object.entries(context).flatMap(([k, v]) => ["-c", `${k}=${v}`]);
    await cdk(["deploy", stack, "--exclusively", "--outputs-file", file, ...ctx]);
    const all = JSON.parse(await readFile(file, "utf8")) as Record<string, Record<string, string>>;
    return all[stack] ?? {};
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** Polls `done` every `everyMs` until it returns true or `ms` passed; returns whether it did. */
async function waitFor(
  what: string,
  ms: number,
  everyMs: number,
  done: () => Promise<boolean>,
): Promise<boolean> {
  const deadline = Date.now() + ms;
  for (;;) {
    // A throttled or failed call (the one-instance simulator answers 429 when busy) is
    // "not yet": the next poll tries again.
    const ok = await done().catch((err: unknown) => {
      log(`waiting for ${what}: ${err instanceof Error ? err.message : String(err)}`);
      return false;
    });
    if (ok) return true;
    if (Date.now() > deadline) {
      log(`gave up waiting for ${what}`);
      return false;
    }
    await sleep(everyMs);
  }
}

async function deployAll(secrets: SecretsManagerClient): Promise<Deployment> {
  const sim = await deploy(E2E_STACKS.simulator);
  const simulatorUrl = (sim[E2E_OUTPUTS.simulatorUrl] ?? "").replace(/\/+$/, "");
  const secretArn = sim[E2E_OUTPUTS.apiKeySecretArn] ?? "";
  const out = await deploy(E2E_STACKS.orchestrator, {
    polytomicApiUrl: simulatorUrl,
    apiKeySecretArn: secretArn,
  });
  const secret = await secrets.send(new GetSecretValueCommand({ SecretId: secretArn }));
  const alarmNames: Record<string, string> = {};
  for (const [key, value] of Object.entries(out)) {
    if (key.startsWith(E2E_OUTPUTS.alarms)) Object.assign(alarmNames, JSON.parse(value));
  }
  return {
    simulatorUrl,
    apiKey: parseSecret(secret.SecretString) ?? "",
    pipelines: JSON.parse(out[E2E_OUTPUTS.pipelines] ?? "{}") as Record<string, string>,
    alarmNames,
    logsBucket: out[E2E_OUTPUTS.logsBucket] ?? "",
    logsPrefix: out[E2E_OUTPUTS.logsPrefix] ?? "",
  };
}

/** Starts every pipeline; stops the ones that say so once their run is going. */
async function runPipelines(clients: Clients, deployment: Deployment): Promise<StartedRun[]> {
  const stamp = new Date()
    .toISOString()
    .replace(/[^0-9]/g, "")
    .slice(0, 14);
  const runs: StartedRun[] = [];
  for (const pipeline of Object.keys(EXPECTATIONS)) {
    const arn = deployment.pipelines[pipeline];
    if (!arn) throw new Error(`the stack has no state machine for pipeline ${pipeline}`);
    const executionName = `e2e-${stamp}-${pipeline}`;
    const started = await clients.sfn.send(
      new StartExecutionCommand({ stateMachineArn: arn, name: executionName, input: "{}" }),
    );
    runs.push({ pipeline, executionArn: started.executionArn ?? "", executionName });
    log(`started ${pipeline}: ${started.executionArn}`);
  }
  for (const r of runs) {
    const stop = EXPECTATIONS[r.pipeline]?.stop_when_running;
    if (!stop) continue;
    await waitFor(`${stop.step}'s run to start`, 5 * 60_000, 5_000, async () => {
      const state = await simulatorState(deployment);
      return state.executions.some(
        (e) => e.syncId === stop.sync_id && !e.history && e.status === "running",
      );
    });
    await clients.sfn.send(
      new StopExecutionCommand({
        executionArn: r.executionArn,
        error: "E2E.Aborted",
        cause: "the e2e check stops this execution while its run is going",
      }),
    );
    log(`stopped ${r.pipeline}`);
  }
  await waitFor("the executions to end", 25 * 60_000, 15_000, async () => {
    for (const r of runs) {
      const d = await clients.sfn.send(
        new DescribeExecutionCommand({ executionArn: r.executionArn }),
      );
      if (d.status === "RUNNING" || d.status === "PENDING_REDRIVE") return false;
    }
    return true;
  });
  return runs;
}

/** Collects and judges until every row passes or 10 minutes passed (metrics and alarms lag). */
async function check(
  clients: Clients,
  deployment: Deployment,
  runs: StartedRun[],
  start: Date,
  before: SimulatorStateView,
): Promise<CheckRow[]> {
  let rows: CheckRow[] = [];
  await waitFor("metrics, alarms and cancellations to show", 10 * 60_000, 30_000, async () => {
    const end = new Date(Date.now() + 60_000);
    const evidence = await collectEvidence(clients, deployment, runs, { start, end }, before, () =>
      simulatorState(deployment),
    );
    rows = assess(evidence);
    return rows.every((r) => r.pass);
  });
  return rows;
}

async function emptyBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = await listKeys(s3, bucket, "");
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
}

async function destroy(s3: S3Client, deployment: Deployment | undefined): Promise<void> {
  if (deployment?.logsBucket)
    await emptyBucket(s3, deployment.logsBucket).catch((e: unknown) =>
      log(`emptying the logs bucket failed: ${String(e)}`),
    );
  // The orchestrator stack first: it uses the simulator stack's secret and URL.
  await cdk([
    "destroy",
    E2E_STACKS.orchestrator,
    "--force",
    "-c",
    "polytomicApiUrl=https://destroy.invalid",
    "-c",
    "apiKeySecretArn=arn:aws:secretsmanager:us-east-1:000000000000:secret:destroy",
  ]);
  await cdk(["destroy", E2E_STACKS.simulator, "--force"]);
}

async function main(): Promise<number> {
  const clients: Clients = {
    sfn: new SFNClient({}),
    s3: new S3Client({}),
    cloudwatch: new CloudWatchClient({}),
  };
  let deployment: Deployment | undefined;
  try {
    deployment = await deployAll(new SecretsManagerClient({}));
    const target = deployment;
    let before: SimulatorStateView | undefined;
    await waitFor("the simulator to answer", 2 * 60_000, 5_000, async () => {
      before = await simulatorState(target);
      return true;
    });
    if (!before) throw new Error("the simulator's Function URL does not answer");
    const start = new Date(Date.now() - 60_000);
    const runs = await runPipelines(clients, deployment);
    const rows = await check(clients, deployment, runs, start, before);
    process.stdout.write(`${formatTable(rows)}\n`);
    return rows.every((r) => r.pass) ? 0 : 1;
  } finally {
    await destroy(clients.s3, deployment).catch((err: unknown) => {
      log(
        `destroying failed, delete the stacks ${E2E_STACKS.orchestrator} and ${E2E_STACKS.simulator} by hand: ${String(err)}`,
      );
      process.exitCode = 1;
    });
  }
}

main().then(
  (code) => process.exit(process.exitCode || code),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    process.exit(1);
  },
);
