/**
 * Issue 11, point 6: Polytomic's own failure text (model `errors[]`, bulk
 * `status_message`, each schema's `status_message`) reaches the step's error message,
 * redacted, on one line and bounded. Through the simulator over HTTP; odd answers the
 * simulator cannot give are made by altering its real answer.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  MAX_ERROR_MESSAGE,
  MAX_FAILURE_TEXT,
  MAX_SCHEMA_MESSAGE,
} from "../../../functions/core/failure-text";
import {
  answering,
  bulkInput,
  type Env,
  env,
  KEY,
  runToEnd,
  scenario,
  stepInput,
} from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

/** Polytomic's part of an error message. */
function polytomicPart(message: string | undefined): string {
  const at = message?.indexOf(". Polytomic: ") ?? -1;
  if (message === undefined || at < 0) throw new Error(`no Polytomic text in: ${message}`);
  return message.slice(at + ". Polytomic: ".length);
}

describe("check-status: Polytomic's failure text", () => {
  it("a failed model run: the execution's errors[] end the error message", async () => {
    e = await env(scenario("outcome: failed\nduration_seconds: 30"));
    const last = (await runToEnd(e, stepInput())).checks.at(-1);
    expect(last?.error_name).toBe("Sync.Failed");
    expect(last?.error_message).toBe(
      "model sync execution failed. Polytomic: Simulated failure: the destination rejected the batch (HTTP 500)",
    );
  });

  it("a bulk run with a failed schema: the run's status_message, then each failed schema's, named", async () => {
    e = await env(
      scenario(
        "",
        "outcome: completed_with_errors\nschemas:\n  - { name: Account, records: 10 }\n  - { name: Contact, records: 0, outcome: failed, errors: 2 }",
      ),
    );
    const last = (await runToEnd(e, bulkInput())).checks.at(-1);
    expect(last?.error_name).toBe("Sync.SchemaErrors");
    expect(polytomicPart(last?.error_message)).toBe(
      "Completed with 2 record error(s) and 1 failed schema(s) | Contact: Simulated failure in Contact",
    );
    // The failed schema keeps its own text in the check; a completed one has none.
    expect(last?.schemas).toEqual([
      {
        schema: "Contact",
        status: "failed",
        records: 0,
        errors: 2,
        message: "Simulated failure in Contact",
      },
      { schema: "Account", status: "completed", records: 10, errors: 0 },
    ]);
  });

  it("a failed bulk run: its status_message", async () => {
    e = await env(scenario("", "outcome: failed\nduration_seconds: 30"));
    const last = (await runToEnd(e, bulkInput())).checks.at(-1);
    expect(last?.error_name).toBe("Sync.Failed");
    expect(polytomicPart(last?.error_message)).toMatch(
      /^Simulated failure: the source connection was refused/,
    );
  });

  it("redacts secrets before cutting, puts the text on one line and cuts it with a marker", async () => {
    const long = "x".repeat(5000);
    e = await env(scenario("outcome: failed\nduration_seconds: 30"), {
      wrap: answering("getModelExecution", async (real, ...args) => {
        const r = await real(...args);
        if (r.status !== "failed") return r;
        return {
          ...r,
          errors: [
            `auth with ${KEY} was refused\nby the destination`,
            "see https://files.example.com/err.csv?X-Amz-Signature=abcdef&X-Amz-Credential=AKIA123",
            "",
            // A secret straddling the cut: redaction first, so no half of it is kept.
            `${"y".repeat(MAX_FAILURE_TEXT - 300)} ${KEY} ${long}`,
          ],
        };
      }),
    });
    const last = (await runToEnd(e, stepInput())).checks.at(-1);
    const message = last?.error_message ?? "";
    const text = polytomicPart(message);
    expect(message).not.toContain(KEY);
    expect(message).not.toContain(KEY.slice(0, 8));
    expect(message).not.toContain("abcdef");
    expect(message).not.toContain("AKIA123");
    expect(message).not.toMatch(/\n/);
    expect(text).toMatch(/^auth with \[redacted\] was refused by the destination \| see /);
    expect(Array.from(text).length).toBeLessThanOrEqual(MAX_FAILURE_TEXT);
    expect(text).toMatch(/ …\[\d+ more characters\]$/);
  });

  it("bounds each failed schema's text and tolerates answers without any", async () => {
    e = await env(
      scenario(
        "",
        "outcome: completed_with_errors\nschemas:\n  - { name: A, outcome: failed }\n  - { name: B, outcome: failed }",
      ),
      {
        wrap: answering("getBulkExecution", async (real, ...args) => {
          const r = await real(...args);
          if (r.status !== "completed") return r;
          const [a, b] = r.schemas ?? [];
          return {
            ...r,
            status_message: "",
            schemas: [
              { ...a, status_message: `${"z".repeat(400)}` },
              { ...b, status_message: undefined as never },
            ],
          };
        }),
      },
    );
    const last = (await runToEnd(e, bulkInput())).checks.at(-1);
    expect(last?.error_name).toBe("Sync.SchemaErrors");
    const a = last?.schemas?.find((s) => s.schema === "A");
    expect(Array.from(a?.message ?? "").length).toBeLessThanOrEqual(MAX_SCHEMA_MESSAGE);
    expect(a?.message).toMatch(/ …\[\d+ more characters\]$/);
    expect(last?.schemas?.find((s) => s.schema === "B")).not.toHaveProperty("message");
    expect(polytomicPart(last?.error_message)).toBe(`A: ${a?.message}`);
  });

  it("bounds the whole message, even when it quotes a huge unknown status", async () => {
    const status = `archived ${"s".repeat(10_000)}`;
    e = await env(scenario("outcome: failed\nduration_seconds: 30"), {
      wrap: answering("getModelExecution", async (real, ...args) => ({
        ...(await real(...args)),
        status: status as never,
      })),
    });
    const last = (await runToEnd(e, stepInput())).checks.at(-1);
    expect(last?.error_name).toBe("Sync.UnknownStatus");
    expect(Array.from(last?.error_message ?? "").length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
    expect(last?.error_message).toMatch(
      /^model sync execution reported status "archived s+ …\[\d+ more characters\]$/,
    );
  });

  it("says nothing of Polytomic when it sent no text", async () => {
    e = await env(scenario("outcome: failed\nduration_seconds: 30"), {
      wrap: answering("getModelExecution", async (real, ...args) => ({
        ...(await real(...args)),
        errors: [],
      })),
    });
    const last = (await runToEnd(e, stepInput())).checks.at(-1);
    expect(last?.error_message).toBe("model sync execution failed");
  });
});
