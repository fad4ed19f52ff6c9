/**
 * The synthesized state machine definitions, as plain ASL with placeholder ARNs, for
 * the local runner (lib/local): it runs them in aws-local-stepfunctions and binds its
 * task handlers by state name through `taskFunctions`.
 */
import { App, type CfnElement } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { type AslDefinition, allStates } from "../asl/definition";
import { LOCAL_ENV, resolveDefinition } from "../asl/resolve";
import type { PipelinesConfig } from "../config/model";
import { OrchestratorStack } from "../stack";
import type { FunctionName, RESOLVE_ORGANIZATIONS_FUNCTION } from "./paths";

export interface SynthesizedDefinitions {
  /** The run-sync machine (one step's run). */
  readonly runSync: AslDefinition;
  /** Each pipeline's machine, by pipeline name. */
  readonly pipelines: Record<string, AslDefinition>;
  /** The Lambda function each run-sync Task state invokes, by state name. */
  readonly taskFunctions: Record<string, FunctionName>;
  /** Placeholder ARN of the run-sync machine (the `StateMachineArn` of pipeline child tasks). */
  readonly runSyncArn: string;
  /**
   * The wait-for-step machine (a gate's wait) and its placeholder ARN (the
   * `StateMachineArn` of gate tasks); present only when some pipeline has gates.
   */
  readonly waitForStep?: { readonly definition: AslDefinition; readonly arn: string };
  /**
   * The per-organization machine of each pipeline with `organizations:` (its DAG; the
   * pipeline's own machine is then the fan-out) and its placeholder ARN (the
   * `StateMachineArn` of the fan-out's Map task), by pipeline name.
   */
  readonly organizations: Record<
    string,
    { readonly definition: AslDefinition; readonly arn: string }
  >;
  /** The Lambda function each pipeline machine's Task state invokes (resolve-organizations), by state name. */
  readonly pipelineTaskFunctions: Record<string, typeof RESOLVE_ORGANIZATIONS_FUNCTION>;
}

export interface SynthesizeOptions {
  /**
   * Directory holding the handler entries (only their existence is checked: bundling is skipped).
   * @default - the repository's functions/ directory
   */
  readonly functionsDir?: string;
  /**
   * Synthesize the stack with webhooks: the run-sync machine then waits on a task token
   * between checks (docs/webhooks.md), which the local runner emulates (lib/local/task-tokens.ts).
   * @default false
   */
  readonly webhooks?: boolean;
}

/**
 * Synthesizes the stack for `config` and returns the resolved definitions. Only what the
 * local runner reads is produced: no asset bundling, no tree metadata, and none of
 * aws-cdk-lib's built-in CloudFormation template validation (a WebAssembly engine that
 * was most of a local run's synth time). The deployed app (bin/app.ts) keeps every check:
 * the built-in validation and cdk-nag.
 */
export function synthesizeDefinitions(
  config: PipelinesConfig,
  options: SynthesizeOptions = {},
): SynthesizedDefinitions {
  const app = new App({
    context: { "aws:cdk:bundling-stacks": [] },
    builtinCloudFormationValidation: false,
    treeMetadata: false,
  });
  const stack = new OrchestratorStack(app, "Local", {
    config,
    functionsDir: options.functionsDir,
    env: LOCAL_ENV,
    ...(options.webhooks ? { webhooks: {} } : {}),
  });
  const resources = Template.fromStack(stack).toJSON().Resources as Record<
    string,
    { Type: string; Properties: Record<string, unknown> }
  >;
  const idOf = (element: unknown) => stack.getLogicalId(element as CfnElement);
  const definitionOf = (logicalId: string): AslDefinition => {
    const resource = resources[logicalId];
    if (!resource) throw new Error(`synthesizeDefinitions: no resource ${logicalId}`);
    return resolveDefinition(resource.Properties.DefinitionString, resources, LOCAL_ENV);
  };
  const runSyncId = idOf(stack.runSync.stateMachine.node.defaultChild);
  const runSync = definitionOf(runSyncId);

  const functionByArn = new Map<string, FunctionName>();
  for (const [name, fn] of Object.entries(stack.functions.all)) {
    functionByArn.set(
      `arn:aws:lambda:${LOCAL_ENV.region}:${LOCAL_ENV.account}:function:${idOf(fn.node.defaultChild)}`,
      name as FunctionName,
    );
  }
  const taskFunctions: Record<string, FunctionName> = {};
  for (const [name, state] of allStates(runSync)) {
    const fn =
      state.Type === "Task" && state.Resource ? functionByArn.get(state.Resource) : undefined;
    if (fn) taskFunctions[name] = fn;
  }
  const machineArn = (logicalId: string) =>
    `arn:aws:states:${LOCAL_ENV.region}:${LOCAL_ENV.account}:stateMachine:${logicalId}`;
  const waitId = stack.waitForStep
    ? idOf(stack.waitForStep.stateMachine.node.defaultChild)
    : undefined;
  const pipelines: Record<string, AslDefinition> = {};
  const organizations: Record<string, { definition: AslDefinition; arn: string }> = {};
  const pipelineTaskFunctions: Record<string, typeof RESOLVE_ORGANIZATIONS_FUNCTION> = {};
  const resolverArn = stack.resolveOrganizations
    ? `arn:aws:lambda:${LOCAL_ENV.region}:${LOCAL_ENV.account}:function:${idOf(stack.resolveOrganizations.node.defaultChild)}`
    : undefined;
  for (const [name, machine] of Object.entries(stack.pipelines)) {
    pipelines[name] = definitionOf(idOf(machine.stateMachine.node.defaultChild));
    for (const [state, definition] of allStates(pipelines[name])) {
      if (resolverArn !== undefined && definition.Resource === resolverArn) {
        pipelineTaskFunctions[state] = "resolve-organizations";
      }
    }
    if (machine.organizationMachine) {
      const id = idOf(machine.organizationMachine.node.defaultChild);
      organizations[name] = { definition: definitionOf(id), arn: machineArn(id) };
    }
  }
  return {
    runSync,
    pipelines,
    taskFunctions,
    organizations,
    pipelineTaskFunctions,
    runSyncArn: machineArn(runSyncId),
    ...(waitId
      ? { waitForStep: { definition: definitionOf(waitId), arn: machineArn(waitId) } }
      : {}),
  };
}
