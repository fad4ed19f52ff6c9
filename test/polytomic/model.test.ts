/** Every model-sync call of the client against the simulator over HTTP. */
import { afterEach, describe, expect, it } from "vitest";
import { PolytomicInputError } from "../../functions/polytomic/input";
import { closeAll, idem, MODEL, rejection, setup, syncs } from "./helpers";

afterEach(closeAll);

describe("model syncs", () => {
  it.each([
    ["completed", "completed", 0, 0],
    ["failed", "failed", 0, 1],
    ["canceled", "canceled", 0, 0],
    ["interrupted", "interrupted", 0, 1],
    ["completed_with_errors", "completed", 7, 0],
  ])(
    "outcome %s is seen by getModelExecution as %s (error count %i)",
    async (outcome, status, errorCount, messages) => {
      const t = await setup(
        syncs(
          `outcome: ${outcome}\nerrors: ${errorCount}\nrecords: 100\nqueue_seconds: 5\nduration_seconds: 60`,
        ),
      );
      const started = await t.client.startModelSync(
        MODEL,
        { resync: false, test: false },
        { idempotencyKey: idem() },
      );
      expect(started.status).toBe("created");
      expect(started.id).toMatch(/^[0-9a-f-]{36}$/);
      const id = started.id as string;

      t.clock.advance(30_000);
      const mid = await t.client.getModelExecution(MODEL, id);
      expect(mid.status).toBe("running");
      t.clock.advance(60_000);
      const done = await t.client.getModelExecution(MODEL, id);
      expect(done).toMatchObject({ id, status, counts: { total: 100, error: errorCount } });
      expect(done.errors ?? []).toHaveLength(messages);
    },
  );

  it("passes start options through (test run, identities)", async () => {
    const t = await setup(syncs());
    const test = await t.client.startModelSync(
      MODEL,
      { resync: false, test: true },
      { idempotencyKey: idem() },
    );
    expect((await t.client.getModelExecution(MODEL, test.id as string)).type).toBe("test");
    t.clock.advance(3_600_000);
    const partial = await t.client.startModelSync(
      MODEL,
      { identities: ["a@example.com"], resync: false, test: false },
      { idempotencyKey: idem() },
    );
    expect((await t.client.getModelExecution(MODEL, partial.id as string)).type).toBe("partial");
  });

  it("reports current and last execution through getModelSyncStatus", async () => {
    const t = await setup(syncs("duration_seconds: 100\nhistory_seconds: [90]"));
    const before = await t.client.getModelSyncStatus(MODEL);
    expect(before.current_execution).toBeUndefined();
    expect(before.last_execution?.status).toBe("completed");
    const started = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    const during = await t.client.getModelSyncStatus(MODEL);
    expect(during.current_execution?.id).toBe(started.id);
    t.clock.advance(200_000);
    const after = await t.client.getModelSyncStatus(MODEL);
    expect(after.current_execution).toBeUndefined();
    expect(after.last_execution?.id).toBe(started.id);
  });

  it("lists executions page by page with query options", async () => {
    const history = Array.from({ length: 60 }, () => 30);
    const t = await setup(syncs(`history_seconds: [${history.join(", ")}]`));
    const first = await t.client.listModelExecutions(MODEL, { onlyCompleted: true });
    expect(first.data).toHaveLength(50);
    expect(first.nextPageToken).toEqual(expect.any(String));
    const second = await t.client.listModelExecutions(MODEL, {
      onlyCompleted: true,
      pageToken: first.nextPageToken as string,
    });
    expect(second.data).toHaveLength(10);
    expect(second.nextPageToken).toBeUndefined();
    const ids = new Set([...first.data, ...second.data].map((e) => e.id));
    expect(ids.size).toBe(60);

    const asc = await t.client.listModelExecutions(MODEL, { ascending: true });
    const desc = await t.client.listModelExecutions(MODEL, { ascending: false });
    expect(asc.data[0]?.id).not.toBe(desc.data[0]?.id);
    expect((asc.data[0]?.created_at ?? "") <= (asc.data[1]?.created_at ?? "")).toBe(true);
  });

  it("cancels a running execution: canceling, then canceled", async () => {
    const t = await setup(syncs("queue_seconds: 0\nduration_seconds: 600\ncancel_seconds: 5"));
    const started = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    const id = started.id as string;
    t.clock.advance(10_000);
    const cancel = await t.client.cancelModelExecution(MODEL, id, { idempotencyKey: idem() });
    expect(cancel.message).toEqual(expect.any(String));
    expect((await t.client.getModelExecution(MODEL, id)).status).toBe("canceling");
    t.clock.advance(10_000);
    expect((await t.client.getModelExecution(MODEL, id)).status).toBe("canceled");
  });

  it("gets log URLs by type and console logs with limit and cursor", async () => {
    const t = await setup(
      syncs("errors: 3\nwarnings: 2\nrecords: 50\noutcome: completed_with_errors"),
    );
    const started = await t.client.startModelSync(
      MODEL,
      { resync: false, test: false },
      { idempotencyKey: idem() },
    );
    const id = started.id as string;
    t.clock.advance(3_600_000);
    const errors = await t.client.getModelLogUrls(MODEL, id, "errors");
    expect(errors.urls).toHaveLength(1);
    expect(errors.expires).toEqual(expect.any(String));
    const res = await t.client.download(errors.urls?.[0] as string);
    expect(res.status).toBe(200);
    expect((await res.text()).trim().split("\n")).toHaveLength(3);

    const all = await t.client.getModelConsoleLogs(MODEL, id);
    expect(all.entries?.length).toBeGreaterThan(3);
    const head = await t.client.getModelConsoleLogs(MODEL, id, { limit: 2 });
    expect(head.entries).toHaveLength(2);
    const rest = await t.client.getModelConsoleLogs(MODEL, id, {
      after: head.next_cursor as string,
    });
    expect(rest.entries?.[0]?.id).toBe(all.entries?.[2]?.id);
  });

  it("lists and gets model syncs (to resolve a sync by name)", async () => {
    const t = await setup(syncs());
    const list = await t.client.listModelSyncs({ active: true, limit: 10 });
    expect(list.data.map((s) => s.name)).toEqual(["Contacts to HubSpot"]);
    expect(list.nextPageToken).toBeUndefined();
    expect((await t.client.listModelSyncs({ active: false })).data).toEqual([]);
    const sync = await t.client.getModelSync(MODEL);
    expect(sync).toMatchObject({ id: MODEL, name: "Contacts to HubSpot", active: true });
  });

  it("refuses an invalid log type or empty id before sending anything", async () => {
    const t = await setup(syncs());
    const bad = await rejection(
      // @ts-expect-error: not an ExecutionLogType
      t.client.getModelLogUrls(MODEL, "00000000-0000-4000-8000-000000000000", "consolelog"),
    );
    expect(bad).toBeInstanceOf(PolytomicInputError);
    const empty = await rejection(t.client.getModelExecution(MODEL, ""));
    expect(empty.name).toBe("Input.Invalid");
    expect(empty.message).toContain("id must be a non-empty string");
    expect(t.requests()).toEqual([]);
  });
});
