/**
 * The deployed check's CDK app (bin/e2e-app.ts) synthesizes offline (local esbuild, no
 * Docker) into the two stacks the driver deploys, with what the driver relies on.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_OUTPUTS, E2E_STACKS, SIMULATOR_ENV } from "../../e2e/constants";
import { EXPECTATIONS } from "../../e2e/expectations";
import { PIPELINE_STATES } from "../../lib/constructs/pipeline-state-machine";

const run = promisify(execFile);
const repo = join(import.meta.dirname, "..", "..");
const URL = "https://abcdefghijklmnop.lambda-url.us-east-1.on.aws";
const SECRET = "arn:aws:secretsmanager:us-east-1:123456789012:secret:e2e-simulator-key-AbCdEf";

type Json = Record<string, unknown>;
let out = "";
let simulator: Template;
let orchestrator: Template;
let orchestratorJson: {
  Outputs: Record<string, { Value: unknown }>;
  Resources: Record<string, Json>;
};

beforeAll(async () => {
  out = await mkdtemp(join(tmpdir(), "cdk-e2e-out-"));
  await run(
    "npx",
    [
      "cdk",
      "synth",
      "--app",
      "npx tsx bin/e2e-app.ts",
      "--quiet",
      "--output",
      out,
      "-c",
      `polytomicApiUrl=${URL}`,
      "-c",
      `apiKeySecretArn=${SECRET}`,
    ],
    { cwd: repo, timeout: 280_000, env: { ...process.env, CDK_DISABLE_VERSION_CHECK: "1" } },
  );
  const load = async (stack: string) =>
    JSON.parse(await readFile(join(out, `${stack}.template.json`), "utf8"));
  simulator = Template.fromJSON(await load(E2E_STACKS.simulator));
  orchestratorJson = await load(E2E_STACKS.orchestrator);
  orchestrator = Template.fromJSON(orchestratorJson);
}, 300_000);
afterAll(async () => {
  if (out) await rm(out, { recursive: true, force: true });
});

/** The literal text of an output (Fn::Join parts that are strings), to read its keys. */
function literal(value: unknown): string {
  if (typeof value === "string") return value;
  const join = (value as { "Fn::Join"?: [string, unknown[]] })["Fn::Join"];
  return join ? join[1].map((p) => (typeof p === "string" ? p : '"ref"')).join("") : "";
}

describe("the e2e CDK app", () => {
  it("puts the simulator behind an unauthenticated Function URL, one instance, keyed by a generated secret", () => {
    simulator.hasResourceProperties("AWS::Lambda::Function", {
      ReservedConcurrentExecutions: 1,
      Environment: {
        Variables: {
          [SIMULATOR_ENV.scenario]: Match.stringLikeRegexp("e2e00000-0000-4000-8000-000000000008"),
          [SIMULATOR_ENV.keySecretArn]: Match.anyValue(),
        },
      },
    });
    simulator.hasResourceProperties("AWS::Lambda::Url", { AuthType: "NONE" });
    simulator.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({ ExcludePunctuation: true }),
    });
    simulator.hasOutput(E2E_OUTPUTS.simulatorUrl, {});
    simulator.hasOutput(E2E_OUTPUTS.apiKeySecretArn, {});
  });

  it("points the orchestrator's functions at the simulator and its secret", () => {
    orchestrator.hasResourceProperties("AWS::Lambda::Function", {
      Environment: {
        Variables: Match.objectLike({ POLYTOMIC_API_URL: URL, POLYTOMIC_SECRET_ARN: SECRET }),
      },
    });
  });

  it("leaves nothing behind on destroy (every resource Delete)", () => {
    for (const template of [simulator.toJSON(), orchestratorJson]) {
      const kept = Object.entries(template.Resources as Record<string, Json>).filter(
        ([, r]) => r.Type !== "AWS::CDK::Metadata" && r.DeletionPolicy !== "Delete",
      );
      expect(kept.map(([id]) => id)).toEqual([]);
    }
  });

  it("outputs every pipeline and every alarm the expectations name, and the gate they attach through", () => {
    const pipelines = literal(orchestratorJson.Outputs[E2E_OUTPUTS.pipelines]?.Value);
    for (const name of Object.keys(EXPECTATIONS)) expect(pipelines).toContain(`"${name}"`);
    const alarms = Object.entries(orchestratorJson.Outputs)
      .filter(([k]) => k.startsWith(E2E_OUTPUTS.alarms))
      .map(([, o]) => literal(o.Value))
      .join("");
    const paths = Object.entries(EXPECTATIONS).flatMap(([p, e]) => [
      ...e.alarms_in_alarm,
      ...Object.keys(e.steps).map((s) => `Pipeline-${p}/StepFailed-${s}`),
    ]);
    for (const path of [...paths, "DeadLetters-Cancellations"])
      expect(alarms).toContain(`"${path}"`);
    orchestrator.hasOutput(E2E_OUTPUTS.logsBucket, {});
    const gate = EXPECTATIONS.e2e_gate?.attach;
    const definitions = JSON.stringify(
      orchestrator.findResources("AWS::StepFunctions::StateMachine"),
    );
    expect(definitions).toContain(PIPELINE_STATES.gate(gate?.dependency ?? "", gate?.step ?? ""));
  });
});
