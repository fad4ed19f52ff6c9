/**
 * The simulator's HTTP server: routing by the spec's path templates, Bearer and Basic auth, fault
 * injection, Idempotency-Key handling and request checks, around the handlers in routes.ts.
 *
 * Order of processing for an API request: route (404 unknown path, 405 unknown method) ->
 * auth (401) -> Idempotency-Key (400 bad format, replay, 409 concurrent duplicate) -> fault
 * (delay, then status/malformed/reset; a faulted request changes nothing) -> parameter and body
 * checks against the spec (400; malformed ids 404) -> handler. As Polytomic documents, the
 * first answer to an Idempotency-Key is what every later request with that key gets, error
 * answers included (a 409 because the sync was running, a 400, a 404). A scenario fault
 * changes nothing and is not recorded (it stands for trouble in front of the API), unless
 * it says `recorded: true`.
 */
import { randomBytes } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { type Clock, systemClock } from "./clock";
import { type EndpointName, FaultQueue, RandomFaults } from "./faults";
import { renderFile } from "./files";
import { apiError, ROUTES, type Route, type RouteResult } from "./routes";
import { DEFAULT_ASSUMPTIONS, type Scenario } from "./scenario";
import { checkParams, checkRequestBody, validateResponse } from "./spec";
import { ORGANIZATION_ID, SimState, type SimulatorExecution } from "./state";

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
}

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
  literals: number;
}

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_-]{8,255}$/;
const MAX_BODY_BYTES = 1_048_576;

function compileRoutes(): CompiledRoute[] {
  return ROUTES.map((route) => {
    const names: string[] = [];
    const segments = route.template.split("/").slice(1);
    const pattern = segments
      .map((seg) => {
        const m = /^\{(\w+)\}$/.exec(seg);
        if (m?.[1]) {
          names.push(m[1]);
          return "([^/]+)";
        }
        return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
      })
      .join("/");
    return {
      route,
      regex: new RegExp(`^/${pattern}/?$`),
      names,
      literals: segments.filter((s) => !s.startsWith("{")).length,
    };
  }).sort((a, b) => b.literals - a.literals);
}

type Stored = { state: "pending" } | { state: "done"; fingerprint: string; result: RouteResult };

/**
 * Why an Authorization header is refused, or undefined when it is accepted. The spec's
 * schemes: `Bearer <user or partner key>` and `orgScopedAPIKey`, HTTP Basic, which Polytomic's
 * Terraform provider sends as `base64(<organization id>:<key>)`. The key must equal the
 * scenario's `api_key` when it has one (any non-empty key otherwise); a Basic organization id
 * must be the scenario's `organization_id` (default: the simulator's organization).
 */
export function checkAuth(header: string, scenario: Scenario): string | undefined {
  const bearer = /^Bearer\s+(\S.*)$/i.exec(header)?.[1]?.trim();
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header.trim())?.[1];
  let key = bearer;
  if (basic !== undefined) {
    const decoded = Buffer.from(basic, "base64").toString("utf8");
    const colon = decoded.indexOf(":");
    const org = colon > 0 ? decoded.slice(0, colon) : "";
    key = colon > 0 ? decoded.slice(colon + 1) : "";
    if (org !== (scenario.organization_id ?? ORGANIZATION_ID)) {
      return "Basic credentials name an unknown organization";
    }
  }
  if (!key) return "missing API key (Bearer, or Basic organization id and key)";
  if (scenario.api_key !== undefined && key !== scenario.api_key) return "invalid API key";
  return undefined;
}

