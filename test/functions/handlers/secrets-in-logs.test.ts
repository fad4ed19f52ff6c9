import { afterEach, describe, expect, it } from "vitest";
import { makeHandler as cancel } from "../../../functions/cancel-sync";
import { makeHandler as exportLogs } from "../../../functions/export-logs";
import { makeHandler as publish } from "../../../functions/publish-metrics";
import { makeHandler as start } from "../../../functions/start-sync";
import { bulkInput, type Env, env, KEY, runToEnd, scenario, stepInput } from "../harness";

let e: Env;
afterEach(async () => {
  await e?.close();
});

const FAULTS = `faults:
  - { endpoint: start, status: 503, times: 1 }
  - { endpoint: status, status: 429, retry_after_seconds: 1, times: 1 }
  - { endpoint: execution, status: 500, times: 2 }
  - { endpoint: logs, status: 502, times: 1 }
  - { endpoint: download, status: 500, times: 4 }
  - { endpoint: job, status: 503, times: 1 }`;

describe("secrets never reach the logs", () => {
  it("neither the API key nor signed URLs appear in any log line, error or payload", async () => {
    e = await env(
      scenario(
        "outcome: completed_with_errors\nerrors: 3\nwarnings: 2\nduration_seconds: 120",
        "duration_seconds: 60\nschemas:\n  - { name: A }\n  - { name: B, outcome: failed }",
        FAULTS,
      ),
      { registerKey: false },
    );
    const outputs: unknown[] = [];
    const errors: Error[] = [];
    const capture = async (p: Promise<unknown>) => {
      try {
        outputs.push(await p);
      } catch (err) {
        errors.push(err as Error);
      }
    };

    for (const input of [stepInput(), bulkInput()]) {
      const { state } = await runToEnd(e, input);
      outputs.push(state);
      await capture(exportLogs(e.deps)(state));
      await capture(exportLogs(e.deps)(state));
      await capture(publish(e.deps)(state));
      await capture(cancel(e.deps)(state));
    }
    // A failing call with the key in play: a start on an unknown sync, a conflict, bad input.
    await capture(
      start(e.deps)(stepInput({ sync: { id: "9f1c0d2e-0000-4000-8000-0000000000ff" } })),
    );
    await capture(start(e.deps)({ ...stepInput(), poll: { min_seconds: "ten" } }));

    expect(errors.length).toBeGreaterThan(0);
    // Something was logged about the signed downloads (the failed ones) and retries.
    expect(e.lines.some((l) => l.includes("download") || l.includes("/_files/"))).toBe(true);
    expect(e.lines.some((l) => l.includes('"level":"warn"'))).toBe(true);

    const texts = [
      ...e.lines,
      ...errors.map((x) => `${x.name}: ${x.message} ${JSON.stringify(x)}`),
      ...outputs.map((o) => JSON.stringify(o)),
      ...[...e.s3Objects.entries()]
        .filter(([k]) => k.endsWith("console.json"))
        .map(([, v]) => v.toString()),
    ];
    expect(texts.length).toBeGreaterThan(20);
    for (const text of texts) {
      expect(text).not.toContain(KEY);
      expect(text).not.toMatch(/X-Amz-Signature|X-Amz-Credential|X-Amz-Date=/i);
      expect(text).not.toMatch(/\/_files\/[^"\s]*\?(?!\[redacted\])/);
      expect(text).not.toMatch(/Bearer\s+(?!\[redacted\])\S/);
    }
  });
});
