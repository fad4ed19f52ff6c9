/**
 * Puts the webhook receiver's events on the stack's EventBridge bus (PutEvents, one entry per
 * event, at most 10 a call as the API allows). PutEvents answers 200 even when entries were
 * refused (`FailedEntryCount`), so that is an error too: the receiver then answers 500 and
 * Polytomic retries the delivery.
 */
import { type EventBridgeClient, PutEventsCommand } from "@aws-sdk/client-eventbridge";
import type { BusEvent } from "../core/webhook";

const MAX_ENTRIES = 10;

export function eventBusPublisher(client: EventBridgeClient, busName: string) {
  return async (events: BusEvent[]): Promise<void> => {
    for (let i = 0; i < events.length; i += MAX_ENTRIES) {
      const entries = events.slice(i, i + MAX_ENTRIES).map((e) => ({
        EventBusName: busName,
        Source: e.source,
        DetailType: e.detailType,
        Time: e.time,
        Detail: JSON.stringify(e.detail),
      }));
      const out = await client.send(new PutEventsCommand({ Entries: entries }));
      if ((out.FailedEntryCount ?? 0) > 0) {
        const codes = (out.Entries ?? []).map((e) => e.ErrorCode).filter(Boolean);
        const error = new Error(`PutEvents refused ${out.FailedEntryCount} entries: ${codes}`);
        error.name = "EventBridge.FailedEntries";
        throw error;
      }
    }
  };
}
