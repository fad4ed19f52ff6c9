/**
 * The CDK app: `npx cdk synth` (cdk.json runs this file with tsx).
 *
 * Context:
 * - `pipelinesFile`: the pipelines file (default `pipelines.yaml` at the repo root);
 * - `stackName`: the stack's name (default `PolytomicOrchestrator`);
 * - `polytomicApiUrl`: a non-default Polytomic API base URL;
 * - `apiKeySecretArn`: use an existing Secrets Manager secret for the API key;
 * - `apiKeySecretKmsKeyArn`: the customer-managed KMS key that secret is encrypted with
 *   (the functions get `kms:Decrypt` on it); without `apiKeySecretArn`, the key the
 *   created secret is encrypted with;
 * - `schedulesEnabled`: `true`/`false`; default true with `apiKeySecretArn`, false when
 *   the stack creates the (empty) secret, so nothing fires before the key is in it;
 * - `logsExpirationDays`: how long exported run logs are kept (default 90);
 * - `webhooks`: `true` deploys the webhook receiver and its event bus (default false:
 *   opt-in until Polytomic's signature format is confirmed); `webhookSignatureAlgorithm`
 *   picks the signature it checks (docs/webhooks.md).
 *
 * A bad pipelines file prints every problem (file, pipeline, step, field) and exits 1;
 * so does a context value that cannot be used.
 */
import { isAbsolute, join } from "node:path";
import { App, type Duration, Validations } from "aws-cdk-lib";
import { AwsSolutionsChecks } from "cdk-nag";
import {
  ContextError,
  logsExpirationFrom,
  schedulesEnabledFrom,
  webhooksFrom,
} from "../lib/app-context";
import { ConfigError, formatProblem, loadPipelinesConfig } from "../lib/config/load";
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
    const problems = error.problems.map((problem) => formatProblem(problem)).join("\n");
    process.stderr.write(`The pipelines file cannot be used:\n${problems}\n`);
    process.exit(1);
  }
  throw error;
}

let logsExpiration: Duration | undefined;
let schedulesEnabled: boolean | undefined;
let webhooks: ReturnType<typeof webhooksFrom>;
try {
  logsExpiration = logsExpirationFrom(app.node.tryGetContext("logsExpirationDays"));
  schedulesEnabled = schedulesEnabledFrom(app.node.tryGetContext("schedulesEnabled"));
  webhooks = webhooksFrom(
    app.node.tryGetContext("webhooks"),
    app.node.tryGetContext("webhookSignatureAlgorithm"),
  );
} catch (error) {
  if (error instanceof ContextError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(1);
  }
  throw error;
}

new OrchestratorStack(app, context("stackName") ?? "PolytomicOrchestrator", {
  config,
  polytomicApiUrl: context("polytomicApiUrl"),
  apiKeySecretArn: context("apiKeySecretArn"),
  apiKeySecretKmsKeyArn: context("apiKeySecretKmsKeyArn"),
  schedulesEnabled,
  logsExpiration,
  webhooks,
  description: "Polytomic orchestrator: scheduled, dependency-ordered Polytomic syncs",
});

Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
app.synth();
