/**
 * Organization-scoped steps (partner fan-out, docs/partners.md) through the simulator over HTTP
 * (examples/scenarios/partner.yaml, where Acme and Globex each have a bulk sync named
 * "Salesforce to Snowflake"): a step input with `organization_id` starts, checks, exports
 * and cancels its run in THAT organization, with the partner key as HTTP Basic; errors name
 * the organization; the key is never written anywhere.
 */
import { readFileSync } from "node:fs";
import { PutMetricDataCommand } from "@aws-sdk/client-cloudwatch";
import { afterEach, describe, expect, it } from "vitest";
import { makeHandler as cancelHandler } from "../../../functions/cancel-sync";
import type { StepInput } from "../../../functions/core/contract";
import { POLYTOMIC_TEXT_MARKER } from "../../../functions/core/failure-text";
import { type ExecutionHistory, START_SYNC_STATE } from "../../../functions/core/history";
import { startKeyAt } from "../../../functions/core/start";
import { makeHandler as exportHandler } from "../../../functions/export-logs";
import { makeHandler as startHandler } from "../../../functions/start-sync";
import {
  ACME,
  ACME_BULK,
  ACME_MODEL,
  GLOBEX,
  GLOBEX_BULK,
  PARTNER_KEY,
  PARTNER_SCENARIO,
} from "../../fixtures/partner";
import {
  bulkInput,
  type Env,
  type EnvOptions,
  env,
  rejection,
  runToEnd,
  started,
} from "../harness";

const SCENARIO = readFileSync(new URL(`../../../${PARTNER_SCENARIO}`, import.meta.url), "utf8");
const OWNER_KEY = "sim-key";
const SYNC_NAME = "Salesforce to Snowflake";

let e: Env | undefined;
afterEach(async () => {
  await e?.close();
  e = undefined;
});

async function partnerEnv(options: EnvOptions = {}): Promise<Env> {
  e = await env(SCENARIO, { apiKey: OWNER_KEY, partnerKey: PARTNER_KEY, ...options });
  return e;
}

function inOrg(id: string, name: string, overrides: Partial<StepInput> = {}): StepInput {
  return bulkInput({
    sync: { name: SYNC_NAME },
    organization_id: id,
    organization_name: name,
    ...overrides,
  });
}

const basic = (org: string) => Buffer.from(`${org}:${PARTNER_KEY}`).toString("base64");

