/**
 * `PolytomicClient`: the typed Polytomic API client over native fetch, implementing every
 * call of `PolytomicApi` (api.ts). Responses are unwrapped from their `{data: ...}` envelope
 * into the generated types (types.ts); list calls return `Page<T>`.
 *
 * Behaviour worth knowing (details in http.ts):
 * - Every request sends `Authorization` (`Bearer <key>`, or HTTP Basic
 *   `base64(<organization id>:<key>)` for organization-scoped credentials), `X-Polytomic-Version` and
 *   `Accept: application/json`; bodies send `Content-Type: application/json`; every POST
 *   that starts or cancels something, and the log export, sends the caller's
 *   `Idempotency-Key`.
 * - 408, 429, 5xx, network errors, per-attempt timeouts and malformed 2xx bodies are retried
 *   with full-jitter exponential backoff; `Retry-After` (429/503) is a minimum wait. No wait
 *   ends past the call's deadline (`options.deadline`, else now + `defaultTimeoutMs`), and
 *   each attempt's timeout is capped to the time left. 400/401/403/404/409 are not retried.
 * - Retrying a POST is safe: each carries an Idempotency-Key and Polytomic replays the first
 *   answer to a repeated key, so a retried start never starts a second execution. Because
 *   error answers are replayed too, a POST answered 408/429/5xx is retried with a derived
 *   key (`<key>-r<n>`), or thrown at once with `onAnsweredError: "throw"`.
 * - Caller mistakes (bad Idempotency-Key, empty id, unparseable download URL) throw
 *   `PolytomicInputError` (`name` "Input.Invalid", `attempts` 0) before anything is sent.
 * - Errors say `METHOD /path: reason (status)`, never the host's query string, the API key or
 *   a signed URL's signature.
 */
import type {
  CallOptions,
  ConsoleLogQuery,
  ListBulkExecutionsQuery,
  ListModelExecutionsQuery,
  MutatingCallOptions,
  Page,
  PolytomicApi,
  PolytomicPartnerApi,
} from "./api";
import { PolytomicUnauthorizedError } from "./errors";
import { type ClientLogger, discard, HttpTransport, MalformedBody, type RetryInfo } from "./http";
import { checkIdempotencyKey, checkPathParam, PolytomicInputError } from "./input";
import type { ApiCall, HttpMethod, PathsWith, Reading, ReadResult } from "./operations";
import { redactText, redactUrl, urlSecrets } from "./redact";
import type {
  ApiErrorBody,
  ApiKey,
  BulkExecution,
  BulkLogUrls,
  BulkSync,
  BulkSyncStatus,
  CancelBulkExecutionResponse,
  CancelModelExecutionResponse,
  Connection,
  ConsoleLogs,
  CreateOrganizationRequest,
  CreateUserRequest,
  CreateWebhookRequest,
  ExecutionLogType,
  ExecutionLogUrls,
  ExportLogsResponse,
  Job,
  ModelExecution,
  ModelSync,
  ModelSyncListItem,
  ModelSyncStatus,
  Organization,
  OrganizationUser,
  PartnerEntity,
  StartBulkSyncRequest,
  StartModelSyncRequest,
  StartModelSyncResponse,
  Webhook,
} from "./types";

export type { ClientLogger, RetryInfo } from "./http";

/**
 * The production API origin: the one default of the project (the CLI's --live, the CDK
 * construct's messages and the handlers all use it).
 */
export const DEFAULT_BASE_URL = "https://app.polytomic.com";
/** The API version the generated types describe (sent as `X-Polytomic-Version`). */
export const DEFAULT_API_VERSION = "2025-09-18";

export const DEFAULT_MAX_ATTEMPTS = 5;
export const DEFAULT_BASE_DELAY_MS = 500;
export const DEFAULT_MAX_DELAY_MS = 20_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_TOTAL_TIMEOUT_MS = 120_000;

