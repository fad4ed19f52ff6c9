import { mkdir, mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { createLocalDeps } from "../../../lib/local/local-deps";
import { VirtualClock } from "../../../lib/local/virtual-clock";

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