/** Starts a simulator for `options.scenario`; resolves once it listens. */
export async function startSimulator(options: SimulatorOptions): Promise<RunningSimulator> {
  const clock = options.clock ?? systemClock;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const validateRequests = options.validateRequests ?? true;
  const state = new SimState(options.scenario, clock);
  const faults = new FaultQueue(options.scenario.faults);
  const randomFaults = options.scenario.random_faults
    ? new RandomFaults(options.scenario.random_faults)
    : undefined;
  const routes = compileRoutes();
  const idempotency = new Map<string, Stored>();
  const log: RequestLogEntry[] = [];
  let baseUrl = "";

  const send = (
    res: ServerResponse,
    entry: RequestLogEntry,
    status: number,
    body: string | Buffer,
    headers: Record<string, string> = {},
  ) => {
    entry.status = status;
    log.push(entry);
    res.writeHead(status, { "content-type": "application/json; charset=utf-8", ...headers });
    res.end(body);
  };

  const sendResult = (
    res: ServerResponse,
    entry: RequestLogEntry,
    result: RouteResult,
    template?: string,
  ) => {
    let { status, body } = result;
    if (options.validateResponses && template !== undefined) {
      const problems = validateResponse(entry.method, template, status, body);
      if (problems.length > 0) {
        ({ status, body } = apiError(500, "simulator_response_invalid", problems.join("; ")));
      }
    }
    send(res, entry, status, JSON.stringify(body), result.headers);
  };

  const serveFile = (res: ServerResponse, entry: RequestLogEntry, url: URL) => {
    const m = /^\/_files\/([0-9a-f]+)\/[^/]+$/.exec(url.pathname);
    const file = m?.[1] ? state.files.get(m[1]) : undefined;
    const xml = (status: number, code: string, message: string) =>
      send(
        res,
        entry,
        status,
        `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${code}</Code><Message>${message}</Message></Error>`,
        {
          "content-type": "application/xml",
        },
      );
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
    if (clock.now() > expiresAt) return xml(403, "AccessDenied", "Request has expired");
    const { body, contentType } = renderFile(file.spec);
    send(res, entry, 200, body, {
      "content-type": contentType,
      "content-length": String(body.length),
    });
  };

  const handle = async (req: IncomingMessage, res: ServerResponse, rawBody: Buffer) => {
    const method = (req.method ?? "GET").toUpperCase();
    const url = new URL(req.url ?? "/", "http://simulator.invalid");
    const entry: RequestLogEntry = {
      method,
      path: url.pathname,
      status: 0,
      endpoint: "unknown",
      faulted: false,
    };

    if (url.pathname.startsWith("/_files/")) {
      entry.endpoint = "download";
      const fault =
        faults.take("download", undefined) ?? randomFaults?.take("download", `GET ${url.pathname}`);
      if (fault) {
        entry.faulted = true;
        // A download has no Idempotency-Key: nothing to record.
        const answered = await applyFault(fault, res, entry, () => {});
        if (answered) return;
      }
      if (method !== "GET" && method !== "HEAD") return send(res, entry, 405, "");
      return serveFile(res, entry, url);
    }

    // Route.
    let matched: { compiled: CompiledRoute; params: Record<string, string> } | undefined;
    let pathKnown = false;
    for (const compiled of routes) {
      const m = compiled.regex.exec(url.pathname);
      if (!m) continue;
      pathKnown = true;
      if (compiled.route.method !== method) continue;
      const params: Record<string, string> = {};
      compiled.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? "");
      });
      matched = { compiled, params };
      break;
    }
    if (!matched) {
      const result = pathKnown
        ? apiError(405, "method_not_allowed", `${method} is not allowed on ${url.pathname}`)
        : apiError(404, "not_found", `no such endpoint: ${method} ${url.pathname}`);
      return sendResult(res, entry, result);
    }
    const { route } = matched.compiled;
    const params = matched.params;
    entry.endpoint = route.endpoint;

    // Auth.
    const denied = checkAuth(req.headers.authorization ?? "", options.scenario);
    if (denied)
      return sendResult(res, entry, apiError(401, "unauthorized", denied), route.template);

    // Idempotency-Key.
    const keyHeader = req.headers["idempotency-key"];
    const key = Array.isArray(keyHeader) ? keyHeader[0] : keyHeader;
    let storeKey: string | undefined;
    const fingerprint = rawBody.toString("utf8").trim();
    if (key !== undefined) {
      if (!IDEMPOTENCY_KEY_RE.test(key)) {
        return sendResult(
          res,
          entry,
          apiError(
            400,
            "bad_request",
            "header Idempotency-Key: must be 8-255 characters of A-Z, a-z, 0-9, _ and -",
          ),
          route.template,
        );
      }
      storeKey = `${method} ${url.pathname}\n${key}`;
      const stored = idempotency.get(storeKey);
      if (stored?.state === "pending") {
        return sendResult(
          res,
          entry,
          apiError(
            409,
            (options.scenario.assumptions ?? DEFAULT_ASSUMPTIONS).in_flight_409_key,
            "a request with this Idempotency-Key is still being processed",
          ),
          route.template,
        );
      }
      if (stored?.state === "done") {
        if (stored.fingerprint !== fingerprint) {
          return sendResult(
            res,
            entry,
            apiError(
              400,
              "idempotency_mismatch",
              "Idempotency-Key was already used with a different request body",
            ),
            route.template,
          );
        }
        return sendResult(res, entry, stored.result, route.template);
      }
      idempotency.set(storeKey, { state: "pending" });
    }
    /** The first answer to the request's Idempotency-Key, for every later request with it. */
    const record = (result: RouteResult) => {
      if (storeKey !== undefined) idempotency.set(storeKey, { state: "done", fingerprint, result });
    };
    const release = () => {
      if (storeKey !== undefined && idempotency.get(storeKey)?.state === "pending")
        idempotency.delete(storeKey);
    };

    try {
      // Faults.
      const syncId = route.syncParam ? params[route.syncParam]?.toLowerCase() : undefined;
      const fault =
        faults.take(route.endpoint, syncId) ??
        randomFaults?.take(route.endpoint, `${method} ${url.pathname} ${key ?? ""}`);
      if (fault) {
        entry.faulted = true;
        const answered = await applyFault(fault, res, entry, record);
        if (answered) return;
      }

      // Spec checks. Their 400s are the API's own answers: recorded for the key too.
      const answer = (result: RouteResult, template: string) => {
        record(result);
        sendResult(res, entry, result, template);
      };
      let query: Record<string, unknown> = {};
      let body: unknown;
      if (rawBody.length > 0) {
        try {
          body = JSON.parse(rawBody.toString("utf8"));
        } catch {
          return answer(apiError(400, "bad_request", "body: not valid JSON"), route.template);
        }
      }
      if (validateRequests) {
        const checked = checkParams(method, route.template, params, url.searchParams);
        if ("status" in checked) {
          const key = checked.status === 404 ? "not_found" : "bad_request";
          return answer(apiError(checked.status, key, checked.message), route.template);
        }
        query = checked.query;
        const problems = checkRequestBody(method, route.template, body);
        if (problems.length > 0) {
          return answer(apiError(400, "bad_request", problems.join("; ")), route.template);
        }
      } else {
        for (const [k, v] of url.searchParams)
          query[k] = v === "true" ? true : v === "false" ? false : /^\d+$/.test(v) ? Number(v) : v;
      }

      const result = route.handle({
        state,
        now: clock.now(),
        baseUrl,
        params,
        query,
        body,
        sign: () => randomBytes(32).toString("hex"),
      });
      answer(result, route.template);
    } finally {
      release();
    }
  };

  /** Applies a fault; returns true when it answered (or dropped) the request. */
  const applyFault = async (
    fault: Scenario["faults"][number],
    res: ServerResponse,
    entry: RequestLogEntry,
    record: (result: RouteResult) => void,
  ): Promise<boolean> => {
    if (fault.delay_seconds !== undefined) await sleep(fault.delay_seconds * 1000);
    if (fault.reset) {
      entry.status = 0;
      log.push(entry);
      res.socket?.destroy();
      return true;
    }
    if (fault.malformed) {
      send(res, entry, 200, '{"data": {"id": "');
      return true;
    }
    if (fault.status !== undefined) {
      const headers: Record<string, string> = {};
      if (fault.retry_after_seconds !== undefined) {
        headers["retry-after"] = String(Math.ceil(fault.retry_after_seconds));
      }
      const key =
        fault.status === 429
          ? "rate_limited"
          : fault.status >= 500
            ? "server_error"
            : "simulated_error";
      const error = apiError(fault.status, key, `simulated ${fault.status} (scenario fault)`);
      if (fault.recorded) record({ ...error, headers });
      send(res, entry, fault.status, JSON.stringify(error.body), headers);
      return true;
    }
    return false;
  };

  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on("data", (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on("end", () => {
      if (size > MAX_BODY_BYTES) {
        res.writeHead(413, { "content-type": "application/json" });
        res.end(
          JSON.stringify({
            key: "payload_too_large",
            message: "request body too large",
            status: 413,
          }),
        );
        return;
      }
      handle(req, res, Buffer.concat(chunks)).catch((err: unknown) => {
        if (!res.headersSent && !res.destroyed) {
          res.writeHead(500, { "content-type": "application/json" });
          res.end(JSON.stringify({ key: "simulator_error", message: String(err), status: 500 }));
        }
      });
    });
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === "IPv6" ? `[${address.address}]` : address.address;
  baseUrl = `http://${host}:${address.port}`;

  return {
    url: baseUrl,
    clock,
    close: () =>
      new Promise<void>((resolve, reject) => {
        if (!server.listening) return resolve();
        server.close((err) => (err ? reject(err) : resolve()));
        server.closeAllConnections();
      }),
    executions: () => state.view(clock.now()),
    startCount: (syncId) => state.startCount(syncId),
    requests: () => log.map((e) => ({ ...e })),
    randomFaultCount: () => randomFaults?.faulted ?? 0,
    validatesResponses: options.validateResponses === true,
  };
}
