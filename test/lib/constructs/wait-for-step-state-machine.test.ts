import aslValidator from "asl-validator";
import { Duration } from "aws-cdk-lib";
import { Match, Template } from "aws-cdk-lib/assertions";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { describe, expect, it } from "vitest";
import { Prng } from "../../../bench/prng";
import type { AslDefinition } from "../../../lib/asl/definition";
import { parsePipelinesConfig } from "../../../lib/config/load";
import type { PipelinesConfig } from "../../../lib/config/model";
import { synthesizeDefinitions } from "../../../lib/constructs/definitions";
import { gateSchedule, PIPELINE_STATES } from "../../../lib/constructs/pipeline-state-machine";
import {
  gateRetryPauses,
  WAIT_FOR_STEP_STATES as W,
  WaitForStepStateMachine,
} from "../../../lib/constructs/wait-for-step-state-machine";
import { runLocalExecution } from "../../../lib/local/engine";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { pipeline, sampleConfig, step } from "../../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR, unbundledStack } from "../helpers";

const gatedConfig = (): PipelinesConfig => {
  const config = sampleConfig();
  config.pipelines.push(
    pipeline("n_shape", [step("a"), step("b"), step("c", ["a", "b"]), step("d", ["b"])]),
  );
  return config;
};

const defs = synthesizeDefinitions(gatedConfig(), { functionsDir: FIXTURE_FUNCTIONS_DIR });
const definition = defs.waitForStep?.definition as AslDefinition;

/** The same machine for a pipeline with a 48 h timeout (maxWait). */
const longDefinition = (() => {
  const config = gatedConfig();
  const last = config.pipelines.at(-1);
  if (last) last.timeout_seconds = 48 * 3600;
  return synthesizeDefinitions(config, { functionsDir: FIXTURE_FUNCTIONS_DIR }).waitForStep
    ?.definition as AslDefinition;
})();

const ARN = "arn:aws:states:us-east-1:123456789012:execution:RunSync:p-1-b-0123";
const T0 = Date.UTC(2026, 0, 5, 7, 0, 0);
const INPUT = JSON.stringify({ step: "b", sync_type: "model", pipeline: "n_shape" });

class Named extends Error {
  constructor(
    override name: string,
    message = name,
  ) {
    super(message);
  }
}

/** What Describe answers, by call; the last answer repeats. */
type Answer = "missing" | "running" | { status: string; output?: unknown } | Error;

async function run(
  schedule: number[],
  describeAnswers: Answer[],
  attach: (request: { Name: string; Input: unknown }) => Promise<unknown>,
  machine: AslDefinition = definition,
) {
  const clock = new VirtualClock(T0);
  const describes: number[] = [];
  const attaches: Array<{ at: number; request: { Name: string; Input: unknown } }> = [];
  const result = await runLocalExecution(machine, {
    name: "gate-1",
    stateMachineName: "wait-for-step",
    input: { execution_arn: ARN, schedule },
    clock,
    tasks: {
      [W.describe]: async (input) => {
        expect(input).toEqual({ ExecutionArn: ARN });
        describes.push((clock.now() - T0) / 1000);
        const answer = describeAnswers[Math.min(describes.length, describeAnswers.length) - 1];
        if (answer instanceof Error) throw answer;
        if (answer === "missing") {
          throw new Named(
            "Sfn.ExecutionDoesNotExistException",
            `Execution Does Not Exist: '${ARN}'`,
          );
        }
        const base = { ExecutionArn: ARN, Name: "p-1-b-0123", Input: INPUT };
        if (answer === "running" || answer === undefined) return { ...base, Status: "RUNNING" };
        return {
          ...base,
          Status: answer.status,
          ...(answer.output === undefined ? {} : { Output: JSON.stringify(answer.output) }),
        };
      },
      [W.attach]: async (input) => {
        const request = input as { Name: string; Input: unknown };
        attaches.push({ at: (clock.now() - T0) / 1000, request });
        return attach(request);
      },
    },
  });
  return { result, describes, attaches };
}

const STEP_RESULT = { step: "b", sync_type: "model", status: "succeeded", outcome: "succeeded" };

