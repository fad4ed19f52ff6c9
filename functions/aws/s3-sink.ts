/**
 * LogSink on S3: streams each file with a multipart Upload (lib-storage), never holding a
 * whole file in memory. Encryption is the bucket's default (SSE configured by the CDK).
 */
import { Readable } from "node:stream";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import type { S3Client } from "@aws-sdk/client-s3";
import { Upload } from "@aws-sdk/lib-storage";
import type { LogSink } from "../core/ports";

export class S3LogSink implements LogSink {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(
    key: string,
    body: ReadableStream<Uint8Array> | Readable | string,
    contentType: string,
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
    await upload.done();
  }
}