/**
 * How the client authenticates, per the spec's security schemes: a key sent as
 * `Authorization: Bearer <key>` (`bearerUserAPIKey`), or an organization id and key sent as
 * HTTP Basic `base64(<organization id>:<key>)` (`orgScopedAPIKey`; Polytomic's Terraform
 * provider calls an organization's endpoints with a partner key this way).
 */
export type PolytomicCredentials = string | { organizationId: string; key: string };

/**
 * The credentials a partner key gives for one organization's endpoints: HTTP Basic
 * `base64(<organization id>:<partner key>)`, as Polytomic's Terraform provider sends them
 * (internal/providerclient/client.go, `Provider.Client`). The partner endpoints
 * (`PolytomicPartnerApi`) take the partner key itself, sent as Bearer.
 */
export function organizationCredentials(
  partnerKey: string,
  organizationId: string,
): PolytomicCredentials {
  return { organizationId, key: partnerKey };
}

/** The HTTP Basic token of organization-scoped credentials: base64(`<organization id>:<key>`). */
export function basicToken(organizationId: string, key: string): string {
  return Buffer.from(`${organizationId}:${key}`).toString("base64");
}

/** The key of credentials, whichever form they take (a raw key, or organization-scoped). */
export function keyOf(credentials: PolytomicCredentials): string {
  return typeof credentials === "string" ? credentials : credentials.key;
}

export interface PolytomicClientOptions {
  /**
   * The credentials, or a function returning them. A function is called once per call (all
   * its attempts share the result), so a rotated key is picked up without a new client.
   */
  apiKey: PolytomicCredentials | (() => Promise<PolytomicCredentials>);
  /** @default DEFAULT_BASE_URL */
  baseUrl?: string;
  /** Sent as `X-Polytomic-Version`. @default "2025-09-18" */
  apiVersion?: string;
  /** @default globalThis.fetch */
  fetch?: typeof fetch;
  retry?: {
    /** Attempts per call, the first included (>= 1). @default 5 */
    maxAttempts?: number;
    /** Cap of the first retry's jittered wait. @default 500 */
    baseDelayMs?: number;
    /** Cap of any jittered wait (a server's Retry-After may ask for more). @default 20_000 */
    maxDelayMs?: number;
  };
  /** Timeout of one attempt, capped by the time left before the deadline. @default 30_000 */
  requestTimeoutMs?: number;
  /** A call's total budget when the caller gives no `deadline`. @default 120_000 */
  defaultTimeoutMs?: number;
  /** How the client waits between attempts. @default a setTimeout promise */
  sleep?: (ms: number) => Promise<void>;
  /** Epoch milliseconds, used for deadlines and HTTP-date Retry-After. @default Date.now */
  now?: () => number;
  /** A number in [0, 1) for the full jitter. @default Math.random */
  random?: () => number;
  /** Told before each retry wait (for logs and metrics; holds no secrets). */
  onRetry?: (info: RetryInfo) => void;
  /** Debug line per attempt, warning per retry; data never holds secrets. */
  logger?: ClientLogger;
}

/** The `type` values of the model log URL endpoint (exhaustive over the spec's enum). */
const MODEL_LOG_TYPES: Record<ExecutionLogType, true> = {
  records: true,
  errors: true,
  warnings: true,
  inserts: true,
  updates: true,
  deletes: true,
};

/** Header-safe API key: visible ASCII only. */
const API_KEY_CHARS = /^[\x21-\x7e]+$/;

/** `value ?? fallback`, checked to be a finite number >= `min`. */
function numberOption(name: string, value: number | undefined, fallback: number, min = 0): number {
  const v = value ?? fallback;
  if (typeof v !== "number" || !Number.isFinite(v) || v < min) {
    throw new RangeError(`PolytomicClient: ${name} must be a number >= ${min}, got ${String(v)}`);
  }
  return v;
}

function isRecord(x: unknown): x is Record<string, unknown> {
  return typeof x === "object" && x !== null && !Array.isArray(x);
}

