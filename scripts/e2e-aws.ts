/**
 * The deployed end-to-end check: `npm run e2e:aws` (needs AWS credentials and a
 * bootstrapped account/region; never part of `npm test`). The sequence is e2e/driver.ts:
 * deploy both stacks of bin/e2e-app.ts, run the e2e pipelines, judge through the AWS APIs,
 * print the pass/fail table, always destroy. Exit 1 when a row failed or the check could
 * not run.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { CloudWatchClient } from "@aws-sdk/client-cloudwatch";
import { S3Client } from "@aws-sdk/client-s3";
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { SFNClient } from "@aws-sdk/client-sfn";
import { formatTable } from "../e2e/checks";
import { simulatorState } from "../e2e/collect";
import { E2E_STACKS } from "../e2e/constants";
import { runE2e } from "../e2e/driver";
import { REPO_ROOT } from "../lib/constructs/paths";

const run = promisify(execFile);
const log = (line: string) => process.stderr.write(`[e2e] ${line}\n`);

/** `cdk <args>` on the e2e app, its progress on stderr. */
async function cdk(args: string[]): Promise<void> {
  log(`cdk ${args.join(" ")}`);
  const child = run(
    "npx",
    ["cdk", ...args, "--app", "npx tsx bin/e2e-app.ts", "--require-approval", "never"],
    {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" },
    },
  );
  child.child.stderr?.pipe(process.stderr);
  await child;
}

const contextArgs = (context: Record<string, string>) =>
  Object.entries(context).flatMap(([k, v]) => ["-c", `${k}=${v}`]);

async function deploy(stack: string, context: Record<string, string>) {
  const dir = await mkdtemp(join(tmpdir(), "e2e-outputs-"));
  try {
    const file = join(dir, "outputs.json");
    await cdk(["deploy", stack, "--exclusively", "--outputs-file", file, ...contextArgs(context)]);
    const all = JSON.parse(await readFile(file, "utf8")) as Record<string, Record<string, string>>;
    return all[stack] ?? {};
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The app defines the orchestrator stack only with context; any valid values do to destroy it. */
const DESTROY_CONTEXT = {
  polytomicApiUrl: "https://destroy.invalid",
  apiKeySecretArn: "arn:aws:secretsmanager:us-east-1:000000000000:secret:destroy-AbCdEf",
};

async function main(): Promise<number> {
  const rows = await runE2e({
    clients: { sfn: new SFNClient({}), s3: new S3Client({}), cloudwatch: new CloudWatchClient({}) },
    secrets: new SecretsManagerClient({}),
    deploy,
    destroy: (stack) =>
      cdk([
        "destroy",
        stack,
        "--force",
        ...(stack === E2E_STACKS.orchestrator ? contextArgs(DESTROY_CONTEXT) : []),
      ]),
    readSimulator: (deployment) => simulatorState(deployment),
    now: () => Date.now(),
    sleep: (ms) => new Promise<void>((r) => setTimeout(r, ms)),
    log,
  });
  process.stdout.write(`${formatTable(rows)}\n`);
  return rows.length > 0 && rows.every((r) => r.pass) ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    log(err instanceof Error ? (err.stack ?? err.message) : String(err));
    log(
      `if a stack is left, delete ${E2E_STACKS.orchestrator} and ${E2E_STACKS.simulator} by hand`,
    );
    process.exit(1);
  },
);
