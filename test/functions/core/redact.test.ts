import { describe, expect, it } from "vitest";
import { JsonLogger } from "../../../functions/core/logger";
import { REDACTED, Redactor } from "../../../functions/core/redact";
import { redactText, redactValue } from "../../../functions/polytomic/redact";

describe("Redactor and JsonLogger", () => {
  it("removes registered secrets, URL query strings, Bearer tokens and secret-named fields", () => {
    const r = new Redactor();
    r.register("k-123456");
    expect(r.text("key k-123456 at https://h.example/a/b.gz?X-Amz-Signature=abc&x=1 done")).toBe(
      "key [redacted] at https://h.example/a/b.gz done",
    );
    expect(r.text("Authorization: Bearer abc.def")).toBe("Authorization: Bearer [redacted]");
    expect(r.value({ api_key: "x", nested: [{ token: "y", ok: "https://a/b?q=1" }] })).toEqual({
      api_key: "[redacted]",
      nested: [{ token: "[redacted]", ok: "https://a/b" }],
    });
    const err = new Error("failed GET https://s3/x?sig=1", { cause: new Error("k-123456 bad") });
    expect(r.error(err)).toEqual({
      name: "Error",
      message: "failed GET https://s3/x",
      cause: { name: "Error", message: "[redacted] bad" },
    });
  });

  it("removes a partner key's HTTP Basic form and partner_key fields, registered or not", () => {
    const org = "0b4c4f8e-5a39-4a8f-9c1e-2f1d3c4b5a69";
    const token = Buffer.from(`${org}:pk-partner-0123`).toString("base64");
    const r = new Redactor();
    expect(r.text(`Authorization: Basic ${token}`)).toBe("Authorization: Basic [redacted]");
    expect(r.value({ partner_key: "pk-partner-0123", nested: { partnerKey: "x" } })).toEqual({
      partner_key: REDACTED,
      nested: { partnerKey: REDACTED },
    });
  });

  it("applies the client's rules: one redactor for the handlers and the client", () => {
    const r = new Redactor();
    r.register("abcd");
    const text = "abcd at https://user:pw@h.example:8443/p?sig=1#frag and postgres://u:pw@db/x";
    // Each of these went through before the Redactor used functions/polytomic/redact.ts.
    expect(r.text(text)).toBe(`${REDACTED} at https://h.example:8443/p and postgres://db/x`);
    expect(r.text(text)).toBe(redactText(text, ["abcd"]));
    expect(r.value({ message: text })).toEqual(redactValue({ message: text }, ["abcd"]));
  });

  it("writes one JSON line with the context fields, filtered by level", () => {
    const lines: string[] = [];
    const r = new Redactor();
    r.register("secret-value");
    const log = new JsonLogger({
      redactor: r,
      write: (l) => lines.push(l),
      level: "info",
      now: () => new Date(0),
    });
    const child = log.child({
      pipeline: "p",
      step: "s",
      sync_id: "id",
      execution_id: "e",
      sfn_execution: "x",
    });
    child.debug("hidden");
    child.info("hello secret-value", { url: "https://a/b?c=d" });
    expect(lines).toHaveLength(1);
    expect(JSON.parse(lines[0] as string)).toEqual({
      time: "1970-01-01T00:00:00.000Z",
      level: "info",
      message: "hello [redacted]",
      pipeline: "p",
      step: "s",
      sync_id: "id",
      execution_id: "e",
      sfn_execution: "x",
      url: "https://a/b",
    });
  });
});
