/**
 * Fault injection. Faults are taken in scenario order: a request gets the first fault that
 * still has `times` left and whose endpoint (and optional `sync`) matches it; applying it uses
 * one of its `times`. `any` matches every API endpoint (not file downloads). Random faults
 * (`RandomFaults`) apply only to requests no scripted fault took.
 */
import { createHash } from "node:crypto";
import type {
  FaultEndpoint,
  FaultScenario,
  RandomFaultKind,
  RandomFaultsScenario,
} from "./scenario";

/** Endpoint names used for faults and in the request log. */
export type EndpointName = Exclude<FaultEndpoint, "any"> | "unknown";

export class FaultQueue {
  private readonly remaining: number[];

  constructor(private readonly faults: readonly FaultScenario[]) {
    this.remaining = faults.map((f) => f.times);
  }

  /** Takes the next fault for a request to `endpoint` about `syncId`, if any. */
  take(endpoint: EndpointName, syncId: string | undefined): FaultScenario | undefined {
    for (const [i, fault] of this.faults.entries()) {
      if ((this.remaining[i] ?? 0) <= 0) continue;
      const endpointMatches =
        fault.endpoint === endpoint ||
        (fault.endpoint === "any" && endpoint !== "download" && endpoint !== "unknown");
      if (!endpointMatches) continue;
      if (fault.sync !== undefined && fault.sync !== syncId) continue;
      this.remaining[i] = (this.remaining[i] ?? 0) - 1;
      return fault;
    }
    return undefined;
  }

  /** How many times each fault (by index) has yet to fire. */
  left(): number[] {
    return [...this.remaining];
  }
}

/** The scripted fault each random fault kind stands for (each `times: 1`). */
const RANDOM_FAULTS: Record<RandomFaultKind, FaultScenario> = {
  rate_limited: {
    endpoint: "any",
    status: 429,
    retry_after_seconds: 1,
    malformed: false,
    reset: false,
    recorded: false,
    times: 1,
  },
  server_error: {
    endpoint: "any",
    status: 500,
    malformed: false,
    reset: false,
    recorded: false,
    times: 1,
  },
  bad_gateway: {
    endpoint: "any",
    status: 502,
    malformed: false,
    reset: false,
    recorded: false,
    times: 1,
  },
  unavailable: {
    endpoint: "any",
    status: 503,
    malformed: false,
    reset: false,
    recorded: false,
    times: 1,
  },
  reset: { endpoint: "any", malformed: false, reset: true, recorded: false, times: 1 },
  malformed: { endpoint: "any", malformed: true, reset: false, recorded: false, times: 1 },
};

/**
 * Random faults (scenario `random_faults`), reproducible: whether a request is faulted, and
 * how, is a hash of the seed, the request's identity (method, path, Idempotency-Key) and how
 * many times that identity was asked before, so the same seed gives the same faults whatever
 * order concurrent requests arrive in.
 *
 * A request whose identical predecessor was faulted is never faulted: every retry of a faulted
 * call gets through, so a soak can hold every step to its scenario's outcome (a streak long
 * enough to exhaust the retries is a different test, written with scripted `faults`).
 */
export class RandomFaults {
  private readonly seen = new Map<string, { count: number; lastFaulted: boolean }>();
  private readonly endpoints: ReadonlySet<string>;
  private faultedCount = 0;

  constructor(private readonly config: RandomFaultsScenario) {
    this.endpoints = new Set(config.endpoints);
  }

  /** The fault for this request, if it gets one. */
  take(endpoint: EndpointName, identity: string): FaultScenario | undefined {
    const matches =
      this.endpoints.has(endpoint) ||
      (this.endpoints.has("any") && endpoint !== "download" && endpoint !== "unknown");
    if (!matches || this.config.rate <= 0) return undefined;
    const seen = this.seen.get(identity) ?? { count: 0, lastFaulted: false };
    this.seen.set(identity, seen);
    seen.count += 1;
    if (seen.lastFaulted) {
      seen.lastFaulted = false;
      return undefined;
    }
    const digest = createHash("sha256")
      .update(`${this.config.seed}\n${identity}\n${seen.count}`)
      .digest();
    const roll = digest.readUInt32BE(0) / 0x1_0000_0000;
    if (roll >= this.config.rate) return undefined;
    const kind = this.config.kinds[digest.readUInt32BE(4) % this.config.kinds.length];
    if (kind === undefined) return undefined;
    seen.lastFaulted = true;
    this.faultedCount += 1;
    return RANDOM_FAULTS[kind];
  }

  /** How many requests got a random fault so far. */
  get faulted(): number {
    return this.faultedCount;
  }
}
