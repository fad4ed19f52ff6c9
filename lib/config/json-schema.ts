/**
 * The editor JSON Schema of pipelines.yaml (pipelines.schema.json), generated from the
 * zod schema the loader validates with, so the two cannot disagree.
 */
import { z } from "zod";
import { pipelinesFileSchema } from "./schema";

/** Where the committed JSON Schema lives, relative to this module. */
export const CONFIG_SCHEMA_PATH = new URL("../../pipelines.schema.json", import.meta.url);

/** The JSON Schema text, as committed (2-space indent, trailing newline). */
export function generateConfigJsonSchema(): string {
  const schema = z.toJSONSchema(pipelinesFileSchema, { target: "draft-2020-12", io: "input" });
  return `${JSON.stringify({ ...schema, $id: "pipelines.schema.json" }, null, 2)}\n`;
}
