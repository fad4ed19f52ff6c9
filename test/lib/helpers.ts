import { fileURLToPath } from "node:url";
import { App, Stack } from "aws-cdk-lib";

/** A stack in an app that skips asset bundling (fast; the handlers need not exist). */
export function unbundledStack(id = "Test"): Stack {
  const app = new App({ context: { "aws:cdk:bundling-stacks": [] } });
  return new Stack(app, id, { env: { account: "123456789012", region: "us-east-1" } });
}

/** Stand-in handler entries (test/fixtures/cdk/functions/<name>/index.ts). */
export const FIXTURE_FUNCTIONS_DIR = fileURLToPath(
  new URL("../fixtures/cdk/functions", import.meta.url),
);