describe("WaitForStepStateMachine definition", () => {
  it("is synthesized only with gates, passes asl-validator, and is JSONPath only", () => {
    const plain = synthesizeDefinitions(sampleConfig(), { functionsDir: FIXTURE_FUNCTIONS_DIR });
    expect(plain.waitForStep).toBeUndefined();
    expect(definition).toBeDefined();
    expect(aslValidator(definition).errorsText("\n")).toBe("");
    const text = JSON.stringify(definition);
    expect(text).not.toMatch(/JSONata|"Assign"|waitForTaskToken|"ItemProcessor"/);
    expect(definition.States[W.attach]).toMatchObject({
      Resource: "arn:aws:states:::states:startExecution.sync:2",
      Parameters: {
        StateMachineArn: defs.runSyncArn,
        "Name.$": "$.d.Name",
        "Input.$": "$.d.Input",
      },
    });
    // Every gate task of the pipeline starts this machine.
    const states = Object.fromEntries(
      Object.entries(defs.pipelines.n_shape?.States ?? {}).flatMap(([n, s]) =>
        [[n, s] as const].concat(
          (s.Branches ?? []).flatMap((b) => Object.entries(b.States) as Array<[string, typeof s]>),
        ),
      ),
    );
    expect(states[PIPELINE_STATES.gate("b", "c")]?.Parameters?.StateMachineArn).toBe(
      defs.waitForStep?.arn,
    );
  });

  it("logs, traces and times out after maxWait; its role describes and attaches to run-sync executions", () => {
    const stack = unbundledStack();
    const runSync = sfn.StateMachine.fromStateMachineName(stack, "RunSync", "run-sync");
    new WaitForStepStateMachine(stack, "Wait", { runSync, maxWait: Duration.hours(12) });
    const template = Template.fromStack(stack);
    template.hasResourceProperties("AWS::StepFunctions::StateMachine", {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: "ALL", IncludeExecutionData: true }),
    });
    const [resource] = Object.values(template.findResources("AWS::StepFunctions::StateMachine"));
    expect(JSON.stringify(resource?.Properties.DefinitionString)).toContain(
      '\\"TimeoutSeconds\\":43200',
    );
    template.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: "states:DescribeExecution",
            Resource: {
              "Fn::Join": [
                "",
                Match.arrayWith([Match.stringLikeRegexp(":execution:run-sync\\*$")]),
              ],
            },
          }),
          Match.objectLike({ Action: "states:StartExecution" }),
        ]),
      },
    });
    expect(
      () => new WaitForStepStateMachine(stack, "Bad", { runSync, maxWait: Duration.days(400) }),
    ).toThrow(/maxWait must be between 1 second and 365 days/);
  });
});

describe("WaitForStepStateMachine in the local engine", () => {
  it("retries Describe while the child does not exist (one transition a check), then attaches once and outputs its result", async () => {
    const { result, describes, attaches } = await run(
      [10, 20, 30],
      [
        "missing",
        "missing",
        "missing",
        "missing",
        "missing",
        "running",
        { status: "SUCCEEDED", output: STEP_RESULT },
      ],
      async (request) => {
        await new Promise((r) => setTimeout(r, 0));
        return { Status: "SUCCEEDED", Output: STEP_RESULT, Name: request.Name };
      },
    );
    expect(result.status).toBe("SUCCEEDED");
    expect(result.output).toEqual({ status: "SUCCEEDED", result: STEP_RESULT });
    // Checks at once, then after 15 s growing 30% a retry: 15, 19.5, 25.35, 32.96, 42.84.
    const at = [0, 15, 34.5, 59.85, 92.805, 135.647];
    expect(describes.slice(0, 6).map((t) => Math.round(t))).toEqual(at.map(Math.round));
    // The waiting was Describe's retries: no Wait, Last entry? or Back off was entered.
    const entered = result.events.flatMap((e) => (e.type === "StateEntered" ? [e.state.name] : []));
    expect(entered).toEqual([
      W.init,
      W.describe,
      W.status,
      W.attach,
      W.describe,
      W.status,
      W.succeeded,
    ]);
    expect(result.events.filter((e) => e.type === "StateRetried")).toHaveLength(5);
    // Attached once, to the same name with the described Input string itself.
    expect(attaches).toEqual([
      {
        at: describes[5],
        request: { StateMachineArn: defs.runSyncArn, Name: "p-1-b-0123", Input: INPUT },
      },
    ]);
    expect(describes).toHaveLength(7);
  });

  it("past its retries, waits on the schedule (and the retries start again, as the local engine does)", async () => {
    const retries = gateRetryPauses();
    const { result, describes } = await run(
      [10, 20, 30],
      [
        ...Array.from({ length: retries.length + 2 }, () => "missing" as const),
        { status: "SUCCEEDED", output: STEP_RESULT },
      ],
      async () => ({}),
      longDefinition,
    );
    expect(result.output).toEqual({ status: "SUCCEEDED", result: STEP_RESULT });
    const round = retries.reduce((a, b) => a + b, 0);
    // The first attempt and its 99 retries, then the schedule's first entry (10 s), then
    // Describe again (its first retry 15 s later sees the child).
    expect(describes).toHaveLength(retries.length + 3);
    expect(describes[retries.length]).toBeCloseTo(round, 0);
    expect(describes[retries.length + 1]).toBeCloseTo(round + 10, 0);
    expect(describes[retries.length + 2]).toBeCloseTo(round + 25, 0);
    expect(round / 3600).toBeGreaterThan(14);
  });

  it("a skip child it could not attach to (other input, ended meanwhile): looks again after the current entry", async () => {
    const skipped = { ...STEP_RESULT, status: "skipped", outcome: "skipped" };
    const { result, describes, attaches } = await run(
      gateSchedule(10, 600),
      ["running", { status: "SUCCEEDED", output: skipped }],
      async () => {
        throw new Named("StepFunctions.ExecutionAlreadyExistsException");
      },
    );
    expect(result.output).toEqual({ status: "SUCCEEDED", result: skipped });
    expect(attaches).toHaveLength(1);
    expect(describes).toEqual([0, 10]);
  });

  it("attaches only once: should .sync:2 return before the child ends, it polls on the schedule instead", async () => {
    const { result, describes, attaches } = await run(
      [10, 20, 30],
      ["running", "running", "running", "running", { status: "SUCCEEDED", output: STEP_RESULT }],
      // The undocumented case going the other way: Attach returns at once.
      async (request) => ({ Status: "RUNNING", ExecutionArn: ARN, Name: request.Name }),
    );
    expect(result.output).toEqual({ status: "SUCCEEDED", result: STEP_RESULT });
    expect(attaches.map((a) => a.at)).toEqual([0]);
    // After the attach returned: Describe at once, then on the schedule (10, 20, 30 s).
    expect(describes).toEqual([0, 0, 10, 30, 60]);
  });

  it("a failed dependency: outputs failed with the child's status", async () => {
    for (const status of ["FAILED", "TIMED_OUT", "ABORTED"]) {
      const { result } = await run([10], ["running", { status }], async () => {
        throw new Named("States.TaskFailed", "child failed");
      });
      expect(result.output).toEqual({
        status,
        result: { status: "failed", child_status: status },
      });
    }
  });

  it("fails (after its retries) when the child cannot be described, rather than guess", async () => {
    const { result, describes, attaches } = await run(
      [10],
      [new Named("Sfn.SfnException", "boom")],
      async () => ({}),
    );
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe("Sfn.SfnException");
    expect(describes).toHaveLength(7); // the first attempt and 6 retries
    expect(attaches).toEqual([]);
  });
});

