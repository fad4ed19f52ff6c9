/**
 * resolve-organizations through the simulator over HTTP (examples/scenarios/partner.yaml): the
 * partner key as Bearer, organizations by id, by name, all, or by a shared connection, and
 * the contract's errors.
 */
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import {
  ORGANIZATION_NAME_MAX_BYTES,
  type ResolveOrganizationsInput,
} from "../../../functions/core/contract";
import type { PolytomicApi, PolytomicPartnerApi } from "../../../functions/core/ports";
import { makeHandler } from "../../../functions/resolve-organizations";
import {
  ACME,
  GLOBEX,
  GLOBEX_BULK,
  PARENT_CONNECTION,
  PARTNER_KEY,
  PARTNER_SCENARIO,
  UNKNOWN,
} from "../../fixtures/partner";
import { type Env, type EnvOptions, env, rejection } from "../harness";

const SCENARIO = readFileSync(new URL(`../../../${PARTNER_SCENARIO}`, import.meta.url), "utf8");
const OWNER_NAME = "Partner HQ";
/** A connection of the owner organization that nobody has a shared copy of. */
const UNSHARED = "7c1e0000-0000-4000-8000-00000000c001";
const WITH_UNSHARED = SCENARIO.replace(
  "  - { id: 7c1e0000-0000-4000-8000-00000000c000, name: Shared Snowflake }",
  `  - { id: 7c1e0000-0000-4000-8000-00000000c000, name: Shared Snowflake }\n  - { id: ${UNSHARED}, name: Private Postgres }`,
);

let current: Env | undefined;
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function resolve(
  organizations: ResolveOrganizationsInput["organizations"],
  options: EnvOptions = {},
  yaml = SCENARIO,
) {
  current = await env(yaml, { apiKey: "sim-key", partnerKey: PARTNER_KEY, ...options });
  return makeHandler(current.deps)({ pipeline: "nightly", organizations });
}

const ACME_ORG = { id: ACME, name: "Acme" };
const GLOBEX_ORG = { id: GLOBEX, name: "Globex" };

