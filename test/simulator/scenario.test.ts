import { mkdtemp, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { loadScenario, parseScenario, ScenarioError } from "../../simulator";

const ID = "9f1c0d2e-0000-4000-8000-000000000001";

function errorOf(text: string): string {
  try {
    parseScenario(text, "bad.yaml");
  } catch (err) {
    expect(err).toBeInstanceOf(ScenarioError);
    return (err as Error).message;
  }
  throw new Error("expected a ScenarioError");
}

describe("scenario parsing", () => {
  it("applies defaults and splits bulk records among schemas", () => {
    const s = parseScenario(
      `syncs:\n  ${ID.toUpperCase()}:\n    type: bulk\n    records: 120000\n    schemas:\n      - { name: Account, records: 80000 }\n      - { name: Contact, outcome: failed, errors: 12 }\n      - { name: Lead }`,
    );
    const sync = s.syncs[ID];
    expect(sync).toMatchObject({
      type: "bulk",
      outcome: "completed",
      queue_seconds: 2,
      records: 120000,
      errors: 12,
    });
    expect(sync?.schemas.map((x) => [x.name, x.records, x.outcome])).toEqual([
      ["Account", 80000, "completed"],
      ["Contact", 20000, "failed"],
      ["Lead", 20000, "completed"],
    ]);
    expect(s.faults).toEqual([]);
  });

  it("parses JSON too", () => {
    const s = parseScenario(
      JSON.stringify({ api_key: "k", syncs: { [ID]: { type: "model" } } }),
      "s.json",
    );
    expect(s.api_key).toBe("k");
    expect(s.syncs[ID]?.name).toBe("Model sync 9f1c0d2e");
  });

  it.each([
    [
      `syncs:\n  ${ID}:\n    type: model\n    colour: red`,
      `bad.yaml: sync "${ID}", field "colour": unknown key`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: model\n    outcome: errors`,
      `bad.yaml: sync "${ID}", field "outcome": "errors" is a bulk outcome`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: bulk\n    outcome: done`,
      `bad.yaml: sync "${ID}", field "outcome":`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: model\n    duration_seconds: -1`,
      `bad.yaml: sync "${ID}", field "duration_seconds":`,
    ],
    [
      `syncs:\n  not-a-uuid:\n    type: model`,
      'bad.yaml: sync "not-a-uuid": sync id must be a uuid',
    ],
    [
      `syncs:\n  ${ID}:\n    type: model\n    schemas: [{ name: A }]`,
      `bad.yaml: sync "${ID}", field "schemas": only bulk syncs have schemas`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: model\n    outcome: completed_with_errors`,
      `bad.yaml: sync "${ID}", field "errors": must be > 0`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: bulk\n    schemas: [{ name: A }, { name: A }]`,
      `bad.yaml: sync "${ID}", field "schemas[1].name": duplicate`,
    ],
    [`syncs:\n  ${ID}:\n    type: other`, `bad.yaml: sync "${ID}", field "type":`],
    ["faults:\n  - { endpoint: start }", "bad.yaml: fault #1: needs at least one of"],
    ["faults:\n  - { endpoint: nowhere, status: 500 }", 'bad.yaml: fault #1, field "endpoint":'],
    ["faults:\n  - { endpoint: start, status: 200 }", 'bad.yaml: fault #1, field "status":'],
    [
      "faults:\n  - { endpoint: start, status: 500, times: 0 }",
      'bad.yaml: fault #1, field "times":',
    ],
    [
      "faults:\n  - { endpoint: start, malformed: true, status: 500 }",
      'bad.yaml: fault #1, field "malformed":',
    ],
    [
      "faults:\n  - { endpoint: start, reset: true, recorded: true }",
      'bad.yaml: fault #1, field "recorded": only meaningful with a status',
    ],
    [
      `syncs:\n  ${ID}:\n    type: model\n    last_succeeded: yesterday`,
      `bad.yaml: sync "${ID}", field "last_succeeded": expected a time before the simulator starts, such as -26h, or an ISO date-time`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: bulk\n    schemas: [{ name: A, last_succeeded: -2h }]`,
      `bad.yaml: sync "${ID}", field "schemas[0].last_succeeded": set the sync's last_succeeded too`,
    ],
    [
      `syncs:\n  ${ID}:\n    type: bulk\n    last_succeeded: -3h\n    schemas: [{ name: A, last_succeeded: -2h }]`,
      `bad.yaml: sync "${ID}", field "schemas[0].last_succeeded": later than the sync's last_succeeded (-3h)`,
    ],
    ["surprise: 1", 'bad.yaml: field "surprise": unknown key'],
    ["syncs: [", "bad.yaml: not valid YAML/JSON"],
  ])("rejects %j", (text, message) => {
    expect(errorOf(text)).toContain(message);
  });

  it("loadScenario names the file, and loads the examples", async () => {
    const dir = await mkdtemp(join(tmpdir(), "scenario-"));
    const file = join(dir, "s.yaml");
    await writeFile(file, "syncs:\n  x:\n    type: model\n");
    await expect(loadScenario(file)).rejects.toThrow(`${file}: sync "x": sync id must be a uuid`);
    await expect(loadScenario(join(dir, "missing.yaml"))).rejects.toThrow(ScenarioError);
    for (const name of ["nightly.yaml", "flaky.yaml"]) {
      const s = await loadScenario(`examples/scenarios/${name}`);
      expect(Object.keys(s.syncs).length).toBeGreaterThanOrEqual(3);
    }
  });
});

describe("organizations", () => {
  const ORG = "7c1e0000-0000-4000-8000-0000000000a0";
  const PARENT = "7c1e0000-0000-4000-8000-00000000c000";

  it("tags a child organization's syncs with its id and keeps the top-level ones untagged", () => {
    const s = parseScenario(
      `syncs:\n  ${ID}: { type: bulk }\norganizations:\n  - id: ${ORG.toUpperCase()}\n    name: Acme\n    syncs:\n      9f1c0d2e-0000-4000-8000-0000000000a1: { type: model }`,
    );
    expect(s.syncs[ID]?.organization_id).toBeUndefined();
    expect(s.syncs["9f1c0d2e-0000-4000-8000-0000000000a1"]?.organization_id).toBe(ORG);
    expect(s.organizations).toEqual([{ id: ORG, name: "Acme", connections: [], users: [] }]);
  });

  it("refuses a sync id in two organizations, a duplicate organization, an unknown parent connection, and partner_key = api_key", () => {
    const message = errorOf(
      [
        "api_key: same-key",
        "partner_key: same-key",
        `syncs:\n  ${ID}: { type: bulk }`,
        "organizations:",
        `  - id: ${ORG}\n    name: Acme\n    syncs:\n      ${ID}: { type: bulk }`,
        `    connections:\n      - { id: ${PARENT}, name: Copy, shared_from: 7c1e0000-0000-4000-8000-00000000c0ff }`,
        `  - id: ${ORG}\n    name: Acme`,
      ].join("\n"),
    );
    expect(message).toContain(`organization #1, sync "${ID}": the sync id is already used`);
    expect(message).toContain('organization #2, field "id": duplicate organization id');
    expect(message).toContain('organization #2, field "name": duplicate organization name');
    expect(message).toContain("shared_from must name a connection of the default");
    expect(message).toContain('field "partner_key": must differ from api_key');
    expect(errorOf("organization_id: org-42\npartner_key: pk")).toContain(
      'field "organization_id": must be a uuid with partner_key or organizations',
    );
  });
});
