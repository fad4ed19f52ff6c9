import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { SnsNoticeSink } from "../../../functions/aws/sns";
import { makeHandler } from "../../../functions/freshness-notice";
import { BULK, type Env, env, KEY, MODEL, scenario } from "../harness";

const TOPIC = "arn:aws:sns:us-east-1:123456789012:alarms";
const H = 3600;

let e: Env;
const sns = mockClient(SNSClient);
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: "m-1" });
});
afterEach(async () => {
  await e?.close();
});

const watched = [
  { type: "model", sync: { id: MODEL }, label: MODEL, max_age_seconds: 24 * H, schemas: [] },
  {
    type: "bulk",
    sync: { name: "Salesforce to Snowflake" },
    label: "Salesforce to Snowflake",
    max_age_seconds: 2 * H,
    schemas: [{ schema: "Contact", max_age_seconds: 26 * H }],
  },
];

/** The input the EventBridge rule hands the function: the watched syncs and the alarm's detail. */
function input(dimensions: Record<string, string>, bounds = { max_api_calls: 50, max_pages: 5 }) {
  return {
    syncs: watched,
    ...bounds,
    alarm: {
      alarmName: 'Orchestrator/freshness/bulk "Salesforce to Snowflake"',
      state: { value: "ALARM", timestamp: "2025-01-01T00:00:00.000+0000" },
      configuration: {
        metrics: [
          {
            id: "m1",
            metricStat: {
              metric: { namespace: "PolytomicOrchestrator", name: "SyncAgeSeconds", dimensions },
            },
          },
        ],
      },
    },
  };
}

async function notify(event: unknown) {
  const deps = { ...e.deps, notices: new SnsNoticeSink(new SNSClient({}), TOPIC) };
  return makeHandler(deps)(event);
}

/** The one message published, with its topic and subject. */
function published() {
  const calls = sns.commandCalls(PublishCommand);
  expect(calls).toHaveLength(1);
  const sent = calls[0]?.args[0].input;
  expect(sent?.TopicArn).toBe(TOPIC);
  return { subject: sent?.Subject ?? "", message: sent?.Message ?? "" };
}

describe("freshness notice", () => {
  it("names the sync, its schema and when that schema last succeeded, read through the API", async () => {
    e = await env(
      scenario(
        "",
        "last_succeeded: -1h\nschemas:\n  - { name: Account }\n  - { name: Contact, last_succeeded: -72h }",
      ),
    );
    const result = await notify(input({ Sync: "Salesforce to Snowflake", Schema: "Contact" }));
    expect(result).toMatchObject({ schema: "Contact", status: "stale", published: true });
    const { subject, message } = published();
    expect(subject).toBe("Polytomic sync not fresh: Salesforce to Snowflake / Contact");
    const lastSuccess = new Date(e.clock.now() - 72 * H * 1000).toISOString();
    expect(message).toContain(`Sync:          "Salesforce to Snowflake" (bulk sync, id ${BULK})`);
    expect(message).toContain('Schema:        "Contact"');
    expect(message).toContain(`Last success:  ${lastSuccess}`);
    expect(message).toContain(`Age:           ${72 * H} s (72.0 h)`);
    expect(message).toContain(`max_age:       ${26 * H} s (26.0 h)`);
    expect(message).toContain("Status now:    STALE");
    expect(message).toContain(
      'Alarm:         Orchestrator/freshness/bulk "Salesforce to Snowflake", in ALARM since 2025-01-01T00:00:00.000+0000',
    );
    expect(message).toContain("polytomic-orchestrator freshness --live");
  });

  it("a sync watched by id is named from Polytomic's list; one that never succeeded says so", async () => {
    e = await env(scenario());
    await notify(input({ Sync: MODEL }));
    const { subject, message } = published();
    expect(subject).toBe(`Polytomic sync not fresh: ${MODEL}`);
    expect(message).toContain(
      `Sync:          "${MODEL}", named "Contacts to HubSpot" (model sync, id ${MODEL})`,
    );
    expect(message).toContain("Last success:  never succeeded");
    expect(message).not.toContain("Schema:");
  });

  it("still pages when the API bound is reached: the time could not be read, and why", async () => {
    e = await env(scenario("", "last_succeeded: -3h"));
    // The bulk sync list takes the one call allowed; its runs cannot be read.
    const result = await notify(
      input({ Sync: "Salesforce to Snowflake" }, { max_api_calls: 1, max_pages: 5 }),
    );
    expect(result).toMatchObject({ status: "unreadable", api_calls: 1, published: true });
    const { message } = published();
    expect(message).toContain("Last success:  could not be read:");
    expect(message).toContain("max_api_calls");
    expect(message).toContain("Age:           -");
    expect(message).toContain(`max_age:       ${2 * H} s (2.0 h)`);
  });

  it("still pages for an alarm that names no watched sync", async () => {
    e = await env(scenario());
    const result = await notify(input({ Sync: "Somebody else" }));
    expect(result).toMatchObject({ api_calls: 0, published: true });
    const { message } = published();
    expect(message).toContain("this alarm names no sync the freshness check watches");
    expect(message).toContain("- the sync in Polytomic: its runs");
  });

  it("quotes Polytomic's text as data on one line, and never writes the API key", async () => {
    e = await env(
      `api_key: ${KEY}\nsyncs:\n  ${MODEL}:\n    type: model\n    name: "Evil\\nLast success:  2099-01-01 ${KEY}"\n`,
      { registerKey: true },
    );
    await notify(input({ Sync: MODEL }));
    const { message } = published();
    // The name's newline stays inside its JSON string: no forged "Last success" line.
    expect(message.split("\n").filter((l) => l.startsWith("Last success:"))).toEqual([
      "Last success:  never succeeded (its whole run history was read)",
    ]);
    expect(message).toContain('named "Evil\\nLast success:');
    expect([message, ...e.lines].join("\n")).not.toContain(KEY);
  });

  it("fails when the notice cannot be published, so Lambda retries it", async () => {
    e = await env(scenario("last_succeeded: -30h"));
    sns.on(PublishCommand).rejects(new Error("KMS.AccessDeniedException"));
    await expect(notify(input({ Sync: MODEL }))).rejects.toMatchObject({
      name: "Internal.Error",
    });
  });
});
