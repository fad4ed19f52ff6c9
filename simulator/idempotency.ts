/**
 * The simulator's Idempotency-Key store. As Polytomic documents, the first answer to a key is
 * what every later request with that key gets, error answers included; a request whose key is
 * still being processed gets a 409.
 */
import { apiError, type RouteResult } from "./routes";

const IDEMPOTENCY_KEY_RE = /^[A-Za-z0-9_-]{8,255}$/;

type Stored = { state: "pending" } | { state: "done"; fingerprint: string; result: RouteResult };

/** What the store says about a request: answer it now, or go on (holding the key when any). */
export type KeyDecision = { answer: RouteResult } | { claim: KeyClaim | undefined };

/** A key held by the request being processed: record its answer, release it when done. */
export interface KeyClaim {
  record(result: RouteResult): void;
  release(): void;
}

export class IdempotencyStore {
  private readonly entries = new Map<string, Stored>();

  /** The 409's `key` for a request whose key is in flight. */
  constructor(private readonly inFlightKey: string) {}

  /**
   * Checks `key` (absent: nothing to do) for `method path` with the raw body `fingerprint`:
   * a bad key, a key in flight or a key reused with another body is answered; a finished key
   * replays its first answer; a new key is claimed.
   */
  begin(method: string, path: string, key: string | undefined, fingerprint: string): KeyDecision {
    if (key === undefined) return { claim: undefined };
    if (!IDEMPOTENCY_KEY_RE.test(key)) {
      const message = "header Idempotency-Key: must be 8-255 characters of A-Z, a-z, 0-9, _ and -";
      return { answer: apiError(400, "bad_request", message) };
    }
    const storeKey = `${method} ${path}\n${key}`;
    const stored = this.entries.get(storeKey);
    if (stored?.state === "pending") {
      const message = "a request with this Idempotency-Key is still being processed";
      return { answer: apiError(409, this.inFlightKey, message) };
    }
    if (stored?.state === "done") {
      if (stored.fingerprint === fingerprint) return { answer: stored.result };
      const message = "Idempotency-Key was already used with a different request body";
      return { answer: apiError(400, "idempotency_mismatch", message) };
    }
    this.entries.set(storeKey, { state: "pending" });
    return { claim: this.claim(storeKey, fingerprint) };
  }

  private claim(storeKey: string, fingerprint: string): KeyClaim {
    return {
      record: (result) => this.entries.set(storeKey, { state: "done", fingerprint, result }),
      release: () => {
        if (this.entries.get(storeKey)?.state === "pending") this.entries.delete(storeKey);
      },
    };
  }
}
