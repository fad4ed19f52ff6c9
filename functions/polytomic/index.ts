/** The typed Polytomic API client: the interface, the HTTP implementation, errors and helpers. */
export type {
  CallOptions,
  ConsoleLogQuery,
  ListBulkExecutionsQuery,
  ListModelExecutionsQuery,
  MutatingCallOptions,
  Page,
  PolytomicApi,
  PolytomicPartnerApi,
} from "./api";
export { fullJitterDelay, parseRetryAfter, retryDelay } from "./backoff";
export {
  type ClientLogger,
  DEFAULT_API_VERSION,
  DEFAULT_BASE_URL,
  organizationCredentials,
  PolytomicClient,
  type PolytomicClientOptions,
  type PolytomicCredentials,
  type RetryInfo,
} from "./client";
export * from "./errors";
export { IDEMPOTENCY_KEY_PATTERN, PolytomicInputError } from "./input";
export { REDACTED, redactText, redactUrl } from "./redact";
