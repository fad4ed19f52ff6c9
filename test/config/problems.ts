/** The config tests' view of a rejected pipelines file. */
import { ConfigError, parsePipelinesConfig } from "../../lib/config/load";

/** The problems of `text` as formatted lines; fails the test when it loads. */
export function problems(text: string): string[] {
  try {
    parsePipelinesConfig(text, "pipelines.yaml");
  } catch (error) {
    if (error instanceof ConfigError) return error.message.split("\n");
    throw error;
  }
  throw new Error("expected the file to be rejected");
}
