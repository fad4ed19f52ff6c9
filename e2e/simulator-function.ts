/**
 * The Lambda entry of the deployed simulator (E2eSimulatorStack): the scenario comes from
 * `SIMULATOR_SCENARIO` (JSON, put there at synth from e2e/scenario.yaml), the key
 * from the generated secret `SIMULATOR_KEY_SECRET_ARN` (the same secret the orchestrator's
 * functions read: with the scenario's partner fan-out, `{"partner_key", "organization_id"}`,
 * whose key is the partner key), and simulator/lambda.ts serves Function URL requests.
 */
import { SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { requireEnv } from "../functions/aws/env";
import { SecretKeyStore } from "../functions/aws/secrets";
import { Redactor } from "../functions/core/redact";
import { keyOf } from "../functions/polytomic/client";
import { functionUrlHandler } from "../simulator/lambda";
import { parseScenario } from "../simulator/scenario";
import { SIMULATOR_ENV } from "./constants";

const scenario = parseScenario(requireEnv(process.env, SIMULATOR_ENV.scenario), "e2e scenario");
const keys = new SecretKeyStore({
  client: new SecretsManagerClient({}),
  secretArn: requireEnv(process.env, SIMULATOR_ENV.keySecretArn),
  redactor: new Redactor(),
});

export const handler = functionUrlHandler({
  scenario,
  apiKey: async () => keyOf(await keys.get()),
});
