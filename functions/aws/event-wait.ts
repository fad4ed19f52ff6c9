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
 * one LIST plus a GET per waiter. Key: `waits/<execution id>/<sha256 of the waiter ARN>.json`,
 * so a waiter's next wait replaces its last.
 *
 * The same bucket keeps the measured delivery (functions/core/delivery.ts): `seen/<execution
 * id>` (empty: an event of that execution was received; a PUT per event) and
 * `delivery/<organization>.json` (the record; a GET and a PUT per run's end, a GET per
 * decision). Each prefix has its own lifecycle rule (lib/constructs/event-wait.ts).
 */
import { createHash } from "node:crypto";
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SendTaskSuccessCommand, type SFNClient } from "@aws-sdk/client-sfn";
import { type DeliveryRecord, type DeliveryStore, isRunningEvent } from "../core/delivery";
import type { Deps } from "../core/deps";
import type { StoredWait, TaskTokens, WaitStore } from "../core/event-wait";
import { type Env, optionalEnv } from "./env";

/** The folder of an execution's waits; ids are encoded, so no event can name another's. */
function prefixOf(executionId: string): string {
  return `${WAITS_PREFIX}${encodeURIComponent(executionId)}/`;
}

/** The key prefixes of the bucket, one lifecycle rule each (lib/constructs/event-wait.ts). */
export const WAITS_PREFIX = "waits/";
export const SEEN_PREFIX = "seen/";
export const DELIVERY_PREFIX = "delivery/";

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

/**
 * The measured delivery in the waits bucket: a mark per execution and event type,
 * `seen/<execution id>/<type>`, and a record per organization. `runningSeen` LISTs the
 * execution's marks (a missing one is then a miss, never a 403: a GET of a missing key
 * answers 403 without s3:ListBucket). A record missing or not a record reads as none (poll).
 */
export class S3DeliveryStore implements DeliveryStore {
  constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
  ) {}

  async markSeen(executionId: string, eventType: string): Promise<void> {
    const key = `${seenPrefix(executionId)}${encodeURIComponent(eventType)}`;
    await this.client.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: "" }));
  }

  async runningSeen(executionId: string): Promise<boolean> {
    const prefix = seenPrefix(executionId);
    const listed = await this.client.send(
      new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix }),
    );
    return (listed.Contents ?? []).some(
      (o) => o.Key !== undefined && isRunningEvent(decodeURIComponent(o.Key.slice(prefix.length))),
    );
  }

  async read(organization: string): Promise<DeliveryRecord | undefined> {
    try {
      const object = await this.client.send(
        new GetObjectCommand({ Bucket: this.bucket, Key: recordKey(organization) }),
      );
      return parseDeliveryRecord(await object.Body?.transformToString());
    } catch (error) {
      if ((error as Error).name === "NoSuchKey") return undefined;
      throw error;
    }
  }

  async write(organization: string, record: DeliveryRecord): Promise<void> {
    await this.client.send(
      new PutObjectCommand({
        Bucket: this.bucket,
        Key: recordKey(organization),
        Body: JSON.stringify(record),
        ContentType: "application/json",
      }),
    );
  }
}

/** An execution's marks; ids are encoded, so no event can name another's. */
function seenPrefix(executionId: string): string {
  return `${SEEN_PREFIX}${encodeURIComponent(executionId)}/`;
}

function recordKey(organization: string): string {
  return `${DELIVERY_PREFIX}${encodeURIComponent(organization)}.json`;
}

/** A stored record, or undefined for anything else. */
export function parseDeliveryRecord(body: string | undefined): DeliveryRecord | undefined {
  try {
    const o = JSON.parse(body ?? "") as Partial<DeliveryRecord>;
    const count = (v: unknown) => typeof v === "number" && Number.isFinite(v) && v >= 0;
    if (!count(o.seen) || !count(o.missed)) return undefined;
    return {
      seen: o.seen as number,
      missed: o.missed as number,
      updated_at: typeof o.updated_at === "string" ? o.updated_at : "",
    };
  } catch {
    return undefined;
  }
}

/** The waits bucket's environment variable, set on every function that uses it. */
export const WAITS_BUCKET_ENV = "WAITS_BUCKET";

/**
 * check-status's and start-sync's deps with the delivery record when the stack has webhooks
 * (WAITS_BUCKET set); as they are otherwise (the step polls).
 */
export async function withDeliveryFromEnv(
  deps: Promise<Deps>,
  env: Env = process.env,
): Promise<Deps> {
  const bucket = optionalEnv(env, WAITS_BUCKET_ENV);
  const loaded = await deps;
  return bucket ? { ...loaded, delivery: new S3DeliveryStore(new S3Client({}), bucket) } : loaded;
}
