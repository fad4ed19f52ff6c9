/**
 * Issue 11, point 6, end to end: Polytomic's failure text reaches every reader of a
 * failure. The synthesized definitions run in the local engine through
 * runPipelineLocally, the real handlers and the simulator over HTTP, on a virtual clock;
 * then the step reports, the `--json` document, the terminal summary, and the failure
 * notice the synthesized EventBridge rule would send for the pipeline's failed execution.
 */
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { App } from "aws-cdk-lib";
import { Template } from "aws-cdk-lib/assertions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsonReport, summaryText } from "../../../lib/cli/summary";
import type { PipelinesConfig } from "../../../lib/config/model";
import { type LocalRunResult, runPipelineLocally } from "../../../lib/local/runner";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { OrchestratorStack } from "../../../lib/stack";
import { parseScenario, type RunningSimulator, startSimulator } from "../../../simulator";
import { pipeline, step } from "../../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR } from "../helpers";

const BULK = "9f1c0d2e-0000-4000-8000-0000000000b1";
const MODEL = "9f1c0d2e-0000-4000-8000-0000000000a1";
const POLL = { strategy: "adaptive" as const, min_seconds: 10, max_seconds: 60 };

/** What the simulator says, for the steps' syncs (simulator/state.ts). */
const MODEL_TEXT = "Simulated failure: the destination rejected the batch (HTTP 500)";
const SCHEMA_TEXT = "Contact: Simulated failure in Contact";

const config: PipelinesConfig = {
  source: "/repo/pipelines.yaml",
  pipelines: [
    pipeline("nightly", [
      step("load", [], { sync_type: "bulk", sync: { id: BULK }, poll: POLL }),
      step("push", [], { sync: { id: MODEL }, poll: POLL }),
    ]),
  ],
};

const scenario = `
api_key: failure-text-key
syncs:
  ${BULK}:
    type: bulk
    duration_seconds: 120
    outcome: completed_with_errors
    schemas:
      - { name: Account, records: 10 }
      - { name: Contact, outcome: failed, errors: 2 }
  ${MODEL}:
    type: model
    duration_seconds: 90
    outcome: failed
`;

let sim: RunningSimulator;
let outDir: string;
let result: LocalRunResult;

beforeAll(async () => {
  const clock = new VirtualClock(Date.UTC(2026, 0, 5, 7, 0, 0));
  sim = await startSimulator({
    scenario: parseScenario(scenario, "failure-text.yaml"),
    clock,
    sleep: (ms: number) => clock.sleep(ms),
  });
  outDir = await mkdtemp(join(tmpdir(), "failure-text-"));
  result = await runPipelineLocally({
    config,
    pipeline: "nightly",
    polytomic: { baseUrl: sim.url, apiKey: "failure-text-key" },
    clock,
    outDir,
    executionName: "nightly-failure-text",
  });
});

afterAll(async () => {
  await sim?.close();
  if (outDir) await rm(outDir, { recursive: true, force: true });
});

function stepError(id: string) {
  return result.steps.find((s) => s.id === id)?.error;
}

