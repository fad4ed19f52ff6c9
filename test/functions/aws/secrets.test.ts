import { readFileSync } from "node:fs";
import { S3Client } from "@aws-sdk/client-s3";
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { type AdapterContext, awsDeps } from "../../../functions/aws/aws-deps";
import { partnerFromEnv, polytomicFromEnv } from "../../../functions/aws/polytomic-from-env";
import { s3SinkFromEnv } from "../../../functions/aws/s3-sink";
import { parseSecret, parseSecretValue, SecretKeyStore } from "../../../functions/aws/secrets";
import { Redactor } from "../../../functions/core/redact";
import {
  ManualClock,
  parseScenario,
  type RunningSimulator,
  startSimulator,
} from "../../../simulator";
import {
  ACME,
  ACME_BULK,
  GLOBEX,
  GLOBEX_BULK,
  PARTNER_KEY,
  PARTNER_SCENARIO,
} from "../../fixtures/partner";
import { KEY, MODEL, rejection, scenario } from "../harness";

const PARTNER_YAML = readFileSync(new URL(`../../../${PARTNER_SCENARIO}`, import.meta.url), "utf8");

const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic-AbCdEf";
const sm = mockClient(SecretsManagerClient);

beforeEach(() => {
  sm.reset();
});

function store(clock = new ManualClock(), redactor = new Redactor()) {
  return {
    clock,
    redactor,
    keys: new SecretKeyStore({
      client: new SecretsManagerClient({ region: "us-east-1" }),
      secretArn: ARN,
      redactor,
      ttlMs: 300_000,
      clock,
    }),
  };
}

describe("SecretKeyStore", () => {
  it("reads the raw key or JSON {api_key}", () => {
    expect(parseSecret("abc123")).toBe("abc123");
    expect(parseSecret('{"api_key": "k-1"}')).toBe("k-1");
    expect(parseSecret('{"other": "x"}')).toBeUndefined();
    expect(parseSecret("  ")).toBeUndefined();
  });

  it("reads JSON {organization_id, api_key} as organization-scoped (HTTP Basic) credentials", () => {
    const org = "0b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    expect(parseSecret(JSON.stringify({ organization_id: org, api_key: " pk-1 " }))).toEqual({
      organizationId: org,
      key: "pk-1",
    });
    expect(parseSecret(JSON.stringify({ organization_id: "acme", api_key: "pk-1" }))).toBe(
      undefined,
    );
    expect(parseSecret(JSON.stringify({ organization_id: org }))).toBeUndefined();
  });

  it("reads JSON {partner_key} as the partner's Bearer key, and with organization_id as Basic", () => {
    const org = "0b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    expect(parseSecret('{"partner_key": " pk-1 "}')).toBe("pk-1");
    expect(parseSecret(JSON.stringify({ organization_id: org, partner_key: "pk-1" }))).toEqual({
      organizationId: org,
      key: "pk-1",
    });
    expect(parseSecret('{"partner_key": "pk-1", "api_key": "k-1"}')).toBeUndefined();
  });

  it("caches for the TTL, then reads again", async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: "key-1" })
      .resolves({ SecretString: '{"api_key":"key-2"}' });
    const { keys, clock } = store();
    expect(await keys.get()).toBe("key-1");
    clock.advance(299_000);
    expect(await keys.get()).toBe("key-1");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    clock.advance(2_000);
    expect(await keys.get()).toBe("key-2");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(sm.commandCalls(GetSecretValueCommand)[0]?.args[0].input).toEqual({ SecretId: ARN });
  });

  it("registers the key with the redactor", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "very-secret-key" });
    const { keys, redactor } = store();
    await keys.get();
    expect(redactor.text("Bearer x very-secret-key y")).not.toContain("very-secret-key");
  });

  it("a missing secret is Config.MissingSecret naming the ARN", async () => {
    sm.on(GetSecretValueCommand).rejects(
      new ResourceNotFoundException({
        message: "Secrets Manager can't find the specified secret.",
        $metadata: {},
      }),
    );
    const err = await rejection(store().keys.get());
    expect(err.name).toBe("Config.MissingSecret");
    expect(err.message).toContain(ARN);
  });

  it("an empty JSON secret is Config.MissingSecret without the value", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: '{"apikey":"typo-value"}' });
    const err = await rejection(store().keys.get());
    expect(err.name).toBe("Config.MissingSecret");
    expect(err.message).not.toContain("typo-value");
    // It names every form the secret may take, the partner key's too.
    expect(err.message).toContain('{"api_key": "..."}');
    expect(err.message).toContain('{"partner_key": "..."}');
  });

  it("throttling is Aws.Throttled", async () => {
    sm.on(GetSecretValueCommand).rejects(
      Object.assign(new Error("rate"), { name: "ThrottlingException" }),
    );
    expect((await rejection(store().keys.get())).name).toBe("Aws.Throttled");
  });
});

