/**
 * The simulator behind a Function URL (simulator/lambda.ts): Function URL events (payload
 * format 2.0) in, the real simulator over HTTP on 127.0.0.1 behind it.
 */
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { simulatorState } from "../../e2e/collect";
import { ManualClock } from "../../simulator/clock";
import {
  type FunctionUrlEvent,
  functionUrlHandler,
  type SimulatorStateView,
  STATE_PATH,
} from "../../simulator/lambda";
import { parseScenario } from "../../simulator/scenario";

const repo = join(import.meta.dirname, "..", "..");
const KEY = "e2e-test-key-0123456789";
const DOMAIN = "abcdefghijklmnopqrstuvwxyz012345.lambda-url.us-east-1.on.aws";
const HUBSPOT = "e2e00000-0000-4000-8000-000000000003";
/** The scenario's default organization, which the secret's `organization_id` names. */
const OWNER = "e2e00000-0000-4000-8000-0000000000a0";
const ACME_LOAD = "e2e00000-0000-4000-8000-0000000001a1";
const basic = (organization: string, key = KEY) =>
  `Basic ${Buffer.from(`${organization}:${key}`).toString("base64")}`;

const scenario = parseScenario(
  readFileSync(join(repo, "e2e", "scenario.yaml"), "utf8"),
  "e2e/scenario.yaml",
);
const clock = new ManualClock();
let keyReads = 0;
const handler = functionUrlHandler({
  scenario,
  clock,
  apiKey: async () => {
    keyReads += 1;
    return KEY;
  },
});

function event(
  method: string,
  path: string,
  opts: { query?: string; body?: unknown; key?: string; auth?: string } = {},
): FunctionUrlEvent {
  // The API as the orchestrator's functions call it with the mixed secret: HTTP Basic
  // `<default organization>:<partner key>`; the state endpoint with the key as Bearer.
  const auth =
    opts.auth ?? (path === STATE_PATH ? `Bearer ${opts.key ?? KEY}` : basic(OWNER, opts.key));
  return {
    rawPath: path,
    rawQueryString: opts.query ?? "",
    headers: {
      host: DOMAIN,
      "content-type": "application/json",
      ...(opts.key === "" ? {} : { authorization: auth }),
    },
    ...(opts.body === undefined
      ? {}
      : { body: Buffer.from(JSON.stringify(opts.body)).toString("base64"), isBase64Encoded: true }),
    requestContext: { domainName: DOMAIN, http: { method } },
  };
}

async function call(e: FunctionUrlEvent): Promise<{ status: number; body: string; type: string }> {
  const res = await handler(e);
  const body = res.isBase64Encoded ? Buffer.from(res.body, "base64").toString("utf8") : res.body;
  return { status: res.statusCode, body, type: res.headers["content-type"] ?? "" };
}

