/**
 * The simulator behind a Lambda Function URL (the deployed end-to-end check).
 *
 * The simulator is an HTTP server (server.ts); rather than re-implementing its request
 * pipeline for Lambda events, each Lambda instance starts it once on 127.0.0.1 and this
 * adapter forwards every Function URL request to it over HTTP, so the deployed simulator
 * answers exactly as the one the tests use (auth, idempotency, faults, routes). Nothing in
 * server.ts or routes.ts changes.
 *
 * - Signed log URLs the simulator hands out name its local address; the adapter rewrites
 *   them to the Function URL the request came in on (`requestContext.domainName`), so the
 *   export-logs Lambda can download them.
 * - `GET /_e2e/state` (Bearer key required) answers what the driver checks: the instance's
 *   id and start time, every execution (status from the clock now), the start count per
 *   sync, each sync's organization, every start request with the organization and scheme
 *   its credentials acted as, and the other requests counted the same way (`stateView`).
 *   Nothing else is added to the API.
 * - The key: the secret's key is the scenario's `api_key`, or, when the scenario has a
 *   `partner_key` (a partner fan-out is checked too), its `partner_key`; the `api_key` is
 *   then a random value nobody holds, so every organization call must come as HTTP Basic
 *   `<organization id>:<partner key>` (docs/partners.md).
 * - State lives in the instance: deploy it with reserved concurrency 1 (one instance), and
 *   check that `instance` never changes during a run (a recycled instance forgets the runs).
 *
 * Payload format 2.0 (Function URLs): https://docs.aws.amazon.com/lambda/latest/dg/urls-invocation.html
 */
import { randomUUID } from "node:crypto";
import { request as httpRequest } from "node:http";
import { type Clock, systemClock } from "./clock";
import { ORGANIZATION_ID } from "./ids";
import type { Scenario } from "./scenario";
import { type RequestLogEntry, type RunningSimulator, startSimulator } from "./server";
import type { SimulatorExecution } from "./state";

/** The parts of a Function URL request event (payload format 2.0) the adapter reads. */
export interface FunctionUrlEvent {
  rawPath: string;
  rawQueryString?: string;
  headers?: Record<string, string | undefined>;
  body?: string;
  isBase64Encoded?: boolean;
  requestContext: { domainName: string; http: { method: string } };
}

/** A Function URL response (payload format 2.0). */
export interface FunctionUrlResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

/** What `GET /_e2e/state` answers. */
export interface SimulatorStateView {
  /** Random per Lambda instance: a different value means the state was lost. */
  instance: string;
  started_at: string;
  executions: SimulatorExecution[];
  /** Starts requests really made, per sync id. */
  start_counts: Record<string, number>;
  /** The organization each sync is in (the default organization's syncs included). */
  sync_organizations: Record<string, string>;
  /** Every start request: its sync and Idempotency-Key, who its credentials acted as, the answer. */
  starts: CallView[];
  /** Every API request, counted by endpoint, caller and answer. */
  calls: CallView[];
}

/**
 * Requests alike: `as` is `partner`, an organization's id, or `refused` (a 401);
 * `scheme` is `basic` or `bearer` (absent for a refused request).
 */
export interface CallView {
  endpoint: string;
  /** Start requests: the sync started, and the Idempotency-Key sent. */
  sync_id?: string;
  idempotency_key?: string;
  as: string;
  scheme?: "basic" | "bearer";
  status: number;
  count: number;
}

/** The e2e-only endpoint: the simulator's state, for the driver. */
export const STATE_PATH = "/_e2e/state";

export interface FunctionUrlHandlerOptions {
  /** The scenario (its `api_key` is replaced by `apiKey()`). */
  scenario: Scenario;
  /** The key clients must send as Bearer token; read once, at the first request. */
  apiKey: () => Promise<string>;
  /** @default systemClock (the deployed check runs on the wall clock) */
  clock?: Clock;
}

/** Hop-by-hop and length headers Lambda sets itself. */
const DROPPED_HEADERS = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-length",
]);

/** A Lambda handler for Function URL events, serving the scenario on the wall clock. */
export function functionUrlHandler(
  options: FunctionUrlHandlerOptions,
): (event: FunctionUrlEvent) => Promise<FunctionUrlResult> {
  let instance:
    | Promise<{ sim: RunningSimulator; key: string; view: () => SimulatorStateView }>
    | undefined;
  const boot = async () => {
    const key = await options.apiKey();
    const scenario: Scenario =
      options.scenario.partner_key === undefined
        ? { ...options.scenario, api_key: key }
        : { ...options.scenario, partner_key: key, api_key: `unused-${randomUUID()}` };
    // Requests are not checked against the spec here: the bundle does not carry it (the
    // offline tests check every request the handlers send).
    const sim = await startSimulator({
      scenario,
      clock: options.clock ?? systemClock,
      validateRequests: false,
    });
    const id = randomUUID();
    const startedAt = new Date(sim.clock.now()).toISOString();
    const view = () => stateView(sim, scenario, { instance: id, started_at: startedAt });
    return { sim, key, view };
  };
  return async (event) => {
    // A failed start (the secret unreadable) is tried again by the next request.
    instance ??= boot().catch((err: unknown) => {
      instance = undefined;
      throw err;
    });
    const { sim, key, view } = await instance;
    if (event.rawPath === STATE_PATH) {
      const bearer = /^Bearer\s+(\S+)$/i.exec(event.headers?.authorization ?? "")?.[1];
      if (bearer !== key) return json(401, { key: "unauthorized", message: "invalid API key" });
      return json(200, view());
    }
    return forward(sim.url, `https://${event.requestContext.domainName}`, event);
  };
}

