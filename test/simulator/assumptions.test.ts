/**
 * What the simulator invents where the spec is silent, each behind a scenario switch
 * (`assumptions`, docs/simulator.md), and what it takes from the spec's prose where the
 * schema omits it (the bulk sync list's pagination), plus HTTP Basic auth (`orgScopedAPIKey`).
 */
import { afterEach, describe, expect, it } from "vitest";
import { serve } from "../../simulator";
import { ORGANIZATION_ID } from "../../simulator/state";
import {
  BULK,
  bulkSyncEntries,
  type Harness,
  harness,
  heldSleep,
  KEY,
  MODEL,
  scenario,
  T,
} from "./helpers";

let h: Harness;
afterEach(async () => {
  await h?.sim.close();
});

const model = `/api/syncs/${MODEL}`;
const bulk = `/api/bulk/syncs/${BULK}`;

describe("GET /api/bulk/syncs pagination (the operation's description)", () => {
  it("serves at most 50 a page with an opaque next_page_token, and honours limit", async () => {
    h = await harness(`api_key: ${KEY}\nsyncs:\n${bulkSyncEntries(60, 101)}`);
    const first = await h.call("GET", "/api/bulk/syncs", T.bulkSyncs);
    expect(first.status).toBe(200);
    expect(first.body.data).toHaveLength(50);
    const token = first.body.pagination.next_page_token as string;
    expect(typeof token).toBe("string");
    const second = await h.call(
      "GET",
      `/api/bulk/syncs?page_token=${encodeURIComponent(token)}`,
      T.bulkSyncs,
    );
    expect(second.body.data).toHaveLength(10);
    expect(second.body.pagination?.next_page_token).toBeUndefined();
    const names = [...first.body.data, ...second.body.data].map((s: { name: string }) => s.name);
    expect(new Set(names).size).toBe(60);
    const small = await h.call("GET", "/api/bulk/syncs?limit=7", T.bulkSyncs);
    expect(small.body.data).toHaveLength(7);
    expect((await h.call("GET", "/api/bulk/syncs?limit=500", T.bulkSyncs)).body.data).toHaveLength(
      50,
    );
  });
});

describe("assumptions.only_completed", () => {
  const yaml = (choice: string) =>
    scenario(
      "duration_seconds: 1\noutcome: failed",
      "",
      `assumptions:\n  only_completed: ${choice}`,
    );

  async function failedRunListed(): Promise<number> {
    const start = await h.call("POST", `${model}/executions`, T.modelStart, {
      body: {},
      headers: { "idempotency-key": "only-completed-1" },
    });
    expect(start.status).toBe(200);
    h.clock.advance(60_000);
    const list = await h.call("GET", `${model}/executions?only_completed=true`, T.modelList);
    return list.body.data.length;
  }

  it("terminal (default reading): a failed run is listed", async () => {
    h = await harness(yaml("terminal"));
    expect(await failedRunListed()).toBe(1);
  });

  it("completed: a failed run is not", async () => {
    h = await harness(yaml("completed"));
    expect(await failedRunListed()).toBe(0);
  });
});

describe("assumptions.export_result", () => {
  async function doneJobResult(): Promise<unknown> {
    const start = await h.call("POST", `${bulk}/executions`, T.bulkStart, {
      body: {},
      headers: { "idempotency-key": "export-result-start" },
    });
    h.clock.advance(120_000);
    const exp = await h.call(
      "POST",
      `${bulk}/executions/${start.body.data.id}/logs/export`,
      T.bulkExport,
      { headers: { "idempotency-key": "export-result-1" } },
    );
    h.clock.advance(60_000);
    const job = await h.call("GET", `/api/jobs/exportlogs/${exp.body.job.job_id}`, T.job);
    expect(job.body.data.status).toBe("done");
    return job.body.data.result;
  }

  it.each([
    ["url_object", (r: unknown) => typeof (r as { url?: unknown }).url === "string"],
    ["url_string", (r: unknown) => typeof r === "string"],
    ["urls_array", (r: unknown) => Array.isArray((r as { urls?: unknown }).urls)],
  ])("%s", async (shape, check) => {
    h = await harness(
      scenario("", "duration_seconds: 1", `assumptions:\n  export_result: ${shape}`),
    );
    expect(check(await doneJobResult())).toBe(true);
  });
});

describe("assumptions.in_flight_409_key", () => {
  it("names the key of the 409 for an Idempotency-Key still in flight", async () => {
    // The first request's delay ends only when the test says so.
    const gate = heldSleep();
    h = await harness(
      scenario(
        "",
        "",
        "assumptions:\n  in_flight_409_key: conflict\nfaults:\n  - { endpoint: start, delay_seconds: 5 }",
      ),
      { sleep: gate.sleep },
    );
    const headers = { "idempotency-key": "in-flight-key-1" };
    const first = h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    await gate.inFlight;
    const second = await h.call("POST", `${model}/executions`, T.modelStart, { body: {}, headers });
    expect(second.status).toBe(409);
    expect(second.body.key).toBe("conflict");
    gate.release();
    expect((await first).status).toBe(200);
  });
});

describe("console log retention", () => {
  it("keeps only the latest 50 entries, as the endpoint's description says", async () => {
    const schemas = Array.from(
      { length: 60 },
      (_, i) => `      - { name: S${i}, outcome: failed }`,
    );
    h = await harness(
      scenario("", `duration_seconds: 1\noutcome: failed\nschemas:\n${schemas.join("\n")}`),
    );
    const start = await h.call("POST", `${bulk}/executions`, T.bulkStart, {
      body: {},
      headers: { "idempotency-key": "console-retention" },
    });
    h.clock.advance(120_000);
    const path = `${bulk}/executions/${start.body.data.id}/consolelog`;
    const all = await h.call("GET", `${path}?limit=500`, T.bulkConsole);
    expect(all.body.data.entries).toHaveLength(50);
    expect(all.body.data.entries[0].message).not.toContain("created");
  });
});

describe("HTTP Basic (orgScopedAPIKey)", () => {
  const basic = (org: string, key: string) =>
    `Basic ${Buffer.from(`${org}:${key}`).toString("base64")}`;

  it("accepts base64(<organization id>:<key>) and refuses another organization or key", async () => {
    h = await harness(scenario("", ""));
    const status = async (authorization: string) =>
      (await h.call("GET", `${bulk}/status`, T.bulkStatus, { headers: { authorization } })).status;
    expect(await status(basic(ORGANIZATION_ID, KEY))).toBe(200);
    expect(await status(basic(ORGANIZATION_ID, "nope"))).toBe(401);
    expect(await status(basic("another-org", KEY))).toBe(401);
    expect(await status(`Basic ${Buffer.from(KEY).toString("base64")}`)).toBe(401);
  });

  it("takes the organization id from the scenario", async () => {
    h = await harness(scenario("", "", "organization_id: org-42"));
    const r = await h.call("GET", `${bulk}/status`, T.bulkStatus, {
      headers: { authorization: basic("org-42", KEY) },
    });
    expect(r.status).toBe(200);
  });
});

describe("serve (the standalone simulator)", () => {
  it("checks its responses against the spec by default", async () => {
    const sim = await serve({ scenarioPath: "examples/scenarios/nightly.yaml", speed: 60 });
    try {
      expect(sim.validatesResponses).toBe(true);
    } finally {
      await sim.close();
    }
  });
});
