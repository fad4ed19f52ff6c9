import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { ConfigError, loadPipelinesConfig, parsePipelinesConfig } from "../../lib/config/load";
import { aliasBomb } from "../fixtures/alias-bomb";
import { problems } from "./problems";

const UUID = "9f1c0d2e-0000-4000-8000-000000000001";

/** A pipeline `p` with the given pipeline-level YAML and steps YAML (each indented by the caller). */
function pipeline(steps: string, extra = ""): string {
  return `pipelines:\n  p:\n${extra}    steps:\n${steps}`;
}

const bulkStep = `      - id: load\n        bulk_sync: ${UUID}\n`;

describe("parsePipelinesConfig: problems", () => {
  it("rejects unknown keys at pipeline level, with a suggestion", () => {
    expect(problems(pipeline(bulkStep, "    tiemout: 2h\n"))).toEqual([
      'pipelines.yaml: pipeline "p", field "tiemout": unknown key "tiemout" (did you mean "timeout"?)',
    ]);
  });

  it("rejects unknown keys at step level, listing the allowed ones", () => {
    expect(problems(pipeline(`${bulkStep}        colour: red\n`))).toEqual([
      'pipelines.yaml: pipeline "p", step "load", field "colour": unknown key "colour" (allowed: id, bulk_sync, model_sync, after, schemas, fetch_mode, resync_mode, identities, resync, test, run_after, on_conflict, max_errors, fail_on_warnings, fail_on_schema_errors, timeout, poll, expect)',
    ]);
  });

  it("rejects unknown keys at the top, in poll, schedule and sync refs", () => {
    const text = `version: 2\npipelines:\n  p:\n    schedule: { cron: "0 2 * * *", tz: UTC }\n    steps:\n      - id: load\n        bulk_sync: { name: x, id: y }\n        poll: { minimum: 5s }\n`;
    expect(problems(text)).toEqual([
      'pipelines.yaml: field "version": unknown key "version" (allowed: pipelines, freshness)',
      'pipelines.yaml: pipeline "p", field "schedule.tz": unknown key "tz" (allowed: cron, rate, timezone)',
      'pipelines.yaml: pipeline "p", step "load", field "bulk_sync.id": unknown key "id" (allowed: name)',
      'pipelines.yaml: pipeline "p", step "load", field "poll.minimum": unknown key "minimum" (allowed: min, max, strategy)',
    ]);
  });

  it("rejects a bad uuid and an empty sync name", () => {
    const steps = `      - id: a\n        bulk_sync: 9f1c0d2e-0000\n      - id: b\n        model_sync: { name: "" }\n      - id: c\n        model_sync: 12\n`;
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "a", field "bulk_sync": invalid uuid "9f1c0d2e-0000"',
      'pipelines.yaml: pipeline "p", step "b", field "model_sync.name": the sync name must not be empty',
      'pipelines.yaml: pipeline "p", step "c", field "model_sync": expected a model sync uuid or { name: ... }, got 12',
    ]);
  });

  it("requires exactly one of bulk_sync and model_sync", () => {
    const steps = `      - id: both\n        bulk_sync: ${UUID}\n        model_sync: ${UUID}\n      - id: neither\n`;
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "both", field "model_sync": set either bulk_sync or model_sync, not both',
      'pipelines.yaml: pipeline "p", step "neither", field "bulk_sync": missing: set bulk_sync or model_sync',
    ]);
  });

  it("rejects unknown and self dependencies, naming the known steps", () => {
    const steps = `      - id: load_salesforce\n        bulk_sync: ${UUID}\n      - id: push_hubspot\n        model_sync: { name: Contacts }\n        after: [load_sf, push_hubspot]\n`;
    expect(problems(`pipelines:\n  nightly:\n    steps:\n${steps}`)).toEqual([
      'pipelines.yaml: pipeline "nightly", step "push_hubspot", field "after": unknown step "load_sf" (known: load_salesforce)',
      'pipelines.yaml: pipeline "nightly", step "push_hubspot", field "after": a step cannot depend on itself',
    ]);
  });

  it("prints a cycle in run order, once", () => {
    const steps = ["a:c", "b:a", "c:b", "d:c"]
      .map((s) => {
        const [id, dep] = s.split(":");
        return `      - id: ${id}\n        model_sync: ${UUID}\n        after: [${dep}]\n`;
      })
      .join("");
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "a", field "after": dependency cycle: a -> b -> c -> a',
    ]);
  });

  it("rejects duplicate step ids and a dependency listed twice", () => {
    const steps = `${bulkStep}${bulkStep}      - id: x\n        model_sync: ${UUID}\n        after: [load, load]\n`;
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "load", field "id": duplicate step id "load" (also step #1)',
      'pipelines.yaml: pipeline "p", step "x", field "after": "load" is listed twice',
    ]);
  });

  it("rejects bad pipeline names and step ids", () => {
    const text = `pipelines:\n  "bad name":\n    steps:\n${bulkStep}  p:\n    steps:\n      - id: "has space"\n        bulk_sync: ${UUID}\n      - id: ${"x".repeat(65)}\n        bulk_sync: ${UUID}\n`;
    expect(problems(text)).toEqual([
      'pipelines.yaml: field "pipelines": invalid pipeline name "bad name": use 1 to 64 letters, digits, - and _',
      'pipelines.yaml: pipeline "p", step "has space", field "id": invalid step id "has space": use 1 to 64 letters, digits, - and _',
      `pipelines.yaml: pipeline "p", step "${"x".repeat(65)}", field "id": invalid step id "${"x".repeat(65)}": use 1 to 64 letters, digits, - and _`,
    ]);
  });

  it.each([
    ["60 2 * * *", 'invalid cron "60 2 * * *": minute "60": 60 is out of range 0-59'],
    ["0 24 * * *", 'invalid cron "0 24 * * *": hour "24": 24 is out of range 0-23'],
    ["0 2 32 * *", 'invalid cron "0 2 32 * *": day-of-month "32": 32 is out of range 1-31'],
    ["0 2 * 13 *", 'invalid cron "0 2 * 13 *": month "13": 13 is out of range 1-12'],
    ["0 2 * * 8", 'invalid cron "0 2 * * 8": day-of-week "8": 8 is out of range 0-7'],
    [
      "0 2 1 * MON",
      'invalid cron "0 2 1 * MON": day-of-month "1" and day-of-week "MON" are both restricted; standard cron runs when either matches, which EventBridge Scheduler cannot express: set one of them to *',
    ],
  ])("rejects cron %j", (cron, message) => {
    const extra = `    schedule:\n      cron: "${cron}"\n`;
    expect(problems(pipeline(bulkStep, extra))).toEqual([
      `pipelines.yaml: pipeline "p", field "schedule.cron": ${message}`,
    ]);
  });

  it("rejects a bad rate, and cron together with rate or neither", () => {
    const text = `pipelines:\n  a:\n    schedule: { rate: 5 weeks }\n    steps:\n${bulkStep}  b:\n    schedule: { cron: "0 2 * * *", rate: 5 minutes }\n    steps:\n${bulkStep}  c:\n    schedule: { timezone: UTC }\n    steps:\n${bulkStep}`;
    expect(problems(text)).toEqual([
      'pipelines.yaml: pipeline "a", field "schedule.rate": invalid rate "5 weeks": unknown unit "weeks" (use minutes, hours or days)',
      'pipelines.yaml: pipeline "b", field "schedule": set either cron or rate, not both',
      'pipelines.yaml: pipeline "c", field "schedule": set cron or rate (or leave schedule out to run on demand only)',
    ]);
  });

  it("rejects unknown time zones, suggesting the right spelling", () => {
    const zones = ["America/NewYork", "america/new_york", "Mars/Olympus_Mons", "+02:00"];
    const text = `pipelines:\n${zones
      .map(
        (zone, i) =>
          `  p${i}:\n    schedule: { cron: "0 2 * * *", timezone: "${zone}" }\n    steps:\n${bulkStep}`,
      )
      .join("")}`;
    expect(problems(text)).toEqual([
      'pipelines.yaml: pipeline "p0", field "schedule.timezone": unknown time zone "America/NewYork" (did you mean "America/New_York"?)',
      'pipelines.yaml: pipeline "p1", field "schedule.timezone": unknown time zone "america/new_york" (did you mean "America/New_York"?)',
      'pipelines.yaml: pipeline "p2", field "schedule.timezone": unknown time zone "Mars/Olympus_Mons": use an IANA name such as America/New_York, Europe/Paris or UTC',
      'pipelines.yaml: pipeline "p3", field "schedule.timezone": unknown time zone "+02:00": use an IANA name such as America/New_York, Europe/Paris or UTC',
    ]);
  });

  it("rejects timeouts out of range and a step timeout longer than its pipeline's", () => {
    const text = `pipelines:\n  long:\n    timeout: 49h\n    steps:\n${bulkStep}  short:\n    timeout: 30s\n    steps:\n${bulkStep}  p:\n    timeout: 2h\n    defaults: { timeout: 3h }\n    steps:\n      - id: a\n        bulk_sync: ${UUID}\n        timeout: 25h\n      - id: b\n        bulk_sync: ${UUID}\n        timeout: 59s\n      - id: c\n        bulk_sync: ${UUID}\n        timeout: 2h30m\n`;
    expect(problems(text)).toEqual([
      'pipelines.yaml: pipeline "long", field "timeout": 49h is out of range: a pipeline timeout must be between 1m and 48h',
      'pipelines.yaml: pipeline "short", field "timeout": 30s is out of range: a pipeline timeout must be between 1m and 48h',
      `pipelines.yaml: pipeline "p", field "defaults.timeout": 3h is longer than the pipeline's timeout 2h`,
      'pipelines.yaml: pipeline "p", step "a", field "timeout": 25h is out of range: a step timeout must be between 1m and 24h',
      'pipelines.yaml: pipeline "p", step "b", field "timeout": 59s is out of range: a step timeout must be between 1m and 24h',
      `pipelines.yaml: pipeline "p", step "c", field "timeout": 2h30m is longer than the pipeline's timeout 2h`,
    ]);
  });

  it("rejects durations with bad units or no unit", () => {
    const steps = `      - id: a\n        bulk_sync: ${UUID}\n        timeout: 2d\n        poll: { min: 10, max: 1.5m }\n`;
    expect(problems(pipeline(steps, "    timeout: 90 minutes\n"))).toEqual([
      'pipelines.yaml: pipeline "p", field "timeout": invalid duration "90 minutes": use whole numbers with units s, m or h, such as 45s, 90m, 2h or 1h30m',
      'pipelines.yaml: pipeline "p", step "a", field "timeout": invalid duration "2d": use whole numbers with units s, m or h, such as 45s, 90m, 2h or 1h30m',
      'pipelines.yaml: pipeline "p", step "a", field "poll.min": expected a duration such as 90m, got 10',
      'pipelines.yaml: pipeline "p", step "a", field "poll.max": invalid duration "1.5m": use whole numbers with units s, m or h, such as 45s, 90m, 2h or 1h30m',
    ]);
  });

  it("rejects poll settings out of range or upside down", () => {
    const steps = `      - id: a\n        bulk_sync: ${UUID}\n        poll: { min: 0s, max: 2h, strategy: slow }\n      - id: b\n        bulk_sync: ${UUID}\n        poll: { min: 1m, max: 30s }\n`;
    expect(problems(pipeline(steps, "    defaults: { poll: { min: 20m } }\n"))).toEqual([
      'pipelines.yaml: pipeline "p", field "defaults.poll": poll.min (20m) is greater than poll.max (10m, the default)',
      'pipelines.yaml: pipeline "p", step "a", field "poll.min": 0s is out of range: poll.min must be between 1s and 1h',
      'pipelines.yaml: pipeline "p", step "a", field "poll.max": 2h is out of range: poll.max must be between 1s and 1h',
      'pipelines.yaml: pipeline "p", step "a", field "poll.strategy": "slow" is not one of: adaptive, backoff, fixed',
      'pipelines.yaml: pipeline "p", step "b", field "poll": poll.min (1m) is greater than poll.max (30s)',
    ]);
  });

  it("rejects options of the other sync type", () => {
    const steps = `      - id: bulk\n        bulk_sync: ${UUID}\n        identities: [a@example.com]\n        resync: true\n      - id: model\n        model_sync: ${UUID}\n        schemas: [Account]\n        fetch_mode: full\n        resync_mode: rebuild\n`;
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "bulk", field "identities": "identities" is a model sync option; this step runs a bulk sync',
      'pipelines.yaml: pipeline "p", step "bulk", field "resync": "resync" is a model sync option; this step runs a bulk sync',
      'pipelines.yaml: pipeline "p", step "model", field "schemas": "schemas" is a bulk sync option; this step runs a model sync',
      'pipelines.yaml: pipeline "p", step "model", field "fetch_mode": "fetch_mode" is a bulk sync option; this step runs a model sync',
      'pipelines.yaml: pipeline "p", step "model", field "resync_mode": "resync_mode" is a bulk sync option; this step runs a model sync',
    ]);
  });

  it("rejects test together with resync_mode, also through defaults", () => {
    const steps = `      - id: a\n        bulk_sync: ${UUID}\n        test: true\n        resync_mode: rebuild\n      - id: b\n        bulk_sync: ${UUID}\n        test: true\n      - id: c\n        model_sync: ${UUID}\n        test: true\n`;
    const text = pipeline(steps, "    defaults: { resync_mode: refetch }\n");
    expect(problems(text)).toEqual([
      'pipelines.yaml: pipeline "p", step "a", field "test": test and resync_mode cannot be combined (resync_mode: rebuild)',
      'pipelines.yaml: pipeline "p", step "b", field "test": test and resync_mode cannot be combined (resync_mode: refetch, from defaults)',
    ]);
    expect(
      problems(pipeline(bulkStep, "    defaults: { test: true, resync_mode: full }\n")),
    ).toEqual([
      'pipelines.yaml: pipeline "p", field "defaults.resync_mode": "full" is not one of: refetch, resync, rebuild',
    ]);
    expect(
      problems(pipeline(bulkStep, "    defaults: { test: true, resync_mode: rebuild }\n")),
    ).toEqual([
      'pipelines.yaml: pipeline "p", field "defaults.test": test and resync_mode cannot be combined',
    ]);
  });

  it("rejects bad emails, enums, numbers and empty lists", () => {
    const steps = `      - id: a\n        bulk_sync: ${UUID}\n        on_conflict: replace\n        run_after: always\n        max_errors: -1\n        fail_on_warnings: "no"\n        schemas: []\n      - id: b\n        model_sync: ${UUID}\n        max_errors: 1.5\n`;
    expect(problems(pipeline(steps, "    notify: [ops@example.com, not-an-email, 42]\n"))).toEqual([
      'pipelines.yaml: pipeline "p", field "notify[1]": invalid email address "not-an-email"',
      'pipelines.yaml: pipeline "p", field "notify[2]": expected an email address, got 42',
      'pipelines.yaml: pipeline "p", step "a", field "schemas": list at least one schema, or leave the field out',
      'pipelines.yaml: pipeline "p", step "a", field "run_after": "always" is not one of: success, completion',
      'pipelines.yaml: pipeline "p", step "a", field "on_conflict": "replace" is not one of: attach, fail, wait',
      'pipelines.yaml: pipeline "p", step "a", field "max_errors": max_errors must be 0 or more',
      'pipelines.yaml: pipeline "p", step "a", field "fail_on_warnings": expected a boolean, got "no"',
      'pipelines.yaml: pipeline "p", step "b", field "max_errors": expected a whole number, got 1.5',
    ]);
  });

  it("rejects files without pipelines or steps", () => {
    expect(problems("")).toEqual([
      "pipelines.yaml: the file is empty: expected a `pipelines:` mapping",
    ]);
    expect(problems("- a\n")).toEqual(["pipelines.yaml: expected a mapping, got a list"]);
    expect(problems("pipelines: {}\n")).toEqual([
      'pipelines.yaml: field "pipelines": define at least one pipeline',
    ]);
    expect(problems("pipelines:\n  a:\n    timeout: 1h\n  b:\n    steps: []\n")).toEqual([
      'pipelines.yaml: pipeline "a", field "steps": required',
      'pipelines.yaml: pipeline "b", field "steps": a pipeline needs at least one step',
    ]);
    const many = Array.from(
      { length: 201 },
      (_, i) => `      - id: s${i}\n        bulk_sync: ${UUID}\n`,
    ).join("");
    expect(problems(pipeline(many))).toEqual([
      'pipelines.yaml: pipeline "p", field "steps": a pipeline has at most 200 steps',
    ]);
  });

  it("names a step without a usable id by its position", () => {
    const steps = `${bulkStep}      - bulk_sync: ${UUID}\n`;
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step #2, field "id": required',
    ]);
  });

  it("reports YAML syntax errors with line and column", () => {
    const text = `pipelines:\n  p:\n    steps:\n      - id: a\n        bulk_sync: [unclosed\n`;
    expect(problems(text)).toEqual([
      "pipelines.yaml: YAML syntax error at line 6, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]",
    ]);
    expect(problems(`pipelines:\n  p:\n    steps: []\n  p:\n    steps: []\n`)).toEqual([
      "pipelines.yaml: YAML syntax error at line 4, column 3: Map keys must be unique",
    ]);
  });

  it("collects every problem of the file, schema and graph alike, in file order", () => {
    const text = `pipelines:\n  nightly:\n    timeout: 1h\n    schedule: { cron: "0 25 * * *" }\n    steps:\n      - id: a\n        bulk_sync: nope\n        after: [b]\n        timeout: 2h\n      - id: b\n        model_sync: ${UUID}\n        after: [a, ghost]\n        extra: 1\n`;
    let error: unknown;
    try {
      parsePipelinesConfig(text, "conf/pipelines.yaml");
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(ConfigError);
    const configError = error as ConfigError;
    expect(configError.message.split("\n")).toEqual([
      'conf/pipelines.yaml: pipeline "nightly", field "schedule.cron": invalid cron "0 25 * * *": hour "25": 25 is out of range 0-23',
      'conf/pipelines.yaml: pipeline "nightly", step "a", field "bulk_sync": invalid uuid "nope"',
      `conf/pipelines.yaml: pipeline "nightly", step "a", field "timeout": 2h is longer than the pipeline's timeout 1h`,
      'conf/pipelines.yaml: pipeline "nightly", step "a", field "after": dependency cycle: a -> b -> a',
      'conf/pipelines.yaml: pipeline "nightly", step "b", field "extra": unknown key "extra" (allowed: id, bulk_sync, model_sync, after, schemas, fetch_mode, resync_mode, identities, resync, test, run_after, on_conflict, max_errors, fail_on_warnings, fail_on_schema_errors, timeout, poll, expect)',
      'conf/pipelines.yaml: pipeline "nightly", step "b", field "after": unknown step "ghost" (known: a)',
    ]);
    expect(configError.problems[0]).toEqual({
      file: "conf/pipelines.yaml",
      pipeline: "nightly",
      field: "schedule.cron",
      message: 'invalid cron "0 25 * * *": hour "25": 25 is out of range 0-23',
      line: 4,
      column: 23,
    });
    expect(configError.problems[4]).toMatchObject({
      step: "b",
      field: "extra",
      line: 13,
      column: 9,
    });
  });
});

