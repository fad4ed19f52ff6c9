/**
 * The simulator's HTTP server: routing by the spec's path templates, Bearer and Basic auth, fault
 * injection, Idempotency-Key handling and request checks, around the handlers in routes.ts.
 *
 * Order of processing for an API request: route (404 unknown path, 405 unknown method) ->
 * auth (401; organizations.ts says who each credential is) -> scope (403: partner endpoints
 * need the Bearer partner key, organization endpoints an organization) -> Idempotency-Key (400 bad format, replay, 409 concurrent duplicate) -> fault
 * (delay, then status/malformed/reset; a faulted request changes nothing) -> parameter and body
 * checks against the spec (400; malformed ids 404) -> handler. As Polytomic documents, the
 * first answer to an Idempotency-Key is what every later request with that key gets, error
 * answers included (a 409 because the sync was running, a 400, a 404). A scenario fault
 * changes nothing and is not recorded (it stands for trouble in front of the API), unless
 * it says `recorded: true`.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Clock, systemClock } from "./clock";
import { type EndpointName, FaultQueue, RandomFaults } from "./faults";
import { renderFile } from "./files";
import { IdempotencyStore } from "./idempotency";
import { authenticate, type Caller } from "./organizations";
import { Router } from "./router";
import { apiError, type Route, type RouteResult } from "./routes";
import { DEFAULT_ASSUMPTIONS, DEFAULT_WEBHOOKS, type Scenario } from "./scenario";
import { checkParams, checkRequestBody, validateResponse } from "./spec";
import { SimState, type SimulatorExecution } from "./state";
import { type DeliveryRecord, WebhookDispatcher, type WebhookRecord } from "./webhooks";

export interface SimulatorOptions {
  scenario: Scenario;
  /** @default systemClock */
  clock?: Clock;
  /** @default 0 (an ephemeral port) */
  port?: number;
  /** @default "127.0.0.1" */
  host?: string;
  /** Used for `delay_seconds` faults. @default a real setTimeout */
  sleep?: (ms: number) => Promise<void>;
  /** Check path, method, parameters and body against the spec. @default true */
  validateRequests?: boolean;
  /**
   * Check every JSON response against the spec's response schema; a non-conforming response
   * becomes a 500 ApiError listing the problems (for tests). @default false
   */
  validateResponses?: boolean;
  /**
   * Sends due webhook deliveries every this many real milliseconds (the standalone command).
   * @default none: call `webhooks.pump()` after moving the clock
   */
  webhookPumpMs?: number;
}

/** The registered webhook and its deliveries (simulator/webhooks.ts). */
export interface SimulatorWebhooks {
  /** Derives the events that happened by now and sends the deliveries due. */
  pump(): Promise<DeliveryRecord[]>;
  /** Clock time of the next delivery due, or undefined when none waits. */
  nextDueAt(): number | undefined;
  /** Every delivery attempt so far. */
  deliveries(): DeliveryRecord[];
  /** The registration, if any (its secret included: for tests only). */
  registered(): WebhookRecord | undefined;
}

/** One logged request (no headers, no query string). */
export interface RequestLogEntry {
  method: string;
  path: string;
  /** HTTP status sent; 0 when the connection was reset by a fault. */
  status: number;
  endpoint: EndpointName;
  /** Whether a scenario fault was applied. */
  faulted: boolean;
  /**
   * Who an authenticated API request acted as (`partner`, or an organization's id) and the
   * scheme its credentials used; absent when it was refused or not an API request.
   */
  caller?: { as: string; scheme: "basic" | "bearer" };
  /** The request's Idempotency-Key, if it sent one (not a secret). */
  idempotencyKey?: string;
}

export interface RunningSimulator {
  /** Base URL, e.g. http://127.0.0.1:43123 (no trailing slash). */
  url: string;
  clock: Clock;
  close(): Promise<void>;
  /** Every execution (history included), status computed from the clock now. */
  executions(): SimulatorExecution[];
  /** How many executions requests really started for the sync. */
  startCount(syncId: string): number;
  requests(): RequestLogEntry[];
  /** How many requests got a random fault (scenario `random_faults`). */
  randomFaultCount(): number;
  /** Whether responses are checked against the spec (`validateResponses`). */
  validatesResponses: boolean;
  webhooks: SimulatorWebhooks;
}

