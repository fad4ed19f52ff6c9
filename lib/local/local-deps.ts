/**
 * The local adapters of the handlers' ports: logs to files under the output directory
 * instead of S3, metrics appended as JSON lines instead of CloudWatch, handler logs to
 * a file (the terminal belongs to the live display), and all time on the run's clock.
 */
import { createWriteStream, type WriteStream } from "node:fs";
import { mkdir } from "node:fs/promises";
import { dirname, join, relative, resolve, sep } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as WebReadableStream } from "node:stream/web";
import { createDeps, type Deps } from "../../functions/core/deps";
import { JsonLogger } from "../../functions/core/logger";
import { partnerAccess } from "../../functions/core/partner-access";
import type { LogSink, MetricDatum, MetricsSink } from "../../functions/core/ports";
import { Redactor } from "../../functions/core/redact";
import { PolytomicClient, type PolytomicClientOptions } from "../../functions/polytomic/client";
import type { RunSyncEventWait } from "./children";
import type { EventLog } from "./engine";
import { localExecutionHistory } from "./execution-history";
import type { LocalClock } from "./virtual-clock";

/** Writes each log object to `<root>/<key>`, streaming. Keys cannot escape the root. */
export class FileLogSink implements LogSink {
  constructor(private readonly root: string) {}

  /** The file a key is written to. */
  pathOf(key: string): string {
    const path = resolve(this.root, key);
    const inside = relative(resolve(this.root), path);
    if (inside.startsWith("..") || inside.startsWith(sep) || inside === "") {
      throw new Error(`log key "${key}" is outside the output directory`);
    }
    return path;
  }

  async put(
    key: string,
    body: globalThis.ReadableStream<Uint8Array> | Readable | string,
    _contentType: string,
    signal?: AbortSignal,
  ): Promise<void> {
    const path = this.pathOf(key);
    await mkdir(dirname(path), { recursive: true });
    const source =
      typeof body === "string"
        ? Readable.from([body])
        : body instanceof Readable
          ? body
          : Readable.fromWeb(body as WebReadableStream<Uint8Array>);
    await pipeline(source, createWriteStream(path), signal ? { signal } : {});
  }
}

/** Appends one JSON line per PutMetricData-equivalent call. */
export class JsonLinesMetricsSink implements MetricsSink {
  constructor(private readonly out: WriteStream) {}

  async put(data: MetricDatum[], namespace: string): Promise<void> {
    const line = JSON.stringify({ namespace, data });
    await new Promise<void>((ok, fail) =>
      this.out.write(`${line}\n`, (error) => (error ? fail(error) : ok())),
    );
  }
}

export interface LocalDepsOptions {
  /**
   * The simulator's URL and key. `partnerKey` (the scenario's `partner_key`) serves the
   * partner fan-out: resolve-organizations and steps with `organization_id`
   * (docs/partners.md); without it those fail `Config.Invalid`.
   */
  polytomic: { baseUrl: string; apiKey: string; partnerKey?: string | undefined };
  clock: LocalClock;
  outDir: string;
  /**
   * Where this run's handler log and metrics go (the run's folder).
   * @default - `outDir`
   */
  runDir?: string;
  /** The ended executions' events by ARN, which cancel-sync reads as their history. */
  histories?: ReadonlyMap<string, readonly EventLog[]>;
  /**
   * The local event wait (lib/local/event-wait.ts), when the run waits on events: its
   * measured delivery goes to check-status and start-sync, as the waits bucket does on AWS.
   */
  eventWait?: RunSyncEventWait | undefined;
}

export interface LocalDeps {
  deps: Deps;
  /** Where the handlers' JSON log lines go. */
  handlerLogPath: string;
  /** Where metric data goes, one JSON line per publish. */
  metricsPath: string;
  /** Flushes and closes the files. */
  close(): Promise<void>;
}

export async function createLocalDeps(options: LocalDepsOptions): Promise<LocalDeps> {
  await mkdir(options.outDir, { recursive: true });
  const files = await openRunFiles(options.runDir ?? options.outDir);
  const { handlerLog, metricsOut } = files;
  const redactor = new Redactor();
  redactor.register(options.polytomic.apiKey);
  const { partnerKey } = options.polytomic;
  if (partnerKey !== undefined) redactor.register(partnerKey);
  const { clock } = options;
  const sleep = (ms: number) => clock.sleep(ms);
  const logger = new JsonLogger({
    redactor,
    now: () => new Date(clock.now()),
    write: (line) => handlerLog.write(`${line}\n`),
  });
  const histories = options.histories;
  const client = (apiKey: PolytomicClientOptions["apiKey"]) =>
    new PolytomicClient({
      apiKey,
      baseUrl: options.polytomic.baseUrl,
      sleep,
      now: () => clock.now(),
      // As on Lambda (functions/aws/polytomic-from-env.ts): every retry is a log line.
      logger: {
        debug: (msg, data) => logger.debug(msg, { ...data }),
        warn: (msg, data) => logger.warn(msg, { ...data }),
      },
    });
  const deps = createDeps({
    ...(histories ? { executionHistory: localExecutionHistory((arn) => histories.get(arn)) } : {}),
    polytomic: client(options.polytomic.apiKey),
    partner: partnerAccess({
      partnerKey: async () => partnerKey,
      source: "the scenario (partner_key)",
      client,
      redactor,
    }),
    logs: new FileLogSink(options.outDir),
    metrics: new JsonLinesMetricsSink(metricsOut),
    clock: { now: () => clock.now() },
    sleep,
    redactor,
    logger,
    ...(options.eventWait?.delivery ? { delivery: options.eventWait.delivery } : {}),
  });
  return {
    deps,
    handlerLogPath: files.handlerLogPath,
    metricsPath: files.metricsPath,
    close: files.close,
  };
}

/** The run folder's handler log and metrics files, open for appending. */
async function openRunFiles(runDir: string) {
  await mkdir(runDir, { recursive: true });
  const handlerLogPath = join(runDir, "handlers.log.jsonl");
  const metricsPath = join(runDir, "metrics.jsonl");
  const handlerLog = createWriteStream(handlerLogPath, { flags: "a" });
  const metricsOut = createWriteStream(metricsPath, { flags: "a" });
  // A file that cannot be opened (a directory in its place, no permission) rejects here,
  // with its path and code, rather than crashing the process later.
  const opened = (stream: WriteStream) =>
    new Promise<void>((ok, fail) => {
      stream.once("open", () => ok());
      stream.once("error", fail);
    });
  try {
    await Promise.all([opened(handlerLog), opened(metricsOut)]);
  } catch (error) {
    handlerLog.destroy();
    metricsOut.destroy();
    throw error;
  }
  // A write that fails later (a full disk) is kept and reported by close().
  let writeError: Error | undefined;
  for (const stream of [handlerLog, metricsOut]) {
    stream.on("error", (error) => {
      writeError ??= error;
    });
  }
  const end = (stream: WriteStream) =>
    new Promise<void>((ok) => (stream.destroyed ? ok() : stream.end(() => ok())));
  const close = async () => {
    await Promise.all([end(handlerLog), end(metricsOut)]);
    if (writeError) throw writeError;
  };
  return { handlerLog, metricsOut, handlerLogPath, metricsPath, close };
}
