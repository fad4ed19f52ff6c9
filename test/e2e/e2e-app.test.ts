/**
 * The deployed check's CDK app (bin/e2e-app.ts) synthesizes offline (local esbuild, no
 * Docker) into the two stacks the driver deploys, with what the driver relies on.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { Match, Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { E2E_OUTPUTS, E2E_STACKS, SIMULATOR_ENV } from "../../e2e/constants";
import { EXPECTATIONS } from "../../e2e/expectations";
import { PIPELINE_STATES } from "../../lib/constructs/pipeline-state-machine";
import type { FunctionUrlEvent, FunctionUrlResult } from "../../simulator/lambda";

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
    // docs/partners.md's form for a deployment mixing fan-out and single-organization
    // pipelines: the generated partner key, and the organization the latter run in.
    simulator.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: Match.objectLike({
        ExcludePunctuation: true,
        GenerateStringKey: "partner_key",
        SecretStringTemplate: JSON.stringify({
          organization_id: "e2e00000-0000-4000-8000-0000000000a0",
        }),
      }),
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

  it("bundles a simulator that boots from its environment and the secret, and serves a Function URL request", async () => {
    const [fn] = Object.values(simulator.findResources("AWS::Lambda::Function")) as Json[];
    if (!fn) throw new Error("no simulator function in the template");
    const variables = (fn.Properties as { Environment: { Variables: Record<string, unknown> } })
      .Environment.Variables;
    const asset = (fn.Metadata as Record<string, string>)["aws:asset:path"] ?? "";
    // Secrets Manager's endpoint, answering GetSecretValue as AWS does (the bundle's own SDK
    // client cannot be reached by aws-sdk-client-mock).
    const key = "generated-key-0123456789abcdef";
    const targets: string[] = [];
    const secrets = createServer((req, res) => {
      targets.push(String(req.headers["x-amz-target"]));
      req.resume().on("end", () => {
        res.writeHead(200, { "content-type": "application/x-amz-json-1.1" });
        res.end(
          JSON.stringify({
            ARN: SECRET,
            Name: "e2e-simulator-key",
            SecretString: JSON.stringify({
              organization_id: "e2e00000-0000-4000-8000-0000000000a0",
              partner_key: key,
            }),
            VersionId: "v1",
          }),
        );
      });
    });
    await new Promise<void>((r) => secrets.listen(0, "127.0.0.1", r));
    const saved = { ...process.env };
    try {
      Object.assign(process.env, {
        [SIMULATOR_ENV.scenario]: String(variables[SIMULATOR_ENV.scenario]),
        [SIMULATOR_ENV.keySecretArn]: SECRET,
        AWS_REGION: "us-east-1",
        AWS_ACCESS_KEY_ID: "AKIDEXAMPLE",
        AWS_SECRET_ACCESS_KEY: "example-secret-access-key",
        AWS_ENDPOINT_URL_SECRETS_MANAGER: `http://127.0.0.1:${(secrets.address() as AddressInfo).port}`,
      });
      const bundle = (await import(pathToFileURL(join(out, asset, "index.mjs")).href)) as {
        handler: (event: FunctionUrlEvent) => Promise<FunctionUrlResult>;
      };
      const state = await bundle.handler({
        rawPath: "/_e2e/state",
        headers: { authorization: `Bearer ${key}` },
        requestContext: { domainName: "x.lambda-url.us-east-1.on.aws", http: { method: "GET" } },
      });
      expect(state.statusCode).toBe(200);
      expect(Object.keys(JSON.parse(state.body).start_counts)).toContain(
        "e2e00000-0000-4000-8000-000000000008",
      );
      // The partner key from the secret reaches the partner endpoints as Bearer.
      const organizations = await bundle.handler({
        rawPath: "/api/organizations",
        headers: { authorization: `Bearer ${key}` },
        requestContext: { domainName: "x.lambda-url.us-east-1.on.aws", http: { method: "GET" } },
      });
      expect(organizations.statusCode).toBe(200);
      expect(targets).toEqual(["secretsmanager.GetSecretValue"]);
    } finally {
      process.env = saved;
      await new Promise<void>((r) => secrets.close(() => r()));
    }
  });
});
