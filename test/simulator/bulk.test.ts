import { gunzipSync } from "node:zlib";
import { afterEach, describe, expect, it } from "vitest";
import { type Body, BULK, type Harness, harness, KEY, scenario, T } from "./helpers";

let h: Harness;
afterEach(async () => {
  await h?.sim.close();
});

const base = `/api/bulk/syncs/${BULK}`;
const SCHEMAS = `schemas:
  - { name: Account, records: 800 }
  - { name: Contact, outcome: failed, errors: 12 }`;

describe("bulk sync endpoints", () => {
  it("walks created -> scheduled -> running -> completed with per-schema results", async () => {
    h = await harness(
      scenario(
        "",
        `queue_seconds: 5\nduration_seconds: 100\nrecords: 1000\nwarnings: 2\n${SCHEMAS}`,
      ),
    );
    const start = await h.call("POST", `${base}/executions`, T.bulkStart, {
      body: { fetch_mode: "incremental" },
    });
    expect(start.body.data).toMatchObject({
      status: "created",
      fetch_mode: "incremental",
      is_test: false,
    });
    const id = start.body.data.id as string;
    const get = () => h.call("GET", `${base}/executions/${id}`, T.bulkExecution);
    h.clock.advance(1000);
    expect((await get()).body.data.status).toBe("scheduled");
    h.clock.advance(54_000);
    const running = (await get()).body.data;
    expect(running.status).toBe("running");
    expect(running.schemas.map((s: { status: string }) => s.status)).toEqual([
      "running",
      "running",
    ]);
    h.clock.advance(60_000);
    const done = (await get()).body.data;
    expect(done).toMatchObject({
      status: "completed",
      record_count: 1000,
      error_count: 12,
      warning_count: 2,
      completed_at: new Date(Date.UTC(2025, 0, 1, 0, 1, 45)).toISOString(),
    });
    expect(done.schemas).toEqual([
      expect.objectContaining({
        schema: "Account",
        status: "completed",
        record_count: 800,
        error_count: 0,
      }),
      expect.objectContaining({
        schema: "Contact",
        status: "failed",
        record_count: 200,
        error_count: 12,
      }),
    ]);
  });

  it.each([
    ["completed", "completed"],
    ["failed", "failed"],
    ["canceled", "canceled"],
    ["interrupted", "interrupted"],
    ["errors", "errors"],
    ["completed_with_errors", "completed"],
  ])("outcome %s ends as status %s", async (outcome, status) => {
    h = await harness(scenario("", `outcome: ${outcome}\nerrors: 5\nduration_seconds: 10`));
    const start = await h.call("POST", `${base}/executions`, T.bulkStart, { body: {} });
    h.clock.advance(60_000);
    const got = await h.call("GET", `${base}/executions/${start.body.data.id}`, T.bulkExecution);
    expect(got.body.data.status).toBe(status);
    expect(got.body.data.error_count).toBe(5);
  });

  it("runs only the requested schemas, rejects unknown ones, and test with resync_mode", async () => {
    h = await harness(scenario("", SCHEMAS));
    const bad = await h.call("POST", `${base}/executions`, T.bulkStart, {
      body: { schemas: ["Lead"] },
    });
    expect(bad.status).toBe(400);
    expect(bad.body.message).toContain("Lead");
    const both = await h.call("POST", `${base}/executions`, T.bulkStart, {
      body: { test: true, resync_mode: "rebuild" },
    });
    expect(both.status).toBe(400);
    expect(both.body.message).toContain("mutually exclusive");
    const legacy = await h.call("POST", `${base}/executions`, T.bulkStart, {
      body: { resync: true },
    });
    expect(legacy.status).toBe(400);
    expect(legacy.body.message).toContain("resync");
    const ok = await h.call("POST", `${base}/executions`, T.bulkStart, {
      body: { schemas: ["Account"], resync_mode: "rebuild" },
    });
    expect(ok.body.data).toMatchObject({
      is_partial: true,
      is_resync: true,
      output_disposition: "rebuild",
    });
    expect(ok.body.data.schemas.map((s: { schema: string }) => s.schema)).toEqual(["Account"]);
    expect(h.sim.startCount(BULK)).toBe(1);
  });

  it("status and list endpoints (history, only_terminal, ascending, limit, page_token)", async () => {
    h = await harness(scenario("", "duration_seconds: 50\nhistory_seconds: [10, 20, 30]"));
    const start = await h.call("POST", `${base}/executions`, T.bulkStart, { body: {} });
    const status = await h.call("GET", `${base}/status`, T.bulkStatus);
    expect(status.body.data.current_execution.id).toBe(start.body.data.id);
    expect(status.body.data.last_execution.status).toBe("completed");

    const list = await h.call("GET", `${base}/executions?limit=2`, T.bulkList);
    expect(list.body.data.map((e: { id: string }) => e.id)[0]).toBe(start.body.data.id);
    expect(list.body.data).toHaveLength(2);
    const rest = await h.call(
      "GET",
      `${base}/executions?limit=2&page_token=${list.body.pagination.next_page_token}`,
      T.bulkList,
    );
    expect(rest.body.data).toHaveLength(2);
    expect(rest.body.pagination.next_page_token).toBeUndefined();

    const terminal = await h.call("GET", `${base}/executions?only_terminal=true`, T.bulkList);
    expect(terminal.body.data).toHaveLength(3);
    const asc = await h.call("GET", `${base}/executions?ascending=true`, T.bulkList);
    const oldest = asc.body.data[0];
    expect(Date.parse(oldest.completed_at) - Date.parse(oldest.started_at)).toBe(10_000);
  });

  it("exports logs as a job: created -> running -> done, and serves the gzip archive", async () => {
    h = await harness(scenario("", `duration_seconds: 1\nexport_seconds: 4\n${SCHEMAS}`));
    const start = await h.call("POST", `${base}/executions`, T.bulkStart, { body: {} });
    h.clock.advance(10_000);
    const id = start.body.data.id as string;
    const exp = await h.call(
      "POST",
      `${base}/executions/${id}/logs/export?notify=false`,
      T.bulkExport,
      {
        headers: { "idempotency-key": "export-key-1" },
      },
    );
    expect(exp.body.job).toMatchObject({ type: "exportlogs", status: "created" });
    expect(exp.body.data).toBeUndefined();
    const jobUrl = `/api/jobs/exportlogs/${exp.body.job.job_id}`;
    h.clock.advance(1000);
    expect((await h.call("GET", jobUrl, T.job)).body.data.status).toBe("running");
    h.clock.advance(3000);
    const done = await h.call("GET", jobUrl, T.job);
    expect(done.body.data.status).toBe("done");
    const file = await fetch(done.body.data.result.url);
    expect(file.headers.get("content-type")).toBe("application/gzip");
    const bytes = Buffer.from(await file.arrayBuffer());
    const text = gunzipSync(bytes).toString();
    expect(text).toContain("Schema Contact failed");
    expect(text.length).toBeGreaterThan(3000);
    // Deterministic: a freshly signed URL serves the same bytes.
    const again = await fetch((await h.call("GET", jobUrl, T.job)).body.data.result.url);
    expect(Buffer.from(await again.arrayBuffer()).equals(bytes)).toBe(true);

    expect(
      (await h.call("GET", "/api/jobs/exportlogs/9f1c0d2e-0000-4000-8000-0000000000ff", T.job))
        .status,
    ).toBe(404);
    expect((await h.call("GET", `/api/jobs/preview/${exp.body.job.job_id}`, T.job)).status).toBe(
      400,
    );
  });

  it("reports a failed export job", async () => {
    h = await harness(scenario("", "duration_seconds: 1\nexport_outcome: failed"));
    const start = await h.call("POST", `${base}/executions`, T.bulkStart, { body: {} });
    const exp = await h.call(
      "POST",
      `${base}/executions/${start.body.data.id}/logs/export`,
      T.bulkExport,
    );
    h.clock.advance(10_000);
    const job = await h.call("GET", `/api/jobs/exportlogs/${exp.body.job.job_id}`, T.job);
    expect(job.body.data.status).toBe("failed");
    expect(job.body.data.error).toContain("export");
    expect(job.body.data.result).toBeUndefined();
  });

  it("serves per-schema log URLs and console logs", async () => {
    h = await harness(scenario("", `duration_seconds: 1\n${SCHEMAS}`));
    const start = await h.call("POST", `${base}/executions`, T.bulkStart, { body: {} });
    h.clock.advance(5000);
    const id = start.body.data.id as string;
    const logs = await h.call("GET", `${base}/executions/${id}/logs`, T.bulkLogs);
    expect(logs.body.data.URLs).toHaveLength(3);
    const contact = await (await fetch(logs.body.data.URLs[2])).text();
    expect(
      contact
        .trim()
        .split("\n")
        .map((l) => JSON.parse(l).schema),
    ).toContain("Contact");
    const console = await h.call(
      "GET",
      `${base}/executions/${id}/consolelog?limit=50`,
      T.bulkConsole,
    );
    expect(console.body.data.entries.some((e: { level: string }) => e.level === "error")).toBe(
      true,
    );
  });

  it("lists and gets bulk syncs", async () => {
    h = await harness(scenario("", "active: false"));
    expect((await h.call("GET", "/api/bulk/syncs", T.bulkSyncs)).body.data).toHaveLength(1);
    expect(
      (await h.call("GET", "/api/bulk/syncs?active=true", T.bulkSyncs)).body.data,
    ).toHaveLength(0);
    const one = await h.call("GET", `/api/bulk/syncs/${BULK}?refresh_schemas=false`, T.bulkSync);
    expect(one.body.data).toMatchObject({
      id: BULK,
      name: "Salesforce to Snowflake",
      active: false,
    });
  });
});