describe("the simulator behind a Function URL", () => {
  let instance = "";
  afterAll(() => {
    expect(keyReads).toBe(1);
  });

  it("serves the API with the secret's key, and refuses other keys", async () => {
    const denied = await call(event("GET", `/api/syncs/${HUBSPOT}/status`, { key: "wrong-key" }));
    expect(denied.status).toBe(401);
    const started = await call(event("POST", `/api/syncs/${HUBSPOT}/executions`, { body: {} }));
    expect(started.status).toBe(200);
    expect(JSON.parse(started.body)).toMatchObject({ data: { status: expect.any(String) } });
  });

  it("takes the secret's key as the partner key: Basic per organization, Bearer for the partner endpoints only", async () => {
    const partner = `Bearer ${KEY}`;
    const orgs = await call(event("GET", "/api/organizations", { auth: partner }));
    expect(orgs.status).toBe(200);
    expect(orgs.body).toContain("E2E Acme");
    // The partner key as Bearer does not reach an organization's endpoints.
    const bearer = await call(event("GET", `/api/syncs/${HUBSPOT}/status`, { auth: partner }));
    expect(bearer.status).toBe(403);
    // Nor does the scenario's placeholder api_key, replaced by a value nobody holds.
    const placeholder = `Bearer ${scenario.api_key ?? ""}`;
    const user = await call(event("GET", `/api/syncs/${HUBSPOT}/status`, { auth: placeholder }));
    expect(user.status).toBe(401);
    const acme = "e2e00000-0000-4000-8000-0000000001a0";
    const started = await call(
      event("POST", `/api/bulk/syncs/${ACME_LOAD}/executions`, { body: {}, auth: basic(acme) }),
    );
    expect(started.status).toBe(200);
    const state = JSON.parse((await call(event("GET", STATE_PATH))).body) as SimulatorStateView;
    expect(state.sync_organizations[ACME_LOAD]).toBe(acme);
    expect(state.sync_organizations[HUBSPOT]).toBe(OWNER);
    expect(state.starts).toContainEqual({
      endpoint: "start",
      sync_id: ACME_LOAD,
      as: acme,
      scheme: "basic",
      status: 200,
      count: 1,
    });
    expect(state.calls).toContainEqual(
      expect.objectContaining({ endpoint: "organizations", as: "partner", scheme: "bearer" }),
    );
    expect(state.calls).toContainEqual(expect.objectContaining({ as: "refused", status: 401 }));
  });

  it("answers its state (instance, runs, start counts) to the key holder only", async () => {
    expect((await call(event("GET", STATE_PATH, { key: "" }))).status).toBe(401);
    const res = await call(event("GET", STATE_PATH));
    const state = JSON.parse(res.body) as SimulatorStateView;
    expect(state.start_counts[HUBSPOT]).toBe(1);
    expect(state.executions.filter((e) => e.syncId === HUBSPOT && !e.history)).toHaveLength(1);
    instance = state.instance;
    expect(instance).toMatch(/^[0-9a-f-]{36}$/);
  });

  it("hands out log URLs on its Function URL, and serves them", async () => {
    clock.advance(120_000);
    const list = JSON.parse(
      (await call(event("GET", `/api/syncs/${HUBSPOT}/executions`))).body,
    ) as {
      data: { id: string }[];
    };
    const id = list.data.find((e) => e)?.id ?? "";
    const logs = await call(event("GET", `/api/syncs/${HUBSPOT}/executions/${id}/records`));
    const url = new URL((JSON.parse(logs.body) as { data: { urls: string[] } }).data.urls[0] ?? "");
    expect(url.origin).toBe(`https://${DOMAIN}`);
    expect(logs.body).not.toContain("127.0.0.1");
    const file = await call(
      event("GET", url.pathname, { query: url.searchParams.toString(), key: "" }),
    );
    expect(file.status).toBe(200);
    expect(file.body.length).toBeGreaterThan(0);
  });

  it("keeps one instance across requests", async () => {
    const state = JSON.parse((await call(event("GET", STATE_PATH))).body) as SimulatorStateView;
    expect(state.instance).toBe(instance);
    expect(state.executions.find((e) => e.syncId === HUBSPOT && !e.history)?.status).toBe(
      "completed",
    );
  });

  it("answers a dropped connection (a scenario's reset fault) with a 502 the clients retry", async () => {
    const faulty = functionUrlHandler({
      scenario: parseScenario(
        `syncs:\n  ${HUBSPOT}: { type: model }\nfaults:\n  - { endpoint: status, reset: true, times: 1 }\n`,
      ),
      clock,
      apiKey: async () => KEY,
    });
    // A scenario without partner_key: the secret's key is its api_key, sent as Bearer.
    const status = event("GET", `/api/syncs/${HUBSPOT}/status`, { auth: `Bearer ${KEY}` });
    expect((await faulty(status)).statusCode).toBe(502);
    expect((await faulty(status)).statusCode).toBe(200);
  });

  it("answers the driver's simulatorState over HTTP, as a Function URL would", async () => {
    // A local stand-in for the Function URL: each HTTP request becomes a payload 2.0 event.
    const server = createServer((req, res) => {
      const url = new URL(req.url ?? "/", "http://localhost");
      const headers = Object.fromEntries(
        Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(",") : v]),
      );
      handler({
        rawPath: url.pathname,
        rawQueryString: url.search.slice(1),
        headers,
        requestContext: { domainName: DOMAIN, http: { method: req.method ?? "GET" } },
      }).then((out) => {
        res.writeHead(out.statusCode, out.headers);
        res.end(Buffer.from(out.body, out.isBase64Encoded ? "base64" : "utf8"));
      });
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    try {
      const { port } = server.address() as AddressInfo;
      const simulatorUrl = `http://127.0.0.1:${port}/`;
      const state = await simulatorState({ simulatorUrl, apiKey: KEY });
      expect(state.instance).toBe(instance);
      await expect(simulatorState({ simulatorUrl, apiKey: "wrong" })).rejects.toThrow("HTTP 401");
    } finally {
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});
