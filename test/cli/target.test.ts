/**
 * lib/cli/target.ts: the one place a command chooses between the embedded simulator and
 * the real API (--live), starts and closes the simulator, and checks the live credential.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { CredentialError, UsageError } from "../../lib/cli/args";
import type { CliIO } from "../../lib/cli/io";
import {
  chooseScenario,
  chooseTarget,
  LOCAL_API_KEY,
  openEmbedded,
  openLive,
  openTarget,
} from "../../lib/cli/target";
import { emptyScenario, ManualClock, parseScenario } from "../../simulator";
import { Capture } from "./in-process";

const io = (env: Record<string, string> = {}): CliIO => ({
  stdout: new Capture(),
  stderr: new Capture(),
  env,
  cwd: process.cwd(),
});

/** The error `f` throws (fails the test when it throws none). */
function thrown(f: () => unknown): Error {
  try {
    f();
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected an error");
}

describe("chooseTarget", () => {
  it("refuses --scenario with --live, naming only what was given", () => {
    const err = thrown(() => chooseTarget("freshness", true, { scenario: "s.yaml" }));
    expect(err).toBeInstanceOf(UsageError);
    expect(err.message).toBe(
      "freshness: --scenario is for the embedded simulator; it cannot be combined with --live (drop it)",
    );
  });

  it("names every embedded-only option given with --live", () => {
    const err = thrown(() => chooseTarget("run", true, { scenario: "s.yaml", speed: "10" }));
    expect(err.message).toBe(
      "run: --scenario and --speed are for the embedded simulator; they cannot be combined with --live (drop them)",
    );
    const speed = thrown(() => chooseTarget("run", true, { scenario: undefined, speed: "10" }));
    expect(speed.message).toContain("run: --speed is for the embedded simulator");
  });

  it("returns the choice when nothing conflicts", () => {
    expect(chooseTarget("webhook", true, { scenario: undefined })).toEqual({
      live: true,
      scenarioPath: undefined,
    });
    expect(chooseTarget("webhook", false, { scenario: "s.yaml" })).toEqual({
      live: false,
      scenarioPath: "s.yaml",
    });
  });
});

describe("openLive", () => {
  it("names the missing variable of each credential, and the way back to the simulator", () => {
    const api = thrown(() => openLive(io({ POLYTOMIC_PARTNER_KEY: "p" }), "freshness"));
    expect(api).toBeInstanceOf(CredentialError);
    expect(api.message).toBe(
      "freshness --live: the POLYTOMIC_API_KEY environment variable is not set; set it to a " +
        "Polytomic API key (or run without --live to use the embedded simulator)",
    );
    const partner = thrown(() => openLive(io({ POLYTOMIC_API_KEY: "k" }), "whereis", "partner"));
    expect(partner).toBeInstanceOf(CredentialError);
    expect(partner.message).toContain(
      "whereis --live: the POLYTOMIC_PARTNER_KEY environment variable is not set; set it to the Polytomic partner key",
    );
  });

  it("treats a blank key as missing", () => {
    expect(thrown(() => openLive(io({ POLYTOMIC_API_KEY: "  " }), "run"))).toBeInstanceOf(
      CredentialError,
    );
  });

  it("sends the credential asked for, to POLYTOMIC_API_URL, and names the API by its origin only", () => {
    const env = {
      POLYTOMIC_API_KEY: "org-key-0123",
      POLYTOMIC_PARTNER_KEY: " partner-key-0123 ",
      POLYTOMIC_API_URL: "https://eu.polytomic.example/base//",
    };
    const target = openLive(io(env), "whereis", "partner");
    expect(target).toMatchObject({
      apiKey: "partner-key-0123",
      baseUrl: "https://eu.polytomic.example/base",
      description: "the Polytomic API at https://eu.polytomic.example",
      keyHint: "POLYTOMIC_PARTNER_KEY",
    });
    expect(target.simulator).toBeUndefined();
    expect(openLive(io(env), "run")).toMatchObject({
      apiKey: "org-key-0123",
      keyHint: "POLYTOMIC_API_KEY",
    });
  });

  it("refuses an address that is not an http(s) URL, without printing the key", () => {
    const bad = thrown(() =>
      openLive(io({ POLYTOMIC_API_KEY: "secret-0123", POLYTOMIC_API_URL: "ftp://x" }), "webhook"),
    );
    expect(bad).toBeInstanceOf(UsageError);
    expect(bad.message).toBe(
      'webhook --live: POLYTOMIC_API_URL must be an http(s) URL, got "ftp://x"',
    );
    expect(bad.message).not.toContain("secret-0123");
  });
});

describe("openEmbedded", () => {
  const keyed = () => parseScenario("api_key: scenario-key-0123\nsyncs: {}\n", "keyed.yaml");

  it("serves the scenario with its key (before POLYTOMIC_API_KEY's), and close() stops the simulator", async () => {
    const named = { scenario: keyed(), shown: "keyed.yaml" };
    const target = await openEmbedded(named, io({ POLYTOMIC_API_KEY: "env-key" }), {
      command: "freshness",
      clock: new ManualClock(Date.now()),
    });
    expect(target).toMatchObject({
      apiKey: "scenario-key-0123",
      description: "the embedded simulator (scenario: keyed.yaml)",
      keyHint: "api_key in keyed.yaml",
    });
    await expect(target.client.listModelSyncs({ limit: 1 })).resolves.toBeDefined();
    await target.close();
    await expect(fetch(`${target.baseUrl}/api/syncs`)).rejects.toThrow();
  });

  it("sends POLYTOMIC_API_KEY, else a local key, when the scenario has none", async () => {
    const named = chooseScenario(undefined, io(), { scenario: emptyScenario, name: "empty" });
    const clock = new ManualClock(Date.now());
    const fromEnv = await openEmbedded(named, io({ POLYTOMIC_API_KEY: " env-key " }), {
      command: "webhook",
      clock,
    });
    await fromEnv.close();
    expect(fromEnv).toMatchObject({ apiKey: "env-key", keyHint: "POLYTOMIC_API_KEY" });
    const local = await openEmbedded(named, io(), { command: "webhook", clock });
    await local.close();
    expect(local.apiKey).toBe(LOCAL_API_KEY);
  });

  it("refuses the partner credential for a scenario without partner_key", async () => {
    const named = chooseScenario(undefined, io(), { scenario: emptyScenario, name: "empty" });
    await expect(
      openEmbedded(named, io(), {
        command: "whereis",
        clock: new ManualClock(Date.now()),
        credential: "partner",
      }),
    ).rejects.toThrow(
      new CredentialError(
        "whereis: the scenario (empty) has no partner_key, so the embedded simulator has no " +
          "partner to look up entities for (docs/partners.md)",
      ),
    );
  });
});

describe("openTarget", () => {
  const options = {
    command: "webhook",
    clock: new ManualClock(Date.now()),
    fallback: { scenario: emptyScenario, name: "empty" },
  };

  it("serves --scenario's file, named as given, else the command's fallback", async () => {
    const cwd = mkdtempSync(join(tmpdir(), "target-"));
    writeFileSync(join(cwd, "mine.yaml"), "api_key: file-key-0123\nsyncs: {}\n");
    const here = { ...io(), cwd };
    const file = await openTarget({ live: false, scenarioPath: "mine.yaml" }, here, options);
    await file.close();
    expect(file).toMatchObject({
      apiKey: "file-key-0123",
      description: "the embedded simulator (scenario: mine.yaml)",
    });
    const fallback = await openTarget({ live: false, scenarioPath: undefined }, here, options);
    await fallback.close();
    expect(fallback.description).toBe("the embedded simulator (scenario: empty)");
  });

  it("starts no simulator with --live", async () => {
    const env = { POLYTOMIC_API_KEY: "k-0123", POLYTOMIC_API_URL: "http://127.0.0.1:9" };
    const live = await openTarget({ live: true, scenarioPath: undefined }, io(env), options);
    expect(live).toMatchObject({ baseUrl: "http://127.0.0.1:9", apiKey: "k-0123" });
    expect(live.simulator).toBeUndefined();
  });
});
