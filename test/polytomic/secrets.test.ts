/**
 * No error the client can throw carries the API key or a signed URL's query string: not in
 * the message, the stack, the JSON, the body or the cause chain.
 */
import { inspect } from "node:util";
import { afterEach, describe, expect, it } from "vitest";
import { PolytomicClient } from "../../functions/polytomic/client";
import { PolytomicError } from "../../functions/polytomic/errors";
import { REDACTED } from "../../functions/polytomic/redact";
import { BULK, closeAll, idem, KEY, MODEL, rejection, setup, syncs, UNKNOWN } from "./helpers";
import { json, recordingServer } from "./recording-server";

afterEach(closeAll);

/** Every way an error can be shown or serialized. */
function renderings(err: Error): string[] {
  return [
    err.message,
    String(err),
    err.stack ?? "",
    JSON.stringify(err),
    inspect(err, { depth: 10, showHidden: true }),
  ];
}

function expectClean(err: Error, secrets: string[]): void {
  for (const text of renderings(err)) {
    for (const secret of secrets) expect(text).not.toContain(secret);
  }
}

describe("the API key never appears in an error", () => {
  it("for every error class the client throws", async () => {
    const t = await setup(
      syncs(
        "duration_seconds: 600",
        "schemas:\n  - { name: Account }",
        `faults:
  - { endpoint: cancel, status: 403, times: 1 }
  - { endpoint: status, sync: ${MODEL}, status: 429, retry_after_seconds: 1, times: 9 }
  - { endpoint: status, sync: ${BULK}, status: 503, times: 9 }
  - { endpoint: executions, reset: true, times: 9 }
  - { endpoint: job, malformed: true, times: 9 }
  - { endpoint: logs, delay_seconds: 20, times: 9 }`,
      ),
      { retry: { maxAttempts: 2 } },
    );
    const started = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    const wrongKey = "wrong_key_NEVER_SHOWN_424242";
    const errors = await Promise.all([
      rejection(t.client.startBulkSync(BULK, { schemas: ["Nope"] }, { idempotencyKey: idem() })),
      rejection(t.makeClient({ apiKey: wrongKey }).getModelSync(MODEL)),
      rejection(
        t.client.cancelModelExecution(MODEL, started.id as string, { idempotencyKey: idem() }),
      ),
      rejection(t.client.getModelSync(UNKNOWN)),
      rejection(
        t.client.startModelSync(MODEL, { resync: false, test: false }, { idempotencyKey: idem() }),
      ),
      rejection(t.client.getModelSyncStatus(MODEL)),
      rejection(t.client.getBulkSyncStatus(BULK)),
      rejection(t.client.listModelExecutions(MODEL)),
      rejection(t.client.getJob("exportlogs", "00000000-0000-4000-8000-000000000000")),
      rejection(
        t.makeClient({ requestTimeoutMs: 30 }).getModelConsoleLogs(MODEL, started.id as string),
      ),
      rejection(
        t.client.startModelSync(
          MODEL,
          { resync: false, test: false },
          { idempotencyKey: "bad key" },
        ),
      ),
      rejection(t.client.getModelSync(MODEL, { deadline: 0 })),
      rejection(t.makeClient({ apiKey: `${KEY} with a space` }).getModelSync(MODEL)),
    ]);
    expect(errors.map((e) => e.name)).toEqual([
      "Polytomic.BadRequest",
      "Polytomic.Unauthorized",
      "Polytomic.Forbidden",
      "Polytomic.NotFound",
      "Polytomic.Conflict",
      "Polytomic.RateLimited",
      "Polytomic.ServerError",
      "Polytomic.Timeout",
      "Polytomic.MalformedResponse",
      "Polytomic.Timeout",
      "Input.Invalid",
      "Polytomic.Timeout",
      "Polytomic.Unauthorized",
    ]);
    for (const err of errors) {
      expect(err).toBeInstanceOf(PolytomicError);
      expectClean(err, [KEY, wrongKey]);
    }
  });

  it("even when the server echoes the key and URL back", async () => {
    const key = "echo_KEY_secret_31337";
    const server = await recordingServer((req, res) => {
      const status = req.url.includes("bad") ? 400 : 500;
      json(res, status, {
        key: "echo",
        message: `you sent ${req.headers.authorization} to http://127.0.0.1${req.url}`,
        status,
        metadata: { token: key },
      });
    });
    try {
      const client = new PolytomicClient({
        apiKey: key,
        baseUrl: server.url,
        sleep: async () => {},
        retry: { maxAttempts: 2 },
      });
      const server500 = await rejection(client.listModelSyncs({ pageToken: "tok_abcdef" }));
      const bad400 = await rejection(client.getModelSync("bad"));
      for (const err of [server500, bad400]) {
        expectClean(err, [key, "tok_abcdef"]);
        expect(err.message).toContain(REDACTED);
      }
      expect((bad400 as PolytomicError).body?.message).toBe(
        `you sent Bearer ${REDACTED} to http://127.0.0.1/api/syncs/bad`,
      );
      expect((bad400 as PolytomicError).body?.metadata).toEqual({ token: REDACTED });
    } finally {
      await server.close();
    }
  });
});