const MAX_BODY_BYTES = 1_048_576;

/** The 403 for a caller the route is not for (partner routes need the partner key). */
function scopeDenied(route: Route, caller: Caller): RouteResult | undefined {
  const partnerRoute = route.scope === "partner";
  if (partnerRoute === caller.partner) return undefined;
  const message = partnerRoute
    ? "this endpoint requires a partner key (Authorization: Bearer <partner key>)"
    : "a partner key reaches an organization's endpoints only as HTTP Basic <organization id>:<partner key>";
  return apiError(403, "forbidden", message);
}

type Fault = Scenario["faults"][number];
/** Records a request's answer for its Idempotency-Key (a no-op without one). */
type RecordAnswer = (result: RouteResult) => void;

/** One request being answered: its response and its log entry. */
interface Exchange {
  res: ServerResponse;
  entry: RequestLogEntry;
}

/** The parsed request a route handler gets, or the 400/404 the spec checks answered. */
type Checked = { query: Record<string, unknown>; body: unknown } | { answer: RouteResult };

const XML_ERROR = (code: string, message: string) =>
  `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`;

/** The simulator's request handling; `startSimulator` puts it behind an HTTP server. */
class SimulatorServer {
  readonly clock: Clock;
  readonly state: SimState;
  readonly log: RequestLogEntry[] = [];
  readonly randomFaults: RandomFaults | undefined;
  readonly webhooks: WebhookDispatcher;
  baseUrl = "";
  private readonly sleep: (ms: number) => Promise<void>;
  private readonly validateRequests: boolean;
  private readonly faults: FaultQueue;
  private readonly router = new Router();
  private readonly idempotency: IdempotencyStore;

  constructor(private readonly options: SimulatorOptions) {
    this.clock = options.clock ?? systemClock;
    this.sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
    this.validateRequests = options.validateRequests ?? true;
    this.state = new SimState(options.scenario, this.clock);
    this.faults = new FaultQueue(options.scenario.faults);
    this.randomFaults = options.scenario.random_faults
      ? new RandomFaults(options.scenario.random_faults)
      : undefined;
    const assumptions = options.scenario.assumptions ?? DEFAULT_ASSUMPTIONS;
    this.idempotency = new IdempotencyStore(assumptions.in_flight_409_key);
    const delivery = options.scenario.webhooks ?? DEFAULT_WEBHOOKS;
    this.webhooks = new WebhookDispatcher(this.state, this.clock, delivery);
  }