/** `{data: {...}}` -> the object. */
function dataObject(json: unknown): Record<string, unknown> {
  if (!isRecord(json)) throw new MalformedBody("expected a JSON object");
  if (!isRecord(json.data)) throw new MalformedBody("expected a `data` object");
  return json.data;
}

/** `{data: [...] | null}` -> the array. */
function dataArray(json: unknown): unknown[] {
  if (!isRecord(json)) throw new MalformedBody("expected a JSON object");
  if (json.data === null) return [];
  if (!Array.isArray(json.data)) throw new MalformedBody("expected a `data` array");
  return json.data;
}

/** `{data: [...], pagination: {next_page_token}}` -> `Page`. */
function dataPage(json: unknown): Page<unknown> {
  const data = dataArray(json);
  const pagination = (json as Record<string, unknown>).pagination;
  if (pagination !== undefined && pagination !== null && !isRecord(pagination)) {
    throw new MalformedBody("expected `pagination` to be an object");
  }
  const token = isRecord(pagination) ? pagination.next_page_token : undefined;
  if (token !== undefined && token !== null && typeof token !== "string") {
    throw new MalformedBody("expected `pagination.next_page_token` to be a string");
  }
  return typeof token === "string" && token !== "" ? { data, nextPageToken: token } : { data };
}

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text();
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new MalformedBody(text.trim() === "" ? "empty body" : "not valid JSON");
  }
}

/** What to do about statuses whose API message alone does not say. */
const HINTS: Record<number, string> = {
  401: "check the Polytomic API key (the secret's value)",
  403: "the API key is valid but lacks permission for this; check the key's organization and role",
};

/** An ApiError body `{key, message, status}` when the response has one, and a reason. */
async function describeApiError(res: Response): Promise<{ body?: ApiErrorBody; reason: string }> {
  const hint = HINTS[res.status];
  const { body, reason } = await parseApiError(res);
  return { ...(body === undefined ? {} : { body }), reason: hint ? `${reason}; ${hint}` : reason };
}

async function parseApiError(res: Response): Promise<{ body?: ApiErrorBody; reason: string }> {
  const text = await res.text();
  const fallback = `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}`;
  try {
    const parsed = JSON.parse(text) as unknown;
    if (
      isRecord(parsed) &&
      (typeof parsed.message === "string" || typeof parsed.key === "string")
    ) {
      const body = parsed as ApiErrorBody;
      const message =
        typeof body.message === "string" && body.message !== ""
          ? body.message
          : (body.key ?? fallback);
      return { body, reason: truncate(message) };
    }
  } catch {
    // not JSON: fall through
  }
  return { reason: fallback };
}

/** An S3-style XML error (`<Code>`, `<Message>`), or the status line. */
async function describeDownloadError(res: Response): Promise<{ reason: string }> {
  const text = await res.text();
  const code = /<Code>([^<]{1,100})<\/Code>/.exec(text)?.[1];
  const message = /<Message>([^<]{1,300})<\/Message>/.exec(text)?.[1];
  if (code || message) return { reason: truncate([code, message].filter(Boolean).join(": ")) };
  return { reason: `HTTP ${res.status}${res.statusText ? ` ${res.statusText}` : ""}` };
}

function truncate(text: string, max = 500): string {
  const oneLine = text.replace(/\s+/g, " ").trim();
  return oneLine.length > max ? `${oneLine.slice(0, max)}...` : oneLine;
}

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The Polytomic API over HTTP. One instance per API key and base URL; safe to share. */
export class PolytomicClient implements PolytomicApi, PolytomicPartnerApi {
  private readonly baseUrl: URL;
  private readonly apiVersion: string;
  private readonly apiKey: PolytomicClientOptions["apiKey"];
  private readonly transport: HttpTransport;

