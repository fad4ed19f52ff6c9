/**
 * Fault injection. Faults are taken in scenario order: a request gets the first fault that
 * still has `times` left and whose endpoint (and optional `sync`) matches it; applying it uses
 * one of its `times`. `any` matches every API endpoint (not file downloads).
 */
import type { FaultEndpoint, FaultScenario } from "./scenario";

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
