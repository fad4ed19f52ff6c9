/**
 * `webhook install|status|uninstall` against a simulator standing in for the real API
 * (--live, over HTTP), and against the embedded simulator by default.
 */
import { resolve } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ManualClock, parseScenario, type RunningSimulator, startSimulator } from "../../simulator";
import { runMain } from "./in-process";

const REPO = resolve(import.meta.dirname, "../..");
const OURS = "https://abc123.lambda-url.us-east-1.on.aws/";
const THEIRS = "https://other-consumer.example.com/polytomic";
/** Another consumer's registration, whose query holds its own token. */
const THEIRS_WITH_TOKEN = `${THEIRS}?token=their-token-123`;
const SECRET = "stack-webhook-secret-value";

let sim: RunningSimulator;
let env: Record<string, string>;
beforeEach(async () => {
  sim = await startSimulator({
    scenario: parseScenario("api_key: live-key", "live.yaml"),
    clock: new ManualClock(Date.now()),
    host: "127.0.0.1",
    validateResponses: true,
  });
  env = {
    POLYTOMIC_API_KEY: "live-key",
    POLYTOMIC_API_URL: sim.url,
    POLYTOMIC_WEBHOOK_SECRET: SECRET,
  };
});
afterEach(async () => {
  await sim.close();
});

const webhook = (...args: string[]) => runMain(["webhook", ...args, "--live"], REPO, env);

describe("webhook command", () => {
  it("installs, shows and uninstalls the stack's endpoint, never printing the secret", async () => {
    expect((await webhook("status")).code).toBe(1);
    const installed = await webhook("install", "--endpoint", OURS);
    expect(installed.code).toBe(0);
    expect(installed.stdout).toMatch(/^registered webhook [0-9a-f-]+ -> https:\/\/abc123/);
    expect(sim.webhooks.registered()).toMatchObject({ endpoint: OURS, secret: SECRET });
    const again = await webhook("install", "--endpoint", OURS);
    expect(again).toMatchObject({ code: 0, stdout: expect.stringMatching(/^updated webhook/) });
    const shown = await webhook("status", "--endpoint", OURS);
    expect(shown).toMatchObject({ code: 0, stdout: expect.stringContaining("(this endpoint)") });
    const removed = await webhook("uninstall", "--endpoint", OURS);
    expect(removed.code).toBe(0);
    expect(sim.webhooks.registered()).toBeUndefined();
    for (const run of [installed, again, shown, removed]) {
      expect(run.stdout + run.stderr).not.toContain(SECRET);
    }
  });

  it("refuses to take another endpoint's webhook without --replace, and replaces it in place with it", async () => {
    await runMain(["webhook", "install", "--endpoint", THEIRS_WITH_TOKEN, "--live"], REPO, {
      ...env,
      POLYTOMIC_WEBHOOK_SECRET: "theirs",
    });
    const id = sim.webhooks.registered()?.id;
    const refused = await webhook("install", "--endpoint", OURS);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`points at ${THEIRS}, another endpoint`);
    expect(refused.stderr).toContain("--replace");
    expect(refused.stderr).not.toContain("their-token-123");
    expect(sim.webhooks.registered()).toMatchObject({
      endpoint: THEIRS_WITH_TOKEN,
      secret: "theirs",
    });
    expect((await webhook("status", "--endpoint", OURS)).code).toBe(1);
    expect((await webhook("uninstall", "--endpoint", OURS)).code).toBe(2);
    expect(sim.webhooks.registered()?.endpoint).toBe(THEIRS_WITH_TOKEN);

    const replaced = await webhook("install", "--endpoint", OURS, "--replace");
    expect(replaced.code).toBe(0);
    expect(replaced.stdout).toContain(`replaced ${THEIRS} with webhook ${id}`);
    expect(replaced.stdout).not.toContain("their-token-123");
    expect(sim.webhooks.registered()).toMatchObject({ id, endpoint: OURS, secret: SECRET });
  });

  it("needs the secret, an https endpoint with --live, and a known action", async () => {
    const { POLYTOMIC_WEBHOOK_SECRET: _, ...noSecret } = env;
    const missing = await runMain(
      ["webhook", "install", "--endpoint", OURS, "--live"],
      REPO,
      noSecret,
    );
    expect(missing).toMatchObject({
      code: 2,
      stderr: expect.stringContaining("POLYTOMIC_WEBHOOK_SECRET"),
    });
    expect((await webhook("install", "--endpoint", "http://example.com/x")).code).toBe(2);
    expect((await webhook("install")).stderr).toContain("--endpoint URL is required");
    expect((await webhook("remove")).stderr).toContain("expected install, status or uninstall");
    expect(sim.webhooks.registered()).toBeUndefined();
  });

  it("runs against the embedded simulator without --live", async () => {
    const run = await runMain(
      ["webhook", "install", "--endpoint", "http://127.0.0.1:9/hook"],
      REPO,
    );
    expect(run).toMatchObject({ code: 0, stdout: expect.stringMatching(/^registered webhook/) });
  });
});