  /** @throws TypeError for a base URL that is not http(s); RangeError for bad retry numbers. */
  constructor(options: PolytomicClientOptions) {
    const base = options.baseUrl ?? DEFAULT_BASE_URL;
    let url: URL;
    try {
      url = new URL(base);
    } catch {
      throw new TypeError(`PolytomicClient: baseUrl is not a valid URL (${redactUrl(base)})`);
    }
    if (url.protocol !== "https:" && url.protocol !== "http:") {
      throw new TypeError(`PolytomicClient: baseUrl must be http(s), got ${url.protocol}`);
    }
    if (url.search || url.hash || url.username || url.password) {
      throw new TypeError(
        `PolytomicClient: baseUrl must be an origin and optional path, without query, fragment or credentials (${redactUrl(url)})`,
      );
    }
    if (!url.pathname.endsWith("/")) url.pathname = `${url.pathname}/`;
    this.baseUrl = url;
    this.apiVersion = options.apiVersion ?? DEFAULT_API_VERSION;
    if (!/^[\x21-\x7e]+$/.test(this.apiVersion)) {
      throw new TypeError("PolytomicClient: apiVersion must be non-empty visible ASCII");
    }
    const a = options.apiKey as unknown;
    if (typeof a !== "string" && typeof a !== "function" && (typeof a !== "object" || !a)) {
      throw new TypeError(
        "PolytomicClient: apiKey must be a key, {organizationId, key}, or a function returning one",
      );
    }
    this.apiKey = options.apiKey;
    const retry = options.retry ?? {};
    const fetchImpl = options.fetch ?? globalThis.fetch;
    this.transport = new HttpTransport({
      fetch: (input, init) => fetchImpl(input, init),
      maxAttempts: Math.floor(
        numberOption("retry.maxAttempts", retry.maxAttempts, DEFAULT_MAX_ATTEMPTS, 1),
      ),
      baseDelayMs: numberOption("retry.baseDelayMs", retry.baseDelayMs, DEFAULT_BASE_DELAY_MS),
      maxDelayMs: numberOption("retry.maxDelayMs", retry.maxDelayMs, DEFAULT_MAX_DELAY_MS),
      requestTimeoutMs: numberOption(
        "requestTimeoutMs",
        options.requestTimeoutMs,
        DEFAULT_REQUEST_TIMEOUT_MS,
      ),
      defaultTimeoutMs: numberOption(
        "defaultTimeoutMs",
        options.defaultTimeoutMs,
        DEFAULT_TOTAL_TIMEOUT_MS,
      ),
      sleep: options.sleep ?? defaultSleep,
      now: options.now ?? Date.now,
      random: options.random ?? Math.random,
      ...(options.onRetry ? { onRetry: options.onRetry } : {}),
      ...(options.logger ? { logger: options.logger } : {}),
    });
  }

  // --- model syncs ---------------------------------------------------------------------------

  startModelSync(
    syncId: string,
    body: StartModelSyncRequest,
    options: MutatingCallOptions,
  ): Promise<StartModelSyncResponse> {
    return this.call({
      method: "POST",
      template: "/api/syncs/{id}/executions",
      params: { id: syncId },
      body,
      idempotencyKey: options?.idempotencyKey,
      onAnsweredError: options?.onAnsweredError,
      read: "data",
      options,
    });
  }

  getModelExecution(
    syncId: string,
    executionId: string,
    options?: CallOptions,
  ): Promise<ModelExecution> {
    return this.call({
      method: "GET",
      template: "/api/syncs/{sync_id}/executions/{id}",
      params: { sync_id: syncId, id: executionId },
      read: "data",
      options,
    });
  }

  getModelSyncStatus(syncId: string, options?: CallOptions): Promise<ModelSyncStatus> {
    return this.call({
      method: "GET",
      template: "/api/syncs/{id}/status",
      params: { id: syncId },
      read: "data",
      options,
    });
  }

  listModelExecutions(
    syncId: string,
    query: ListModelExecutionsQuery = {},
    options?: CallOptions,
  ): Promise<Page<ModelExecution>> {
    return this.call({
      method: "GET",
      template: "/api/syncs/{sync_id}/executions",
      params: { sync_id: syncId },
      query: {
        page_token: query.pageToken,
        only_completed: query.onlyCompleted,
        ascending: query.ascending,
      },
      read: "page",
      options,
    });
  }