describe("parsePipelinesConfig: the typed config", () => {
  it("applies defaults", () => {
    const config = parsePipelinesConfig(
      `pipelines:\n  p:\n    steps:\n      - id: load\n        bulk_sync: ${UUID}\n      - id: push\n        model_sync: { name: Contacts to HubSpot }\n        after: [load]\n`,
      "pipelines.yaml",
    );
    expect(config).toEqual({
      source: resolve("pipelines.yaml"),
      pipelines: [
        {
          name: "p",
          timeout_seconds: 43200,
          notify: [],
          steps: [
            {
              id: "load",
              sync_type: "bulk",
              sync: { id: UUID },
              options: {},
              after: [],
              run_after: "success",
              on_conflict: "attach",
              policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
              poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
              timeout_seconds: 21600,
            },
            {
              id: "push",
              sync_type: "model",
              sync: { name: "Contacts to HubSpot" },
              options: {},
              after: ["load"],
              run_after: "success",
              on_conflict: "attach",
              policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
              poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
              timeout_seconds: 21600,
            },
          ],
        },
      ],
    });
  });

  it("caps the default step timeout to the pipeline's and computes the schedule expression", () => {
    const config = parsePipelinesConfig(
      `pipelines:\n  p:\n    description: hourly\n    timeout: 1h30m\n    schedule: { rate: rate(1 hours), timezone: Europe/Paris }\n    notify: [a@example.com]\n    steps:\n${bulkStep}  q:\n    schedule: { cron: "*/15 9-17 * * MON-FRI" }\n    steps:\n${bulkStep}`,
      "pipelines.yaml",
    );
    const [p, q] = config.pipelines;
    expect(p).toMatchObject({
      name: "p",
      description: "hourly",
      timeout_seconds: 5400,
      notify: ["a@example.com"],
      schedule: { rate: "rate(1 hours)", timezone: "Europe/Paris", expression: "rate(1 hour)" },
    });
    expect(p?.steps[0]?.timeout_seconds).toBe(5400);
    expect(q?.schedule).toEqual({
      cron: "*/15 9-17 * * MON-FRI",
      timezone: "UTC",
      expression: "cron(0/15 9-17 ? * MON-FRI *)",
    });
  });

  it("merges defaults under each step: step fields win, poll merges per field, typed options per sync type", () => {
    const text = `pipelines:
  p:
    timeout: 10h
    defaults:
      on_conflict: wait
      run_after: completion
      max_errors: 5
      fail_on_warnings: true
      fail_on_schema_errors: false
      timeout: 3h
      test: true
      schemas: [Account]
      fetch_mode: full
      identities: [a@example.com]
      poll: { min: 30s, max: 5m, strategy: backoff }
    steps:
      - id: bulk
        bulk_sync: ${UUID}
        fetch_mode: incremental
        max_errors: 0
        poll: { max: 2m }
      - id: model
        model_sync: ${UUID}
        after: [bulk]
        resync: true
        test: false
        on_conflict: fail
        timeout: 45m
`;
    const [bulk, model] = parsePipelinesConfig(text, "pipelines.yaml").pipelines[0]?.steps ?? [];
    expect(bulk).toMatchObject({
      options: { schemas: ["Account"], fetch_mode: "incremental", test: true },
      run_after: "completion",
      on_conflict: "wait",
      policy: { max_errors: 0, fail_on_warnings: true, fail_on_schema_errors: false },
      poll: { strategy: "backoff", min_seconds: 30, max_seconds: 120 },
      timeout_seconds: 10800,
    });
    expect(model).toMatchObject({
      options: { identities: ["a@example.com"], resync: true, test: false },
      on_conflict: "fail",
      policy: { max_errors: 5, fail_on_warnings: true, fail_on_schema_errors: false },
      poll: { strategy: "backoff", min_seconds: 30, max_seconds: 300 },
      timeout_seconds: 2700,
    });
    expect(model?.options).toEqual({ identities: ["a@example.com"], resync: true, test: false });
  });

  it("accepts YAML anchors and merge keys", () => {
    const text = `pipelines:\n  p:\n    steps:\n      - &load\n        id: a\n        bulk_sync: ${UUID}\n        schemas: [Account]\n      - <<: *load\n        id: b\n        after: [a]\n`;
    const steps = parsePipelinesConfig(text, "pipelines.yaml").pipelines[0]?.steps;
    expect(steps?.map((s) => [s.id, s.options, s.after])).toEqual([
      ["a", { schemas: ["Account"] }, []],
      ["b", { schemas: ["Account"] }, ["a"]],
    ]);
  });
});

