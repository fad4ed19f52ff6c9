import { describe, expect, it } from "vitest";
import { rejection } from "../harness";

describe("Lambda entry points", () => {
  it("import without AWS environment; a missing variable is Config.Invalid at first invocation", async () => {
    const saved = process.env.POLYTOMIC_SECRET_ARN;
    delete process.env.POLYTOMIC_SECRET_ARN;
    try {
      for (const name of [
        "start-sync",
        "check-status",
        "export-logs",
        "cancel-sync",
        "freshness",
      ]) {
        const mod = (await import(`../../../functions/${name}/index.ts`)) as {
          handler: (e: unknown) => Promise<unknown>;
          makeHandler: unknown;
        };
        expect(typeof mod.makeHandler).toBe("function");
        const err = await rejection(mod.handler({}));
        expect(err.name).toBe("Config.Invalid");
        expect(err.message).toContain("POLYTOMIC_SECRET_ARN");
      }
      // publish-metrics needs no Polytomic access, so no secret: it goes on to validate input.
      const publish = await import("../../../functions/publish-metrics/index");
      const err = await rejection(publish.handler({}));
      expect(err.name).toBe("Input.Invalid");
    } finally {
      if (saved !== undefined) process.env.POLYTOMIC_SECRET_ARN = saved;
    }
  });
});
