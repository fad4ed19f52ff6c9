/** Pure tests of the retry timing: full-jitter bounds and Retry-After parsing. */
import { describe, expect, it } from "vitest";
import { fullJitterDelay, parseRetryAfter, retryDelay } from "../../functions/polytomic/backoff";
import { REDACTED, redactText, redactUrl, urlSecrets } from "../../functions/polytomic/redact";

const opts = (r: number) => ({ baseDelayMs: 500, maxDelayMs: 20_000, random: () => r });

describe("fullJitterDelay", () => {
  it("is 0 at random() = 0 and just under the cap at random() -> 1", () => {
    for (let retry = 0; retry < 10; retry++) {
      const cap = Math.min(20_000, 500 * 2 ** retry);
      expect(fullJitterDelay(retry, opts(0))).toBe(0);
      expect(fullJitterDelay(retry, opts(0.999_999_9))).toBe(cap - 1);
      expect(fullJitterDelay(retry, opts(0.5))).toBe(cap / 2);
    }
  });

  it("stays within [0, min(max, base * 2^retry)) for many random draws", () => {
    let seed = 42;
    const random = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed / 2 ** 31;
    };
    for (let i = 0; i < 2000; i++) {
      const retry = i % 12;
      const d = fullJitterDelay(retry, { baseDelayMs: 500, maxDelayMs: 20_000, random });
      expect(d).toBeGreaterThanOrEqual(0);
      expect(d).toBeLessThan(Math.min(20_000, 500 * 2 ** retry));
    }
  });

  it("does not overflow for huge retry numbers", () => {
    expect(fullJitterDelay(5000, opts(0.5))).toBe(10_000);
  });
});

describe("retryDelay", () => {
  it("raises the jittered delay to Retry-After", () => {
    expect(retryDelay(0, 3000, opts(0.5))).toBe(3000);
    expect(retryDelay(5, 3000, opts(0.5))).toBe(8000);
    expect(retryDelay(0, undefined, opts(0.5))).toBe(250);
    // Retry-After above maxDelayMs is still honoured.
    expect(retryDelay(0, 60_000, opts(0.5))).toBe(60_000);
  });
});

describe("parseRetryAfter", () => {
  const now = Date.UTC(2025, 0, 1, 12, 0, 0);
  it("reads delta-seconds", () => {
    expect(parseRetryAfter("0", now)).toBe(0);
    expect(parseRetryAfter("3", now)).toBe(3000);
    expect(parseRetryAfter(" 120 ", now)).toBe(120_000);
    expect(parseRetryAfter("1.5", now)).toBe(1500);
  });
  it("reads an HTTP date relative to now, past dates as 0", () => {
    expect(parseRetryAfter("Wed, 01 Jan 2025 12:00:30 GMT", now)).toBe(30_000);
    expect(parseRetryAfter(new Date(now + 90_000).toUTCString(), now)).toBe(90_000);
    expect(parseRetryAfter("Tue, 31 Dec 2024 12:00:00 GMT", now)).toBe(0);
  });
  it("ignores missing or garbage values", () => {
    for (const v of [null, undefined, "", "soon", "-5", "1e3", "12:00"]) {
      expect(parseRetryAfter(v, now)).toBeUndefined();
    }
  });
});

describe("redaction", () => {
  const signed =
    "https://bucket.s3.amazonaws.com/logs/a.jsonl?X-Amz-Signature=deadbeefcafe1234&X-Amz-Credential=AKIAEXAMPLE%2F2025";
  it("cuts URLs to origin and path", () => {
    expect(redactUrl(signed)).toBe("https://bucket.s3.amazonaws.com/logs/a.jsonl");
    expect(redactUrl("https://user:pw123456@h.example/p#frag")).toBe("https://h.example/p");
    expect(redactUrl("not a url ?token=secret")).toBe("(invalid URL)");
  });
  it("removes URLs' query strings and known secrets from free text", () => {
    const text = `failed to fetch ${signed} with key sk_live_abcdef123 (see "${signed}")`;
    const out = redactText(text, ["sk_live_abcdef123"]);
    expect(out).toBe(
      `failed to fetch https://bucket.s3.amazonaws.com/logs/a.jsonl with key ${REDACTED} (see "https://bucket.s3.amazonaws.com/logs/a.jsonl")`,
    );
  });
  it("lists a URL's query values as secrets", () => {
    expect(urlSecrets(new URL(signed))).toEqual(
      expect.arrayContaining(["deadbeefcafe1234", "AKIAEXAMPLE/2025"]),
    );
  });
});