describe("organization-scoped credentials from the secret", () => {
  let sim: RunningSimulator;
  afterEach(async () => {
    await sim?.close();
  });

  it("calls the API with HTTP Basic base64(<organization_id>:<key>), which never reaches a message", async () => {
    const org = "0b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    sim = await startSimulator({
      scenario: parseScenario(`${scenario()}\norganization_id: ${org}\n`, "t.yaml"),
      clock: new ManualClock(),
    });
    const d = (secret: object) => {
      sm.reset();
      sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });
      return awsDeps(
        {
          polytomic: (ctx) =>
            polytomicFromEnv(ctx, new SecretsManagerClient({ region: "us-east-1" })),
        },
        { POLYTOMIC_SECRET_ARN: ARN, POLYTOMIC_API_URL: sim.url, LOG_LEVEL: "error" },
      );
    };
    const ok = await d({ organization_id: org, api_key: KEY });
    expect(await ok.polytomic.getModelSyncStatus(MODEL)).toBeDefined();
    const other = "1b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    const denied = await d({ organization_id: other, api_key: KEY });
    const err = await rejection(denied.polytomic.getModelSyncStatus(MODEL));
    expect(err.name).toBe("Polytomic.Unauthorized");
    const token = Buffer.from(`${other}:${KEY}`).toString("base64");
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain(token);
    expect(denied.redactor.text(`Basic ${token}`)).not.toContain(token);
    expect(sim.requests().map((r) => r.status)).toEqual([200, 401, 401]);
  });
});

describe("the partner key from the secret (partner fan-out)", () => {
  let sim: RunningSimulator;
  afterEach(async () => {
    await sim?.close();
  });

  it("tells a partner key from a user key", () => {
    const org = "0b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    expect(parseSecretValue('{"partner_key": "pk-1"}')?.partnerKey).toBe("pk-1");
    expect(
      parseSecretValue(JSON.stringify({ organization_id: org, api_key: "pk-1" }))?.partnerKey,
    ).toBe("pk-1");
    expect(parseSecretValue('{"api_key": "k-1"}')?.partnerKey).toBeUndefined();
    expect(parseSecretValue("k-1")?.partnerKey).toBeUndefined();
  });

  async function partnerDeps(secret: object) {
    sim = await startSimulator({
      scenario: parseScenario(PARTNER_YAML, "partner.yaml"),
      clock: new ManualClock(),
    });
    sm.on(GetSecretValueCommand).resolves({ SecretString: JSON.stringify(secret) });
    const client = new SecretsManagerClient({ region: "us-east-1" });
    return awsDeps(
      {
        polytomic: (ctx) => polytomicFromEnv(ctx, client),
        partner: (ctx) => partnerFromEnv(ctx, client),
      },
      { POLYTOMIC_SECRET_ARN: ARN, POLYTOMIC_API_URL: sim.url, LOG_LEVEL: "error" },
    );
  }

  it("reaches the partner endpoints and each organization, one secret read, one client per organization", async () => {
    const d = await partnerDeps({ partner_key: PARTNER_KEY });
    const partner = d.partner;
    if (!partner) throw new Error("no partner access");
    expect((await partner.partner.listOrganizations()).length).toBe(3);
    expect(partner.organization(ACME)).toBe(partner.organization(ACME.toUpperCase()));
    expect(await partner.organization(ACME).getBulkSyncStatus(ACME_BULK)).toBeDefined();
    expect(await partner.organization(GLOBEX).getBulkSyncStatus(GLOBEX_BULK)).toBeDefined();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
    const token = Buffer.from(`${GLOBEX}:${PARTNER_KEY}`).toString("base64");
    const redacted = d.redactor.text(`key ${PARTNER_KEY} basic ${token}`);
    expect(redacted).not.toContain(PARTNER_KEY);
    expect(redacted).not.toContain(token);
  });

  it("a secret with a user key only is Config.Invalid for an organization, naming the secret", async () => {
    const d = await partnerDeps({ api_key: "sim-key" });
    const err = await rejection(
      d.partner?.organization(ACME).getBulkSyncStatus(ACME_BULK) ?? Promise.resolve(),
    );
    expect(err.name).toBe("Config.Invalid");
    expect(err.message).toContain(ARN);
    expect(err.message).toContain("no partner key");
    expect(sim.requests()).toEqual([]);
  });
});