  async handle(req: IncomingMessage, res: ServerResponse, rawBody: Buffer): Promise<void> {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://simulator.invalid");
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      status: 0,
      endpoint: "unknown",
      faulted: false,
    };
    const ex = { res, entry };
    if (url.pathname.startsWith("/_files/")) return this.handleDownload(ex, url);
    const matched = this.router.match(method, url.pathname);
    if (matched.route === undefined) {
      const result = matched.pathKnown
        ? apiError(405, "method_not_allowed", `${method} is not allowed on ${url.pathname}`)
        : apiError(404, "not_found", `no such endpoint: ${method} ${url.pathname}`);
      return this.sendResult(ex, result);
    }
    entry.endpoint = matched.route.endpoint;
    return this.handleApi(ex, req, url, rawBody, matched);
  }

  /** An API request on a known route: auth, Idempotency-Key, then the route (recorded). */
  private async handleApi(
    ex: Exchange,
    req: IncomingMessage,
    url: URL,
    rawBody: Buffer,
    { route, params }: { route: Route; params: Record<string, string> },
  ): Promise<void> {
    const auth = authenticate(
      req.headers.authorization ?? "",
      this.options.scenario,
      this.state.organizations,
    );
    if ("denied" in auth) {
      return this.sendResult(ex, apiError(401, "unauthorized", auth.denied), route.template);
    }
    ex.entry.caller = {
      as: auth.caller.partner ? "partner" : auth.caller.organizationId,
      scheme: /^\s*Basic\s/i.test(req.headers.authorization ?? "") ? "basic" : "bearer",
    };
    const forbidden = scopeDenied(route, auth.caller);
    if (forbidden) return this.sendResult(ex, forbidden, route.template);
    const keyHeader = req.headers["idempotency-key"];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    if (key !== undefined) ex.entry.idempotencyKey = key;
    const fingerprint = rawBody.toString("utf8").trim();
    const decision = this.idempotency.begin(ex.entry.method, url.pathname, key, fingerprint);
    if ("answer" in decision) return this.sendResult(ex, decision.answer, route.template);
    const claim = decision.claim;
    const record: RecordAnswer = (result) => claim?.record(result);
    try {
      const syncId = route.syncParam ? params[route.syncParam]?.toLowerCase() : undefined;
      const fault =
        this.faults.take(route.endpoint, syncId) ??
        this.randomFaults?.take(route.endpoint, `${ex.entry.method} ${url.pathname} ${key ?? ""}`);
      if (fault && (await this.applyFault(ex, fault, record))) return;
      // Spec checks' 400s are the API's own answers: recorded for the key too.
      const result = this.runRoute(route, params, url, rawBody, auth.caller);
      record(result);
      this.sendResult(ex, result, route.template);
    } finally {
      claim?.release();
    }
  }

  /** The route's answer: the spec checks' 400 or 404, or the handler's. */
  private runRoute(
    route: Route,
    params: Record<string, string>,
    url: URL,
    rawBody: Buffer,
    caller: Caller,
  ): RouteResult {
    const checked = this.checkRequest(route, params, url, rawBody);
    if ("answer" in checked) return checked.answer;
    return route.handle({
      state: this.state,
      now: this.clock.now(),
      baseUrl: this.baseUrl,
      params,
      query: checked.query,
      body: checked.body,
      sign: () => randomBytes(32).toString("hex"),
      caller,
    });
  }

  /** Parses the body and checks parameters and body against the spec (when it validates). */
  private checkRequest(
    route: Route,
    params: Record<string, string>,
    url: URL,
    rawBody: Buffer,
  ): Checked {
    let body: unknown;
    if (rawBody.length > 0) {
      try {
        body = JSON.parse(rawBody.toString("utf8"));
      } catch {
        return { answer: apiError(400, "bad_request", "body: not valid JSON") };
      }
    }
    if (!this.validateRequests) return { query: looseQuery(url.searchParams), body };
    const method = route.method;
    const checked = checkParams(method, route.template, params, url.searchParams);
    if ("status" in checked) {
      const key = checked.status === 404 ? "not_found" : "bad_request";
      return { answer: apiError(checked.status, key, checked.message) };
    }
    const problems = checkRequestBody(method, route.template, body);
    if (problems.length > 0) return { answer: apiError(400, "bad_request", problems.join("; ")) };
    return { query: checked.query, body };
  }

  /** A signed-URL download of an export's file (faults apply; no Idempotency-Key). */
  private async handleDownload(ex: Exchange, url: URL): Promise<void> {
    ex.entry.endpoint = "download";
    const fault =
      this.faults.take("download", undefined) ??
      this.randomFaults?.take("download", `GET ${url.pathname}`);
    if (fault && (await this.applyFault(ex, fault, () => {}))) return;
    const method = ex.entry.method;
    if (method !== "GET" && method !== "HEAD") return this.send(ex, 405, "");
    return this.serveFile(ex, url);
  }

  private serveFile(ex: Exchange, url: URL) {
    const m = /^\/_files\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname);
    const file = m?.[1] ? this.state.files.get(m[1]) : undefined;
    const xml = (status: number, code: string, message: string) =>
      this.send(ex, status, XML_ERROR(code, message), { "content-type": "application/xml" });
    if (!file) return xml(404, "NoSuchKey", "The specified key does not exist.");
    const signature = url.searchParams.get("X-Amz-Signature") ?? "";
    const expiresAt = file.signatures.get(signature);
    if (expiresAt === undefined) {
      return xml(
        403,
        "SignatureDoesNotMatch",
        "The request signature we calculated does not match the signature you provided.",
      );
    }
    if (this.clock.now() > expiresAt) return xml(403, "AccessDenied", "Request has expired");
    const { body, contentType } = renderFile(file.spec);
    this.send(ex, 200, body, {
      "content-type": contentType,
      "content-length": String(body.length),
    });
  }

  /** Applies a fault; returns true when it answered (or dropped) the request. */
  private async applyFault(ex: Exchange, fault: Fault, record: RecordAnswer): Promise<boolean> {
    ex.entry.faulted = true;
    if (fault.delay_seconds !== undefined) await this.sleep(fault.delay_seconds * 1000);
    if (fault.reset) {
      ex.entry.status = 0;
      this.log.push(ex.entry);
      ex.res.socket?.destroy();
      return true;
    }
    if (fault.malformed) {
      this.send(ex, 200, '{"data": {"id": "');
      return true;
    }
    if (fault.status === undefined) return false;
    const headers: Record<string, string> = {};
    if (fault.retry_after_seconds !== undefined) {
      headers["retry-after"] = String(Math.ceil(fault.retry_after_seconds));
    }
    const error = apiError(fault.status, faultKey(fault.status), faultMessage(fault.status));
    if (fault.recorded) record({ ...error, headers });
    this.send(ex, fault.status, JSON.stringify(error.body), headers);
    return true;
  }

  private sendResult(ex: Exchange, result: RouteResult, template?: string): void {
    let { status, body } = result;
    if (this.options.validateResponses && template !== undefined) {
      const problems = validateResponse(ex.entry.method, template, status, body);
      if (problems.length > 0) {
        ({ status, body } = apiError(500, "simulator_response_invalid", problems.join("; ")));
      }
    }
    this.send(ex, status, JSON.stringify(body), result.headers);
  }

  private send(
    { res, entry }: Exchange,
    status: number,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ): void {
    entry.status = status;
    this.log.push(entry);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(body);
  }
}

