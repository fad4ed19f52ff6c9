/** The Polytomic API simulator: a library for tests and the engine of the `simulator` command. */
export { type Clock, ManualClock, ScaledClock, systemClock } from "./clock";
export { type EndpointName, FaultQueue, RandomFaults } from "./faults";
export { archiveText, bulkLogContent, modelLogContent, renderFile } from "./files";
export { SIGNED_URL_TTL_SECONDS } from "./routes";
export {
  emptyScenario,
  type FaultScenario,
  loadScenario,
  parseScenario,
  RANDOM_FAULT_KINDS,
  type RandomFaultKind,
  type RandomFaultsScenario,
  type Scenario,
  ScenarioError,
  type SchemaScenario,
  type SyncScenario,
} from "./scenario";
export { type ServeOptions, serve } from "./serve";
export {
  type RequestLogEntry,
  type RunningSimulator,
  type SimulatorOptions,
  startSimulator,
} from "./server";
export { validateResponse } from "./spec";
export { type SimulatorExecution, TERMINAL_STATUSES } from "./state";
