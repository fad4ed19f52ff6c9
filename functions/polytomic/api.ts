/**
 * The Polytomic calls the product makes. `PolytomicClient` (client.ts) implements it
 * over HTTP; core logic depends only on this interface so tests and the local runner
 * can hand it any implementation.
 */
import type {
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
} from "./types";

export interface CallOptions {
  /**
   * Epoch milliseconds after which no attempt starts and no retry sleeps: a call that
   * cannot finish in time fails with `Polytomic.Timeout` (or the last HTTP error) first.
   * @default - the client's own `defaultTimeoutMs` from now
   */
  deadline?: number;
  signal?: AbortSignal;
}

export interface MutatingCallOptions extends CallOptions {
  /** Sent as `Idempotency-Key`: 8-255 characters of [A-Za-z0-9_-]. */
  idempotencyKey: string;
  /**
   * After an answered 408, 429 or 5xx. Polytomic replays the first answer to an
   * Idempotency-Key, error answers included, so a retry with the same key would only get
   * the same error back: "rotate" retries with a key derived from it (`<key>-r<n>`);
   * "throw" throws at once and leaves the next key to the caller (start-sync, which
   * keeps which key comes next in the state machine so that no start runs twice).
   * Attempts that got no answer (network errors, timeouts) and malformed 2xx bodies are
   * always retried with the same key: the replay tells what became of them.
   * @default "rotate"
   */
  onAnsweredError?: "rotate" | "throw";
}

export interface Page<T> {
  data: T[];
  nextPageToken?: string;
}

export interface ListModelExecutionsQuery {
  /** Undocumented: any terminal run, or `completed` only? Filter by status instead. */
  onlyCompleted?: boolean;
  ascending?: boolean;
  pageToken?: string;
}

export interface ListBulkExecutionsQuery {
  onlyTerminal?: boolean;
  ascending?: boolean;
  limit?: number;
  pageToken?: string;
}

export interface ConsoleLogQuery {
  limit?: number;
  after?: string;
}

export interface PolytomicApi {
  startModelSync(
    syncId: string,
    body: StartModelSyncRequest,
    options: MutatingCallOptions,
  ): Promise<StartModelSyncResponse>;
  startBulkSync(
    syncId: string,
    body: StartBulkSyncRequest,
    options: MutatingCallOptions,
  ): Promise<BulkExecution>;

  getModelExecution(
    syncId: string,
    executionId: string,
    options?: CallOptions,
  ): Promise<ModelExecution>;
  getBulkExecution(
    syncId: string,
    executionId: string,
    options?: CallOptions,
  ): Promise<BulkExecution>;

  getModelSyncStatus(syncId: string, options?: CallOptions): Promise<ModelSyncStatus>;
  getBulkSyncStatus(syncId: string, options?: CallOptions): Promise<BulkSyncStatus>;

  listModelExecutions(
    syncId: string,
    query?: ListModelExecutionsQuery,
    options?: CallOptions,
  ): Promise<Page<ModelExecution>>;
  listBulkExecutions(
    syncId: string,
    query?: ListBulkExecutionsQuery,
    options?: CallOptions,
  ): Promise<Page<BulkExecution>>;

  cancelModelExecution(
    syncId: string,
    executionId: string,
    options: MutatingCallOptions,
  ): Promise<CancelModelExecutionResponse>;
  cancelBulkExecution(
    syncId: string,
    executionId: string,
    options: MutatingCallOptions,
  ): Promise<CancelBulkExecutionResponse>;

  /** Starts a bulk log export job; poll it with `getJob("exportlogs", job.job_id)`. */
  exportBulkLogs(
    syncId: string,
    executionId: string,
    options: MutatingCallOptions & { notify?: boolean },
  ): Promise<ExportLogsResponse>;
  getJob(type: "exportlogs", jobId: string, options?: CallOptions): Promise<Job>;

  getBulkLogUrls(syncId: string, executionId: string, options?: CallOptions): Promise<BulkLogUrls>;
  getModelLogUrls(
    syncId: string,
    executionId: string,
    type: ExecutionLogType,
    options?: CallOptions,
  ): Promise<ExecutionLogUrls>;
  getModelConsoleLogs(
    syncId: string,
    executionId: string,
    query?: ConsoleLogQuery,
    options?: CallOptions,
  ): Promise<ConsoleLogs>;
  getBulkConsoleLogs(
    syncId: string,
    executionId: string,
    query?: ConsoleLogQuery,
    options?: CallOptions,
  ): Promise<ConsoleLogs>;

  listModelSyncs(
    query?: { pageToken?: string; limit?: number; active?: boolean },
    options?: CallOptions,
  ): Promise<Page<ModelSyncListItem>>;
  getModelSync(syncId: string, options?: CallOptions): Promise<ModelSync>;
  /**
   * One page. `GET /api/bulk/syncs` is paginated (its description: opaque
   * `pagination.next_page_token`, at most 50 a page) though its parameter list omits it.
   */
  listBulkSyncs(
    query?: { pageToken?: string; limit?: number; active?: boolean },
    options?: CallOptions,
  ): Promise<Page<BulkSync>>;
  getBulkSync(syncId: string, options?: CallOptions): Promise<BulkSync>;

  /**
   * GETs a signed download URL (log file, log archive) without the API key, with the
   * same retry rules, and returns the streaming response. Errors never include the URL's
   * query string (the signature).
   */
  download(url: string, options?: CallOptions): Promise<Response>;
}

/**
 * The partner endpoints (docs/partners.md), called with the partner key as Bearer (the spec's
 * `bearerPartnerKey`: "Partner keys are limited to the Organization and User endpoints"). An
 * organization's own endpoints (`PolytomicApi`) take the partner key as HTTP Basic
 * `<organization id>:<partner key>` instead (`organizationCredentials`).
 */
export interface PolytomicPartnerApi {
  /** Every organization of the partner, the owner organization first. */
  listOrganizations(options?: CallOptions): Promise<Organization[]>;
  createOrganization(
    body: CreateOrganizationRequest,
    options: MutatingCallOptions,
  ): Promise<Organization>;
  /** Resolves any UUID (sync, execution, connection, user, organization) to its organization. */
  getPartnerEntity(id: string, options?: CallOptions): Promise<PartnerEntity>;
  /** The shared copies of `connectionId`, a connection of the organization `organizationId`. */
  listSharedConnections(
    organizationId: string,
    connectionId: string,
    options?: CallOptions,
  ): Promise<Connection[]>;
  listOrganizationUsers(organizationId: string, options?: CallOptions): Promise<OrganizationUser[]>;
  createOrganizationUser(
    organizationId: string,
    body: CreateUserRequest,
    options: MutatingCallOptions,
  ): Promise<OrganizationUser>;
  /** Mints a user key (shown once); `force` revokes the user's other keys first. */
  createUserApiKey(
    organizationId: string,
    userId: string,
    options: MutatingCallOptions & { force?: boolean },
  ): Promise<ApiKey>;
}