  cancelModelExecution(
    syncId: string,
    executionId: string,
    options: MutatingCallOptions,
  ): Promise<CancelModelExecutionResponse> {
    return this.call({
      method: "POST",
      template: "/api/syncs/{sync_id}/executions/{id}/cancel",
      params: { sync_id: syncId, id: executionId },
      idempotencyKey: options?.idempotencyKey,
      onAnsweredError: options?.onAnsweredError,
      read: "data",
      options,
    });
  }

  async getModelLogUrls(
    syncId: string,
    executionId: string,
    type: ExecutionLogType,
    options?: CallOptions,
  ): Promise<ExecutionLogUrls> {
    const template = "/api/syncs/{sync_id}/executions/{id}/{type}";
    if (!Object.hasOwn(MODEL_LOG_TYPES, type)) {
      throw new PolytomicInputError(
        `GET ${template}: type must be one of ${Object.keys(MODEL_LOG_TYPES).join(", ")}`,
        `GET ${template}`,
      );
    }
    return this.call({
      method: "GET",
      template,
      params: { sync_id: syncId, id: executionId, type },
      read: "data",
      options,
    });
  }

  getModelConsoleLogs(
    syncId: string,
    executionId: string,
    query: ConsoleLogQuery = {},
    options?: CallOptions,
  ): Promise<ConsoleLogs> {
    return this.call({
      method: "GET",
      template: "/api/syncs/{sync_id}/executions/{id}/consolelog",
      params: { sync_id: syncId, id: executionId },
      query: { limit: query.limit, after: query.after },
      read: "data",
      options,
    });
  }

  listModelSyncs(
    query: { pageToken?: string; limit?: number; active?: boolean } = {},
    options?: CallOptions,
  ): Promise<Page<ModelSyncListItem>> {
    return this.call({
      method: "GET",
      template: "/api/syncs",
      query: { page_token: query.pageToken, limit: query.limit, active: query.active },
      read: "page",
      options,
    });
  }

  getModelSync(syncId: string, options?: CallOptions): Promise<ModelSync> {
    return this.call({
      method: "GET",
      template: "/api/syncs/{id}",
      params: { id: syncId },
      read: "data",
      options,
    });
  }

  // --- bulk syncs ----------------------------------------------------------------------------

  startBulkSync(
    syncId: string,
    body: StartBulkSyncRequest,
    options: MutatingCallOptions,
  ): Promise<BulkExecution> {
    return this.call({
      method: "POST",
      template: "/api/bulk/syncs/{id}/executions",
      params: { id: syncId },
      body,
      idempotencyKey: options?.idempotencyKey,
      onAnsweredError: options?.onAnsweredError,
      read: "data",
      options,
    });
  }

