/**
 * The webhook receiver on a laptop: an HTTP server running the deployed receiver's logic
 * (functions/core/webhook.ts: signature, staleness, duplicates) that hands accepted events to
 * `publish` instead of EventBridge. With the simulator's webhook delivery it lets the local
 * runner wake waiting steps from Polytomic's events as the stack does.
 */
import { createServer, type IncomingMessage } from "node:http";
import type { AddressInfo } from "node:net";
import { JsonLogger } from "../../functions/core/logger";
import type { Clock } from "../../functions/core/ports";
import { Redactor } from "../../functions/core/redact";
import {
  type BusEvent,
  DEFAULT_WEBHOOK_WINDOW,
  RecentIds,
  receiveDelivery,
  type WebhookDeps,
} from "../../functions/core/webhook";
import {
  DEFAULT_SIGNATURE_ALGORITHM,
  type SignatureAlgorithm,
} from "../../functions/core/webhook-contract";

export interface LocalReceiverOptions {
  /** The secret registered with the (simulated) webhook. */
  secret: string;
  /** Receives each accepted event, as the stack's bus would. */
  publish: (events: BusEvent[]) => Promise<void> | void;
  /** The clock staleness is judged by: the simulator's. */
  clock: Clock;
  /** @default "hmac-sha256-hex" */
  algorithm?: SignatureAlgorithm;
  /** Where the receiver's JSON log lines go. @default nowhere */
  log?: (line: string) => void;
}

export interface LocalReceiver {
  /** The endpoint to register, e.g. http://127.0.0.1:43210/webhook. */
  url: string;
  close(): Promise<void>;
}

/** Starts the receiver on 127.0.0.1 (an ephemeral port). */
export async function startLocalReceiver(options: LocalReceiverOptions): Promise<LocalReceiver> {
  const redactor = new Redactor();
  redactor.register(options.secret);
  const write = options.log ?? (() => {});
  const deps: WebhookDeps = {
    secret: async () => options.secret,
    publish: async (events) => {
      await options.publish(events);
    },
    clock: options.clock,
    logger: new JsonLogger({ redactor, write, now: () => new Date(options.clock.now()) }),
    config: {
      algorithm: options.algorithm ?? DEFAULT_SIGNATURE_ALGORITHM,
      ...DEFAULT_WEBHOOK_WINDOW,
    },
    seen: new RecentIds(DEFAULT_WEBHOOK_WINDOW.maxAgeMs + DEFAULT_WEBHOOK_WINDOW.maxSkewMs),
    metric: write,
  };
  const server = createServer((req, res) => {
    readBody(req).then(
      async (body) => {
        const headers: Record<string, string | undefined> = {};
        for (const [k, v] of Object.entries(req.headers)) {
          headers[k] = Array.isArray(v) ? v.join(",") : v;
        }
        const answer = await receiveDelivery({ body, headers }, deps);
        res.writeHead(answer.statusCode, { "content-type": "application/json" });
        res.end(answer.body);
      },
      () => res.destroy(),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/webhook`,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => resolve(Buffer.concat(chunks)));
    req.on("error", reject);
  });
}