describe("Polytomic's failure text, end to end", () => {
  it("ends each failed step's error message", () => {
    expect(result.status).toBe("failed");
    expect(stepError("push")).toEqual({
      name: "Sync.Failed",
      message: `model sync execution failed. Polytomic: ${MODEL_TEXT}`,
    });
    expect(stepError("load")?.name).toBe("Sync.SchemaErrors");
    expect(stepError("load")?.message).toMatch(/\. Polytomic: .*Contact: Simulated failure/);
  });

  it("is in the --json document and the terminal summary", () => {
    const json = jsonReport(result, outDir);
    const push = json.steps.find((s) => s.id === "push");
    expect(push?.error?.message).toContain(MODEL_TEXT);
    expect(json.steps.find((s) => s.id === "load")?.error?.message).toContain(SCHEMA_TEXT);

    const text = summaryText(result, { outDir, cwd: outDir, simulated: true });
    expect(text).toContain(
      `push failed: Sync.Failed: model sync execution failed. Polytomic: ${MODEL_TEXT}`,
    );
    expect(text).toContain(SCHEMA_TEXT);
  });

  /** The input transformer and pattern of the synthesized rule with this description. */
  function noticeRule(description: string) {
    const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
    const stack = new OrchestratorStack(app, "Orchestrator", {
      config,
      functionsDir: FIXTURE_FUNCTIONS_DIR,
      env: { account: "123456789012", region: "us-east-1" },
    });
    const rules = Template.fromStack(stack).findResources("AWS::Events::Rule", {
      Properties: { Description: description },
    });
    const rule = Object.values(rules)[0]?.Properties;
    return {
      transformer: rule.Targets[0].InputTransformer,
      inputPattern: rule.EventPattern.detail.input?.[0]?.wildcard as string | undefined,
    };
  }

  /** The event Step Functions sends for a failed execution: its error and cause. */
  function failedEvent(arn: string, name: string, error?: string, cause?: string, input?: string) {
    return {
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: { executionArn: arn, name, status: "FAILED", error, cause, input },
    };
  }

  it("is in the notice a failed step sends to its pipeline's alarm topic", () => {
    const { transformer, inputPattern } = noticeRule(
      "Pipeline nightly: send why a step failed to the alarm topic",
    );
    const push = result.executions.find((e) => e.name.startsWith("push-"));
    const started = push?.events.find((e) => e.type === "ExecutionStarted") as
      | { input?: unknown }
      | undefined;
    // The step's execution input as Step Functions keeps it (compact JSON) matches the
    // rule's wildcard filter for this pipeline, and not another pipeline's.
    const input = JSON.stringify(started?.input);
    expect(wildcardMatches(inputPattern ?? "", input)).toBe(true);
    expect(wildcardMatches(inputPattern ?? "", input.replace('"nightly"', '"nightly_eu"'))).toBe(
      false,
    );
    const arn = push?.executionArn ?? "";
    const event = failedEvent(arn, push?.name ?? "", push?.error, push?.cause, input);
    const notice = JSON.parse(transform(transformer, event)) as Record<string, string>;
    expect(notice.pipeline).toBe("nightly");
    expect(notice.error).toBe("Sync.Failed");
    expect(notice.cause).toContain(MODEL_TEXT);
    expect(notice.console).toBe(
      `https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/${arn}`,
    );
  });

  it("the pipeline's own notice names each failed step within the cause limit", () => {
    const { transformer } = noticeRule(
      "Pipeline nightly: send why an execution failed to the alarm topic",
    );
    const arn =
      "arn:aws:states:us-east-1:123456789012:execution:pipeline-nightly:nightly-failure-text";
    const event = failedEvent(
      arn,
      "nightly-failure-text",
      result.error?.name,
      result.error?.message,
    );
    const notice = JSON.parse(transform(transformer, event)) as Record<string, string>;
    expect(notice.pipeline).toBe("nightly");
    expect(notice.execution).toBe("nightly-failure-text");
    expect(notice.cause).toMatch(/"load":/);
    expect(notice.cause).toMatch(/"push":/);
  });
});

/** EventBridge's wildcard filter: `*` matches any run of characters. */
function wildcardMatches(pattern: string, value: string): boolean {
  const regex = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"));
  return new RegExp(`^${regex.join(".*")}$`, "s").test(value);
}

/**
 * EventBridge's input transformer as its API reference describes it, for a JSON
 * template: a placeholder outside quotes becomes the value's JSON, one inside a quoted
 * string the value's text (used here only for the ARN, which has no quotes).
 */
function transform(
  t: { InputPathsMap: Record<string, string>; InputTemplate: string },
  event: unknown,
): string {
  const lookup = (name: string): unknown =>
    (t.InputPathsMap[name] ?? "")
      .replace(/^\$\./, "")
      .split(".")
      .reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], event);
  let out = "";
  let inString = false;
  const tpl = t.InputTemplate;
  for (let i = 0; i < tpl.length; i++) {
    const c = tpl[i] ?? "";
    const end = c === "<" ? tpl.indexOf(">", i) : -1;
    if (end > i) {
      const value = lookup(tpl.slice(i + 1, end));
      out += inString ? String(value) : JSON.stringify(value ?? null);
      i = end;
      continue;
    }
    if (c === "\\") {
      out += c + (tpl[i + 1] ?? "");
      i++;
      continue;
    }
    if (c === '"') inString = !inString;
    out += c;
  }
  return out;
}
