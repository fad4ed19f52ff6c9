/**
 * The editor JSON Schema of pipelines.yaml (pipelines.schema.json), generated from the
 * zod schema the loader validates with, so the two cannot disagree.
 */
import { z } from "zod";
import { pipelinesFileSchema } from "./schema";

/** Where the committed JSON Schema lives, relative to this module. */
export const CONFIG_SCHEMA_PATH = new URL("../../pipelines.schema.json", import.meta.url);

/** The JSON Schema of the pipelines file as written (the input of the loader). */
export function configJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(pipelinesFileSchema, { target: "draft-2020-12", io: "input" });
}

/** The JSON Schema text, as committed (2-space indent, trailing newline). */
export function generateConfigJsonSchema(): string {
  return `${JSON.stringify({ ...configJsonSchema(), $id: "pipelines.schema.json" }, null, 2)}\n`;
}