describe("loadPipelinesConfig", () => {
  it("reads a file and records its absolute path", () => {
    const dir = mkdtempSync(join(tmpdir(), "pipelines-"));
    const file = join(dir, "p.yaml");
    writeFileSync(file, pipeline(bulkStep));
    expect(loadPipelinesConfig(file).source).toBe(file);
  });

  it("reports a missing file as a ConfigError", () => {
    const file = join(tmpdir(), "does-not-exist", "pipelines.yaml");
    expect(() => loadPipelinesConfig(file)).toThrow(
      new ConfigError([{ file, field: "", message: "cannot read the file: no such file" }]),
    );
    expect(() => loadPipelinesConfig(file)).toThrow(`${file}: cannot read the file: no such file`);
  });

  it("says in words why a file cannot be read: a directory, binary data", () => {
    const dir = mkdtempSync(join(tmpdir(), "pipelines-"));
    expect(() => loadPipelinesConfig(dir)).toThrow(
      `${dir}: cannot read the file: it is a directory, not a file`,
    );
    const binary = join(dir, "image.yaml");
    writeFileSync(
      binary,
      Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 13]),
    );
    expect(() => loadPipelinesConfig(binary)).toThrow(
      `${binary}: cannot read the file: it is not a text file (it holds binary data); expected YAML or JSON`,
    );
    const latin1 = join(dir, "latin1.yaml");
    writeFileSync(latin1, Buffer.from("pipelines:\n  caf\xe9: {}\n", "latin1"));
    expect(() => loadPipelinesConfig(latin1)).toThrow(ConfigError);
  });

  it("refuses a YAML alias bomb as a ConfigError, not a crash", () => {
    const err = (() => {
      try {
        parsePipelinesConfig(aliasBomb(), "bomb.yaml");
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toMatch(
      /^bomb\.yaml: YAML aliases \(\*name\) expand into too much data: write the values out/,
    );
  });
});

describe("parsePipelinesConfig: the 25,000-event history limit of a step's execution", () => {
  const step = (timeout: string, poll: string) =>
    pipeline(
      `      - id: load\n        bulk_sync: ${UUID}\n        timeout: ${timeout}\n        poll: ${poll}\n`,
      "    timeout: 24h\n",
    );

  it("refuses polling every 10 s for a day (8,640 checks), naming the step and what to change", () => {
    expect(problems(step("24h", "{ min: 10s, max: 10s, strategy: fixed }"))).toEqual([
      expect.stringMatching(
        /^pipelines\.yaml: pipeline "p", step "load", field "poll\.min": polling fixed from every 10s for up to 86400s could make over 2222 status checks .*25,000-event history limit.*Raise poll\.min/,
      ),
    ]);
  });

  it("accepts the same day with adaptive or backoff polling, or fixed polling every minute", () => {
    for (const poll of [
      "{ min: 10s, max: 10m, strategy: adaptive }",
      "{ min: 10s, max: 10m, strategy: backoff }",
      "{ min: 1m, max: 1m, strategy: fixed }",
    ]) {
      expect(parsePipelinesConfig(step("24h", poll), "pipelines.yaml").pipelines).toHaveLength(1);
    }
  });
});

describe("expect", () => {
  const modelStep = (id: string, yaml: string) =>
    `      - id: ${id}\n        model_sync: ${UUID}\n${yaml}`;
  const bulkWith = (id: string, yaml: string) =>
    `      - id: ${id}\n        bulk_sync: ${UUID}\n${yaml}`;

  it("loads into the step's policy, merged over defaults field by field", () => {
    const steps =
      bulkWith(
        "load",
        "        expect:\n          max_records: 500\n          max_error_rate: 2.5%\n          max_duration: 2h\n          schemas: { Contact: { min_records: 100 } }\n",
      ) +
      modelStep("push", "") +
      modelStep("push_big", "        expect: { min_records: 10 }\n");
    const config = parsePipelinesConfig(
      pipeline(
        steps,
        "    defaults:\n      expect: { min_records: 1, schemas: { Lead: { min_records: 1 } } }\n",
      ),
      "pipelines.yaml",
    );
    const [load, push, pushBig] = config.pipelines[0]?.steps ?? [];
    expect(load?.policy.expect).toEqual({
      min_records: 1,
      max_records: 500,
      max_error_rate_percent: 2.5,
      max_duration_seconds: 7200,
      schemas: [{ schema: "Contact", min_records: 100 }],
    });
    // The defaults' per-schema expectations apply to bulk steps only.
    expect(push?.policy.expect).toEqual({ min_records: 1 });
    expect(pushBig?.policy.expect).toEqual({ min_records: 10 });
  });

  it("expects nothing by default", () => {
    const config = parsePipelinesConfig(pipeline(bulkStep), "pipelines.yaml");
    expect(config.pipelines[0]?.steps[0]?.policy).not.toHaveProperty("expect");
  });

  it("rejects bad values, naming file, pipeline, step and field", () => {
    const steps =
      bulkWith(
        "a",
        "        expect:\n          min_records: -1\n          max_error_rate: 5\n          max_duration: 2 hours\n          min_rows: 3\n",
      ) +
      bulkWith(
        "b",
        "        expect: { max_error_rate: 150%, schemas: { Contact: { min: 1 } } }\n",
      ) +
      modelStep(
        "c",
        "        expect: { min_records: 10, max_records: 5, schemas: { A: { min_records: 1 } } }\n",
      );
    expect(problems(pipeline(steps))).toEqual([
      'pipelines.yaml: pipeline "p", step "a", field "expect.min_records": min_records must be 0 or more',
      'pipelines.yaml: pipeline "p", step "a", field "expect.max_error_rate": expected a percentage such as 5%, got 5',
      'pipelines.yaml: pipeline "p", step "a", field "expect.max_duration": invalid duration "2 hours": use whole numbers with units s, m or h, such as 45s, 90m, 2h or 1h30m',
      'pipelines.yaml: pipeline "p", step "a", field "expect.min_rows": unknown key "min_rows" (allowed: min_records, max_records, max_error_rate, max_duration, schemas)',
      'pipelines.yaml: pipeline "p", step "b", field "expect.max_error_rate": max_error_rate is at most 100%',
      'pipelines.yaml: pipeline "p", step "b", field "expect.schemas.Contact.min_records": required',
      'pipelines.yaml: pipeline "p", step "b", field "expect.schemas.Contact.min": unknown key "min" (allowed: min_records)',
      'pipelines.yaml: pipeline "p", step "c", field "expect.max_records": min_records (10) is greater than max_records (5)',
      'pipelines.yaml: pipeline "p", step "c", field "expect.schemas": per-schema expectations are for bulk syncs; this step runs a model sync',
    ]);
  });
});

describe("expect: max_duration against the timeout", () => {
  const bulk = (id: string, yaml = "") => `      - id: ${id}\n        bulk_sync: ${UUID}\n${yaml}`;

  it("rejects a max_duration the timeout would never let the run reach, once where it is set", () => {
    const steps =
      bulk("own", "        timeout: 1h\n        expect: { max_duration: 90m }\n") +
      bulk("inherits", "        timeout: 30m\n") +
      bulk("fits", "        timeout: 3h\n") +
      bulk("plain");
    const text = pipeline(steps, "    defaults: { timeout: 1h, expect: { max_duration: 2h } }\n");
    expect(problems(text)).toEqual([
      'pipelines.yaml: pipeline "p", field "defaults.expect.max_duration": 2h is longer than the step\'s timeout 1h, which cancels the run first',
      'pipelines.yaml: pipeline "p", step "own", field "expect.max_duration": 1h30m is longer than the step\'s timeout 1h, which cancels the run first',
      'pipelines.yaml: pipeline "p", step "inherits", field "timeout": 30m is shorter than expect.max_duration 2h (from defaults): the timeout cancels the run first',
    ]);
  });

  it("accepts a max_duration within the timeout, the default one included", () => {
    const text = pipeline(bulk("a", "        expect: { max_duration: 6h }\n"));
    expect(
      parsePipelinesConfig(text, "pipelines.yaml").pipelines[0]?.steps[0]?.policy.expect,
    ).toEqual({ max_duration_seconds: 21_600 });
  });

  it("reports min_records above max_records set by defaults alone once, at defaults", () => {
    const text = pipeline(
      `${bulk("a")}${bulk("b")}`,
      "    defaults: { expect: { min_records: 5, max_records: 1 } }\n",
    );
    expect(problems(text)).toEqual([
      'pipelines.yaml: pipeline "p", field "defaults.expect.max_records": min_records (5) is greater than max_records (1)',
    ]);
  });
});
