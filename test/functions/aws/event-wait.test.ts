/**
 * The AWS adapters of event-driven waiting, at the SDK client boundary: waits in S3 (one
 * object per execution and waiter), callbacks through SendTaskSuccess, and the wake handler's
 * answer to a closed token as Step Functions names it.
 */
import {
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from "@aws-sdk/client-s3";
import { SendTaskSuccessCommand, SFNClient, TaskTimedOut } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import {
  S3DeliveryStore,
  S3WaitStore,
  SfnTaskTokens,
  withDeliveryFromEnv,
} from "../../../functions/aws/event-wait";
import { createDeps } from "../../../functions/core/deps";
import {
  makeHandler as registerHandler,
  registerWaitDepsFromEnv,
} from "../../../functions/register-wait";
import { wakeDepsFromEnv, makeHandler as wakeHandler } from "../../../functions/wake";

const s3 = mockClient(S3Client);
const sfn = mockClient(SFNClient);
afterEach(() => {
  s3.reset();
  sfn.reset();
});

const WAITER = "arn:aws:states:us-east-1:123456789012:execution:run-sync:step-1";
const body = (o: unknown) =>
  ({ Body: { transformToString: async () => JSON.stringify(o) } }) as never;

describe("S3WaitStore", () => {
  it("puts one object per execution and waiter, under the execution id's prefix", async () => {
    s3.on(PutObjectCommand).resolves({});
    const store = new S3WaitStore(new S3Client({}), "waits");
    await store.put("run-1", { waiter: WAITER, token: "t", expires_at: 10 });
    await store.put("run-1", { waiter: WAITER, token: "t2", expires_at: 20 });
    const keys = s3.commandCalls(PutObjectCommand).map((c) => c.args[0].input.Key);
    expect(keys[0]).toMatch(/^waits\/run-1\/[0-9a-f]{64}\.json$/);
    expect(keys[1]).toBe(keys[0]); // the waiter's next wait replaces its last
    expect(JSON.parse(String(s3.commandCalls(PutObjectCommand)[1]?.args[0].input.Body))).toEqual({
      waiter: WAITER,
      token: "t2",
      expires_at: 20,
    });
  });

  it("lists an execution's waits (ids encoded, so an event cannot name another prefix), skipping unreadable ones", async () => {
    s3.on(ListObjectsV2Command, { Bucket: "waits", Prefix: "waits/run%2F..%2F1/" }).resolves({
      Contents: [{ Key: "a" }, { Key: "b" }],
    });
    s3.on(GetObjectCommand, { Key: "a" }).resolves(
      body({ waiter: "w", token: "t", expires_at: 1 }),
    );
    s3.on(GetObjectCommand, { Key: "b" }).resolves(body("not a wait"));
    const store = new S3WaitStore(new S3Client({}), "waits");
    expect(await store.list("run/../1")).toEqual([{ waiter: "w", token: "t", expires_at: 1 }]);
  });
});

/** wake as its Lambda entry builds it, logging errors only. */
const quietWake = () =>
  wakeHandler(
    wakeDepsFromEnv(
      { WAITS_BUCKET: "waits", LOG_LEVEL: "error" },
      { s3: new S3Client({}), sfn: new SFNClient({}) },
    ),
  );

describe("register-wait and wake handlers", () => {
  it("register-wait stores the machine's payload in the bucket named by WAITS_BUCKET", async () => {
    s3.on(PutObjectCommand).resolves({});
    const handler = registerHandler(
      registerWaitDepsFromEnv({ WAITS_BUCKET: "waits" }, new S3Client({})),
    );
    await handler({ execution_id: "run-1", waiter: WAITER, token: "tok", wait_seconds: 30 });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Bucket).toBe("waits");
  });

  it("wake sends SendTaskSuccess with the event's id and type, and counts TaskTimedOut as a closed token", async () => {
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: "a" }, { Key: "b" }] });
    const far = Date.now() / 1000 + 3600;
    s3.on(GetObjectCommand, { Key: "a" }).resolves(
      body({ waiter: "w1", token: "t1", expires_at: far }),
    );
    s3.on(GetObjectCommand, { Key: "b" }).resolves(
      body({ waiter: "w2", token: "t2", expires_at: far }),
    );
    sfn.on(SendTaskSuccessCommand, { taskToken: "t1" }).resolves({});
    sfn
      .on(SendTaskSuccessCommand, { taskToken: "t2" })
      .rejects(new TaskTimedOut({ message: "Task Timed Out", $metadata: {} }));
    const handler = quietWake();
    const result = await handler({
      detail: { id: "ev", type: "sync.completed", created_at: "", execution_id: "run-1" },
    });
    expect(result).toEqual({ woken: 1, closed: 1, marked: true });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: "waits",
      Key: "seen/run-1/sync.completed",
    });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input).toEqual({
      taskToken: "t1",
      output: JSON.stringify({ event_id: "ev", event_type: "sync.completed" }),
    });
  });

  it("wake marks a running event seen and wakes nobody (no waits listed)", async () => {
    s3.on(PutObjectCommand).resolves({});
    const handler = quietWake();
    const result = await handler({
      detail: { id: "ev", type: "bulk_sync.running", created_at: "", execution_id: "run/1" },
    });
    expect(result).toEqual({ woken: 0, closed: 0, ignored: "event type", marked: true });
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input.Key).toBe(
      "seen/run%2F1/bulk_sync.running",
    );
    expect(s3.commandCalls(ListObjectsV2Command)).toHaveLength(0);
    expect(sfn.calls()).toHaveLength(0);
  });

  it("wake still wakes when the seen mark cannot be written", async () => {
    s3.on(PutObjectCommand).rejects(Object.assign(new Error("slow down"), { name: "SlowDown" }));
    s3.on(ListObjectsV2Command).resolves({ Contents: [{ Key: "a" }] });
    const far = Date.now() / 1000 + 3600;
    s3.on(GetObjectCommand).resolves(body({ waiter: "w1", token: "t1", expires_at: far }));
    sfn.on(SendTaskSuccessCommand).resolves({});
    const handler = quietWake();
    const result = await handler({
      detail: { id: "ev", type: "sync.failed", created_at: "", execution_id: "run-1" },
    });
    expect(result).toEqual({ woken: 1, closed: 0, marked: false });
  });

  it("wake ignores an event without a detail", async () => {
    const handler = wakeHandler(
      wakeDepsFromEnv({ WAITS_BUCKET: "waits" }, { s3: new S3Client({}), sfn: new SFNClient({}) }),
    );
    expect(await handler({})).toMatchObject({ woken: 0, ignored: "event type" });
    expect(s3.calls()).toEqual([]);
  });

  it("SfnTaskTokens passes the output as JSON", async () => {
    sfn.on(SendTaskSuccessCommand).resolves({});
    await new SfnTaskTokens(new SFNClient({})).succeed("t", { a: 1 });
    expect(sfn.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input.output).toBe('{"a":1}');
  });
});