describe("a signed URL's query string never appears in a download error", () => {
  it("for bad signatures, expired URLs, unknown files, 5xx, resets and refused connections", async () => {
    const t = await setup(
      syncs(
        "records: 10\nerrors: 2\noutcome: completed_with_errors\nduration_seconds: 10",
        "",
        `faults:
  - { endpoint: download, status: 503, times: 2 }
  - { endpoint: download, reset: true, times: 2 }`,
      ),
      { retry: { maxAttempts: 2 } },
    );
    const started = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    t.clock.advance(60_000);
    const { urls } = await t.client.getModelLogUrls(MODEL, started.id as string, "errors");
    const url = new URL(urls?.[0] as string);
    const signature = url.searchParams.get("X-Amz-Signature") as string;
    const originPath = `${url.origin}${url.pathname}`;

    const fault503 = await rejection(t.client.download(url.href));
    const reset = await rejection(t.client.download(url.href));
    const tampered = new URL(url);
    tampered.searchParams.set("X-Amz-Signature", `${signature.slice(0, -6)}000000`);
    const badSig = await rejection(t.client.download(tampered.href));
    const unknown = new URL(url);
    unknown.pathname = "/_files/0123456789abcdef/nothing.jsonl";
    const missing = await rejection(t.client.download(unknown.href));
    t.clock.advance(3_600_000);
    const expired = await rejection(t.client.download(url.href));
    const refused = await rejection(
      t.client.download(`http://127.0.0.1:9/file.jsonl?X-Amz-Signature=${signature}`),
    );
    const invalid = await rejection(t.client.download(`not a url?sig=${signature}`));

    expect(
      [fault503, reset, badSig, missing, expired, refused, invalid].map((e) => e.name),
    ).toEqual([
      "Polytomic.ServerError",
      "Polytomic.Timeout",
      "Polytomic.Forbidden",
      "Polytomic.NotFound",
      "Polytomic.Forbidden",
      "Polytomic.Timeout",
      "Input.Invalid",
    ]);
    expect(badSig.message).toBe(
      `GET ${originPath}: SignatureDoesNotMatch: The request signature we calculated does not match the signature you provided. (403)`,
    );
    expect(expired.message).toBe(`GET ${originPath}: AccessDenied: Request has expired (403)`);
    expect(fault503).toMatchObject({ attempts: 2, request: `GET ${originPath}` });
    for (const err of [fault503, reset, badSig, missing, expired, refused, invalid]) {
      expectClean(err, [signature, signature.slice(0, -6), "X-Amz-Signature", "X-Amz-Date"]);
    }
  });
});
