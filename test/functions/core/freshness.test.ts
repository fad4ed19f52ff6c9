/**
 * The freshness core against the simulator over HTTP: each sync's and each schema's last
 * success, read from the real list and get endpoints, under both readings of what the docs
 * leave open (whether the bulk list carries `schemas`, whether a paused sync keeps its runs).
 */
import { afterEach, describe, expect, it } from "vitest";
import { checkFreshness, type FreshSync } from "../../../functions/core/freshness";
import { type Env, env, MODEL, scenario } from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const H = 3600;
const model = (max: number, sync: FreshSync["sync"] = { id: MODEL }): FreshSync => ({
  type: "model",
  sync,
  label: sync.name ?? MODEL,
  max_age_seconds: max,
  schemas: [],
});
const bulk = (max: number, schemas: FreshSync["schemas"] = []): FreshSync => ({
  type: "bulk",
  sync: { name: "Salesforce to Snowflake" },
  label: "Salesforce to Snowflake",
  max_age_seconds: max,
  schemas,
});
const check = (syncs: FreshSync[], bounds = { max_api_calls: 200, max_pages: 5 }) =>
  checkFreshness({ syncs, ...bounds }, e.client, e.clock.now());

const BULK_SCHEMAS = `last_succeeded: -1h
schemas:
  - { name: Account }
  - { name: Contact, last_succeeded: -72h }`;

describe("checkFreshness", () => {
  it("a paused sync goes stale: its last success is 26 hours old against 24; watched by id, the list gives its name", async () => {
    e = await env(scenario("active: false\nlast_succeeded: -26h"));
    const report = await check([model(24 * H)]);
    expect(report.rows).toEqual([
      {
        sync: MODEL,
        type: "model",
        sync_id: MODEL,
        name: "Contacts to HubSpot",
        active: false,
        max_age_seconds: 24 * H,
        last_success: new Date(e.clock.now() - 26 * H * 1000).toISOString(),
        age_seconds: 26 * H,
        status: "stale",
      },
    ]);
    // One page of the model sync list, one of its executions.
    expect(report.api_calls).toBe(2);
  });

  it("the same sync within its max_age is ok; by name too", async () => {
    e = await env(scenario("last_succeeded: -26h"));
    const report = await check([model(27 * H, { name: "Contacts to HubSpot" })]);
    expect(report.rows).toMatchObject([
      {
        sync: "Contacts to HubSpot",
        sync_id: MODEL,
        active: true,
        age_seconds: 26 * H,
        status: "ok",
      },
    ]);
  });

  for (const listSchemas of ["included", "omitted"] as const) {
    it(`a bulk schema that stopped loading is stale while the others load (list ${listSchemas} schemas)`, async () => {
      e = await env(scenario("", BULK_SCHEMAS, `assumptions: { list_schemas: ${listSchemas} }`));
      const report = await check([
        bulk(2 * H, [
          { schema: "Account", max_age_seconds: 2 * H },
          { schema: "Contact", max_age_seconds: 26 * H },
        ]),
      ]);
      expect(report.rows.map((r) => [r.schema, r.age_seconds, r.status])).toEqual([
        [undefined, H, "ok"],
        ["Account", H, "ok"],
        ["Contact", 72 * H, "stale"],
      ]);
      // The list of syncs and one page of runs; without schemas on the list, each run is read.
      expect(report.api_calls).toBe(listSchemas === "included" ? 2 : 4);
    });
  }

  it("a sync that never succeeded is 'never', with no age", async () => {
    e = await env(scenario());
    const report = await check([model(H)]);
    expect(report.rows).toMatchObject([{ status: "never" }]);
    expect(report.rows[0]?.age_seconds).toBeUndefined();
  });

  it("a paused sync whose runs the list no longer shows is 'never', not fresh", async () => {
    e = await env(
      scenario(
        "active: false\nlast_succeeded: -1h",
        "",
        "assumptions: { paused_executions: dropped }",
      ),
    );
    const report = await check([model(24 * H)]);
    expect(report.rows).toMatchObject([{ status: "never", active: false }]);
  });

  it("an unknown name is unreadable, saying so; the other syncs are still read", async () => {
    e = await env(scenario("last_succeeded: -1h"));
    const report = await check([model(2 * H, { name: "Contacts to Hubspot" }), model(2 * H)]);
    expect(report.rows).toMatchObject([
      { status: "unreadable", reason: 'no model sync is named "Contacts to Hubspot"' },
      { status: "ok" },
    ]);
  });

  it("reaching max_api_calls is reported on the rows it left unread, never as an age", async () => {
    e = await env(scenario("last_succeeded: -1h", "last_succeeded: -1h"));
    const report = await check([model(2 * H), bulk(2 * H)], { max_api_calls: 2, max_pages: 5 });
    expect(report.api_calls).toBe(2);
    expect(report.rows).toMatchObject([
      { status: "ok" },
      {
        status: "unreadable",
        reason: "the check's bound of 2 API calls (max_api_calls) was reached",
      },
    ]);
    expect(report.rows[1]?.age_seconds).toBeUndefined();
  });

  it("a success older than max_pages of failed runs is unreadable; one more page finds it", async () => {
    e = await env(
      scenario("last_succeeded: -26h\noutcome: failed\nqueue_seconds: 0\nduration_seconds: 1"),
    );
    for (let i = 0; i < 50; i++) {
      await e.client.startModelSync(MODEL, {}, { idempotencyKey: `fresh-test-${i}` });
      e.clock.advance(2_000);
    }
    const one = await check([model(24 * H)], { max_api_calls: 200, max_pages: 1 });
    expect(one.rows).toMatchObject([
      { status: "unreadable", reason: "no successful run in the pages read (max_pages)" },
    ]);
    const two = await check([model(24 * H)], { max_api_calls: 200, max_pages: 2 });
    expect(two.rows).toMatchObject([{ status: "stale", age_seconds: 26 * H + 100 }]);
  });
});

