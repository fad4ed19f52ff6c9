/**
 * Guarantee: bad input gets a clear error and changes nothing. Malformed run-sync input on a
 * manual start (through the synthesized machine), pipelines files with representative
 * mistakes (the full table is in test/config), scenario files with each kind of mistake.
 */
import { resolve } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import type { Output } from "../../lib/cli/display";
import { main } from "../../lib/cli/main";
import { parseScenario, ScenarioError } from "../../simulator";
import { handlers, runStep, stepInput, uuid, type World, world } from "./harness";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const FIXTURES = resolve(import.meta.dirname, "../fixtures/reliability");

describe("malformed state machine input on a manual start", () => {
  const good = stepInput({ sync: { id: uuid(1) } });
  const CASES: Array<[string, unknown, RegExp]> = [
    ["no input at all", {}, /pipeline|step|sync_type/],
    ["a bad sync_type", { ...good, sync_type: "reverse-etl" }, /sync_type/],
    ["a sync that is neither id nor name", { ...good, sync: {} }, /sync/],
    ["a negative timeout", { ...good, timeout_seconds: -5 }, /timeout_seconds/],
    ["an unknown on_conflict", { ...good, on_conflict: "ignore" }, /on_conflict/],
    [
      "max_errors as a string",
      { ...good, policy: { ...good.policy, max_errors: "10" } },
      /max_errors/,
    ],
  ];
  for (const [name, input, field] of CASES) {
    it(`${name}: Input.Invalid naming the field, nothing sent to Polytomic`, async () => {
      w = await world(`syncs:\n  ${uuid(1)}:\n    type: model\n`);
      const result = await runStep(w, handlers(w), input);
      expect(result.status).toBe("FAILED");
      expect(result.error).toBe("Input.Invalid");
      expect(result.cause).toMatch(field);
      expect(w.sim.requests()).toEqual([]);
      expect(w.sim.executions().filter((e) => !e.history)).toEqual([]);
    });
  }
});

class Capture implements Output {
  text = "";
  write(text: string): boolean {
    this.text += text;
    return true;
  }
}

describe("a pipelines file with mistakes: validate exits 2 naming file, pipeline, step, field", () => {
  const CASES: Array<[string, RegExp[]]> = [
    ["unknown-key.yaml", [/pipeline "nightly", step "load"/, /retries/, /unknown/i]],
    ["cycle.yaml", [/cycle/i, /\ba\b.*\bb\b|\bb\b.*\ba\b/]],
    ["bad-cron.yaml", [/cron/, /Mars\/Olympus_Mons/]],
    ["bad-id.yaml", [/not-a-uuid/, /missing_step/]],
    ["not-yaml.txt", [/not-yaml\.txt/]],
  ];
  for (const [file, says] of CASES) {
    it(file, async () => {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await main(["validate", "--config", file], {
        stdout,
        stderr,
        env: {},
        cwd: FIXTURES,
      });
      expect(code).toBe(2);
      expect(stderr.text).toContain(file);
      for (const s of says) expect(stderr.text).toMatch(s);
    });
  }
});

describe("a scenario file with mistakes: ScenarioError naming the file and field", () => {
  const CASES: Array<[string, string, string]> = [
    ["not YAML", "syncs: [", "s.yaml: not valid YAML/JSON"],
    ["unknown key", "sync: {}", 's.yaml: field "sync": unknown key'],
    [
      "sync id not a uuid",
      "syncs:\n  abc:\n    type: model",
      's.yaml: sync "abc": sync id must be a uuid',
    ],
    [
      "bad type",
      `syncs:\n  ${uuid(1)}:\n    type: stream`,
      `s.yaml: sync "${uuid(1)}", field "type"`,
    ],
    [
      "bulk outcome on a model sync",
      `syncs:\n  ${uuid(1)}:\n    type: model\n    outcome: errors`,
      '"errors" is a bulk outcome',
    ],
    [
      "completed_with_errors without errors",
      `syncs:\n  ${uuid(1)}:\n    type: model\n    outcome: completed_with_errors`,
      "must be > 0 when outcome is completed_with_errors",
    ],
    [
      "negative duration",
      `syncs:\n  ${uuid(1)}:\n    type: model\n    duration_seconds: -1`,
      "duration_seconds",
    ],
    [
      "fault without effect",
      "faults:\n  - { endpoint: start }",
      "s.yaml: fault #1: needs at least one of",
    ],
    [
      "unknown fault endpoint",
      "faults:\n  - { endpoint: deploy, status: 500 }",
      's.yaml: fault #1, field "endpoint"',
    ],
    [
      "malformed with a status",
      "faults:\n  - { endpoint: start, malformed: true, status: 500 }",
      'fault #1, field "malformed": cannot be combined with status or reset',
    ],
    [
      "random fault rate above 1",
      "random_faults: { rate: 2 }",
      's.yaml: field "random_faults.rate"',
    ],
  ];
  for (const [name, text, message] of CASES) {
    it(name, () => {
      let error: unknown;
      try {
        parseScenario(text, "s.yaml");
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(ScenarioError);
      expect((error as Error).message).toContain(message);
    });
  }
});
