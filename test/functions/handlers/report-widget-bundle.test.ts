/**
 * The report widget is the one handler that imports lib/ (the run report's pure modules):
 * its bundle must not pull in the CDK (aws-cdk-lib, constructs) nor the local engine.
 */
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";

const ENTRY = fileURLToPath(new URL("../../../functions/report-widget/index.ts", import.meta.url));

describe("report-widget bundle", () => {
  it("holds no aws-cdk-lib, constructs or local-engine code", async () => {
    const result = await build({
      entryPoints: [ENTRY],
      bundle: true,
      platform: "node",
      format: "esm",
      target: "node24",
      write: false,
      metafile: true,
      logLevel: "silent",
    });
    const inputs = Object.keys(result.metafile.inputs);
    expect(inputs.some((i) => i.includes("lib/report/html.ts"))).toBe(true);
    expect(inputs.some((i) => i.includes("@aws-sdk/client-sfn"))).toBe(true);
    const forbidden = inputs.filter((i) =>
      /node_modules\/(aws-cdk-lib|constructs|aws-local-stepfunctions)\/|lib\/(constructs|local|cli)\//.test(
        i,
      ),
    );
    expect(forbidden).toEqual([]);
  }, 60_000);
});
