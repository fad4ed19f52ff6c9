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
        "freshness-notice",
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

  it("freshness-notice needs the topic it publishes to: without it, Config.Invalid naming it", async () => {
    const saved = process.env.POLYTOMIC_SECRET_ARN;
    process.env.POLYTOMIC_SECRET_ARN =
      "arn:aws:secretsmanager:us-east-1:123456789012:secret:polytomic-AbCdEf";
    delete process.env.FRESHNESS_NOTICE_TOPIC_ARN;
    try {
      const mod = await import("../../../functions/freshness-notice/index");
      const err = await rejection(mod.handler({}));
      expect(err.name).toBe("Config.Invalid");
      expect(err.message).toContain("FRESHNESS_NOTICE_TOPIC_ARN");
    } finally {
      if (saved === undefined) delete process.env.POLYTOMIC_SECRET_ARN;
      else process.env.POLYTOMIC_SECRET_ARN = saved;
    }
  });
});
