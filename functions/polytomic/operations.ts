/**
 * Types of the API's operations, read from the generated `paths` (schema.d.ts): which paths
 * have a method, and each operation's path parameters, query, request body and 2xx body.
 * The client's calls are written against these, so a path or a field that is not in the spec
 * fails `tsc` (test/types/operations.ts proves it). Types only: nothing here runs, so the
 * Lambdas bundle no library for it (openapi-fetch would be one).
 */
import type { CallOptions, MutatingCallOptions, Page } from "./api";
import type { paths } from "./schema";

export type HttpMethod = "GET" | "POST" | "PUT" | "DELETE";

/** The operation `method path`; `never` when the spec has no such operation. */
export type Operation<M extends HttpMethod, P extends keyof paths> = NonNullable<
  paths[P][Lowercase<M>]
>;

/** The paths that have a `method` operation. */
export type PathsWith<M extends HttpMethod> = {
  [P in keyof paths]: [Operation<M, P>] extends [never] ? never : P;
}[keyof paths];

/** The operation's path parameters (`never` when it has none). */
export type PathParams<M extends HttpMethod, P extends keyof paths> =
  Operation<M, P> extends { parameters: { path: infer X } } ? NonNullable<X> : never;

/** The operation's query parameters, each optional (`never` when it has none). */
export type QueryParams<M extends HttpMethod, P extends keyof paths> =
  Operation<M, P> extends { parameters: { query?: infer Q } }
    ? [NonNullable<Q>] extends [never]
      ? never
      : { [K in keyof NonNullable<Q>]?: NonNullable<Q>[K] | undefined }
    : never;

/** The operation's JSON request body (`never` when it takes none). */
export type RequestBody<M extends HttpMethod, P extends keyof paths> =
  Operation<M, P> extends { requestBody?: { content: { "application/json": infer B } } }
    ? B
    : never;

type Json2xx<R> = R extends { content: { "application/json": infer B } } ? B : never;

/** The operation's JSON body for a 2xx answer. */
export type ResponseBody<M extends HttpMethod, P extends keyof paths> =
  Operation<M, P> extends { responses: infer R }
    ? Json2xx<R[Extract<keyof R, 200 | 201 | 202>]>
    : never;

/** A `{data: ...}` envelope's payload, as the client returns it. */
export type DataOf<M extends HttpMethod, P extends keyof paths> = NonNullable<
  ResponseBody<M, P> extends { data?: infer D } ? D : never
>;

/** One element of a `{data: [...]}` envelope's list. */
export type ItemOf<M extends HttpMethod, P extends keyof paths> =
  DataOf<M, P> extends ReadonlyArray<infer I> ? I : never;

/**
 * How a call reads its 2xx body: the `data` object, a page of `data`, nothing (an answer the
 * spec gives no body, such as a webhook's DELETE), or its own check.
 */
export type Reading<M extends HttpMethod, P extends PathsWith<M>> =
  | "data"
  | "page"
  | "none"
  | ((json: unknown) => ResponseBody<M, P>);

/** What a call returns for its reading, typed from the spec's response. */
export type ReadResult<M extends HttpMethod, P extends PathsWith<M>, R> = R extends "data"
  ? DataOf<M, P>
  : R extends "page"
    ? Page<ItemOf<M, P>>
    : R extends "none"
      ? undefined
      : ResponseBody<M, P>;

/** Path parameters: required exactly when the template has some. */
type ParamsField<M extends HttpMethod, P extends PathsWith<M>> = [PathParams<M, P>] extends [never]
  ? { params?: undefined }
  : { params: PathParams<M, P> };

/**
 * One API call, typed from the spec (operations.ts): the template must be a path with this
 * method, and params, query, body and result are that operation's.
 */
export type ApiCall<M extends HttpMethod, P extends PathsWith<M>, R extends Reading<M, P>> = {
  method: M;
  /** The spec's path template, e.g. `/api/syncs/{id}/status`. */
  template: P;
  query?: QueryParams<M, P>;
  /**
   * Query parameters an operation's description documents but its parameter list omits,
   * named here so the typed `query` stays the spec's list. GET /api/bulk/syncs: "pass it
   * back as the `page_token` query parameter ... The `limit` parameter is optional".
   */
  describedQuery?: { page_token?: string | undefined; limit?: number | undefined };
  body?: RequestBody<M, P>;
  /** Required for POSTs that start or cancel something. */
  idempotencyKey?: string;
  onAnsweredError?: MutatingCallOptions["onAnsweredError"];
  /** Reads the parsed JSON; throws `MalformedBody` when it is not what the spec promises. */
  read: R;
  options?: CallOptions | undefined;
} & ParamsField<M, P>;