describe("checkFreshness: the executions list's order", () => {
  const history = `last_succeeded: -1h\nhistory_seconds: [${Array(60).fill(60).join(", ")}]`;

  it("stops at the first page holding a success while the pages are newest first", async () => {
    e = await env(scenario(history));
    const report = await check([model(2 * H)]);
    expect(report.rows).toMatchObject([{ age_seconds: H, status: "ok" }]);
    expect(report.api_calls).toBe(2);
  });

  it("reads on, and keeps the latest success, when a list answers oldest first", async () => {
    e = await env(scenario(history), {
      wrap: (api) =>
        new Proxy(api, {
          get: (target, property, receiver) =>
            property === "listModelExecutions"
              ? (id: string, query: object, options: object) =>
                  target.listModelExecutions(id, { ...query, ascending: true }, options)
              : Reflect.get(target, property, receiver),
        }),
    });
    const report = await checkFreshness(
      { syncs: [model(2 * H)], max_api_calls: 200, max_pages: 5 },
      e.deps.polytomic,
      e.clock.now(),
    );
    expect(report.rows).toMatchObject([{ age_seconds: H, status: "ok" }]);
    expect(report.api_calls).toBe(3);
  });
});

describe("checkFreshness: a page token that repeats", () => {
  it("is not the end of the history: no success found is unreadable, not 'never'", async () => {
    e = await env(scenario("outcome: failed"), {
      wrap: (api) =>
        new Proxy(api, {
          get: (target, property, receiver) =>
            property === "listModelExecutions"
              ? async () => ({ data: [], nextPageToken: "same" })
              : Reflect.get(target, property, receiver),
        }),
    });
    const report = await checkFreshness(
      { syncs: [model(H)], max_api_calls: 200, max_pages: 5 },
      e.deps.polytomic,
      e.clock.now(),
    );
    expect(report.rows).toMatchObject([{ status: "unreadable" }]);
    // The syncs list, then the first page and the one whose token repeated.
    expect(report.api_calls).toBe(3);
  });
});
