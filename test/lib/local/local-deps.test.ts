import { readFileSync } from "node:fs";
import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { isStartPending, type StepInput } from "../../../functions/core/contract";
import { makeHandler as startHandler } from "../../../functions/start-sync";
import { createLocalDeps } from "../../../lib/local/local-deps";
import { VirtualClock } from "../../../lib/local/virtual-clock";
import { parseScenario, startSimulator } from "../../../simulator";
import { ACME, GLOBEX, GLOBEX_BULK, PARTNER_KEY, PARTNER_SCENARIO } from "../../fixtures/partner";

let dir: string | undefined;
afterEach(async () => {
  if (dir) await rm(dir, { recursive: true, force: true });
  dir = undefined;
});

const options = (outDir: string) => ({
  polytomic: { baseUrl: "http://127.0.0.1:9", apiKey: "local-key-1234" },
  clock: new VirtualClock(0),
  outDir,
});

describe("createLocalDeps", () => {
  it("writes handler log lines and metrics to the output directory", async () => {
    dir = await mkdtemp(join(tmpdir(), "local-deps-"));
    const local = await createLocalDeps(options(dir));
    local.deps.logger.info("hello", { step: "a" });
    await local.deps.metrics.put(
      [
        {
          MetricName: "Duration",
          Unit: "Seconds",
          Value: 1,
          Timestamp: new Date(0),
          Dimensions: [],
        },
      ],
      "Polytomic",
    );
    await local.close();
    expect(await readFile(local.handlerLogPath, "utf8")).toContain('"message":"hello"');
    expect(JSON.parse(await readFile(local.metricsPath, "utf8"))).toMatchObject({
      namespace: "Polytomic",
    });
  });

  it("rejects, naming the file, when a log file cannot be opened", async () => {
    dir = await mkdtemp(join(tmpdir(), "local-deps-"));
    await mkdir(join(dir, "handlers.log.jsonl"));
    await expect(createLocalDeps(options(dir))).rejects.toMatchObject({
      code: "EISDIR",
      path: join(dir, "handlers.log.jsonl"),
    });
  });
});

describe("createLocalDeps: the partner fan-out against the embedded simulator", () => {
  const yaml = readFileSync(new URL(`../../../${PARTNER_SCENARIO}`, import.meta.url), "utf8");
  const step = (organization: { id: string; name: string }): StepInput => ({
    pipeline: "nightly",
    step: "load",
    execution_name: "exec-1",
    sync_type: "bulk",
    sync: { name: "Salesforce to Snowflake" },
    options: {},
    on_conflict: "attach",
    policy: { max_errors: 0, fail_on_warnings: false, fail_on_schema_errors: true },
    poll: { strategy: "adaptive", min_seconds: 10, max_seconds: 600 },
    timeout_seconds: 3600,
    organization_id: organization.id,
    organization_name: organization.name,
  });

  it("runs a step with organization_id in that organization, with the scenario's partner key", async () => {
    dir = await mkdtemp(join(tmpdir(), "local-deps-"));
    const clock = new VirtualClock(0);
    const sim = await startSimulator({ scenario: parseScenario(yaml, "partner.yaml"), clock });
    const local = await createLocalDeps({
      polytomic: { baseUrl: sim.url, apiKey: "sim-key", partnerKey: PARTNER_KEY },
      clock,
      outDir: dir,
    });
    try {
      const start = await startHandler(local.deps)(step({ id: GLOBEX, name: "Globex" }));
      expect(isStartPending(start) ? undefined : start.sync_id).toBe(GLOBEX_BULK);
      expect((await local.deps.partner?.partner.listOrganizations())?.length).toBe(3);
    } finally {
      await local.close();
      await sim.close();
    }
    const log = await readFile(local.handlerLogPath, "utf8");
    expect(log).toContain(GLOBEX);
    expect(log).not.toContain(PARTNER_KEY);
  });

  it("without the scenario's partner key an organization-scoped step is Config.Invalid", async () => {
    dir = await mkdtemp(join(tmpdir(), "local-deps-"));
    const clock = new VirtualClock(0);
    const sim = await startSimulator({ scenario: parseScenario(yaml, "partner.yaml"), clock });
    const local = await createLocalDeps({
      polytomic: { baseUrl: sim.url, apiKey: "sim-key" },
      clock,
      outDir: dir,
    });
    try {
      await expect(
        startHandler(local.deps)(step({ id: ACME, name: "Acme" })),
      ).rejects.toMatchObject({
        name: "Config.Invalid",
        message: expect.stringContaining("partner_key"),
      });
    } finally {
      await local.close();
      await sim.close();
    }
  });
});
