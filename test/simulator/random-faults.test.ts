import { afterEach, describe, expect, it } from "vitest";
import {
  type FaultScenario,
  parseScenario,
  RandomFaults,
  type RandomFaultsScenario,
  ScenarioError,
} from "../../simulator";
import { type Harness, harness, MODEL, scenario, T } from "./helpers";

let h: Harness | undefined;
afterEach(async () => {
  await h?.sim.close();
  h = undefined;
});

function config(overrides: Partial<RandomFaultsScenario> = {}): RandomFaultsScenario {
  return {
    rate: 0.3,
    seed: 7,
    kinds: ["rate_limited", "server_error", "bad_gateway", "unavailable", "reset", "malformed"],
    endpoints: ["any"],
    ...overrides,
  };
}

/** Which of `n` calls of one identity each (over `identities`) get a fault, and which. */
function decisions(faults: RandomFaults, identities: string[], n: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    for (const id of identities) {
      const f: FaultScenario | undefined = faults.take("status", id);
      out.push(f ? `${id}#${i}:${f.status ?? (f.reset ? "reset" : "malformed")}` : "");
    }
  }
  return out.filter((d) => d !== "");
}

describe("random faults", () => {
  it("are reproducible per seed, whatever order the identities interleave in", () => {
    const ids = ["GET /a ", "GET /b ", "POST /c key-1"];
    const forward = decisions(new RandomFaults(config()), ids, 200).sort();
    const backward = decisions(new RandomFaults(config()), [...ids].reverse(), 200).sort();
    expect(forward).toEqual(backward);
    expect(forward.length).toBeGreaterThan(60);
    const other = decisions(new RandomFaults(config({ seed: 8 })), ids, 200).sort();
    expect(other).not.toEqual(forward);
  });

  it("hit about `rate` of the calls, with every kind, never twice in a row for one identity", () => {
    const faults = new RandomFaults(config({ rate: 0.05 }));
    const kinds = new Set<string>();
    let previousFaulted = false;
    let streaks = 0;
    for (let i = 0; i < 20_000; i++) {
      const f = faults.take("execution", "GET /x ");
      if (f && previousFaulted) streaks++;
      previousFaulted = f !== undefined;
      if (f) kinds.add(String(f.status ?? (f.reset ? "reset" : "malformed")));
    }
    expect(streaks).toBe(0);
    expect(faults.faulted / 20_000).toBeGreaterThan(0.04);
    expect(faults.faulted / 20_000).toBeLessThan(0.06);
    expect([...kinds].sort()).toEqual(["429", "500", "502", "503", "malformed", "reset"]);
  });

  it("only hit the endpoints asked for; `any` leaves downloads alone", () => {
    const faults = new RandomFaults(config({ rate: 1, endpoints: ["start"] }));
    expect(faults.take("status", "GET /s ")).toBeUndefined();
    expect(faults.take("start", "POST /s k")).toBeDefined();
    const any = new RandomFaults(config({ rate: 1 }));
    expect(any.take("download", "GET /_files/x")).toBeUndefined();
    expect(any.take("logs", "GET /l ")).toBeDefined();
    expect(new RandomFaults(config({ rate: 0 })).take("status", "GET /s ")).toBeUndefined();
  });

  it("a 429 carries Retry-After, and a faulted start starts nothing; its retry gets through", async () => {
    h = await harness(
      scenario(
        "",
        "",
        "random_faults: { rate: 1, seed: 3, kinds: [rate_limited], endpoints: [start] }",
      ),
    );
    const headers = { "idempotency-key": "start-key-0001" };
    const first = await h.call("POST", `/api/syncs/${MODEL}/executions`, T.modelStart, {
      body: {},
      headers,
    });
    expect(first.status).toBe(429);
    expect(first.headers.get("retry-after")).toBe("1");
    expect(h.sim.startCount(MODEL)).toBe(0);
    const retry = await h.call("POST", `/api/syncs/${MODEL}/executions`, T.modelStart, {
      body: {},
      headers,
    });
    expect(retry.status).toBe(200);
    expect(h.sim.startCount(MODEL)).toBe(1);
    expect(h.sim.randomFaultCount()).toBe(1);
    expect(h.sim.requests().map((r) => [r.status, r.faulted])).toEqual([
      [429, true],
      [200, false],
    ]);
  });

  it("scenario errors name the field", () => {
    const bad = (text: string) => () => parseScenario(text, "s.yaml");
    expect(bad("random_faults: { rate: 1.5 }")).toThrow(
      new ScenarioError('s.yaml: field "random_faults.rate": Too big: expected number to be <=1'),
    );
    expect(bad("random_faults: { rate: 0.1, kinds: [gremlins] }")).toThrow(
      /s\.yaml: field "random_faults\.kinds\[0\]": Invalid option/,
    );
    expect(bad("random_faults: { rate: 0.1, sometimes: true }")).toThrow(
      's.yaml: field "random_faults.sometimes": unknown key',
    );
    expect(parseScenario("random_faults: { rate: 0.05 }").random_faults).toEqual(
      config({ rate: 0.05, seed: 1 }),
    );
  });
});