describe("resolve-organizations", () => {
  it("resolves a list of ids and names in the listed order, without duplicates", async () => {
    expect(await resolve({ list: [GLOBEX, "Acme", ACME.toUpperCase(), "Globex"] })).toEqual({
      organizations: [GLOBEX_ORG, ACME_ORG],
      count: 2,
    });
  });

  it("all: every organization the partner key sees, the owner included, by name", async () => {
    const result = await resolve({ all: true });
    expect(result.organizations.map((o) => o.name)).toEqual(["Acme", "Globex", OWNER_NAME]);
    expect(result.count).toBe(3);
  });

  it("sharing_connection: the organizations holding a shared copy of the connection", async () => {
    expect(await resolve({ sharing_connection: PARENT_CONNECTION })).toEqual({
      organizations: [ACME_ORG, GLOBEX_ORG],
      count: 2,
    });
  });

  it("a name or id the partner key does not see is Organization.NotFound, naming it", async () => {
    current = await env(SCENARIO, { apiKey: "sim-key", partnerKey: PARTNER_KEY });
    const handler = makeHandler(current.deps);
    const byName = await rejection(
      handler({ pipeline: "nightly", organizations: { list: ["Acme", "Initech"] } }),
    );
    expect(byName).toMatchObject({ name: "Organization.NotFound" });
    expect(byName.message).toContain('"Initech"');
    const byId = await rejection(
      handler({ pipeline: "nightly", organizations: { list: [UNKNOWN] } }),
    );
    expect(byId).toMatchObject({ name: "Organization.NotFound" });
    expect(byId.message).toContain(UNKNOWN);
  });

  it("sharing_connection: an unknown id is Polytomic.NotFound naming it; another entity is Input.Invalid", async () => {
    const unknown = await rejection(resolve({ sharing_connection: UNKNOWN }));
    expect(unknown).toMatchObject({ name: "Polytomic.NotFound" });
    expect(unknown.message).toContain(`sharing_connection ${UNKNOWN}`);
    const notConnection = await rejection(
      makeHandler(current?.deps as Env["deps"])({
        pipeline: "nightly",
        organizations: { sharing_connection: GLOBEX_BULK },
      }),
    );
    expect(notConnection).toMatchObject({ name: "Input.Invalid" });
    expect(notConnection.message).toContain("is a bulk_sync, not a connection");
  });

  it("a name two organizations have is Organization.AmbiguousName, listing their ids", async () => {
    // The simulator keeps names unique (a scenario choice); Polytomic's docs do not say so.
    const twin = "7c1e0000-0000-4000-8000-0000000000c0";
    const wrapPartner = (api: PolytomicApi & PolytomicPartnerApi) =>
      new Proxy(api, {
        get(target, prop, receiver) {
          if (prop !== "listOrganizations") return Reflect.get(target, prop, receiver);
          return async () => [...(await target.listOrganizations()), { id: twin, name: "Acme" }];
        },
      });
    const err = await rejection(resolve({ list: ["Acme"] }, { wrapPartner }));
    expect(err).toMatchObject({ name: "Organization.AmbiguousName" });
    expect(err.message).toContain(ACME);
    expect(err.message).toContain(twin);
    // By id it is not ambiguous.
    expect(
      (
        await makeHandler(current?.deps as Env["deps"])({
          pipeline: "nightly",
          organizations: { list: [twin] },
        })
      ).organizations,
    ).toEqual([{ id: twin, name: "Acme" }]);
  });

  it("an empty set is Organization.NoneFound", async () => {
    const err = await rejection(resolve({ sharing_connection: UNSHARED }, {}, WITH_UNSHARED));
    expect(err).toMatchObject({ name: "Organization.NoneFound" });
    expect(err.message).toContain("nightly");
    const none = await rejection(
      makeHandler(current?.deps as Env["deps"])({
        pipeline: "nightly",
        organizations: { list: [] },
      }),
    );
    expect(none).toMatchObject({ name: "Organization.NoneFound" });
  });

  it("cuts a name longer than ORGANIZATION_NAME_MAX_BYTES of UTF-8 on a character, ending …", async () => {
    const long = `Globex ${"Ünïcödé ".repeat(40)}`.trim();
    const yaml = SCENARIO.replace("    name: Globex\n", `    name: ${long}\n`);
    const result = await resolve({ list: [GLOBEX] }, {}, yaml);
    const name = result.organizations[0]?.name ?? "";
    expect(Buffer.byteLength(long)).toBeGreaterThan(ORGANIZATION_NAME_MAX_BYTES);
    expect(Buffer.byteLength(name)).toBeLessThanOrEqual(ORGANIZATION_NAME_MAX_BYTES);
    expect(name.endsWith("…")).toBe(true);
    expect(long.startsWith(name.slice(0, -1))).toBe(true);
    // By the full name it is still found; short names are untouched.
    const byName = await makeHandler(current?.deps as Env["deps"])({
      pipeline: "nightly",
      organizations: { list: [long, "Acme"] },
    });
    expect(byName.organizations.map((o) => o.name)).toEqual([name, "Acme"]);
  });

  it("a secret without a partner key is Config.Invalid, saying so", async () => {
    const err = await rejection(resolve({ all: true }, { partnerKey: undefined }));
    expect(err).toMatchObject({ name: "Config.Invalid" });
    expect(err.message).toContain("partner key");
  });

  it("rejects an input that is not an organizations spec", async () => {
    current = await env(SCENARIO, { apiKey: "sim-key", partnerKey: PARTNER_KEY });
    const handler = makeHandler(current.deps);
    for (const organizations of [
      {},
      { all: false },
      { list: "Acme" },
      { sharing_connection: "Shared Snowflake" },
      { all: true, list: [] },
    ]) {
      await expect(handler({ pipeline: "nightly", organizations })).rejects.toMatchObject({
        name: "Input.Invalid",
      });
    }
  });
});
