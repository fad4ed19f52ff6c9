/**
 * Named aliases for the API shapes the product uses. Every shape comes from the
 * generated `schema.d.ts` (npm run gen:types); nothing here is written by hand.
 */
import type { components, paths } from "./schema";

type Schemas = components["schemas"];

export type ApiErrorBody = Schemas["ApiError"];

export type ModelExecutionStatus = Schemas["UtilExecutionStatus"];
export type BulkExecutionStatus = Schemas["BulkExecutionStatus"];
export type BulkSchemaExecutionStatus = Schemas["BulkSchemaExecutionStatus"];

export type StartModelSyncRequest = Schemas["StartSyncRequest"];
export type StartModelSyncResponse = Schemas["StartSyncResponseSchema"];
export type ModelExecution = Schemas["GetExecutionResponseSchema"];
export type ModelExecutionCounts = Schemas["ExecutionCounts"];
export type ModelSyncStatus = Schemas["SyncStatusResponse"];
export type ModelSyncListItem = Schemas["ListSyncItem"];
export type ModelSync = Schemas["SyncResponseEnvelope"]["data"];
export type ExecutionLogType = Schemas["ExecutionLogType"];
export type ExecutionLogUrls = Schemas["ExecutionLogResponse"];
export type CancelModelExecutionResponse = Schemas["CancelSyncExecutionResponse"];

export type StartBulkSyncRequest = Schemas["StartBulkSyncRequest"];
export type BulkFetchMode = Schemas["BulkFetchMode"];
export type BulkResyncMode = Schemas["BulkResyncMode"];
export type BulkExecution = Schemas["BulkSyncExecution"];
export type BulkSchemaExecution = Schemas["BulkSyncSchemaExecution"];
export type BulkSyncStatus = Schemas["BulkSyncStatusResponse"];
export type BulkSync = Schemas["BulkSyncResponse"];
export type BulkLogUrls = Schemas["BulkSyncExecutionLogs"];
export type CancelBulkExecutionResponse = Schemas["CancelBulkSyncResponse"];

export type ExportLogsResponse = Schemas["ExportSyncLogsEnvelope"];
export type Job = Schemas["JobResponse"];
export type JobStatus = Schemas["WorkTaskStatus"];

export type ConsoleLogs = Schemas["ExecutionConsoleLogsResponse"];
export type ConsoleLogEntry = Schemas["ExecutionConsoleLogEntry"];

export type PaginationDetails = Schemas["PaginationDetails"];

export type Webhook = Schemas["Webhook"];
export type CreateWebhookRequest = Schemas["CreateWebhooksSchema"];

export type Organization = Schemas["Organization"];
export type CreateOrganizationRequest = Schemas["CreateOrganizationRequestSchema"];
export type OrganizationUser = Schemas["User"];
export type CreateUserRequest = Schemas["CreateUserRequestSchema"];
export type ApiKey = Schemas["APIKeyResponse"];
export type PartnerEntity = Schemas["EntityResponse"];
export type Connection = Schemas["ConnectionResponseSchema"];

export type { components, paths };
