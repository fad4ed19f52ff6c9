/**
 * LogSink on S3: streams each file with a multipart Upload (lib-storage), never holding a
 * whole file in memory. Encryption is the bucket's default (SSE configured by the CDK).
 */
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { LogSink } from "../core/ports";
import type { AdapterContext } from "./aws-deps";
import { requireEnv } from "./env";

export class S3LogSink implements LogSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(
    key: string,
    body: ReadableStream<Uint8Array> | Readable | string,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const stream =
      typeof body === "string" || body instanceof Readable
        ? body
        : Readable.fromWeb(body as NodeReadableStream<Uint8Array>);
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key: key, Body: stream, ContentType: contentType },
      queueSize: 2,
      partSize: 8 * 1024 * 1024,
      leavePartsOnError: false,
    });
    if (signal?.aborted) throw signal.reason;
    const abort = () => void upload.abort();
    signal?.addEventListener("abort", abort, { once: true });
    try {
      await upload.done();
    } catch (err) {
      // Say why it was aborted rather than that it was.
      throw signal?.aborted ? signal.reason : err;
    } finally {
      signal?.removeEventListener("abort", abort);
    }
  }
}

let shared: S3Client | undefined;

/** One client per container, created when first needed. */
function sharedClient(): S3Client {
  if (!shared) shared = new S3Client({});
  return shared;
}

/** The S3 sink for env LOGS_BUCKET (required). */
export function s3SinkFromEnv(ctx: AdapterContext, client: S3Client = sharedClient()): LogSink {
  return new S3LogSink(client, requireEnv(ctx.env, "LOGS_BUCKET"));
}
