/**
 * Turns a synthesized state machine definition (a CloudFormation `DefinitionString`,
 * usually an `Fn::Join` of literal text and references) into plain ASL JSON, with each
 * reference replaced by a placeholder ARN built from the resource's logical id.
 * Pure: used by the definitions helper for the local runner and by the tests.
 */

import type { AslDefinition } from "./definition";

export interface PlaceholderEnv {
  readonly account: string;
  readonly region: string;
}

/** The placeholder account and region (the local runner never calls AWS). */
export const LOCAL_ENV: PlaceholderEnv = { account: "123456789012", region: "us-east-1" };

type Resources = Record<string, { Type: string }>;

/** Placeholder ARN of a resource, as `Fn::GetAtt [id, Arn]` or `Ref` would give it. */
export function placeholderArn(logicalId: string, type: string, env: PlaceholderEnv): string {
  const at = `${env.region}:${env.account}`;
  switch (type) {
    case "AWS::Lambda::Function":
      return `arn:aws:lambda:${at}:function:${logicalId}`;
    case "AWS::StepFunctions::StateMachine":
      return `arn:aws:states:${at}:stateMachine:${logicalId}`;
    case "AWS::SNS::Topic":
      return `arn:aws:sns:${at}:${logicalId}`;
    case "AWS::SQS::Queue":
      return `arn:aws:sqs:${at}:${logicalId}`;
    default:
      return logicalId;
  }
}

const PSEUDO: Record<string, (env: PlaceholderEnv) => string> = {
  "AWS::Partition": () => "aws",
  "AWS::Region": (env) => env.region,
  "AWS::AccountId": (env) => env.account,
  "AWS::URLSuffix": () => "amazonaws.com",
};

/** Resolves a CloudFormation list: a literal list, or Fn::Split of a resolvable value. */
function resolveList(value: unknown, resources: Resources, env: PlaceholderEnv): string[] {
  if (Array.isArray(value)) return value.map((v) => resolveValue(v, resources, env));
  if (value && typeof value === "object" && "Fn::Split" in value) {
    const [sep, source] = (value as Record<string, unknown>)["Fn::Split"] as [string, unknown];
    return resolveValue(source, resources, env).split(sep);
  }
  throw new Error(`Cannot resolve the list ${JSON.stringify(value)} in a state machine definition`);
}

/**
 * Resolves a CloudFormation value made of literals, Fn::Join, Fn::Select (of a list or
 * Fn::Split), Fn::GetAtt (Arn) and Ref.
 */
export function resolveValue(value: unknown, resources: Resources, env: PlaceholderEnv): string {
  if (typeof value === "string") return value;
  if (value && typeof value === "object") {
    const obj = value as Record<string, unknown>;
    if ("Fn::Join" in obj) {
      const [sep, parts] = obj["Fn::Join"] as [string, unknown[]];
      return parts.map((p) => resolveValue(p, resources, env)).join(sep);
    }
    if ("Fn::Select" in obj) {
      const [index, list] = obj["Fn::Select"] as [number | string, unknown];
      const items = resolveList(list, resources, env);
      const item = items[Number(index)];
      if (item === undefined) throw new Error(`Fn::Select index ${index} out of range`);
      return item;
    }
    if ("Ref" in obj) {
      const ref = obj.Ref as string;
      const pseudo = PSEUDO[ref];
      if (pseudo) return pseudo(env);
      const resource = resources[ref];
      if (!resource) throw new Error(`Ref to unknown resource ${ref}`);
      return placeholderArn(ref, resource.Type, env);
    }
    if ("Fn::GetAtt" in obj) {
      const [id, attr] = obj["Fn::GetAtt"] as [string, string];
      const resource = resources[id];
      if (!resource) throw new Error(`Fn::GetAtt on unknown resource ${id}`);
      if (attr !== "Arn") return `${id}.${attr}`;
      return placeholderArn(id, resource.Type, env);
    }
  }
  throw new Error(`Cannot resolve ${JSON.stringify(value)} in a state machine definition`);
}

/** The ASL of a synthesized AWS::StepFunctions::StateMachine resource. */
export function resolveDefinition(
  definitionString: unknown,
  resources: Resources,
  env: PlaceholderEnv = LOCAL_ENV,
): AslDefinition {
  return JSON.parse(resolveValue(definitionString, resources, env)) as AslDefinition;
}
