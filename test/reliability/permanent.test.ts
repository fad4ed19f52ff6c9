/**
 * Guarantee: permanent problems fail fast, once, with a named error and a message that says
 * what to fix. "Once": the simulator's request log shows a single request for it.
 */
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from "@aws-sdk/client-secrets-manager";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { awsDeps } from "../../functions/aws/aws-deps";
import { polytomicFromEnv } from "../../functions/aws/polytomic-from-env";
import { makeHandler as startHandler } from "../../functions/start-sync";
import {
  config,
  handlers,
  KEY,
  runPipeline,
  runStep,
  stepInput,
  stillRunning,
  uuid,
  type World,
  world,
} from "./harness";

let w: World | undefined;
afterEach(async () => {
  await w?.close();
  w = undefined;
});

const MODEL = uuid(1);
const BULK = uuid(2);
const UNKNOWN = uuid(99);
const scenario = (faults = "") => `api_key: ${KEY}
syncs:
  ${MODEL}:
    type: model
    name: Contacts to HubSpot
  ${BULK}:
    type: bulk
    name: Salesforce to Snowflake
    schemas: [{ name: Account }, { name: Contact }]
${faults}`;

interface Case {
  name: string;
  faults?: string;
  apiKey?: string;
  step: string;
  error: string;
  /** Parts of the message that say what to fix. */
  says: RegExp[];
}

const CASES: Case[] = [
  {
    name: "unknown sync id",
    step: `model_sync: ${UNKNOWN}`,
    error: "Sync.NotFound",
    says: [new RegExp(UNKNOWN)],
  },
  {
    name: "unknown sync name",
    step: "model_sync: { name: Contacts to Hubspot }",
    error: "Sync.NotFound",
    says: [/Contacts to Hubspot/],
  },
  {
    name: "revoked key (401)",
    apiKey: "revoked-key-0000",
    step: `model_sync: ${MODEL}`,
    error: "Polytomic.Unauthorized",
    says: [/check the Polytomic API key/],
  },
  {
    name: "forbidden (403)",
    faults: "faults:\n  - { endpoint: start, status: 403, times: 5 }",
    step: `model_sync: ${MODEL}`,
    error: "Polytomic.Forbidden",
    says: [/lacks permission/],
  },
  {
    name: "invalid start options (400)",
    step: `bulk_sync: ${BULK}\n        schemas: [Acount]`,
    error: "Polytomic.BadRequest",
    says: [/Acount/],
  },
];

describe("permanent problems fail fast, once, with a named error that says what to fix", () => {
  for (const c of CASES) {
    it(c.name, async () => {
      w = await world(scenario(c.faults));
      const h = handlers(w, c.apiKey ? { apiKey: c.apiKey } : {});

      const cfg = config(`pipelines:
  nightly:
    steps:
      - id: broken
        ${c.step}
      - id: after_broken
        model_sync: ${MODEL}
        after: [broken]
`);
      const result = await runPipeline(w, h, cfg, "nightly");
      expect(result.status).toBe("failed");
      const [broken, after] = result.steps;
      expect(broken?.status).toBe("failed");
      expect(broken?.error?.name).toBe(c.error);
      for (const says of c.says) expect(broken?.error?.message).toMatch(says);
      expect(broken?.error?.message).not.toContain(c.apiKey ?? KEY);
      expect(after?.status).toBe("skipped");
      // Once: one request, not retried by the client nor by the state machine.
      expect(w.sim.requests()).toHaveLength(1);
      expect(w.sim.startCount(MODEL) + w.sim.startCount(BULK)).toBe(0);
      expect(stillRunning(w)).toEqual([]);
    });
  }

  it("a secret that does not exist: Config.MissingSecret naming it, nothing sent to Polytomic", async () => {
    w = await world(scenario());
    const sm = mockClient(SecretsManagerClient);
    try {
      const arn = "arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic-api-key-AbCdEf";
      sm.on(GetSecretValueCommand).rejects(
        new ResourceNotFoundException({
          message: "Secrets Manager can't find the specified secret.",
          $metadata: {},
        }),
      );
      const deps = await awsDeps(
        {
          polytomic: (ctx) =>
            polytomicFromEnv(ctx, new SecretsManagerClient({ region: "us-east-1" })),
        },
        { POLYTOMIC_SECRET_ARN: arn, POLYTOMIC_API_URL: w.sim.url, LOG_LEVEL: "silent" },
      );
      const h = handlers(w);
      const start = startHandler(deps);
      const result = await runStep(
        w,
        {
          ...h,
          functions: { ...h.functions, "start-sync": (input) => start(input) },
        },
        stepInput(),
      );
      expect(result.status).toBe("FAILED");
      expect(result.error).toBe("Config.MissingSecret");
      expect(result.cause).toContain(arn);
      expect(sm.commandCalls(GetSecretValueCommand)).toHaveLength(1);
      expect(w.sim.requests()).toEqual([]);
    } finally {
      sm.restore();
    }
  });
});
