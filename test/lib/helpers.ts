import { fileURLToPath } from "node:url";
import { App, type CfnElement, Stack } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import type * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { ExecutionError, StateMachine as LocalStateMachine } from "aws-local-stepfunctions";
import type { AslDefinition } from "../../lib/asl/definition";
import { resolveDefinition } from "../../lib/asl/resolve";
import { OrchestratorStack, type OrchestratorStackProps } from "../../lib/stack";
import { sampleConfig } from "../fixtures/cdk/config";

/** A stack in an app that skips asset bundling (fast; the handlers need not exist). */
export function unbundledStack(id = "Test"): Stack {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  return new Stack(app, id, { env: { account: "123456789012", region: "us-east-1" } });
}

/** Stand-in handler entries (test/fixtures/cdk/functions/<name>/index.ts). */
export const FIXTURE_FUNCTIONS_DIR = fileURLToPath(
  new URL("../fixtures/cdk/functions", import.meta.url),
);

/** The resolved ASL of a state machine in a stack. */
export function definitionOf(stack: Stack, stateMachine: sfn.StateMachine): AslDefinition {
  const template = Template.fromStack(stack).toJSON() as {
    Resources: Record<string, { Type: string; Properties: Record<string, unknown> }>;
  };
  const logicalId = stack.getLogicalId(stateMachine.node.defaultChild as CfnElement);
  const resource = template.Resources[logicalId];
  if (!resource) throw new Error(`no resource ${logicalId}`);
  return resolveDefinition(resource.Properties.DefinitionString, template.Resources);
}

/** Runs a definition in aws-local-stepfunctions; failures come back as { error, cause }. */
export async function runLocally(
  definition: AslDefinition,
  input: unknown,
  handlers: Record<string, (input: unknown) => unknown>,
  options: { context?: Record<string, unknown>; waits?: string[]; retries?: string[] } = {},
): Promise<{ output?: unknown; error?: string; cause?: string }> {
  const machine = new LocalStateMachine(definition as never, {
    validationOptions: { checkArn: true, checkPaths: true },
  });
  const execution = machine.run(input as never, {
    overrides: {
      taskResourceLocalHandlers: handlers as never,
      waitTimeOverrides: Object.fromEntries((options.waits ?? []).map((w) => [w, 0])),
      retryIntervalOverrides: Object.fromEntries((options.retries ?? []).map((r) => [r, 0])),
    },
    context: options.context as never,
  });
  try {
    return { output: await execution.result };
  } catch (err) {
    if (err instanceof ExecutionError) {
      const cause = (err as { cause?: { name?: string; message?: string } }).cause;
      return { error: cause?.name, cause: cause?.message };
    }
    throw err;
  }
}

/**
 * The whole stack for `sampleConfig()` (or `props.config`), unbundled, with the stand-in
 * handler entries, and its template.
 */
export function orchestratorStack(props: Partial<OrchestratorStackProps> = {}) {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  const stack = new OrchestratorStack(app, "Orchestrator", {
    config: sampleConfig(),
    functionsDir: FIXTURE_FUNCTIONS_DIR,
    env: { account: "123456789012", region: "us-east-1" },
    ...props,
  });
  return { app, stack, template: Template.fromStack(stack) };
}