describe("401: the key is re-read once", () => {
  let sim: RunningSimulator;
  afterEach(async () => {
    await sim?.close();
  });

  async function deps() {
    sim = await startSimulator({
      scenario: parseScenario(scenario(), "t.yaml"),
      clock: new ManualClock(),
    });
    return awsDeps(
      {
        polytomic: (ctx) =>
          polytomicFromEnv(ctx, new SecretsManagerClient({ region: "us-east-1" })),
      },
      { POLYTOMIC_SECRET_ARN: ARN, POLYTOMIC_API_URL: sim.url, LOG_LEVEL: "error" },
    );
  }

  it("a rotated key: 401, refresh, retry succeeds", async () => {
    sm.on(GetSecretValueCommand)
      .resolvesOnce({ SecretString: "old-key-0000" })
      .resolves({ SecretString: JSON.stringify({ api_key: KEY }) });
    const d = await deps();
    const status = await d.polytomic.getModelSyncStatus(MODEL);
    expect(status).toBeDefined();
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(sim.requests().map((r) => r.status)).toEqual([401, 200]);
    // Cached afterwards.
    await d.polytomic.getModelSyncStatus(MODEL);
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
  });

  it("a wrong key stays Polytomic.Unauthorized after exactly one refresh", async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: "wrong-key-0000" });
    const d = await deps();
    const err = await rejection(d.polytomic.getModelSyncStatus(MODEL));
    expect(err.name).toBe("Polytomic.Unauthorized");
    expect(err.message).not.toContain("wrong-key-0000");
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(2);
    expect(sim.requests().map((r) => r.status)).toEqual([401, 401]);
  });
});

const ALL = {
  polytomic: (ctx: AdapterContext) =>
    polytomicFromEnv(ctx, new SecretsManagerClient({ region: "us-east-1" })),
  logs: (ctx: AdapterContext) => s3SinkFromEnv(ctx, new S3Client({ region: "us-east-1" })),
};

describe("environment", () => {
  it("names a missing variable", async () => {
    const err = await rejection(awsDeps(ALL, { LOGS_BUCKET: "b" }));
    expect(err.name).toBe("Config.Invalid");
    expect(err.message).toContain("POLYTOMIC_SECRET_ARN");
    const err2 = await rejection(awsDeps(ALL, { POLYTOMIC_SECRET_ARN: ARN }));
    expect(err2.message).toContain("LOGS_BUCKET");
    const err3 = await rejection(
      awsDeps(ALL, { POLYTOMIC_SECRET_ARN: ARN, LOGS_BUCKET: "b", LOG_TYPES: "errors,nope" }),
    );
    expect(err3.name).toBe("Config.Invalid");
    expect(err3.message).toContain("LOG_TYPES");
  });

  it("applies LOGS_PREFIX and LOG_TYPES", async () => {
    const d = await awsDeps(ALL, {
      POLYTOMIC_SECRET_ARN: ARN,
      LOGS_BUCKET: "b",
      LOGS_PREFIX: "x/y",
      LOG_TYPES: "records, errors",
    });
    expect(d.config.logsPrefix).toBe("x/y");
    expect(d.config.logTypes).toEqual(["records", "errors"]);
  });
});
