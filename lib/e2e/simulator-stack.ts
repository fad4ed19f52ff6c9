import { readFileSync } from "node:fs";
import { join } from "node:path";
import { CfnOutput, Duration, RemovalPolicies, Stack, type StackProps } from "aws-cdk-lib";
import * as lambda from "aws-cdk-lib/aws-lambda";
import * as secretsmanager from "aws-cdk-lib/aws-secretsmanager";
import type { Construct } from "constructs";
import { parse as parseYaml } from "yaml";
import { E2E_OUTPUTS, SIMULATOR_ENV } from "../../e2e/constants";
import { OrchestratorFunction } from "../constructs/orchestrator-function";
import { REPO_ROOT } from "../constructs/paths";

export interface E2eSimulatorStackProps extends StackProps {
  /**
   * The simulator scenario file (YAML or JSON); its keys are ignored (the generated
   * secret's key is its `partner_key` when it has one, else its `api_key`).
   * @default - e2e/scenario.yaml
   */
  readonly scenarioFile?: string;
}

/** Lambda's limit on all of a function's environment variables together. */
const MAX_ENVIRONMENT_BYTES = 4096;

/**
 * The Polytomic simulator as a Lambda behind a Function URL, for the deployed end-to-end
 * check, and the secret holding its API key (generated; the orchestrator's functions read
 * the same secret).
 *
 * The Function URL has no IAM auth (`NONE`): the orchestrator's handlers call it as they
 * call Polytomic, with the Bearer key, which the simulator checks on every API route.
 * Reserved concurrency 1: the simulator's state (the runs it started) lives in the one
 * instance; a request arriving while it is busy gets a 429, which the handlers retry.
 * Everything is destroyed with the stack.
 */
export class E2eSimulatorStack extends Stack {
  readonly function: lambda.IFunction;
  readonly url: lambda.FunctionUrl;
  readonly apiKeySecret: secretsmanager.Secret;

  constructor(scope: Construct, id: string, props: E2eSimulatorStackProps = {}) {
    super(scope, id, props);
    const file = props.scenarioFile ?? join(REPO_ROOT, "e2e", "scenario.yaml");
    // Compact JSON of the file as written; the Lambda validates it with parseScenario.
    const parsed = parseYaml(readFileSync(file, "utf8")) as {
      partner_key?: unknown;
      organization_id?: unknown;
    };
    const scenario = JSON.stringify(parsed);
    if (Buffer.byteLength(scenario) > MAX_ENVIRONMENT_BYTES - 512) {
      throw new Error(
        `${file}: the scenario is ${Buffer.byteLength(scenario)} bytes as JSON; the simulator function carries it in an environment variable (Lambda allows 4 KB in all): shorten it`,
      );
    }
    this.apiKeySecret = new secretsmanager.Secret(this, "ApiKey", {
      description: "API key of the e2e Polytomic simulator (generated)",
      generateSecretString: {
        excludePunctuation: true,
        passwordLength: 40,
        ...partnerSecretForm(file, parsed),
      },
    });
    const fn = new OrchestratorFunction(this, "Simulator", {
      entry: join(REPO_ROOT, "e2e", "simulator-function.ts"),
      description: "Polytomic API simulator for the deployed end-to-end check",
      timeout: Duration.seconds(30),
      memorySize: 512,
      environment: {
        [SIMULATOR_ENV.scenario]: scenario,
        [SIMULATOR_ENV.keySecretArn]: this.apiKeySecret.secretArn,
      },
    });
    (fn.node.defaultChild as lambda.CfnFunction).reservedConcurrentExecutions = 1;
    this.apiKeySecret.grantRead(fn);
    this.function = fn;
    this.url = fn.addFunctionUrl({ authType: lambda.FunctionUrlAuthType.NONE });
    RemovalPolicies.of(this).destroy();

    new CfnOutput(this, E2E_OUTPUTS.simulatorUrl, { value: this.url.url });
    new CfnOutput(this, E2E_OUTPUTS.apiKeySecretArn, { value: this.apiKeySecret.secretArn });
  }
}

/**
 * With a partner fan-out in the scenario (`partner_key`), the secret takes docs/partners.md's
 * form for a deployment mixing fan-out and single-organization pipelines:
 * `{"partner_key": <generated>, "organization_id": <the scenario's default organization>}`,
 * so the single-organization pipelines run in that organization as HTTP Basic
 * `<organization id>:<partner key>`, and the fan-out's steps in theirs.
 */
function partnerSecretForm(
  file: string,
  scenario: { partner_key?: unknown; organization_id?: unknown },
): Pick<secretsmanager.SecretStringGenerator, "secretStringTemplate" | "generateStringKey"> {
  if (scenario.partner_key === undefined) return {};
  if (typeof scenario.organization_id !== "string") {
    throw new Error(
      `${file}: a scenario with partner_key needs organization_id (the organization the single-organization pipelines run in)`,
    );
  }
  return {
    secretStringTemplate: JSON.stringify({ organization_id: scenario.organization_id }),
    generateStringKey: "partner_key",
  };
}