/** bench/scale.ts's 200-step pipeline: 100 loads, 100 pushes each after 1-3 loads. */
function scaleConfig(): PipelinesConfig {
  const rng = new Prng(200);
  const half = 100;
  const steps: Array<{ id: string; after: string[] }> = [];
  for (let i = 0; i < half; i++) steps.push({ id: `load_${i}`, after: [] });
  for (let i = 0; i < half; i++) {
    const deps = new Set<number>();
    const n = rng.int(1, 3);
    while (deps.size < n) deps.add(rng.int(0, half - 1));
    steps.push({ id: `push_${i}`, after: [...deps].sort((a, b) => a - b).map((d) => `load_${d}`) });
  }
  const syncId = (i: number) => `d0000000-0000-4000-8000-${String(i + 1).padStart(12, "0")}`;
  const lines = ["pipelines:", "  scale:", "    timeout: 48h", "    steps:"];
  steps.forEach((s, i) => {
    lines.push(`      - id: ${s.id}`, `        bulk_sync: ${syncId(i)}`, "        timeout: 24h");
    if (s.after.length > 0) lines.push(`        after: [${s.after.join(", ")}]`);
  });
  return parsePipelinesConfig(`${lines.join("\n")}\n`, "scale (generated)");
}

describe("the 200-step non-series-parallel pipeline of bench/scale.ts", () => {
  it("synthesizes to less than the 1 MB definition quota, each gate one task", () => {
    const scale = synthesizeDefinitions(scaleConfig(), { functionsDir: FIXTURE_FUNCTIONS_DIR });
    const machine = scale.pipelines.scale as AslDefinition;
    expect(Buffer.byteLength(JSON.stringify(machine))).toBeLessThan(1_048_576);
    const names: string[] = [];
    const visit = (d: AslDefinition) => {
      for (const [n, s] of Object.entries(d.States)) {
        names.push(n);
        for (const b of s.Branches ?? []) visit(b);
      }
    };
    visit(machine);
    const gates = names.filter((n) => n.startsWith("Await "));
    expect(gates.length).toBeGreaterThan(100);
    expect(names.some((n) => /^(Check|Wait on|Back off on) /.test(n))).toBe(false);
  }, 60_000);
});
