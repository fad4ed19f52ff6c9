/**
 * The CDK app: `npx cdk synth` (cdk.json runs this file with tsx).
 *
 * Context:
 * - `pipelinesFile`: the pipelines file (default `pipelines.yaml` at the repo root);
 * - `stackName`: the stack's name (default `PolytomicOrchestrator`);
 * - `polytomicApiUrl`: a non-default Polytomic API base URL;
 * - `apiKeySecretArn`: use an existing Secrets Manager secret for the API key.
 *
 * A bad pipelines file prints every problem (file, pipeline, step, field) and exits 1.
 */
import { isAbsolute, join } from "node:path";
import { App, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import { ConfigError, loadPipelinesConfig } from "../lib/config/load";
import type { PipelinesConfig } from "../lib/config/model";
import { REPO_ROOT } from "../lib/constructs/paths";
import { OrchestratorStack } from "../lib/stack";

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === "string" && value.length > 0 ? value : undefined;
};

const file = context("pipelinesFile") ?? "pipelines.yaml";
const path = isAbsolute(file) ? file : join(REPO_ROOT, file);

let config: PipelinesConfig;
try {
  config = loadPipelinesConfig(path);
} catch (error) {
  if (error instanceof ConfigError) {
    process.stderr.write(`The pipelines file cannot be used:\n${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

new OrchestratorStack(app, context("stackName") ?? "PolytomicOrchestrator", {
  config,
  polytomicApiUrl: context("polytomicApiUrl"),
  apiKeySecretArn: context("apiKeySecretArn"),
  description: "Polytomic orchestrator: scheduled, dependency-ordered Polytomic syncs",
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