/** The state view of a running simulator (the deployed one's, and the rehearsal's). */
export function stateView(
  sim: Pick<RunningSimulator, "executions" | "startCount" | "requests">,
  scenario: Scenario,
  who: Pick<SimulatorStateView, "instance" | "started_at">,
): SimulatorStateView {
  const owner = (scenario.organization_id ?? ORGANIZATION_ID).toLowerCase();
  const syncIds = Object.keys(scenario.syncs);
  const requests = sim.requests();
  return {
    ...who,
    executions: sim.executions(),
    start_counts: Object.fromEntries(syncIds.map((id) => [id, sim.startCount(id)])),
    sync_organizations: Object.fromEntries(
      syncIds.map((id) => [id, scenario.syncs[id]?.organization_id?.toLowerCase() ?? owner]),
    ),
    starts: countCalls(
      requests.filter((r) => r.endpoint === "start"),
      true,
    ),
    calls: countCalls(requests, false),
  };
}

/** Requests counted by endpoint, caller and status (and for starts, sync and Idempotency-Key). */
function countCalls(requests: readonly RequestLogEntry[], withSync: boolean): CallView[] {
  const counted = new Map<string, CallView>();
  for (const r of requests) {
    const syncId = withSync ? /[0-9a-f]{8}-[0-9a-f-]{27}/i.exec(r.path)?.[0]?.toLowerCase() : "";
    const call: CallView = {
      endpoint: r.endpoint,
      ...(syncId ? { sync_id: syncId } : {}),
      ...(withSync && r.idempotencyKey ? { idempotency_key: r.idempotencyKey } : {}),
      as: r.caller?.as ?? "refused",
      ...(r.caller ? { scheme: r.caller.scheme } : {}),
      status: r.status,
      count: 0,
    };
    const key = JSON.stringify({ ...call, count: undefined });
    const known = counted.get(key) ?? call;
    known.count += 1;
    counted.set(key, known);
  }
  return [...counted.values()];
}

/** An HTTP answer from the local simulator. */
interface LocalAnswer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/**
 * One request to the local simulator on a fresh connection (`agent: false`): a pooled
 * keep-alive socket could be closed by the server's idle timer while the instance is frozen
 * between invocations, and fail the next request.
 */
function request(
  local: string,
  path: string,
  method: string,
  headers: Record<string, string>,
  body: Buffer | undefined,
): Promise<LocalAnswer> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(`${local}${path}`, { method, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => {
        const out: Record<string, string> = {};
        for (const [name, value] of Object.entries(res.headers)) {
          if (value !== undefined && !DROPPED_HEADERS.has(name)) out[name] = String(value);
        }
        resolve({ status: res.statusCode ?? 502, headers: out, body: Buffer.concat(chunks) });
      });
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body);
  });
}

/** Sends the event's request to the local simulator and maps its answer back. */
async function forward(
  local: string,
  publicUrl: string,
  event: FunctionUrlEvent,
): Promise<FunctionUrlResult> {
  const method = event.requestContext.http.method.toUpperCase();
  const query = event.rawQueryString ? `?${event.rawQueryString}` : "";
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(event.headers ?? {})) {
    if (value !== undefined && name !== "host" && !DROPPED_HEADERS.has(name)) {
      headers[name] = value;
    }
  }
  const body =
    event.body === undefined || method === "GET" || method === "HEAD"
      ? undefined
      : Buffer.from(event.body, event.isBase64Encoded ? "base64" : "utf8");
  let answer: LocalAnswer;
  try {
    answer = await request(local, `${event.rawPath}${query}`, method, headers, body);
  } catch {
    // A `reset` fault drops the connection: the closest a Function URL can answer.
    return json(502, { key: "bad_gateway", message: "connection reset (scenario fault)" });
  }
  let bytes = answer.body;
  if ((answer.headers["content-type"] ?? "").startsWith("application/json")) {
    bytes = Buffer.from(bytes.toString("utf8").replaceAll(local, publicUrl), "utf8");
  }
  return {
    statusCode: answer.status,
    headers: answer.headers,
    body: bytes.toString("base64"),
    isBase64Encoded: true,
  };
}

function json(statusCode: number, body: unknown): FunctionUrlResult {
  return {
    statusCode,
    headers: { "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
    isBase64Encoded: false,
  };
}
