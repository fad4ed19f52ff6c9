/**
 * The CDK app of the deployed end-to-end check (`npm run e2e:aws`, scripts/e2e-aws.ts):
 * `npx cdk --app "npx tsx bin/e2e-app.ts" ...`.
 *
 * Stacks:
 * - `PolytomicE2eSimulator`: the simulator behind a Function URL and its key's secret;
 * - `PolytomicE2e`: the orchestrator stack for e2e/pipelines.yaml, only when the context
 *   gives `polytomicApiUrl` and `apiKeySecretArn` (the simulator stack's outputs).
 */
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { E2E_STACKS } from "../e2e/constants";
import { loadPipelinesConfig } from "../lib/config/load";
import { REPO_ROOT } from "../lib/constructs/paths";
import { e2eOrchestratorStack } from "../lib/e2e/orchestrator-stack";
import { E2eSimulatorStack } from "../lib/e2e/simulator-stack";

const app = new App();
const context = (key: string): string | undefined => {
  const value: unknown = app.node.tryGetContext(key);
  return typeof value === "string" && value.length > 0 ? value : undefined;
};

new E2eSimulatorStack(app, E2E_STACKS.simulator, {
  description: "Polytomic orchestrator: simulator for the deployed end-to-end check",
});
const polytomicApiUrl = context("polytomicApiUrl");
const apiKeySecretArn = context("apiKeySecretArn");
if (polytomicApiUrl && apiKeySecretArn) {
  e2eOrchestratorStack(app, E2E_STACKS.orchestrator, {
    config: loadPipelinesConfig(join(REPO_ROOT, "e2e", "pipelines.yaml")),
    polytomicApiUrl,
    apiKeySecretArn,
  });
}
app.synth();
