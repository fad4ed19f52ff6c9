/** Every bulk-sync call of the client against the simulator over HTTP. */
import { afterEach, describe, expect, it } from "vitest";
import { bulkSyncEntries } from "../simulator/helpers";
import { BULK, closeAll, idem, setup, syncs } from "./helpers";

afterEach(closeAll);

const SCHEMAS = `schemas:
  - { name: Account, records: 80 }
  - { name: Contact, records: 20 }`;

describe("bulk syncs", () => {
  it.each([
    ["completed", "completed", 0, ["completed", "completed"]],
    ["failed", "failed", 0, ["failed", "failed"]],
    ["canceled", "canceled", 0, ["canceled", "canceled"]],
    ["interrupted", "interrupted", 0, ["interrupted", "interrupted"]],
    ["errors", "errors", 4, ["completed", "completed"]],
    ["completed_with_errors", "completed", 4, ["completed", "completed"]],
  ])(
    "outcome %s is seen by getBulkExecution as %s",
    async (outcome, status, errors, schemaStatuses) => {
      const t = await setup(
        syncs(
          "",
          `outcome: ${outcome}\nerrors: ${errors}\nrecords: 100\nduration_seconds: 60\n${SCHEMAS}`,
        ),
      );
      const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
      expect(started.status).toBe("created");
      const id = started.id as string;
      t.clock.advance(30_000);
      expect((await t.client.getBulkExecution(BULK, id)).status).toBe("running");
      t.clock.advance(60_000);
      const done = await t.client.getBulkExecution(BULK, id);
      expect(done).toMatchObject({ id, status, record_count: 100, error_count: errors });
      expect(done.schemas?.map((s) => s.status)).toEqual(schemaStatuses);
    },
  );

  it("shows a failed schema inside a completed run", async () => {
    const t = await setup(
      syncs(
        "",
        `duration_seconds: 10
schemas:
  - { name: Account, outcome: completed, records: 80 }
  - { name: Contact, outcome: failed, errors: 12 }`,
      ),
    );
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    t.clock.advance(60_000);
    const done = await t.client.getBulkExecution(BULK, started.id as string);
    expect(done.status).toBe("completed");
    expect(done.schemas?.find((s) => s.schema === "Contact")).toMatchObject({
      status: "failed",
      error_count: 12,
    });
  });

  it("passes start options through (schemas, fetch_mode, resync_mode, test)", async () => {
    const t = await setup(syncs("", `duration_seconds: 10\n${SCHEMAS}`));
    const partial = await t.client.startBulkSync(
      BULK,
      { schemas: ["Contact"], fetch_mode: "incremental" },
      { idempotencyKey: idem() },
    );
    expect(partial).toMatchObject({ is_partial: true, fetch_mode: "incremental" });
    expect(partial.schemas?.map((s) => s.schema)).toEqual(["Contact"]);
    t.clock.advance(60_000);
    const resync = await t.client.startBulkSync(
      BULK,
      { resync_mode: "rebuild" },
      { idempotencyKey: idem() },
    );
    expect(resync).toMatchObject({ is_resync: true, output_disposition: "rebuild" });
    t.clock.advance(60_000);
    const test = await t.client.startBulkSync(BULK, { test: true }, { idempotencyKey: idem() });
    expect(test.is_test).toBe(true);
  });

  it("reports status and lists executions with limit, order and pages", async () => {
    const t = await setup(syncs("", "duration_seconds: 100\nhistory_seconds: [10, 20, 30]"));
    const before = await t.client.getBulkSyncStatus(BULK);
    expect(before.current_execution).toBeUndefined();
    expect(before.last_execution?.status).toBe("completed");
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    expect((await t.client.getBulkSyncStatus(BULK)).current_execution?.id).toBe(started.id);

    const page1 = await t.client.listBulkExecutions(BULK, { limit: 3 });
    expect(page1.data).toHaveLength(3);
    expect(page1.data[0]?.id).toBe(started.id);
    expect(page1.nextPageToken).toEqual(expect.any(String));
    const page2 = await t.client.listBulkExecutions(BULK, {
      limit: 3,
      pageToken: page1.nextPageToken as string,
    });
    expect(page2.data).toHaveLength(1);
    expect(page2.nextPageToken).toBeUndefined();
    const terminal = await t.client.listBulkExecutions(BULK, {
      onlyTerminal: true,
      ascending: true,
    });
    expect(terminal.data).toHaveLength(3);
    expect(terminal.data.map((e) => e.id)).not.toContain(started.id);
  });

  it("cancels a running execution: canceling, then canceled", async () => {
    const t = await setup(syncs("", "queue_seconds: 0\nduration_seconds: 600\ncancel_seconds: 5"));
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    const id = started.id as string;
    t.clock.advance(10_000);
    const res = await t.client.cancelBulkExecution(BULK, id, { idempotencyKey: idem() });
    expect(res.message).toEqual(expect.any(String));
    expect((await t.client.getBulkExecution(BULK, id)).status).toBe("canceling");
    t.clock.advance(10_000);
    expect((await t.client.getBulkExecution(BULK, id)).status).toBe("canceled");
  });

  it("exports logs as a job, polls it to done and downloads the archive", async () => {
    const t = await setup(syncs("", `duration_seconds: 10\nexport_seconds: 3\n${SCHEMAS}`));
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    t.clock.advance(60_000);
    const exported = await t.client.exportBulkLogs(BULK, started.id as string, {
      idempotencyKey: idem(),
      notify: false,
    });
    const jobId = exported.job?.job_id as string;
    expect(exported.job?.status).not.toBe("done");
    expect((await t.client.getJob("exportlogs", jobId)).status).not.toBe("done");
    t.clock.advance(5_000);
    const job = await t.client.getJob("exportlogs", jobId);
    expect(job.status).toBe("done");
    const url = (job.result as { url: string }).url;
    const res = await t.client.download(url);
    expect(res.status).toBe(200);
    expect((await res.arrayBuffer()).byteLength).toBeGreaterThan(0);
  });

  it("reports a failed export job", async () => {
    const t = await setup(syncs("", "duration_seconds: 10\nexport_outcome: failed"));
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    t.clock.advance(60_000);
    const exported = await t.client.exportBulkLogs(BULK, started.id as string, {
      idempotencyKey: idem(),
    });
    t.clock.advance(60_000);
    const job = await t.client.getJob("exportlogs", exported.job?.job_id as string);
    expect(job.status).toBe("failed");
    expect(job.error).toEqual(expect.any(String));
  });

  it("gets per-schema log URLs and console logs", async () => {
    const t = await setup(syncs("", `duration_seconds: 10\n${SCHEMAS}`));
    const started = await t.client.startBulkSync(BULK, {}, { idempotencyKey: idem() });
    const id = started.id as string;
    t.clock.advance(60_000);
    const logs = await t.client.getBulkLogUrls(BULK, id);
    expect(logs.URLs).toHaveLength(3);
    expect(logs.Expires).toEqual(expect.any(String));
    const first = await t.client.download(logs.URLs?.[0] as string);
    expect(first.headers.get("content-type")).toBeTruthy();
    await first.body?.cancel();

    const consoleLogs = await t.client.getBulkConsoleLogs(BULK, id, { limit: 3 });
    expect(consoleLogs.entries).toHaveLength(3);
    const next = await t.client.getBulkConsoleLogs(BULK, id, {
      after: consoleLogs.next_cursor as string,
      limit: 50,
    });
    expect(next.entries?.[0]?.id).toBe("4");
  });

  it("lists bulk syncs a page at a time: page_token and limit, as the operation's description says", async () => {
    const t = await setup(`${syncs("", "")}\n${bulkSyncEntries(54, 500, "Extra")}`);
    const first = await t.client.listBulkSyncs();
    expect(first.data).toHaveLength(50);
    expect(first.nextPageToken).toBeTruthy();
    const second = await t.client.listBulkSyncs({ pageToken: first.nextPageToken as string });
    expect(second.data).toHaveLength(5);
    expect(second.nextPageToken).toBeUndefined();
    expect((await t.client.listBulkSyncs({ limit: 3 })).data).toHaveLength(3);
  });

  it("lists and gets bulk syncs", async () => {
    const t = await setup(syncs("", "active: false"));
    expect((await t.client.listBulkSyncs()).data.map((s) => s.name)).toEqual([
      "Salesforce to Snowflake",
    ]);
    expect((await t.client.listBulkSyncs({ active: true })).data).toEqual([]);
    expect(await t.client.getBulkSync(BULK)).toMatchObject({ id: BULK, active: false });
  });
});
