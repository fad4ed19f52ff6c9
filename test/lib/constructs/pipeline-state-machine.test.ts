import aslValidator from "asl-validator";
import { Annotations, Match, Template } from "aws-cdk-lib/assertions";
import * as sfn from "aws-cdk-lib/aws-stepfunctions";
import { describe, expect, it } from "vitest";
import type { StepInput } from "../../../functions/core/contract";
import { allStates } from "../../../lib/asl/definition";
import type { PipelineConfig } from "../../../lib/config/model";
import {
  gateSchedule,
  gateWorstCaseEvents,
  PIPELINE_STATES as P,
  PIPELINE_FAILED_ERROR,
  PipelineStateMachine,
  renderedBytes,
} from "../../../lib/constructs/pipeline-state-machine";
import { runLocalExecution } from "../../../lib/local/engine";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { pipeline, step } from "../../fixtures/cdk/config";
import { definitionOf, runLocally, unbundledStack } from "../helpers";

function build(config: PipelineConfig) {
  const stack = unbundledStack();
  const runSync = sfn.StateMachine.fromStateMachineName(stack, "RunSync", "run-sync");
  const wait = sfn.StateMachine.fromStateMachineName(stack, "WaitForStep", "wait-for-step");
  const machine = new PipelineStateMachine(stack, "Pipeline", {
    pipeline: config,
    runSync,
    waitForStep: () => wait,
  });
  return { stack, machine, definition: definitionOf(stack, machine.stateMachine) };
}

const fanOut = pipeline("fan", [
  step("load"),
  step("a-1", ["load"]),
  step("b_2", ["load"]),
  step("a_child", ["a-1"]),
  step("join", ["a_child", "b_2"]),
  step("always", ["a_child", "b_2"], { run_after: "completion" }),
]);

const context = {
  Execution: {
    Id: "arn:aws:states:us-east-1:123456789012:execution:fan:exec-1",
    Name: "exec-1",
    RedriveCount: 0,
  },
};

