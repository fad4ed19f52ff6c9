/**
 * NoticeSink on SNS: one Publish to the deployment's alarm topic (FRESHNESS_NOTICE_TOPIC_ENV).
 * The SDK's standard retries (3 attempts) cover throttling and transient faults; a publish
 * that still fails is thrown, so Lambda retries the invocation.
 */
import { PublishCommand, SNSClient } from "@aws-sdk/client-sns";
import { FRESHNESS_NOTICE_TOPIC_ENV } from "../core/freshness-metrics";
import type { Notice, NoticeSink } from "../core/ports";
import type { AdapterContext } from "./aws-deps";
import { requireEnv } from "./env";

export class SnsNoticeSink implements NoticeSink {
  constructor(
    private readonly client: SNSClient,
    private readonly topicArn: string,
  ) {}

  async publish(notice: Notice): Promise<void> {
    await this.client.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Subject: notice.subject,
        Message: notice.message,
      }),
    );
  }
}

/** The SNS sink of the topic the environment names. */
export function snsNoticesFromEnv(
  ctx: AdapterContext,
  client: SNSClient = new SNSClient({}),
): NoticeSink {
  return new SnsNoticeSink(client, requireEnv(ctx.env, FRESHNESS_NOTICE_TOPIC_ENV));
}