function faultKey(status: number): string {
  if (status === 429) return "rate_limited";
  return status >= 500 ? "server_error" : "simulated_error";
}

function faultMessage(status: number): string {
  return `simulated ${status} (scenario fault)`;
}

/** Query values typed by their look, for a simulator that does not check the spec. */
function looseQuery(params: URLSearchParams): Record<string, unknown> {
  const query: Record<string, unknown> = {};
  for (const [k, v] of params)
    query[k] = v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v;
  return query;
}

/** Collects a request's body (up to MAX_BODY_BYTES; 413 past it) and hands it to `sim`. */
function onRequest(sim: SimulatorServer, req: IncomingMessage, res: ServerResponse): void {
  const chunks: Buffer[] = [];
  let size = 0;
  req.on("data", (chunk: Buffer) => {
    size += chunk.length;
    if (size <= MAX_BODY_BYTES) chunks.push(chunk);
  });
  req.on("end", () => {
    if (size > MAX_BODY_BYTES) {
      const body = { key: "payload_too_large", message: "request body too large", status: 413 };
      res.writeHead(413, { "content-type": "application/json" });
      res.end(JSON.stringify(body));
      return;
    }
    sim.handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
      if (!res.headersSent && !res.destroyed) {
        res.writeHead(500, { "content-type": "application/json" });
        res.end(JSON.stringify({ key: "simulator_error", message: String(err), status: 500 }));
      }
    });
  });
}

/** Listens on `port` and `host`; resolves with the base URL (no trailing slash). */
async function listen(server: Server, port: number, host: string): Promise<string> {
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shown = address.family === "IPv6" ? `[${address.address}]` : address.address;
  return `http://${shown}:${address.port}`;
}

function closeServer(server: Server): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    if (!server.listening) return resolve();
    server.close((err) => (err ? reject(err) : resolve()));
    server.closeAllConnections();
  });
}

/** Starts a simulator for `options.scenario`; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const sim = new SimulatorServer(options);
  const server = createServer((req, res) => onRequest(sim, req, res));
  sim.baseUrl = await listen(server, options.port ?? 0, options.host ?? "127.0.0.1");
  const { state, clock, log, webhooks } = sim;
  const timer =
    options.webhookPumpMs === undefined
      ? undefined
      : setInterval(() => void webhooks.pump(), options.webhookPumpMs);
  timer?.unref();
  return {
    url: sim.baseUrl,
    clock,
    close: () => {
      clearInterval(timer);
      return closeServer(server);
    },
    executions: () => state.view(clock.now()),
    startCount: (syncId) => state.startCount(syncId),
    requests: () => log.map((e) => ({ ...e })),
    randomFaultCount: () => sim.randomFaults?.faulted ?? 0,
    validatesResponses: options.validateResponses === true,
    webhooks: {
      pump: () => webhooks.pump(),
      nextDueAt: () => webhooks.nextDueAt(),
      deliveries: () => webhooks.deliveries(),
      registered: () => state.webhooks.get(),
    },
  };
}