describe("last_succeeded", () => {
  it("seeds a scheduled run ending then, and fails a schema in the runs after its own", async () => {
    h = await harness(
      `api_key: ${KEY}\nsyncs:\n  ${BULK}:\n    type: bulk\n    history_seconds: [60]\n    last_succeeded: -1h\n    schemas:\n      - { name: Account }\n      - { name: Contact, last_succeeded: 2024-12-29T00:00:00Z }`,
    );
    const { body } = await h.call("GET", `${base}/executions?only_terminal=true`, T.bulkList);
    const runs = (body.data as Body[]).map((r) => [
      r.completed_at,
      r.status,
      (r.schemas as Body[]).map((s) => `${s.schema}:${s.status}`).join(","),
    ]);
    expect(runs).toEqual([
      ["2024-12-31T23:00:00.000Z", "completed", "Account:completed,Contact:failed"],
      ["2024-12-29T00:00:00.000Z", "completed", "Account:completed,Contact:completed"],
      ["2024-12-28T00:00:00.000Z", "completed", "Account:completed,Contact:completed"],
    ]);
  });

  it("list_schemas: omitted leaves schemas off the list, not off the execution", async () => {
    h = await harness(
      `api_key: ${KEY}\nassumptions: { list_schemas: omitted }\nsyncs:\n  ${BULK}:\n    type: bulk\n    last_succeeded: -1h\n    schemas: [{ name: Account }]`,
    );
    const list = await h.call("GET", `${base}/executions`, T.bulkList);
    const [run] = list.body.data as Body[];
    expect(run.schemas).toBeUndefined();
    const one = await h.call("GET", `${base}/executions/${run.id}`, T.bulkExecution);
    expect(one.body.data.schemas).toHaveLength(1);
  });
});
