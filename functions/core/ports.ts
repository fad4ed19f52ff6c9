/**
 * The ports core logic depends on. Adapters: functions/aws (Lambda) and the local runner.
 * No AWS SDK types here: a metric datum is a plain object shaped like CloudWatch's.
 */
import type { Readable } from "node:stream";

import type { PolytomicApi, PolytomicPartnerApi } from "../polytomic/api";

export type { CallOptions, PolytomicApi, PolytomicPartnerApi } from "../polytomic/api";

/**
 * What a partner key reaches (docs/partners.md): the partner endpoints, and each of the
 * partner's organizations' own endpoints. Calls fail `Config.Invalid` when the secret holds
 * no partner key.
 */
export interface PartnerAccess {
  /** The partner endpoints (`/api/organizations...`), the key sent as Bearer. */
  partner: PolytomicPartnerApi;
  /** One organization's endpoints, the key sent as Basic `<organization id>:<key>`. */
  organization(organizationId: string): PolytomicApi;
}

/** Where exported log files go (S3 on AWS, a directory locally). Must stream, never buffer. */
export interface LogSink {
  /** Streams `body` to `key`; an abort of `signal` stops the upload and rejects. */
  put(
    key: string,
    body: ReadableStream<Uint8Array> | Readable | string,
    contentType: string,
    signal?: AbortSignal,
  ): Promise<void>;
}

export interface MetricDimension {
  Name: string;
  Value: string;
}

/** One metric value, shaped like CloudWatch's MetricDatum. */
export interface MetricDatum {
  MetricName: string;
  Unit: string;
  Value: number;
  Timestamp: Date;
  Dimensions: MetricDimension[];
}

/** Publishes metric data in one call (CloudWatch PutMetricData on AWS). */
export interface MetricsSink {
  put(data: MetricDatum[], namespace: string): Promise<void>;
}

/** A plain-text message to the people on call (SNS Publish on AWS). */
export interface Notice {
  /** One line of printable ASCII, under 100 characters (SNS's rule for a subject). */
  subject: string;
  message: string;
}

/** Where notices go: the deployment's alarm topic on AWS. */
export interface NoticeSink {
  publish(notice: Notice): Promise<void>;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export type Sleep = (ms: number) => Promise<void>;

export type LogFields = Record<string, unknown>;

/** Structured logger: one JSON line per call, redacted. */
export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  /** A logger that adds `fields` to every line. */
  child(fields: LogFields): Logger;
}