/** Fake child executions: `outcomes[step]` = "fail" throws, else the child succeeds. */
function children(outcomes: Record<string, "fail">) {
  const started: StepInput[] = [];
  const names: string[] = [];
  const handlers: Record<string, (i: unknown) => unknown> = {};
  for (const s of fanOut.steps.concat(pipeline("x", [step("one"), step("two")]).steps)) {
    handlers[P.run(s.id)] = (raw) => {
      const request = raw as { Input: StepInput; Name: string };
      started.push(request.Input);
      names.push(request.Name);
      if (outcomes[request.Input.step] === "fail") {
        // No quotes in the cause: aws-local-stepfunctions 3's States.JsonToString does not
        // escape nested strings (AWS does), which would make the summary unparsable here.
        const err = new Error("Sync.Failed: the sync failed");
        err.name = "States.TaskFailed";
        throw err;
      }
      return {
        ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:run-sync:${request.Name}`,
        Output: {
          step: request.Input.step,
          sync_type: request.Input.sync_type,
          sync_id: "s",
          execution_id: `run-${request.Input.step}`,
          status: "succeeded",
          outcome: "succeeded",
          counts: { records: 1, errors: 0, warnings: 0 },
          logs: [],
        },
      };
    };
  }
  return { handlers, started, names };
}

/** The failed steps a pipeline's Fail cause lists: `{ <step id>: <error name> }`. */
function failedSteps(cause: string | undefined): Record<string, string> {
  const json = /: (\{.*\})$/s.exec(cause ?? "")?.[1];
  if (!json) throw new Error(`not a pipeline failure cause: ${cause}`);
  return JSON.parse(json) as Record<string, string>;
}

describe("PipelineStateMachine definition", () => {
  it("passes asl-validator", () => {
    const { definition } = build(fanOut);
    const result = aslValidator(definition);
    expect(result.errorsText("\n")).toBe("");
  });

  it("runs each step as a startExecution.sync:2 child with an explicit timeout", () => {
    const { definition } = build(fanOut);
    const runs = allStates(definition).filter(([name]) => name.startsWith("Run "));
    expect(runs.map(([n]) => n).sort()).toEqual(fanOut.steps.map((s) => P.run(s.id)).sort());
    for (const [name, state] of runs) {
      expect(state.Resource, name).toBe("arn:aws:states:::states:startExecution.sync:2");
      expect(state.TimeoutSeconds, name).toBe(3600 + 1800);
      expect(state.Parameters?.["Name.$"], name).toMatch(
        /^States\.Format\('.*-\{\}', States\.Hash\(/,
      );
    }
    expect(definition.TimeoutSeconds).toBe(6 * 3600);
  });

  it("uses bracket notation for step ids with - and _", () => {
    const { definition } = build(fanOut);
    const states = Object.fromEntries(allStates(definition));
    expect(states[P.run("a-1")]?.ResultPath).toBe("$.results['a-1']");
    expect(states[P.canRun("a_child")]?.Choices).toEqual([
      expect.objectContaining({ Variable: "$.results['a-1'].status", StringEquals: "succeeded" }),
    ]);
  });

  it("bounds a gate's history for a dependency that never starts, retries counted", () => {
    const schedule = gateSchedule(10, 600);
    // 48 h: the schedule's checks (11 events each) and five rounds of 99 retries (3 each).
    const worst = gateWorstCaseEvents(schedule, 48 * 3600);
    expect(worst).toBeGreaterThan(3 * 99 * 5);
    expect(worst).toBeLessThan(15_000);
    expect(gateWorstCaseEvents(schedule, 96 * 3600)).toBeGreaterThan(worst);
  });

  it("gates nothing in a series-parallel DAG", () => {
    const { machine, stack, definition } = build(fanOut);
    expect(machine.gatedDependencies).toEqual([]);
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    Annotations.fromStack(stack).hasNoInfo("*", Match.anyValue());
    // The only AWS SDK calls: describing a step's own child to adopt its result.
    const sdk = allStates(definition).filter(([, state]) => state.Resource?.includes("aws-sdk"));
    expect(sdk.map(([name]) => name).sort()).toEqual(
      fanOut.steps.map((s) => P.findChild(s.id)).sort(),
    );
    expect(
      allStates(definition).filter(
        ([name]) => name.startsWith("End ") || name.startsWith("Await "),
      ),
    ).toEqual([]);
  });

  const nShape = pipeline("n", [
    step("a"),
    step("b"),
    step("c", ["a", "b"]),
    step("d", ["b"], { poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 300 } }),
  ]);

  it("gates the one dependency of an N-shaped DAG the Parallel structure cannot order, and says so", () => {
    const { machine, stack, definition } = build(nShape);
    expect(machine.gatedDependencies).toEqual([{ step: "c", dependsOn: "b" }]);
    Annotations.fromStack(stack).hasInfo(
      "*",
      Match.stringLikeRegexp(
        'Pipeline "n" is not series-parallel: 1 dependency is enforced by a gate .*\\(c on b\\)',
      ),
    );
    Annotations.fromStack(stack).hasNoWarning("*", Match.anyValue());
    expect(aslValidator(definition).errorsText("\n")).toBe("");
    const states = Object.fromEntries(allStates(definition));
    // The gate: one child execution of the wait-for-step machine, given b's child's ARN
    // and b's backoff schedule, named per parent execution, pipeline, step and dependency.
    const gate = states[P.gate("b", "c")];
    expect(gate?.Resource).toBe("arn:aws:states:::states:startExecution.sync:2");
    expect(gate?.Parameters).toEqual({
      StateMachineArn: "arn:aws:states:us-east-1:123456789012:stateMachine:wait-for-step",
      "Name.$":
        "States.Format('c-b-{}', States.Hash(States.Format('{}/n/c/b/{}', $$.Execution.Name, $$.Execution.RedriveCount), 'MD5'))",
      Input: {
        "execution_arn.$":
          "States.Format('arn:aws:states:us-east-1:123456789012:execution:run-sync:{}', States.Format('b-{}', States.Hash(States.Format('{}/b/{}', $$.Execution.Name, $$.Execution.RedriveCount), 'MD5')))",
        schedule: gateSchedule(
          nShape.steps[1]?.poll.min_seconds ?? 0,
          nShape.steps[1]?.poll.max_seconds ?? 0,
        ),
      },
    });
    expect(gate?.ResultSelector).toEqual({ "result.$": "$.Output.result" });
    expect(gate?.ResultPath).toBe("$.dep_1");
    expect(gate?.TimeoutSeconds).toBe(6 * 3600);
    // Waiting that fails fails c (through its failure path), never runs or skips it.
    expect(gate?.Catch).toEqual([
      { ErrorEquals: ["States.ALL"], ResultPath: "$.results['c']", Next: P.recordFailure("c") },
    ]);
    expect(gate?.Next).toBe(P.canRun("c"));
    // The waiting polls in the wait-for-step machine, not here: the only AWS SDK calls
    // here describe a step's own child, to adopt its result after ExecutionAlreadyExists.
    expect(
      allStates(definition)
        .filter(([, st]) => st.Resource?.includes("aws-sdk"))
        .map(([name]) => name)
        .sort(),
    ).toEqual(["a", "b", "c", "d"].map((id) => P.findChild(id)).sort());
    // c's Choice reads b's result as the gate recorded it (b index 1), a's from the plan.
    expect(states[P.canRun("c")]?.Choices).toEqual([
      {
        And: [
          { Variable: "$.results['a'].status", StringEquals: "succeeded" },
          { Variable: "$.dep_1.result.status", StringEquals: "succeeded" },
        ],
        Next: P.run("c"),
      },
    ]);
    // b is gated on: skipped or unstartable, it still ends a child (skip: true).
    expect(states[P.markSkipped("b")]).toBeUndefined(); // b has no dependencies: never skipped
    expect(states[P.markEnded("b")]?.Parameters?.Input).toEqual({
      skip: true,
      step: "b",
      sync_type: "model",
    });
    expect(states[P.markEnded("a")]).toBeUndefined();
  });

  it("starts the wait-for-step machine only when there are gates, and asks for it only then", () => {
    const start = Match.objectLike({
      Action: "states:StartExecution",
      Resource: Match.objectLike({
        "Fn::Join": ["", Match.arrayWith([Match.stringLikeRegexp(":stateMachine:wait-for-step$")])],
      }),
    });
    const gated = Template.fromStack(build(nShape).stack);
    gated.hasResourceProperties("AWS::IAM::Policy", {
      PolicyDocument: { Statement: Match.arrayWith([start]) },
    });
    const stack = unbundledStack();
    let asked = 0;
    new PipelineStateMachine(stack, "Plain", {
      pipeline: fanOut,
      runSync: sfn.StateMachine.fromStateMachineName(stack, "RunSync", "run-sync"),
      waitForStep: () => {
        asked++;
        return sfn.StateMachine.fromStateMachineName(stack, "Wait", "wait-for-step");
      },
    });
    expect(asked).toBe(0);
    const plain = Template.fromStack(stack);
    for (const policy of Object.values(plain.findResources("AWS::IAM::Policy"))) {
      expect(JSON.stringify(policy)).not.toContain("wait-for-step");
    }
    expect(
      () =>
        new PipelineStateMachine(unbundledStack(), "NoWait", {
          pipeline: nShape,
          runSync: sfn.StateMachine.fromStateMachineName(stack, "RunSync2", "run-sync"),
        }),
    ).toThrow(
      /Pipeline "n" is not series-parallel and needs gates: give PipelineStateMachine a waitForStep machine/,
    );
  });

  it("keeps long gate state names within 80 characters, unique", () => {
    const long = (c: string) => `${c}${"x".repeat(63)}`;
    const { definition } = build(
      pipeline("long", [
        step(long("a")),
        step(long("b")),
        step(long("c"), [long("a"), long("b")]),
        step(long("d"), [long("b")]),
      ]),
    );
    const names = allStates(definition).map(([name]) => name);
    for (const name of names) expect(name.length, name).toBeLessThanOrEqual(80);
    expect(new Set(names).size).toBe(names.length);
    expect(aslValidator(definition).errorsText("\n")).toBe("");
  });

  it("logs and traces executions", () => {
    const { stack } = build(fanOut);
    Template.fromStack(stack).hasResourceProperties("AWS::StepFunctions::StateMachine", {
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: Match.objectLike({ Level: "ALL" }),
    });
  });

  it("rejects misconfiguration with actionable messages", () => {
    expect(() => build(pipeline("empty", []))).toThrow(/has no steps/);
    expect(() => build(pipeline("bad", [step("has space")]))).toThrow(
      /step id "has space" must be 1-64 letters, digits, - or _/,
    );
    expect(() =>
      build(
        pipeline("long", [step("a", [], { timeout_seconds: 7200 })], { timeout_seconds: 3600 }),
      ),
    ).toThrow(/step "a" timeout \(7200s\) exceeds the pipeline timeout \(3600s\)/);
  });
});

describe("PipelineStateMachine in the local engine", () => {
  it("runs every step once, in dependency order, and succeeds with each step's outcome", async () => {
    const { definition } = build(fanOut);
    const { handlers, started, names } = children({});
    const result = await runLocally(definition, {}, handlers, { context });
    expect(result.cause).toBeUndefined();
    const order = started.map((s) => s.step);
    expect(order.sort()).toEqual(fanOut.steps.map((s) => s.id).sort());
    const results = (result.output as { results: Record<string, { status: string }> }).results;
    for (const s of fanOut.steps) expect(results[s.id]?.status, s.id).toBe("succeeded");
    // Child input is the StepInput built from the config and the parent's context.
    expect(started.find((s) => s.step === "load")).toEqual({
      pipeline: "fan",
      step: "load",
      execution_name: "exec-1",
      attempt: 0,
      sync_type: "model",
      sync: { id: "9f1c0d2e-0000-4000-8000-000000000001" },
      options: {},
      on_conflict: "attach",
      policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
      poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
      timeout_seconds: 3600,
      AWS_STEP_FUNCTIONS_STARTED_BY_EXECUTION_ID: context.Execution.Id,
    });
    // Child names: valid, unique per step.
    for (const name of names) expect(name).toMatch(/^[A-Za-z0-9_-]{1,80}$/);
    expect(new Set(names).size).toBe(names.length);
  });

  it("passes a step's expectations to its child as written, whatever the schema names", async () => {
    const expect_ = {
      min_records: 1,
      max_duration_seconds: 7200,
      // A schema name ending in `.$` would be a JSONPath as a key: the list keeps it a value.
      schemas: [
        { schema: "Contact", min_records: 100 },
        { schema: "odd.$", min_records: 1 },
      ],
    };
    const policy = { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true };
    const { definition } = build(
      pipeline("fan", [
        step("load", [], { sync_type: "bulk", policy: { ...policy, expect: expect_ } }),
      ]),
    );
    const { handlers, started } = children({});
    const result = await runLocally(definition, {}, handlers, { context });
    expect(result.cause).toBeUndefined();
    expect(started[0]?.policy).toEqual({ ...policy, expect: expect_ });
  });

  it("names children deterministically from the parent execution and step", async () => {
    const { definition } = build(fanOut);
    const first = children({});
    await runLocally(definition, {}, first.handlers, { context });
    const again = children({});
    await runLocally(definition, {}, again.handlers, { context });
    expect(again.names.sort()).toEqual(first.names.sort());
    const redriven = children({});
    await runLocally(definition, {}, redriven.handlers, {
      context: { Execution: { ...context.Execution, RedriveCount: 1 } },
    });
    expect(redriven.names.filter((n) => first.names.includes(n))).toEqual([]);
  });

  it("skips only the dependents of a failed step; completion steps still run; the pipeline fails", async () => {
    const { definition } = build(fanOut);
    const { handlers, started } = children({ "a-1": "fail" });
    const result = await runLocally(definition, {}, handlers, { context });
    expect(result.error).toBe(PIPELINE_FAILED_ERROR);
    // One entry per failed step, its error name; skipped dependents are not failures.
    expect(failedSteps(result.cause)).toEqual({ "a-1": "States.TaskFailed" });
    expect(started.map((s) => s.step).sort()).toEqual(["a-1", "always", "b_2", "load"]);
  });
});

/** The state machine definition quota (Step Functions quotas: 1 MB). */
const DEFINITION_QUOTA = 1024 * 1024;

/** Every value of a `.$` field in a definition, with its state and key. */
function pathFields(value: unknown, where = ""): Array<{ where: string; expression: string }> {
  if (Array.isArray(value)) return value.flatMap((v, i) => pathFields(v, `${where}[${i}]`));
  if (value === null || typeof value !== "object") return [];
  return Object.entries(value).flatMap(([key, v]) =>
    key.endsWith(".$") && typeof v === "string"
      ? [{ where: `${where}.${key}`, expression: v }]
      : pathFields(v, `${where}.${key}`),
  );
}

/** Intrinsic function calls in one field (the docs count each one, nested or not). */
function intrinsicCalls(expression: string): number {
  return expression.match(/States\.[A-Za-z]+\(/g)?.length ?? 0;
}

/** A deterministic pseudo-random DAG of `n` steps (each step after up to 3 earlier ones). */
function randomDag(n: number, seed: number) {
  let state = seed;
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31;
    return state / 2 ** 31;
  };
  return Array.from({ length: n }, (_, i) => {
    const after = new Set<string>();
    const count = i === 0 ? 0 : Math.floor(next() * 4);
    for (let k = 0; k < count; k++) after.add(`s${Math.floor(next() * i)}`);
    return step(`s${i}`, [...after]);
  });
}

describe("PipelineStateMachine: a retried start that meets ExecutionAlreadyExists", () => {
  const chain = pipeline("x", [step("one"), step("two", ["one"])]);
  const childArn = (name: string) =>
    `arn:aws:states:us-east-1:123456789012:execution:run-sync:${name}`;

  /** `one`'s start went through, the retry found its child ended: Describe answers `status`. */
  function retriedStart(status: "SUCCEEDED" | "FAILED") {
    const { handlers, started, names } = children({});
    const described: unknown[] = [];
    const real = handlers[P.run("one")] as (i: unknown) => unknown;
    let childName = "";
    handlers[P.run("one")] = (raw) => {
      childName = (raw as { Name: string }).Name;
      const err = new Error(`Execution Already Exists: '${childArn(childName)}'`);
      err.name = "StepFunctions.ExecutionAlreadyExistsException";
      throw err;
    };
    handlers[P.findChild("one")] = (input) => {
      described.push(input);
      const output = (
        real({ Input: { step: "one", sync_type: "model" }, Name: childName }) as {
          Output: unknown;
        }
      ).Output;
      return {
        ExecutionArn: childArn(childName),
        Name: childName,
        Status: status,
        ...(status === "SUCCEEDED"
          ? { Output: JSON.stringify(output) }
          : { Error: "Sync.Failed", Cause: "the sync failed" }),
      };
    };
    return { handlers, started, names, described, childName: () => childName };
  }

  it("adopts the result of the child that already succeeded, and its dependents run", async () => {
    const { definition } = build(chain);
    const run = retriedStart("SUCCEEDED");
    const result = await runLocally(definition, {}, run.handlers, { context });
    expect(result.error).toBeUndefined();
    // It described its own child, by the name the start used.
    expect(run.described).toEqual([{ ExecutionArn: childArn(run.childName()) }]);
    const results = (result.output as { results: Record<string, { status: string }> }).results;
    expect(results.one).toMatchObject({
      step: "one",
      status: "succeeded",
      execution_id: "run-one",
    });
    expect(results.two?.status).toBe("succeeded");
    // (The fake child output is built by the same fake that records starts.)
    expect(run.started.filter((s) => s.step === "two")).toHaveLength(1);
  });

  it("a child that had failed: the step fails (its dependents are skipped)", async () => {
    const { definition } = build(chain);
    const run = retriedStart("FAILED");
    const result = await runLocally(definition, {}, run.handlers, { context });
    expect(result.error).toBe(PIPELINE_FAILED_ERROR);
    expect(failedSteps(result.cause)).toEqual({
      one: "StepFunctions.ExecutionAlreadyExistsException",
    });
    expect(run.started.filter((s) => s.step === "two")).toEqual([]);
  });
});

describe("renderedBytes: a definition's size as deployed", () => {
  it("counts a pseudo parameter at its longest value and any other reference as an ARN", () => {
    const join = (...parts: unknown[]) => ({ "Fn::Join": ["", parts] });
    // "arn:" + the longest partition (aws-us-gov) + ":states:::lambda:invoke": before, the
    // partition counted 80 bytes, as a whole ARN, overstating Task-heavy definitions ~12%.
    expect(renderedBytes(join("arn:", { Ref: "AWS::Partition" }, ":states:::lambda:invoke"))).toBe(
      4 + 10 + 23,
    );
    expect(renderedBytes(join({ Ref: "AWS::Region" }, { Ref: "AWS::AccountId" }))).toBe(16 + 12);
    expect(renderedBytes(join({ Ref: "RunSync1234" }, { "Fn::GetAtt": ["X", "Arn"] }))).toBe(160);
    expect(renderedBytes("plain")).toBe(5);
  });
});

describe("PipelineStateMachine within Step Functions limits, up to 200 steps", () => {
  const ids = (n: number) => Array.from({ length: n }, (_, i) => `s${i}`);
  const shapes: Record<string, () => PipelineConfig> = {
    "200 independent steps": () =>
      pipeline(
        "wide",
        ids(200).map((id) => step(id)),
      ),
    "12 independent steps": () =>
      pipeline(
        "twelve",
        ids(12).map((id) => step(id)),
      ),
    "a chain of 200": () =>
      pipeline(
        "chain",
        ids(200).map((id, i) => step(id, i === 0 ? [] : [`s${i - 1}`])),
      ),
    "one step fanning out to 199, joined by none": () =>
      pipeline(
        "fan",
        ids(200).map((id, i) => step(id, i === 0 ? [] : ["s0"])),
      ),
    "199 steps joined by one": () =>
      pipeline(
        "join",
        ids(200).map((id, i) => step(id, i === 199 ? ids(199) : [])),
      ),
    "100 independent pairs": () =>
      pipeline(
        "pairs",
        ids(200).map((id, i) => step(id, i % 2 === 1 ? [`s${i - 1}`] : [])),
      ),
    "a random DAG of 200 (not series-parallel)": () => pipeline("random", randomDag(200, 7)),
  };

  for (const [shape, config] of Object.entries(shapes)) {
    it(`${shape}: at most 10 intrinsic functions in any field; a definition over 1 MB fails synth`, () => {
      const { definition, stack } = build(config());
      const fields = pathFields(definition);
      expect(fields.length).toBeGreaterThan(0);
      const over = fields.filter((f) => intrinsicCalls(f.expression) > 10);
      expect(over.map((f) => `${f.where}: ${intrinsicCalls(f.expression)}`)).toEqual([]);
      const bytes = Buffer.byteLength(JSON.stringify(definition));
      const errors = Annotations.fromStack(stack).findError(
        "*",
        Match.stringLikeRegexp("definition .* over the 1 MB"),
      );
      expect(errors).toHaveLength(bytes > DEFINITION_QUOTA ? 1 : 0);
      if (!shape.startsWith("a random")) expect(bytes).toBeLessThan(DEFINITION_QUOTA);
    });
  }

  it("200 failed steps: a Fail cause within 32,768 characters, one entry each; every state within 256 KB", async () => {
    // Worst case: 64-character ids, every child failing with a cause at its own maximum.
    const longIds = ids(200).map((id) => `${id}_`.padEnd(64, "x"));
    const config = pipeline(
      "all_fail",
      longIds.map((id, i) =>
        step(id, i % 2 === 1 ? [longIds[i - 1] as string] : [], { run_after: "completion" }),
      ),
    );
    const { definition } = build(config);
    const tasks: Record<string, (i: unknown) => Promise<unknown>> = {};
    for (const s of config.steps) {
      tasks[P.findChild(s.id)] = async () => {
        throw new Error("not called: no start met ExecutionAlreadyExists");
      };
      tasks[P.run(s.id)] = async () => {
        const err = new Error("x".repeat(32_000));
        err.name = "States.TaskFailed";
        throw err;
      };
    }
    const result = await runLocalExecution(definition, {
      name: "exec-1",
      stateMachineName: "all_fail",
      input: {},
      clock: new VirtualClock(0),
      tasks,
    });
    expect(result.status).toBe("FAILED");
    expect(result.error).toBe(PIPELINE_FAILED_ERROR);
    expect(result.cause?.length).toBeLessThanOrEqual(32_768);
    const failed = failedSteps(result.cause);
    expect(Object.keys(failed).sort()).toEqual([...longIds].sort());
    expect(new Set(Object.values(failed))).toEqual(new Set(["States.TaskFailed"]));
    let largest = 0;
    for (const event of result.events) {
      if (!("state" in event)) continue;
      for (const data of [event.state.input, event.state.output]) {
        largest = Math.max(largest, Buffer.byteLength(JSON.stringify(data ?? null)));
      }
    }
    expect(largest).toBeGreaterThan(10_000);
    expect(largest).toBeLessThanOrEqual(256 * 1024);
  }, 120_000);

  it("merges the results of 25 parallel branches (three partial merges, then one)", async () => {
    const config = pipeline(
      "wide",
      ids(25).map((id) => step(id)),
    );
    const { definition } = build(config);
    const handlers: Record<string, (i: unknown) => unknown> = {};
    for (const s of config.steps) {
      handlers[P.run(s.id)] = (raw) => {
        const request = raw as { Input: StepInput; Name: string };
        return {
          ExecutionArn: `arn:aws:states:us-east-1:123456789012:execution:run-sync:${request.Name}`,
          Output: {
            status: "succeeded",
            outcome: "succeeded",
            sync_id: "s",
            execution_id: `run-${request.Input.step}`,
            counts: {},
            logs: [],
          },
        };
      };
    }
    const result = await runLocally(definition, {}, handlers, { context });
    expect(result.cause).toBeUndefined();
    const results = (result.output as { results: Record<string, { status: string }> }).results;
    expect(Object.keys(results).sort()).toEqual(ids(25).sort());
    for (const id of ids(25)) expect(results[id]?.status, id).toBe("succeeded");
  });
});