  getBulkExecution(
    syncId: string,
    executionId: string,
    options?: CallOptions,
  ): Promise<BulkExecution> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs/{id}/executions/{exec_id}",
      params: { id: syncId, exec_id: executionId },
      read: "data",
      options,
    });
  }

  getBulkSyncStatus(syncId: string, options?: CallOptions): Promise<BulkSyncStatus> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs/{id}/status",
      params: { id: syncId },
      read: "data",
      options,
    });
  }

  listBulkExecutions(
    syncId: string,
    query: ListBulkExecutionsQuery = {},
    options?: CallOptions,
  ): Promise<Page<BulkExecution>> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs/{id}/executions",
      params: { id: syncId },
      query: {
        page_token: query.pageToken,
        only_terminal: query.onlyTerminal,
        ascending: query.ascending,
        limit: query.limit,
      },
      read: "page",
      options,
    });
  }

  cancelBulkExecution(
    syncId: string,
    executionId: string,
    options: MutatingCallOptions,
  ): Promise<CancelBulkExecutionResponse> {
    return this.call({
      method: "POST",
      template: "/api/bulk/syncs/{id}/executions/{exec_id}/cancel",
      params: { id: syncId, exec_id: executionId },
      idempotencyKey: options?.idempotencyKey,
      onAnsweredError: options?.onAnsweredError,
      read: "data",
      options,
    });
  }

  exportBulkLogs(
    syncId: string,
    executionId: string,
    options: MutatingCallOptions & { notify?: boolean },
  ): Promise<ExportLogsResponse> {
    return this.call({
      method: "POST",
      template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs/export",
      params: { sync_id: syncId, execution_id: executionId },
      query: { notify: options?.notify },
      idempotencyKey: options?.idempotencyKey,
      onAnsweredError: options?.onAnsweredError,
      read: (json) => {
        if (!isRecord(json)) throw new MalformedBody("expected a JSON object");
        if (!isRecord(json.job)) throw new MalformedBody("expected a `job` object");
        if (json.data !== undefined && json.data !== null && !isRecord(json.data)) {
          throw new MalformedBody("expected `data` to be an object");
        }
        return json as ExportLogsResponse;
      },
      options,
    });
  }

  getJob(type: "exportlogs", jobId: string, options?: CallOptions): Promise<Job> {
    return this.call({
      method: "GET",
      template: "/api/jobs/{type}/{id}",
      params: { type, id: jobId },
      read: "data",
      options,
    });
  }

  getBulkLogUrls(syncId: string, executionId: string, options?: CallOptions): Promise<BulkLogUrls> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/logs",
      params: { sync_id: syncId, execution_id: executionId },
      read: "data",
      options,
    });
  }

  getBulkConsoleLogs(
    syncId: string,
    executionId: string,
    query: ConsoleLogQuery = {},
    options?: CallOptions,
  ): Promise<ConsoleLogs> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs/{sync_id}/executions/{execution_id}/consolelog",
      params: { sync_id: syncId, execution_id: executionId },
      query: { limit: query.limit, after: query.after },
      read: "data",
      options,
    });
  }

  /** One page (at most 50 syncs, per the operation's description); follow `nextPageToken`. */
  listBulkSyncs(
    query: { pageToken?: string; limit?: number; active?: boolean } = {},
    options?: CallOptions,
  ): Promise<Page<BulkSync>> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs",
      describedQuery: { page_token: query.pageToken, limit: query.limit },
      query: { active: query.active },
      read: "page",
      options,
    });
  }

  getBulkSync(syncId: string, options?: CallOptions): Promise<BulkSync> {
    return this.call({
      method: "GET",
      template: "/api/bulk/syncs/{id}",
      params: { id: syncId },
      read: "data",
      options,
    });
  }

  // --- webhooks (the `webhook` command) -------------------------------------------------------

  /** The organization's webhooks: at most one ("One webhook per organization"). */
  async listWebhooks(options?: CallOptions): Promise<Webhook[]> {
    const page = await this.call({
      method: "GET",
      template: "/api/webhooks",
      read: "page",
      options,
    });
    return page.data;
  }

  /** Registers the organization's webhook; `secret` signs every delivery. */
  createWebhook(body: CreateWebhookRequest, options: MutatingCallOptions): Promise<Webhook> {
    return this.call({
      method: "POST",
      template: "/api/webhooks",
      body,
      idempotencyKey: options.idempotencyKey,
      read: "data",
      options,
    });
  }

  /** Points the webhook `id` at another endpoint and secret. */
  updateWebhook(id: string, body: CreateWebhookRequest, options?: CallOptions): Promise<Webhook> {
    return this.call({
      method: "PUT",
      template: "/api/webhooks/{id}",
      params: { id },
      body,
      read: "data",
      options,
    });
  }

  /** Deletes the webhook `id` (permanent: events stop being delivered). */
  async deleteWebhook(id: string, options?: CallOptions): Promise<void> {
    await this.call({
      method: "DELETE",
      template: "/api/webhooks/{id}",
      params: { id },
      read: "none",
      options,
    });
  }

  /**
   * The organization the credentials act as ("the safest way to discover the effective
   * organization for a user-scoped or organization-scoped credential"): the check that a
   * partner key's Basic form reaches the organization it names.
   */
  getCurrentOrganization(options?: CallOptions): Promise<Organization> {
    return this.call({ method: "GET", template: "/api/organization", read: "data", options });
  }

  // --- partner endpoints (credentials: the partner key, sent as Bearer) ----------------------

  async listOrganizations(options?: CallOptions): Promise<Organization[]> {
    const page = await this.call({
      method: "GET",
      template: "/api/organizations",
      read: "page",
      options,
    });
    return page.data;
  }

  createOrganization(
    body: CreateOrganizationRequest,
    options: MutatingCallOptions,
  ): Promise<Organization> {
    return this.call({
      method: "POST",
      template: "/api/organizations",
      body,
      idempotencyKey: options.idempotencyKey,
      onAnsweredError: options.onAnsweredError,
      read: "data",
      options,
    });
  }

  getPartnerEntity(id: string, options?: CallOptions): Promise<PartnerEntity> {
    return this.call({
      method: "GET",
      template: "/api/organizations/entities/{id}",
      params: { id },
      read: "data",
      options,
    });
  }

  async listSharedConnections(
    organizationId: string,
    connectionId: string,
    options?: CallOptions,
  ): Promise<Connection[]> {
    const page = await this.call({
      method: "GET",
      template: "/api/organizations/{org_id}/connections/{connection_id}/shared",
      params: { org_id: organizationId, connection_id: connectionId },
      read: "page",
      options,
    });
    return page.data;
  }

  async listOrganizationUsers(
    organizationId: string,
    options?: CallOptions,
  ): Promise<OrganizationUser[]> {
    const page = await this.call({
      method: "GET",
      template: "/api/organizations/{org_id}/users",
      params: { org_id: organizationId },
      read: "page",
      options,
    });
    return page.data;
  }

  createOrganizationUser(
    organizationId: string,
    body: CreateUserRequest,
    options: MutatingCallOptions,
  ): Promise<OrganizationUser> {
    return this.call({
      method: "POST",
      template: "/api/organizations/{org_id}/users",
      params: { org_id: organizationId },
      body,
      idempotencyKey: options.idempotencyKey,
      onAnsweredError: options.onAnsweredError,
      read: "data",
      options,
    });
  }

  /** The key is a secret: callers register it with their redactor before anything else. */
  createUserApiKey(
    organizationId: string,
    userId: string,
    options: MutatingCallOptions & { force?: boolean },
  ): Promise<ApiKey> {
    return this.call({
      method: "POST",
      template: "/api/organizations/{org_id}/users/{id}/keys",
      params: { org_id: organizationId, id: userId },
      query: { force: options.force },
      idempotencyKey: options.idempotencyKey,
      onAnsweredError: options.onAnsweredError,
      read: "data",
      options,
    });
  }

  // --- downloads -----------------------------------------------------------------------------

  /**
   * GETs a signed URL (any host) without the API key, retrying like API calls, and returns
   * the 2xx response with its body unread. Errors name only the URL's origin and path.
   */
  async download(url: string, options?: CallOptions): Promise<Response> {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new PolytomicInputError("GET (download): the URL is not a valid absolute URL");
    }
    const label = `GET ${redactUrl(parsed)}`;
    if (parsed.protocol !== "https:" && parsed.protocol !== "http:") {
      throw new PolytomicInputError(`${label}: only http(s) URLs can be downloaded`, label);
    }
    return this.transport.send<Response>({
      method: "GET",
      url: parsed,
      label,
      headers: {},
      secrets: urlSecrets(parsed),
      redirect: "follow",
      accept: async (res) => res,
      describe: describeDownloadError,
      ...callOptions(options),
    });
  }

  // --- plumbing ------------------------------------------------------------------------------

  private async call<M extends HttpMethod, P extends PathsWith<M>, R extends Reading<M, P>>(
    spec: ApiCall<M, P, R>,
  ): Promise<ReadResult<M, P, R>> {
    const templateLabel = `${spec.method} ${spec.template}`;
    let path: string = spec.template;
    for (const [name, value] of Object.entries(spec.params ?? {}) as [string, unknown][]) {
      const checked = checkPathParam(name, value, templateLabel);
      path = path.replace(`{${name}}`, encodeURIComponent(checked));
    }
    const label = `${spec.method} ${path}`;
    const url = new URL(path.replace(/^\//, ""), this.baseUrl);
    const search = new URLSearchParams();
    const query = { ...spec.describedQuery, ...spec.query } as Record<string, unknown>;
    for (const [name, value] of Object.entries(query)) {
      if (value !== undefined) search.set(name, String(value));
    }
    url.search = search.toString();

    const headers: Record<string, string> = {
      Accept: "application/json",
      "X-Polytomic-Version": this.apiVersion,
    };
    if (spec.method === "POST") {
      headers["Idempotency-Key"] = checkIdempotencyKey(spec.idempotencyKey, label);
    }
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      headers["Content-Type"] = "application/json";
    }
    const auth = await this.resolveAuth(label);
    headers.Authorization = auth.header;

    return this.transport.send({
      method: spec.method,
      url,
      label,
      headers,
      ...(body === undefined ? {} : { body }),
      secrets: auth.secrets,
      redirect: "manual",
      accept: async (res) =>
        (spec.read === "none"
          ? await discard(res)
          : read(spec.read, await readJson(res))) as ReadResult<M, P, R>,
      describe: describeApiError,
      ...(spec.method === "POST"
        ? { answeredError: spec.onAnsweredError ?? ("rotate" as const) }
        : {}),
      ...callOptions(spec.options),
    });
  }

  /** The Authorization header for the current credentials, and the strings it must not leak. */
  private async resolveAuth(label: string): Promise<{ header: string; secrets: string[] }> {
    const raw = typeof this.apiKey === "function" ? await this.apiKey() : this.apiKey;
    const basic = typeof raw === "object" && raw !== null;
    const key = headerSafe(basic ? raw.key : raw);
    const org = basic ? headerSafe(raw.organizationId) : "";
    const problem =
      key === ""
        ? "the API key is empty or not usable in an HTTP header (it has spaces, control or non-ASCII characters)"
        : basic && (org === "" || org.includes(":"))
          ? "the organization id is empty, has a colon or is not usable in an HTTP header"
          : undefined;
    if (problem) {
      throw new PolytomicUnauthorizedError(
        `${label}: ${problem}; check the secret's value (nothing was sent)`,
        { request: label, attempts: 0 },
      );
    }
    if (!basic) return { header: `Bearer ${key}`, secrets: [key] };
    const token = basicToken(org, key);
    return { header: `Basic ${token}`, secrets: [key, token] };
  }
}

/**
 * A 2xx body read as the call says. The one place the parsed JSON becomes a spec type: its
 * shape (object, page) is checked here, its fields are the spec's promise.
 */
function read(reading: "data" | "page" | ((json: unknown) => unknown), json: unknown): unknown {
  if (reading === "data") return dataObject(json);
  if (reading === "page") return dataPage(json);
  return reading(json);
}

/** The trimmed value when it is visible ASCII only (header-safe), else "". */
function headerSafe(value: unknown): string {
  const v = typeof value === "string" ? value.trim() : "";
  return API_KEY_CHARS.test(v) ? v : "";
}

function callOptions(options: CallOptions | undefined): {
  deadline?: number;
  signal?: AbortSignal;
} {
  return {
    ...(options?.deadline === undefined ? {} : { deadline: options.deadline }),
    ...(options?.signal === undefined ? {} : { signal: options.signal }),
  };
}

/** Drains a response body; handy for callers that only needed the status. */
/** For callers that log text which may hold URLs or the key. */
export { discard, redactText, redactUrl };
