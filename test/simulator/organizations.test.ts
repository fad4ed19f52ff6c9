/**
 * The simulator's organizations over HTTP (simulator/organizations.ts, docs/simulator.md
 * "Organizations and partner keys"): who each credential is, the 403s of the wrong scope,
 * isolation between organizations, and the partner endpoints checked against the spec.
 */
import { afterEach, describe, expect, it } from "vitest";
import { ORGANIZATION_ID } from "../../simulator/state";
import { BULK, type Harness, harness, KEY, scenario, T } from "./helpers";

const PARTNER = "sim-partner-key";
const ACME = "7c1e0000-0000-4000-8000-0000000000a0";
const ACME_BULK = "7c1e0000-0000-4000-8000-00000000a001";
const ACME_USER_KEY = "acme-user-key";

const YAML = scenario(
  "",
  "",
  `partner_key: ${PARTNER}
organization_name: Partner HQ
organizations:
  - id: ${ACME}
    name: Acme
    users:
      - { id: 7c1e0000-0000-4000-8000-00000000e0a0, email: ops@acme.example, api_key: ${ACME_USER_KEY} }
    syncs:
      ${ACME_BULK}: { type: bulk, name: Acme load }
faults:
  - { endpoint: organizations, status: 503, times: 1 }`,
);

const basic = (org: string, key: string) =>
  `Basic ${Buffer.from(`${org}:${key}`).toString("base64")}`;
const bearer = (key: string) => `Bearer ${key}`;

let h: Harness;
afterEach(async () => {
  await h?.sim.close();
});

async function current(authorization: string): Promise<{ status: number; name?: string }> {
  const r = await h.call("GET", "/api/organization", "/api/organization", {
    headers: { authorization },
  });
  return { status: r.status, ...(r.status === 200 ? { name: r.body.data.name } : {}) };
}

describe("who a credential is", () => {
  it("maps each credential to the partner or one organization", async () => {
    h = await harness(YAML);
    // The scripted fault on `organizations` is taken first: partner routes are fault endpoints.
    expect((await current(bearer(KEY))).status).toBe(503);
    expect(await current(bearer(KEY))).toEqual({ status: 200, name: "Partner HQ" });
    expect(await current(bearer(ACME_USER_KEY))).toEqual({ status: 200, name: "Acme" });
    expect(await current(basic(ACME, PARTNER))).toEqual({ status: 200, name: "Acme" });
    expect(await current(basic(ORGANIZATION_ID, PARTNER))).toEqual({
      status: 200,
      name: "Partner HQ",
    });
    expect(await current(basic(ORGANIZATION_ID, KEY))).toEqual({ status: 200, name: "Partner HQ" });
    expect((await current(basic(ACME, KEY))).status).toBe(401);
    expect((await current(bearer(PARTNER))).status).toBe(403);
    expect((await current(bearer("nope"))).status).toBe(401);
  });

  it("answers 403 to an organization on partner endpoints and to the partner Bearer on an organization's", async () => {
    h = await harness(YAML.replace(/faults:[\s\S]*$/, ""));
    const orgs = (authorization: string) =>
      h.call("GET", "/api/organizations", "/api/organizations", { headers: { authorization } });
    expect((await orgs(bearer(KEY))).status).toBe(403);
    expect((await orgs(basic(ACME, PARTNER))).status).toBe(403);
    const listed = await orgs(bearer(PARTNER));
    expect(listed.body.data.map((o: { name: string }) => o.name)).toEqual(["Partner HQ", "Acme"]);
    const hooks = await h.call("GET", "/api/webhooks", "/api/webhooks", {
      headers: { authorization: bearer(PARTNER) },
    });
    expect(hooks.status).toBe(403);
  });
});

describe("isolation", () => {
  it("shows each organization only its own syncs; another's answers 404", async () => {
    h = await harness(YAML.replace(/faults:[\s\S]*$/, ""));
    const get = (id: string, authorization: string) =>
      h.call("GET", `/api/bulk/syncs/${id}`, T.bulkSync, { headers: { authorization } });
    expect((await get(ACME_BULK, basic(ACME, PARTNER))).body.data.organization_id).toBe(ACME);
    expect((await get(ACME_BULK, bearer(KEY))).status).toBe(404);
    expect((await get(BULK, bearer(ACME_USER_KEY))).status).toBe(404);
    expect((await get(BULK, bearer(KEY))).body.data.organization_id).toBe(ORGANIZATION_ID);
    const list = await h.call("GET", "/api/bulk/syncs", T.bulkSyncs, {
      headers: { authorization: basic(ACME, PARTNER) },
    });
    expect(list.body.data.map((s: { id: string }) => s.id)).toEqual([ACME_BULK]);
  });
});

describe("partner endpoints against the spec", () => {
  it("refuses a create without its required name (400) and a malformed entity id", async () => {
    h = await harness(YAML.replace(/faults:[\s\S]*$/, ""));
    const authorization = bearer(PARTNER);
    const created = await h.call("POST", "/api/organizations", "/api/organizations", {
      headers: { authorization, "idempotency-key": "create-org-nameless" },
      body: { sso_domain: "acme.example" },
    });
    expect(created.status).toBe(400);
    const entity = await h.call(
      "GET",
      "/api/organizations/entities/not-a-uuid",
      "/api/organizations/entities/{id}",
      { headers: { authorization } },
    );
    expect([400, 404]).toContain(entity.status);
  });

  it("refuses a user with both role and role_ids, or with no role_ids (the spec's words, 422)", async () => {
    h = await harness(YAML.replace(/faults:[\s\S]*$/, ""));
    const create = (body: object, key: string) =>
      h.call("POST", `/api/organizations/${ACME}/users`, "/api/organizations/{org_id}/users", {
        headers: { authorization: bearer(PARTNER), "idempotency-key": key },
        body,
      });
    const role = "7c1e0000-0000-4000-8000-00000000f001";
    const both = await create(
      { email: "a@acme.example", role: "admin", role_ids: [role] },
      "user-both",
    );
    expect(both.status).toBe(422);
    expect((await create({ email: "b@acme.example", role_ids: [] }, "user-empty")).status).toBe(
      422,
    );
    const made = await create({ email: "c@acme.example", role_ids: [role] }, "user-created");
    expect(made.body.data).toMatchObject({ organization_id: ACME, role_ids: [role] });
  });
});

describe("webhooks (the default organization's only)", () => {
  it("refuses another organization's caller and sends it none of that organization's events", async () => {
    h = await harness(YAML.replace(/faults:[\s\S]*$/, ""));
    const acme = { authorization: basic(ACME, PARTNER) };
    expect((await h.call("GET", "/api/webhooks", "/api/webhooks", { headers: acme })).status).toBe(
      403,
    );
    const hook = await h.call("POST", "/api/webhooks", "/api/webhooks", {
      body: { endpoint: "http://127.0.0.1:9/unreachable", secret: "hook-secret" },
    });
    expect(hook.status).toBe(200);
    const own = await h.call("POST", `/api/bulk/syncs/${BULK}/executions`, T.bulkStart, {
      body: {},
    });
    await h.call("POST", `/api/bulk/syncs/${ACME_BULK}/executions`, T.bulkStart, {
      body: {},
      headers: acme,
    });
    h.clock.advance(3_600_000);
    await h.sim.webhooks.pump();
    const executions = new Set(h.sim.webhooks.deliveries().map((d) => d.executionId));
    expect([...executions]).toEqual([own.body.data.id]);
  });
});
