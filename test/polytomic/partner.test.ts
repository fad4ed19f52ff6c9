/**
 * A partner key through the client against the simulator over HTTP (docs/partners.md): Bearer
 * for the partner endpoints, HTTP Basic `<organization id>:<partner key>` for one organization's
 * endpoints, each organization seeing only its own syncs, and the key never in an error.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { organizationCredentials, PolytomicClient } from "../../functions/polytomic/client";
import { redactText } from "../../functions/polytomic/redact";
import { ManualClock, parseScenario, startSimulator } from "../../simulator";
import {
  ACME,
  ACME_BULK,
  ACME_MODEL,
  ACME_USER,
  GLOBEX,
  GLOBEX_BULK,
  PARENT_CONNECTION,
  PARTNER_KEY,
  PARTNER_SCENARIO,
  UNKNOWN,
} from "../fixtures/partner";

const SCENARIO = readFileSync(new URL(`../../${PARTNER_SCENARIO}`, import.meta.url), "utf8");
const OWNER = "Partner HQ";

const closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c()));
});

async function partnerSetup(yaml = SCENARIO) {
  const clock = new ManualClock();
  const sim = await startSimulator({
    scenario: parseScenario(yaml, "partner.yaml"),
    clock,
    validateResponses: true,
  });
  closers.push(() => sim.close());
  const client = (apiKey: ConstructorParameters<typeof PolytomicClient>[0]["apiKey"]) =>
    new PolytomicClient({
      apiKey,
      baseUrl: sim.url,
      sleep: async () => {},
      retry: { maxAttempts: 1 },
    });
  return { sim, clock, client, partner: client(PARTNER_KEY) };
}

const failure = (p: Promise<unknown>) => p.then(() => undefined).catch((e: unknown) => e as Error);

describe("partner endpoints (Bearer partner key)", () => {
  it("lists the organizations owner first and creates one; a taken name is a 409", async () => {
    const { partner } = await partnerSetup();
    const names = (await partner.listOrganizations()).map((o) => o.name);
    expect(names).toEqual([OWNER, "Acme", "Globex"]);
    const created = await partner.createOrganization(
      { name: "Initech", client_secret: "oidc-secret-never-returned" },
      { idempotencyKey: "create-org-initech" },
    );
    expect(created).toMatchObject({ name: "Initech" });
    expect(JSON.stringify(created)).not.toContain("oidc-secret");
    expect((await partner.listOrganizations()).map((o) => o.name)).toContain("Initech");
    const taken = await failure(
      partner.createOrganization({ name: "Acme" }, { idempotencyKey: "create-org-acme-2" }),
    );
    expect(taken).toMatchObject({ name: "Polytomic.Conflict", status: 409 });
  });

  it("resolves a sync, an execution, a connection, a user and an organization to its organization", async () => {
    const { partner, client } = await partnerSetup();
    const acme = client(organizationCredentials(PARTNER_KEY, ACME));
    const started = await acme.startModelSync(ACME_MODEL, {}, { idempotencyKey: "start-acme-1" });
    const executionId = started.id ?? "";

    expect(await partner.getPartnerEntity(ACME_BULK)).toEqual({
      id: ACME_BULK,
      type: "bulk_sync",
      canonical_path: `/api/bulk/syncs/${ACME_BULK}`,
      organization_id: ACME,
    });
    expect(await partner.getPartnerEntity(executionId)).toEqual({
      id: executionId,
      type: "sync_execution",
      canonical_path: `/api/syncs/${ACME_MODEL}/executions/${executionId}`,
      organization_id: ACME,
      relationships: { sync: { id: ACME_MODEL, path: `/api/syncs/${ACME_MODEL}` } },
    });
    const globexRuns = await client(
      organizationCredentials(PARTNER_KEY, GLOBEX),
    ).listBulkExecutions(GLOBEX_BULK);
    const pastRun = globexRuns.data[0]?.id ?? "";
    expect(await partner.getPartnerEntity(pastRun)).toMatchObject({
      type: "bulk_sync_execution",
      organization_id: GLOBEX,
      relationships: { bulk_sync: { id: GLOBEX_BULK } },
    });
    expect(await partner.getPartnerEntity(PARENT_CONNECTION)).toMatchObject({
      type: "connection",
      canonical_path: `/api/connections/${PARENT_CONNECTION}`,
    });
    expect(await partner.getPartnerEntity(ACME_USER)).toMatchObject({
      type: "user",
      organization_id: ACME,
    });
    expect(await partner.getPartnerEntity(GLOBEX)).toMatchObject({ type: "organization" });
    const unknown = await failure(partner.getPartnerEntity(UNKNOWN));
    expect(unknown).toMatchObject({ name: "Polytomic.NotFound", status: 404 });
  });

  it("lists a parent connection's shared copies; another organization's id is a 404", async () => {
    const { partner } = await partnerSetup();
    const owner = (await partner.listOrganizations())[0]?.id ?? "";
    const shared = await partner.listSharedConnections(owner, PARENT_CONNECTION);
    expect(shared.map((c) => [c.organization_id, c.parent_connection_id])).toEqual([
      [ACME, PARENT_CONNECTION],
      [GLOBEX, PARENT_CONNECTION],
    ]);
    const wrongOrg = await failure(partner.listSharedConnections(ACME, PARENT_CONNECTION));
    expect(wrongOrg).toMatchObject({ status: 404 });
  });

  it("refuses an organization's key on partner endpoints, and the partner key as Bearer on an organization's", async () => {
    const { partner, client } = await partnerSetup();
    const userKey = await failure(client("sim-key").getPartnerEntity(ACME_BULK));
    expect(userKey).toMatchObject({ name: "Polytomic.Forbidden", status: 403 });
    const basic = client(organizationCredentials(PARTNER_KEY, ACME));
    expect(await failure(basic.listOrganizations())).toMatchObject({ status: 403 });
    expect(await failure(partner.getBulkSync(ACME_BULK))).toMatchObject({ status: 403 });
  });
});

describe("an organization's endpoints (HTTP Basic <organization id>:<partner key>)", () => {
  it("sees only its own organization's syncs, executions and jobs", async () => {
    const { client } = await partnerSetup();
    const acme = client(organizationCredentials(PARTNER_KEY, ACME));
    const globex = client(organizationCredentials(PARTNER_KEY, GLOBEX));
    expect(await acme.getCurrentOrganization()).toMatchObject({ id: ACME, name: "Acme" });
    expect((await acme.listBulkSyncs()).data.map((s) => s.id)).toEqual([ACME_BULK]);
    expect((await globex.listBulkSyncs()).data.map((s) => s.id)).toEqual([GLOBEX_BULK]);
    expect(await acme.getBulkSync(ACME_BULK)).toMatchObject({ organization_id: ACME });
    const crossed = await failure(globex.getBulkSync(ACME_BULK));
    expect(crossed).toMatchObject({ name: "Polytomic.NotFound", status: 404 });
    const run = await acme.startBulkSync(ACME_BULK, {}, { idempotencyKey: "start-acme-bulk" });
    const peek = await failure(globex.getBulkExecution(ACME_BULK, run.id ?? ""));
    expect(peek).toMatchObject({ status: 404 });
    const start = await failure(
      globex.startBulkSync(ACME_BULK, {}, { idempotencyKey: "start-from-globex" }),
    );
    expect(start).toMatchObject({ status: 404 });
  });

  it("keeps the default organization's syncs for the user key, and refuses an unknown organization", async () => {
    const { client } = await partnerSetup();
    expect((await client("sim-key").listBulkSyncs()).data).toEqual([]);
    const stranger = client(organizationCredentials(PARTNER_KEY, UNKNOWN));
    expect(await failure(stranger.listBulkSyncs())).toMatchObject({ status: 401 });
  });

  it("never shows the partner key, nor its Basic form, in an error", async () => {
    const { client } = await partnerSetup();
    const wrong = "wrong-partner-key-0123456789";
    const token = Buffer.from(`${ACME}:${wrong}`).toString("base64");
    const err = await failure(client(organizationCredentials(wrong, ACME)).listBulkSyncs());
    expect(err).toMatchObject({ name: "Polytomic.Unauthorized", status: 401 });
    const seen = JSON.stringify({ message: err?.message, err });
    expect(seen).not.toContain(wrong);
    expect(seen).not.toContain(token);
  });
});

describe("organization users and their keys", () => {
  it("creates a user, mints a key that acts as the user's organization, and force revokes it", async () => {
    const { partner, client } = await partnerSetup();
    const user = await partner.createOrganizationUser(
      GLOBEX,
      { email: "ops@globex.example" },
      { idempotencyKey: "create-user-globex" },
    );
    expect(user).toMatchObject({ organization_id: GLOBEX, email: "ops@globex.example" });
    expect((await partner.listOrganizationUsers(GLOBEX)).map((u) => u.id)).toEqual([user.id]);
    const first = await partner.createUserApiKey(GLOBEX, user.id ?? "", {
      idempotencyKey: "mint-key-globex-1",
    });
    const asUser = client(first.value ?? "");
    expect((await asUser.listBulkSyncs()).data.map((s) => s.id)).toEqual([GLOBEX_BULK]);
    await partner.createUserApiKey(GLOBEX, user.id ?? "", {
      idempotencyKey: "mint-key-globex-2",
      force: true,
    });
    expect(await failure(asUser.listBulkSyncs())).toMatchObject({ status: 401 });
    const elsewhere = await failure(
      partner.createUserApiKey(ACME, user.id ?? "", { idempotencyKey: "mint-key-wrong-org" }),
    );
    expect(elsewhere).toMatchObject({ status: 404 });
  });
});

describe("redaction of Basic credentials", () => {
  it("replaces a Basic header's base64 credentials in free text, and keeps prose", () => {
    const token = Buffer.from(`${ACME}:${PARTNER_KEY}`).toString("base64");
    const out = redactText(`sent Authorization: Basic ${token} to the API`);
    expect(out).not.toContain(token);
    expect(out).toContain("Basic [redacted]");
    expect(redactText("Basic auth failed")).toBe("Basic auth failed");
  });
});
