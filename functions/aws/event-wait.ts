/**
 * The adapters of event-driven waiting (functions/core/event-wait.ts): the waits in S3, the
 * callbacks through Step Functions.
 *
 * Why S3 and not a DynamoDB table with TTL: the project already ships @aws-sdk/client-s3 (a
 * table needs a new SDK client), and the store's needs are what S3 gives: strong
 * read-after-write consistency for PutObject/ListObjectsV2/GetObject (since December 2020,
 * "Amazon S3 data consistency model" in the S3 user guide), so a wake right after a
 * registration sees it; keys by prefix, so several waiters of one run list together; and a
 * lifecycle rule as the TTL (expiry in days: only garbage collection, since wake also skips a
 * record past its `expires_at`). Each wait is one PUT (USD 0.005 per 1,000) and each event
 * one LIST plus a GET per waiter. Key: `<execution id>/<sha256 of the waiter ARN>.json`, so
 * a waiter's next wait replaces its last.
 */
import { createHash } from "node:crypto";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  type S3Client,
} from "@aws-sdk/client-s3";
import { SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import type { StoredWait, TaskTokens, WaitStore } from "../core/event-wait";

/** The folder of an execution's waits; ids are encoded, so no event can name another's. */
function prefixOf(executionId: string): string {
  return `${encodeURIComponent(executionId)}/`;
}

export class S3WaitStore implements WaitStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async put(executionId: string, wait: StoredWait): Promise<void> {
    const waiter = createHash("sha256").update(wait.waiter).digest("hex");
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: `${prefixOf(executionId)}${waiter}.json`,
        Body: JSON.stringify(wait),
        ContentType: "application/json",
      }),
    );
  }

  async list(executionId: string): Promise<StoredWait[]> {
    const listed = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefixOf(executionId) }),
    );
    const waits: StoredWait[] = [];
    for (const { Key } of listed.Contents ?? []) {
      if (!Key) continue;
      const object = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      const wait = parseStoredWait(await object.Body?.transformToString());
      if (wait) waits.push(wait);
    }
    return waits;
  }
}

/** A stored record, or undefined for one that is not (it is then skipped, not fatal). */
function parseStoredWait(body: string | undefined): StoredWait | undefined {
  try {
    const o = JSON.parse(body ?? "") as Partial<StoredWait>;
    if (typeof o.token !== "string" || typeof o.waiter !== "string") return undefined;
    if (typeof o.expires_at !== "number") return undefined;
    return { token: o.token, waiter: o.waiter, expires_at: o.expires_at };
  } catch {
    return undefined;
  }
}

/** SendTaskSuccess; the SDK's errors keep the service's names (TaskTimedOut, InvalidToken). */
export class SfnTaskTokens implements TaskTokens {
  constructor(private readonly client: SFNClient) {}

  async succeed(token: string, output: unknown): Promise<void> {
    await this.client.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify(output) }),
    );
  }
}