describe("S3DeliveryStore", () => {
  const store = () => new S3DeliveryStore(new S3Client({}), "waits");
  const record = { seen: 2.44, missed: 0, updated_at: "2026-12-01T00:00:00.000Z" };

  it("marks an execution's event seen with an empty object under seen/<id>/<type> (the id encoded)", async () => {
    s3.on(PutObjectCommand).resolves({});
    await store().markSeen("run/1", "sync.running");
    expect(s3.commandCalls(PutObjectCommand)[0]?.args[0].input).toMatchObject({
      Bucket: "waits",
      Key: "seen/run%2F1/sync.running",
      Body: "",
    });
  });

  it("judges by the running event only, listing the execution's marks (a missing one is a miss, not a 403)", async () => {
    s3.on(ListObjectsV2Command, { Prefix: "seen/run-1/" }).resolves({
      Contents: [{ Key: "seen/run-1/sync.completed" }],
    });
    expect(await store().runningSeen("run-1")).toBe(false);
    s3.on(ListObjectsV2Command, { Prefix: "seen/run-1/" }).resolves({
      Contents: [{ Key: "seen/run-1/sync.completed" }, { Key: "seen/run-1/bulk_sync.running" }],
    });
    expect(await store().runningSeen("run-1")).toBe(true);
  });

  it("writes and reads the organization's record under delivery/", async () => {
    s3.on(PutObjectCommand).resolves({});
    await store().write("org/1", record);
    const put = s3.commandCalls(PutObjectCommand)[0]?.args[0].input;
    expect(put?.Key).toBe("delivery/org%2F1.json");
    s3.on(GetObjectCommand, { Key: "delivery/org%2F1.json" }).resolves(
      body(JSON.parse(String(put?.Body))),
    );
    expect(await store().read("org/1")).toEqual(record);
  });

  it("reads no record for a missing key or one that is not a record, and throws other errors", async () => {
    s3.on(GetObjectCommand).rejects(Object.assign(new Error("no"), { name: "NoSuchKey" }));
    expect(await store().read("default")).toBeUndefined();
    s3.on(GetObjectCommand).resolves(body({ seen: -1, missed: 0 }));
    expect(await store().read("default")).toBeUndefined();
    s3.on(GetObjectCommand).rejects(Object.assign(new Error("no"), { name: "AccessDenied" }));
    await expect(store().read("default")).rejects.toThrow("no");
  });

  it("is given to check-status and start-sync only when WAITS_BUCKET is set", async () => {
    const deps = createDeps({ polytomic: {} as never, logs: {} as never, metrics: {} as never });
    expect((await withDeliveryFromEnv(Promise.resolve(deps), {})).delivery).toBeUndefined();
    const withBucket = await withDeliveryFromEnv(Promise.resolve(deps), { WAITS_BUCKET: "w" });
    expect(withBucket.delivery).toBeInstanceOf(S3DeliveryStore);
  });
});
