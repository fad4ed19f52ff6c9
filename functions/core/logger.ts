/**
 * Structured JSON-lines logger. Every line carries the context fields given to `child`
 * (pipeline, step, sync_id, execution_id, sfn_execution, ...) and passes through the
 * Redactor, so neither the API key nor a signed URL's query string can reach the logs.
 */
import type { LogFields, Logger } from "./ports";
import type { Redactor } from "./redact";

export type LogLevel = "debug" | "info" | "warn" | "error";
const ORDER: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface JsonLoggerOptions {
  redactor: Redactor;
  /** Receives each finished line. @default process.stdout.write */
  write?: (line: string) => void;
  /** @default "info" */
  level?: LogLevel;
  /** @default () => new Date() */
  now?: () => Date;
  fields?: LogFields;
}

export class JsonLogger implements Logger {
  private readonly write: (line: string) => void;
  private readonly level: LogLevel;
  private readonly now: () => Date;

  constructor(
    private readonly options: JsonLoggerOptions,
    private readonly fields: LogFields = options.fields ?? {},
  ) {
    this.write = options.write ?? ((line) => process.stdout.write(`${line}\n`));
    this.level = options.level ?? "info";
    this.now = options.now ?? (() => new Date());
  }

  debug(message: string, fields?: LogFields): void {
    this.log("debug", message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log("info", message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log("warn", message, fields);
  }
  error(message: string, fields?: LogFields): void {
    this.log("error", message, fields);
  }

  child(fields: LogFields): Logger {
    return new JsonLogger(this.options, { ...this.fields, ...fields });
  }

  private log(level: LogLevel, message: string, fields?: LogFields): void {
    if (ORDER[level] < ORDER[this.level]) return;
    const r = this.options.redactor;
    const body = r.value({ ...this.fields, ...fields }) as LogFields;
    const line = { time: this.now().toISOString(), level, message: r.text(message), ...body };
    this.write(JSON.stringify(line));
  }
}

/** Parses a LOG_LEVEL value; anything else is "info". */
export function parseLogLevel(value: string | undefined): LogLevel {
  return value === "debug" || value === "info" || value === "warn" || value === "error"
    ? value
    : "info";
}