describe("organization-scoped steps", () => {
  it("starts, checks and exports the run in the input's organization only", async () => {
    const env = await partnerEnv();
    const { start, checks, state } = await runToEnd(env, inOrg(ACME, "Acme"));
    expect(start.sync_id).toBe(ACME_BULK);
    expect(checks.at(-1)).toMatchObject({
      terminal: true,
      outcome: "succeeded",
      step_failed: false,
    });
    const runs = env.sim.executions().filter((x) => !x.history);
    expect(runs.map((x) => x.syncId)).toEqual([ACME_BULK]);
    const logs = await exportHandler(env.deps)(state);
    expect(logs).toMatchObject({ exported: true });

    // The same step in Globex runs Globex's sync of that name (which fails there).
    const globex = await runToEnd(env, inOrg(GLOBEX, "Globex"));
    expect(globex.start.sync_id).toBe(GLOBEX_BULK);
    const failed = globex.checks.at(-1);
    expect(failed).toMatchObject({ terminal: true, step_failed: true, error_name: "Sync.Failed" });
    // Named before Polytomic's own text, which reports read from the marker to the end.
    const message = failed?.error_message ?? "";
    const marker = message.indexOf(POLYTOMIC_TEXT_MARKER);
    expect(marker).toBeGreaterThan(0);
    expect(message.slice(0, marker)).toMatch(
      new RegExp(` in organization Globex \\(${GLOBEX}\\)$`),
    );
    expect(message.slice(marker)).not.toContain("organization");
  });

  it("cancels the run in its organization", async () => {
    const env = await partnerEnv();
    const input = inOrg(ACME, "Acme");
    const start = started(await startHandler(env.deps)(input));
    env.clock.advance(30_000);
    const r = await cancelHandler(env.deps)({ ...input, start });
    expect(r).toMatchObject({ canceled: true });
    const run = env.sim.executions().find((x) => x.id === start.execution_id);
    expect(run?.syncId).toBe(ACME_BULK);
    expect(["canceling", "canceled"]).toContain(run?.status);
  });

  it("after a stopped execution (EventBridge), cancels in the organization of its input and publishes its failure", async () => {
    const env = await partnerEnv();
    const input = inOrg(GLOBEX, "Globex");
    const sfnStart = env.clock.now();
    const start = started(await startHandler(env.deps)(input));
    const history: ExecutionHistory = {
      async stateOutputs(_arn, state) {
        return state === START_SYNC_STATE ? [{ ...input, start }] : [];
      },
    };
    env.deps.executionHistory = history;
    env.clock.advance(30_000);
    const r = await cancelHandler(env.deps)({
      version: "0",
      source: "aws.states",
      "detail-type": "Step Functions Execution Status Change",
      detail: {
        executionArn: "arn:aws:states:us-east-1:123456789012:execution:run-sync:org",
        status: "ABORTED",
        startDate: sfnStart,
        input: JSON.stringify(input),
      },
    });
    expect(r).toMatchObject({ canceled: true, metrics_published: true });
    expect(env.sim.executions().find((x) => x.id === start.execution_id)?.syncId).toBe(GLOBEX_BULK);
    const data = env.cloudwatch.commandCalls(PutMetricDataCommand)[0]?.args[0].input.MetricData;
    expect(data?.find((m) => m.MetricName === "OrganizationStepFailures")?.Dimensions).toEqual([
      { Name: "Pipeline", Value: input.pipeline },
      { Name: "Organization", Value: GLOBEX },
    ]);
  });

  it("another organization's sync is not visible; Sync.NotFound names the organization", async () => {
    const env = await partnerEnv();
    const byName = await rejection(
      startHandler(env.deps)(
        inOrg(GLOBEX, "Globex", {
          sync_type: "model",
          sync: { name: "Contacts to HubSpot" },
          options: {},
        }),
      ),
    );
    expect(byName).toMatchObject({ name: "Sync.NotFound" });
    expect(byName.message).toBe(
      `no model sync is named "Contacts to HubSpot" in organization Globex (${GLOBEX})`,
    );
    // Acme's model sync by id, from Globex: the API does not show it there.
    const byId = await rejection(
      startHandler(env.deps)(
        inOrg(GLOBEX, "Globex", { sync_type: "model", sync: { id: ACME_MODEL }, options: {} }),
      ),
    );
    expect(byId.message).toContain(`in organization Globex (${GLOBEX})`);
    expect(env.sim.executions().filter((x) => !x.history)).toEqual([]);
  });

  it("without organization_id the function's own credentials run the step, as before", async () => {
    // The secret's own key acts as the partner's owner organization, which has no such sync.
    const env = await partnerEnv();
    const err = await rejection(startHandler(env.deps)(bulkInput({ sync: { name: SYNC_NAME } })));
    expect(err).toMatchObject({ name: "Sync.NotFound" });
    expect(err.message).toBe(`no bulk sync is named "${SYNC_NAME}"`);
  });

  it("an organization-scoped step with no partner key is Config.Invalid, saying so", async () => {
    const env = await partnerEnv({ partnerKey: undefined });
    const err = await rejection(startHandler(env.deps)(inOrg(ACME, "Acme")));
    expect(err).toMatchObject({ name: "Config.Invalid" });
    expect(err.message).toContain("no partner key");
    expect(err.message).toContain(`in organization Acme (${ACME})`);
    expect(env.sim.requests()).toEqual([]);
  });

  it("never writes the partner key or its Basic form, in logs or errors", async () => {
    // The key is not registered with the redactor up front: partner access registers it.
    const env = await partnerEnv({ registerKey: false });
    await runToEnd(env, inOrg(GLOBEX, "Globex"));
    await rejection(startHandler(env.deps)(inOrg(GLOBEX, "Globex", { sync: { name: "nope" } })));
    const written = env.lines.join("\n");
    expect(written).toContain(GLOBEX);
    for (const secret of [PARTNER_KEY, basic(GLOBEX)]) expect(written).not.toContain(secret);
  });

  it("keys its starts by organization, and by nothing more without one", () => {
    const plain = bulkInput();
    expect(startKeyAt(plain, 0)).toBe(startKeyAt({ ...plain }, 0));
    const acme = startKeyAt({ ...plain, organization_id: ACME }, 0);
    const globex = startKeyAt({ ...plain, organization_id: GLOBEX }, 0);
    expect(new Set([startKeyAt(plain, 0), acme, globex]).size).toBe(3);
    expect(startKeyAt({ ...plain, organization_id: ACME }, 2)).not.toBe(startKeyAt(plain, 2));
  });
});
