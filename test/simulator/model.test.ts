import { afterEach, describe, expect, it } from "vitest";
import { type Harness, harness, MODEL, scenario, T } from "./helpers";

let h: Harness;
afterEach(async () => {
  await h?.sim.close();
});

const base = `/api/syncs/${MODEL}`;

describe("model sync endpoints", () => {
  it("walks created -> queued -> running -> completed with counts and consistent times", async () => {
    h = await harness(
      scenario("queue_seconds: 5\nduration_seconds: 100\nrecords: 1000\nwarnings: 4", ""),
    );
    const start = await h.call("POST", `${base}/executions`, T.modelStart, {
      body: { resync: false },
    });
    expect(start.status).toBe(200);
    expect(start.body.data.status).toBe("created");
    const id = start.body.data.id as string;
    const get = () => h.call("GET", `${base}/executions/${id}`, T.modelExecution);

    h.clock.advance(1000);
    expect((await get()).body.data.status).toBe("queued");
    h.clock.advance(4000 + 50_000);
    const running = (await get()).body.data;
    expect(running.status).toBe("running");
    expect(running.started_at).toBe(new Date(Date.UTC(2025, 0, 1, 0, 0, 5)).toISOString());
    expect(running.counts.total).toBe(500);
    expect(running.completed_at).toBeNull();

    h.clock.advance(50_000);
    const done = (await get()).body.data;
    expect(done).toMatchObject({
      status: "completed",
      type: "manual",
      completed_at: new Date(Date.UTC(2025, 0, 1, 0, 1, 45)).toISOString(),
      counts: {
        total: 1000,
        insert: 600,
        update: 300,
        delete: 100,
        upserts: 900,
        error: 0,
        warnings: 4,
      },
      errors: [],
    });
    expect(h.sim.executions().filter((e) => !e.terminal)).toEqual([]);
  });

  it.each([
    ["completed", "completed", 0],
    ["failed", "failed", 0],
    ["canceled", "canceled", 0],
    ["interrupted", "interrupted", 0],
    ["completed_with_errors", "completed", 9],
  ])("outcome %s ends as status %s with counts.error %i", async (outcome, status, errors) => {
    h = await harness(scenario(`outcome: ${outcome}\nerrors: ${errors}\nduration_seconds: 10`, ""));
    const start = await h.call("POST", `${base}/executions`, T.modelStart, { body: {} });
    h.clock.advance(60_000);
    const got = await h.call("GET", `${base}/executions/${start.body.data.id}`, T.modelExecution);
    expect(got.body.data.status).toBe(status);
    expect(got.body.data.counts.error).toBe(errors);
    if (outcome === "failed" || outcome === "interrupted")
      expect(got.body.data.errors.length).toBe(1);
  });

  it("reports a six-hour run after one clock jump", async () => {
    h = await harness(scenario("duration_seconds: 21600\nrecords: 5000000", ""));
    const start = await h.call("POST", `${base}/executions`, T.modelStart, {
      body: { test: true },
    });
    h.clock.advance(6 * 3600 * 1000 + 2000);
    const got = await h.call("GET", `${base}/executions/${start.body.data.id}`, T.modelExecution);
    expect(got.body.data).toMatchObject({
      status: "completed",
      type: "test",
      counts: { total: 5_000_000 },
    });
  });

  it("status shows the current and the last execution", async () => {
    h = await harness(scenario("duration_seconds: 10\nhistory_seconds: [100, 200]", ""));
    let status = await h.call("GET", `${base}/status`, T.modelStatus);
    expect(status.body.data.current_execution).toBeUndefined();
    expect(status.body.data.last_execution.status).toBe("completed");
    const start = await h.call("POST", `${base}/executions`, T.modelStart, { body: {} });
    status = await h.call("GET", `${base}/status`, T.modelStatus);
    expect(status.body.data.current_execution.id).toBe(start.body.data.id);
    h.clock.advance(30_000);
    status = await h.call("GET", `${base}/status`, T.modelStatus);
    expect(status.body.data.current_execution).toBeUndefined();
    expect(status.body.data.last_execution.id).toBe(start.body.data.id);
  });

  it("lists executions newest first with history durations, ascending, only_completed and pages", async () => {
    const history = Array.from({ length: 55 }, (_, i) => 100 + i);
    h = await harness(scenario(`queue_seconds: 0\nhistory_seconds: [${history.join(", ")}]`, ""));
    await h.call("POST", `${base}/executions`, T.modelStart, { body: {} });
    const first = await h.call("GET", `${base}/executions`, T.modelList);
    expect(first.body.data).toHaveLength(50);
    expect(first.body.data[0].status).toBe("running");
    const newestHistory = first.body.data[1];
    expect(Date.parse(newestHistory.completed_at) - Date.parse(newestHistory.started_at)).toBe(
      154_000,
    );
    const next = first.body.pagination.next_page_token as string;
    const second = await h.call("GET", `${base}/executions?page_token=${next}`, T.modelList);
    expect(second.body.data).toHaveLength(6);
    expect(second.body.pagination.next_page_token).toBeUndefined();

    const asc = await h.call("GET", `${base}/executions?ascending=true`, T.modelList);
    const oldest = asc.body.data[0];
    expect(Date.parse(oldest.completed_at) - Date.parse(oldest.started_at)).toBe(100_000);

    const completed = await h.call("GET", `${base}/executions?only_completed=true`, T.modelList);
    expect(completed.body.data.every((e: { status: string }) => e.status === "completed")).toBe(
      true,
    );
    expect(completed.body.data[0].id).toBe(newestHistory.id);

    const bad = await h.call("GET", `${base}/executions?page_token=garbage`, T.modelList);
    expect(bad.status).toBe(400);
  });

  it("serves log URLs by type whose files are deterministic JSON lines", async () => {
    h = await harness(
      scenario(
        "outcome: completed_with_errors\nerrors: 30\nwarnings: 0\nrecords: 500\nduration_seconds: 1",
        "",
      ),
    );
    const start = await h.call("POST", `${base}/executions`, T.modelStart, { body: {} });
    h.clock.advance(10_000);
    const id = start.body.data.id as string;
    const errors = await h.call("GET", `${base}/executions/${id}/errors`, T.modelLogs);
    expect(errors.body.data.urls).toHaveLength(1);
    expect(errors.body.data.expires).toBe(new Date(h.clock.now() + 900_000).toISOString());
    const file = await fetch(errors.body.data.urls[0]);
    expect(file.status).toBe(200);
    const text = await file.text();
    const lines = text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(30);
    expect(lines[0]).toMatchObject({ execution_id: id, type: "errors", row: 1 });
    expect(lines[0].error).toContain("INVALID_EMAIL_ADDRESS");
    expect(text.length).toBeGreaterThan(2000);
    // Same bytes on a second download with a new signature.
    const again = await h.call("GET", `${base}/executions/${id}/errors`, T.modelLogs);
    expect(await (await fetch(again.body.data.urls[0])).text()).toBe(text);

    const warnings = await h.call("GET", `${base}/executions/${id}/warnings`, T.modelLogs);
    expect(warnings.body.data.urls).toEqual([]);
    const badType = await h.call("GET", `${base}/executions/${id}/bogus`, T.modelLogs);
    expect(badType.status).toBe(400);
  });

  it("rejects expired and tampered signed URLs", async () => {
    h = await harness(scenario("duration_seconds: 1", ""));
    const start = await h.call("POST", `${base}/executions`, T.modelStart, { body: {} });
    h.clock.advance(10_000);
    const logs = await h.call(
      "GET",
      `${base}/executions/${start.body.data.id}/records`,
      T.modelLogs,
    );
    const url = new URL(logs.body.data.urls[0]);
    url.searchParams.set("X-Amz-Signature", "0".repeat(64));
    expect((await fetch(url)).status).toBe(403);
    h.clock.advance(901_000);
    const expired = await fetch(logs.body.data.urls[0]);
    expect(expired.status).toBe(403);
    expect(await expired.text()).toContain("Request has expired");
  });

  it("pages console log entries with limit and after", async () => {
    h = await harness(scenario("duration_seconds: 100", ""));
    const start = await h.call("POST", `${base}/executions`, T.modelStart, { body: {} });
    h.clock.advance(200_000);
    const url = `${base}/executions/${start.body.data.id}/consolelog`;
    const all = await h.call("GET", url, T.modelConsole);
    const entries = all.body.data.entries as { id: string; message: string }[];
    expect(entries.at(-1)?.message).toContain("Execution completed");
    const firstTwo = await h.call("GET", `${url}?limit=2`, T.modelConsole);
    expect(firstTwo.body.data.entries).toHaveLength(2);
    const rest = await h.call(
      "GET",
      `${url}?after=${firstTwo.body.data.next_cursor}`,
      T.modelConsole,
    );
    expect(rest.body.data.entries).toEqual(entries.slice(2));
  });

  it("lists and gets model syncs (active filter, limit, pagination)", async () => {
    h = await harness(scenario("", ""));
    const list = await h.call("GET", "/api/syncs?limit=1", T.syncs);
    expect(list.body.data).toEqual([
      expect.objectContaining({ id: MODEL, name: "Contacts to HubSpot" }),
    ]);
    expect(list.body.pagination).toEqual({});
    const inactive = await h.call("GET", "/api/syncs?active=false", T.syncs);
    expect(inactive.body.data).toEqual([]);
    const one = await h.call("GET", `/api/syncs/${MODEL}`, T.sync);
    expect(one.body.data.name).toBe("Contacts to HubSpot");
  });
});
