/**
 * Names shared by the e2e CDK app (lib/e2e), the simulator Lambda's entry and the driver
 * (scripts/e2e-aws.ts). Constants only.
 */

/** Environment variable names of the simulator function. */
export const SIMULATOR_ENV = {
  scenario: "SIMULATOR_SCENARIO",
  keySecretArn: "SIMULATOR_KEY_SECRET_ARN",
} as const;

/** The stacks of the e2e app (bin/e2e-app.ts), deployed in this order. */
export const E2E_STACKS = {
  simulator: "PolytomicE2eSimulator",
  orchestrator: "PolytomicE2e",
} as const;

/** CloudFormation output keys the driver reads. */
export const E2E_OUTPUTS = {
  /** Simulator stack: the Function URL (no trailing slash). */
  simulatorUrl: "SimulatorUrl",
  /** Simulator stack: the secret holding the simulator's API key. */
  apiKeySecretArn: "ApiKeySecretArn",
  /** Orchestrator stack: JSON `{ <pipeline>: <state machine ARN> }`. */
  pipelines: "Pipelines",
  /**
   * Orchestrator stack: outputs `Alarms1`, `Alarms2`, ... each JSON
   * `{ <alarm construct path below Monitoring>: <alarm name> }`.
   */
  alarms: "Alarms",
  logsBucket: "LogsBucket",
  logsPrefix: "LogsPrefix",
} as const;
