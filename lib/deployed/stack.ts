/**
 * Finds a deployed pipeline's state machine from the stack's name and the pipeline's:
 * the stack tags each pipeline machine (lib/deployed/tags.ts), so listing the region's
 * state machines (states:ListStateMachines, pages of up to 1000) and reading their tags
 * (states:ListTagsForResource) is enough; no CloudFormation access is needed.
 */
import {
  ListStateMachinesCommand,
  ListTagsForResourceCommand,
  type SFNClient,
  type StateMachineListItem,
} from "@aws-sdk/client-sfn";
import { EnvironmentError } from "../cli/args";
import { PIPELINE_TAG, STACK_TAG } from "./tags";

/** Tag reads at once: gentle on the API's rate limit. */
const CONCURRENCY = 4;

/** A pipeline machine of the stack. */
export interface DeployedPipeline {
  pipeline: string;
  stateMachineArn: string;
}

/** Every Standard state machine of the region, all pages. */
async function standardMachines(client: SFNClient): Promise<StateMachineListItem[]> {
  const machines: StateMachineListItem[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new ListStateMachinesCommand({ maxResults: 1000, ...(nextToken ? { nextToken } : {}) }),
    );
    machines.push(...(page.stateMachines ?? []).filter((m) => m.type !== "EXPRESS"));
    nextToken = page.nextToken;
  } while (nextToken);
  return machines;
}

/** The stack's pipeline machines, by their tags. */
export async function stackPipelines(
  client: SFNClient,
  stack: string,
): Promise<DeployedPipeline[]> {
  const machines = await standardMachines(client);
  const found: DeployedPipeline[] = [];
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < machines.length; i = next++) {
      const arn = machines[i]?.stateMachineArn;
      if (arn === undefined) continue;
      const { tags } = await client.send(new ListTagsForResourceCommand({ resourceArn: arn }));
      const tag = (key: string) => tags?.find((t) => t.key === key)?.value;
      const pipeline = tag(PIPELINE_TAG);
      if (pipeline !== undefined && tag(STACK_TAG) === stack) {
        found.push({ pipeline, stateMachineArn: arn });
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, machines.length) }, worker));
  return found.sort((a, b) => a.pipeline.localeCompare(b.pipeline));
}

/** Where to look: the client (of the region) and the stack's name. */
export interface StackTarget {
  client: SFNClient;
  stack: string;
  /** For messages: the region asked of. */
  region: string;
}

/**
 * The state machine of `pipeline` in the target's stack.
 * @throws EnvironmentError naming the stack's pipelines (or saying it has none here)
 */
export async function findPipelineMachine(target: StackTarget, pipeline: string): Promise<string> {
  const { stack, region } = target;
  const pipelines = await stackPipelines(target.client, stack);
  const match = pipelines.find((p) => p.pipeline === pipeline);
  if (match) return match.stateMachineArn;
  const known = pipelines.map((p) => p.pipeline).join(", ");
  throw new EnvironmentError(
    pipelines.length === 0
      ? `no pipeline of stack "${stack}" is deployed in ${region} (no state machine is tagged ${STACK_TAG}=${stack}); check --stack and AWS_REGION`
      : `stack "${stack}" in ${region} has no pipeline "${pipeline}" (it has: ${known})`,
  );
}
