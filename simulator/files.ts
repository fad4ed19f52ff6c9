/**
 * Deterministic content of the files behind signed URLs: model log files (JSON lines of
 * records with their errors/warnings), bulk per-schema logs, and the gzip archive of a bulk log
 * export. Same execution, same bytes, so tests can compare them.
 */
import { gzipSync } from "node:zlib";
import type { ExecutionRecord, FileSpec } from "./state";

/** Lines per model log file at most (files stay a few KB to a few tens of KB). */
export const MAX_LINES_PER_FILE = 200;

/** The number of model log lines of `logType` an execution produces (0 = no file). */
export function modelLogLineCount(e: ExecutionRecord, logType: string): number {
  const insert = Math.floor(e.records * 0.6);
  const update = Math.floor(e.records * 0.3);
  const byType: Record<string, number> = {
    records: e.records,
    errors: e.errors,
    warnings: e.warnings,
    inserts: insert,
    updates: update,
    deletes: e.records - insert - update,
  };
  return Math.min(byType[logType] ?? 0, MAX_LINES_PER_FILE);
}

function recordFields(execId: string, i: number): Record<string, string | number> {
  return {
    Id: `${execId.slice(0, 8)}-${String(i).padStart(6, "0")}`,
    Email: `user${i}@example.com`,
    FirstName: `First${i}`,
    LastName: `Last${i}`,
    Company: `Company ${i % 37}`,
    LifetimeValue: (i * 7919) % 100000,
  };
}

/** A model log file: JSON lines describing records (with an error or warning for those types). */
export function modelLogContent(e: ExecutionRecord, logType: string): string {
  const lines: string[] = [];
  const n = modelLogLineCount(e, logType);
  for (let i = 1; i <= n; i++) {
    const line: Record<string, unknown> = {
      execution_id: e.id,
      sync_id: e.sync.id,
      type: logType,
      row: i,
      record: recordFields(e.id, i),
    };
    if (logType === "errors") {
      line.error = `Field "Email" rejected by destination: INVALID_EMAIL_ADDRESS (row ${i})`;
    } else if (logType === "warnings") {
      line.warning = `Value for "Company" truncated to 40 characters (row ${i})`;
    } else {
      line.operation = logType === "records" ? "upsert" : logType.replace(/s$/, "");
    }
    lines.push(JSON.stringify(line));
  }
  return lines.length > 0 ? `${lines.join("\n")}\n` : "";
}

/** A bulk log file for one schema (or the whole execution when `schema` is "execution"). */
export function bulkLogContent(e: ExecutionRecord, schema: string): string {
  const lines: string[] = [];
  const schemas = schema === "execution" ? e.schemas : e.schemas.filter((s) => s.name === schema);
  lines.push(JSON.stringify({ level: "info", execution_id: e.id, schema, message: "log start" }));
  for (const s of schemas) {
    const batches = 20;
    for (let b = 1; b <= batches; b++) {
      lines.push(
        JSON.stringify({
          level: "info",
          execution_id: e.id,
          schema: s.name,
          batch: b,
          message: `Wrote batch ${b}/${batches} of ${s.name}: ${Math.floor((s.records * b) / batches)} records so far`,
        }),
      );
    }
    for (let i = 1; i <= Math.min(s.errors, 50); i++) {
      lines.push(
        JSON.stringify({
          level: "error",
          execution_id: e.id,
          schema: s.name,
          row: i,
          message: `Row ${i} of ${s.name} rejected: value too long for column "description"`,
        }),
      );
    }
    if (s.outcome === "failed") {
      lines.push(
        JSON.stringify({
          level: "error",
          execution_id: e.id,
          schema: s.name,
          message: `Schema ${s.name} failed`,
        }),
      );
    }
  }
  lines.push(JSON.stringify({ level: "info", execution_id: e.id, schema, message: "log end" }));
  return `${lines.join("\n")}\n`;
}

/** The uncompressed text inside a bulk log export archive. */
export function archiveText(e: ExecutionRecord): string {
  return bulkLogContent(e, "execution");
}

/** The bytes and content type of a file. */
export function renderFile(spec: FileSpec): { body: Buffer; contentType: string } {
  switch (spec.kind) {
    case "model-log":
      return {
        body: Buffer.from(modelLogContent(spec.execution, spec.logType)),
        contentType: "application/x-ndjson",
      };
    case "bulk-log":
      return {
        body: Buffer.from(bulkLogContent(spec.execution, spec.schema)),
        contentType: "application/x-ndjson",
      };
    case "archive":
      return {
        body: gzipSync(Buffer.from(archiveText(spec.execution))),
        contentType: "application/gzip",
      };
  }
}
