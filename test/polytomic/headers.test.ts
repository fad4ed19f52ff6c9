/** The headers and URLs the client sends, seen by a real HTTP server. */
import { afterEach, describe, expect, it } from "vitest";
import { DEFAULT_API_VERSION, PolytomicClient } from "../../functions/polytomic/client";
import { PolytomicError } from "../../functions/polytomic/errors";
import { json, type RecordingServer, recordingServer } from "./recording-server";

let server: RecordingServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const KEY = "hdr_key_0123456789";
const noSleep = async () => {};

async function okServer(): Promise<RecordingServer> {
  return recordingServer((req, res) => {
    if (req.url.startsWith("/files/")) {
      res.writeHead(200, { "content-type": "text/plain" });
      res.end("line\n");
      return;
    }
    const path = req.url.split("?")[0] ?? "";
    if (path.endsWith("/logs/export")) return json(res, 200, { job: { job_id: "j" } });
    if (req.method === "GET" && /\/(executions|syncs)$/.test(path)) {
      return json(res, 200, { data: [], pagination: {} });
    }
    json(res, 200, { data: { id: "x", status: "created" } });
  });
}

describe("request headers", () => {
  it("sends Bearer key, version and Accept on every call; Content-Type only with a body", async () => {
    server = await okServer();
    const client = new PolytomicClient({ apiKey: KEY, baseUrl: server.url, sleep: noSleep });
    await client.getModelSyncStatus("s 1/2");
    await client.startBulkSync("s1", { schemas: ["A"] }, { idempotencyKey: "start-key-1" });
    const [get, post] = server.requests;
    expect(get?.headers).toMatchObject({
      authorization: `Bearer ${KEY}`,
      "x-polytomic-version": DEFAULT_API_VERSION,
      accept: "application/json",
    });
    expect(get?.headers["content-type"]).toBeUndefined();
    expect(get?.headers["idempotency-key"]).toBeUndefined();
    // Path parameters are encoded.
    expect(get?.url).toBe("/api/syncs/s%201%2F2/status");
    expect(post).toMatchObject({
      method: "POST",
      url: "/api/bulk/syncs/s1/executions",
      body: '{"schemas":["A"]}',
    });
    expect(post?.headers).toMatchObject({
      "content-type": "application/json",
      "idempotency-key": "start-key-1",
      authorization: `Bearer ${KEY}`,
    });
  });

  it("sends organization-scoped credentials as HTTP Basic base64(<organization id>:<key>)", async () => {
    server = await okServer();
    const org = "0b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    const client = new PolytomicClient({
      apiKey: async () => ({ organizationId: org, key: KEY }),
      baseUrl: server.url,
      sleep: noSleep,
    });
    await client.getBulkSyncStatus("s1");
    expect(server.requests[0]?.headers.authorization).toBe(
      `Basic ${Buffer.from(`${org}:${KEY}`).toString("base64")}`,
    );
    const bad = new PolytomicClient({
      apiKey: { organizationId: "a:b", key: KEY },
      baseUrl: server.url,
      sleep: noSleep,
    });
    const err = await bad.getBulkSyncStatus("s1").catch((e: unknown) => e as PolytomicError);
    expect(err).toMatchObject({ name: "Polytomic.Unauthorized", attempts: 0 });
    expect((err as Error).message).toContain("organization id");
    expect((err as Error).message).not.toContain(KEY);
    expect(server.requests).toHaveLength(1);
  });

  it("sends Idempotency-Key on cancel and log export, with no body on either", async () => {
    server = await okServer();
    const client = new PolytomicClient({ apiKey: KEY, baseUrl: server.url, sleep: noSleep });
    await client.cancelModelExecution("s", "e", { idempotencyKey: "cancel-model-1" });
    await client.cancelBulkExecution("s", "e", { idempotencyKey: "cancel-bulk-1" });
    await client.exportBulkLogs("s", "e", { idempotencyKey: "export-key-1", notify: true });
    expect(server.requests.map((r) => [r.url, r.headers["idempotency-key"], r.body])).toEqual([
      ["/api/syncs/s/executions/e/cancel", "cancel-model-1", ""],
      ["/api/bulk/syncs/s/executions/e/cancel", "cancel-bulk-1", ""],
      ["/api/bulk/syncs/s/executions/e/logs/export?notify=true", "export-key-1", ""],
    ]);
  });

  it("sends a configured version, base path and query strings built from the options", async () => {
    server = await okServer();
    const client = new PolytomicClient({
      apiKey: async () => `  ${KEY}\n`,
      baseUrl: `${server.url}/proxy`,
      apiVersion: "2024-01-01",
      sleep: noSleep,
    });
    await client.listBulkExecutions("b", { onlyTerminal: true, limit: 5, pageToken: "a+b=" });
    await client.getModelConsoleLogs("m", "e", { after: "7", limit: 2 });
    await client.listModelSyncs();
    expect(server.requests.map((r) => r.url)).toEqual([
      "/proxy/api/bulk/syncs/b/executions?page_token=a%2Bb%3D&only_terminal=true&limit=5",
      "/proxy/api/syncs/m/executions/e/consolelog?limit=2&after=7",
      "/proxy/api/syncs",
    ]);
    expect(server.requests[0]?.headers["x-polytomic-version"]).toBe("2024-01-01");
    // A provider's key is trimmed (secrets often end in a newline).
    expect(server.requests[0]?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it("downloads without the API key or version header and leaves the body unread", async () => {
    server = await okServer();
    const client = new PolytomicClient({ apiKey: KEY, baseUrl: server.url, sleep: noSleep });
    const res = await client.download(`${server.url}/files/a.jsonl?X-Amz-Signature=abcdef123456`);
    expect(res.bodyUsed).toBe(false);
    expect(await res.text()).toBe("line\n");
    const [req] = server.requests;
    expect(req?.url).toBe("/files/a.jsonl?X-Amz-Signature=abcdef123456");
    expect(req?.headers.authorization).toBeUndefined();
    expect(req?.headers["x-polytomic-version"]).toBeUndefined();
  });

  it("treats a redirect from the API as a configuration error, not followed or retried", async () => {
    server = await recordingServer((_req, res) => {
      res.writeHead(301, { location: "https://elsewhere.example/api/syncs?token=zzz" });
      res.end();
    });
    const client = new PolytomicClient({ apiKey: KEY, baseUrl: server.url, sleep: noSleep });
    const err = await client.getModelSync("s").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PolytomicError);
    expect(err).toMatchObject({ name: "Polytomic.Error", status: 301, attempts: 1 });
    expect((err as Error).message).toBe(
      "GET /api/syncs/s: unexpected redirect to https://elsewhere.example/api/syncs; check the base URL (it must be the API's own https origin) (301)",
    );
    expect(server.requests).toHaveLength(1);
  });
});

describe("configuration errors", () => {
  it("rejects a bad base URL or retry numbers at construction", () => {
    expect(() => new PolytomicClient({ apiKey: KEY, baseUrl: "app.polytomic.com" })).toThrow(
      /baseUrl is not a valid URL/,
    );
    expect(
      () => new PolytomicClient({ apiKey: KEY, baseUrl: "https://h.example/?key=secret-value" }),
    ).toThrow(/without query/);
    expect(() => new PolytomicClient({ apiKey: KEY, retry: { maxAttempts: 0 } })).toThrow(
      /retry.maxAttempts must be a number >= 1/,
    );
  });

  it("refuses an empty or header-unsafe API key without sending", async () => {
    server = await okServer();
    for (const apiKey of ["", "two words", "caf\u00e9-key-123"]) {
      const client = new PolytomicClient({ apiKey, baseUrl: server.url, sleep: noSleep });
      const err = await client.getModelSync("s").catch((e: unknown) => e);
      expect(err).toMatchObject({ name: "Polytomic.Unauthorized", attempts: 0 });
    }
    expect(server.requests).toEqual([]);
  });
});
