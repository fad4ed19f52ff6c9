import { EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import { GetSecretValueCommand, SecretsManagerClient } from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { signBody } from "../../../functions/core/webhook-signature";
import { makeHandler, webhookDepsFromEnv } from "../../../functions/webhook";

const SECRET = "whsec-handler-test-secret";
const ARN = "arn:aws:secretsmanager:us-east-1:123456789012:secret:webhook-AbCdEf";
const sm = mockClient(SecretsManagerClient);
const eb = mockClient(EventBridgeClient);
const env = {
  WEBHOOK_SECRET_ARN: ARN,
  EVENT_BUS_NAME: "polytomic-events",
  WEBHOOK_SIGNATURE_ALGORITHM: "hmac-sha256-base64",
};

let out: string[];
beforeEach(() => {
  sm.reset();
  eb.reset();
  sm.on(GetSecretValueCommand, { SecretId: ARN }).resolves({ SecretString: SECRET });
  eb.on(PutEventsCommand).resolves({ FailedEntryCount: 0, Entries: [{ EventId: "e1" }] });
  out = [];
  vi.spyOn(process.stdout, "write").mockImplementation((chunk) => {
    out.push(String(chunk));
    return true;
  });
});
afterEach(() => {
  vi.restoreAllMocks();
});

function handler(extra: Record<string, string> = {}) {
  return makeHandler(
    webhookDepsFromEnv(
      { ...env, ...extra },
      { secrets: new SecretsManagerClient({}), events: new EventBridgeClient({}) },
    ),
  );
}

function delivery(createdAt = new Date()) {
  return JSON.stringify({
    id: "33333333-3333-4333-8333-333333333333",
    type: "sync.completed",
    created_at: createdAt.toISOString(),
    organization_id: "44444444-4444-4444-8444-444444444444",
    event: {
      execution_id: "11111111-1111-4111-8111-111111111111",
      sync_id: "22222222-2222-4222-8222-222222222222",
      status: "completed",
    },
  });
}

describe("webhook handler", () => {
  it("verifies the base64 Function URL body and puts the event on the bus", async () => {
    const body = delivery();
    const res = await handler()({
      body: Buffer.from(body).toString("base64"),
      isBase64Encoded: true,
      headers: { "Polytomic-Signature": signBody(body, SECRET, "hmac-sha256-base64") },
    });
    expect(res.statusCode).toBe(200);
    const calls = eb.commandCalls(PutEventsCommand);
    expect(calls).toHaveLength(1);
    const entry = calls[0]?.args[0].input.Entries?.[0];
    expect(entry).toMatchObject({
      EventBusName: "polytomic-events",
      Source: "polytomic",
      DetailType: "sync.completed",
    });
    expect(JSON.parse(entry?.Detail ?? "{}")).toMatchObject({
      execution_id: "11111111-1111-4111-8111-111111111111",
      sync_id: "22222222-2222-4222-8222-222222222222",
      type: "sync.completed",
    });
  });

  it("answers 500 when PutEvents refuses the entry, and never writes the secret", async () => {
    eb.on(PutEventsCommand).resolves({
      FailedEntryCount: 1,
      Entries: [{ ErrorCode: "ThrottlingException" }],
    });
    const body = delivery();
    const res = await handler()({
      body,
      headers: { "polytomic-signature": signBody(body, SECRET, "hmac-sha256-base64") },
    });
    expect(res.statusCode).toBe(500);
    const bad = await handler()({ body, headers: { "polytomic-signature": "AAAA" } });
    expect(bad.statusCode).toBe(401);
    expect(out.join("")).not.toContain(SECRET);
    expect(JSON.stringify([res, bad])).not.toContain(SECRET);
  });

  it("reads the secret once per TTL", async () => {
    const h = handler();
    const body = delivery();
    const sig = signBody(body, SECRET, "hmac-sha256-base64");
    await h({ body, headers: { "polytomic-signature": sig } });
    await h({ body, headers: { "polytomic-signature": sig } });
    expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
  });

  it("refuses an unknown algorithm at setup", () => {
    expect(() => handler({ WEBHOOK_SIGNATURE_ALGORITHM: "md5" })).toThrow(/unknown algorithm/);
  });
});
