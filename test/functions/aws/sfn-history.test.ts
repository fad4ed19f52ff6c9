import { GetExecutionHistoryCommand, type HistoryEvent, SFNClient } from "@aws-sdk/client-sfn";
import { mockClient } from "aws-sdk-client-mock";
import { afterEach, describe, expect, it } from "vitest";
import { readHistory, startedExecutionArn } from "../../../functions/aws/sfn-history";

const sfn = mockClient(SFNClient);
afterEach(() => sfn.reset());

const ARN = "arn:aws:states:us-east-1:123456789012:execution:Pipeline:night-1";
const CHILD = "arn:aws:states:us-east-1:123456789012:execution:RunSync:load-abc";

const events = (from: number, count: number): HistoryEvent[] =>
  Array.from({ length: count }, (_, i) => ({
    id: from + i,
    timestamp: new Date(0),
    type: "PassStateEntered",
  }));

/** A history of `pages` pages of `size` events, each page but the last naming the next. */
function pagedHistory(pages: number, size: number): void {
  for (let p = 0; p < pages; p++) {
    sfn
      .on(GetExecutionHistoryCommand, {
        executionArn: ARN,
        nextToken: p === 0 ? undefined : `page-${p}`,
      })
      .resolves({
        events: events(p * size + 1, size),
        ...(p + 1 < pages ? { nextToken: `page-${p + 1}` } : {}),
      });
  }
}

const inputs = () => sfn.commandCalls(GetExecutionHistoryCommand).map((c) => c.args[0].input);

describe("readHistory", () => {
  it("follows nextToken to the last page, 1000 events a page, with execution data", async () => {
    pagedHistory(3, 2);
    const read = await readHistory(new SFNClient({}), ARN);
    expect(read.complete).toBe(true);
    expect(read.events.map((e) => e.id)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(inputs()).toEqual([
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true },
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true, nextToken: "page-1" },
      { executionArn: ARN, maxResults: 1000, includeExecutionData: true, nextToken: "page-2" },
    ]);
  });

  it("stops asking once maxEvents are read, keeps the last page whole and says it is not complete", async () => {
    pagedHistory(4, 2);
    const read = await readHistory(new SFNClient({}), ARN, { maxEvents: 3 });
    expect(read.complete).toBe(false);
    expect(read.events.map((e) => e.id)).toEqual([1, 2, 3, 4]);
    expect(inputs()).toHaveLength(2);
  });

  it("a bound the history does not reach reads it all", async () => {
    pagedHistory(2, 2);
    const read = await readHistory(new SFNClient({}), ARN, { maxEvents: 4 });
    expect(read).toMatchObject({ complete: true });
    expect(read.events).toHaveLength(4);
  });

  it("an empty page without events ends the read", async () => {
    sfn.on(GetExecutionHistoryCommand).resolves({});
    expect(await readHistory(new SFNClient({}), ARN)).toEqual({ events: [], complete: true });
  });

  it("passes the SDK's error on unchanged (each caller maps it)", async () => {
    const missing = Object.assign(new Error("no such execution"), {
      name: "ExecutionDoesNotExist",
    });
    sfn.on(GetExecutionHistoryCommand).rejects(missing);
    await expect(readHistory(new SFNClient({}), ARN)).rejects.toMatchObject({
      name: "ExecutionDoesNotExist",
    });
  });
});

describe("startedExecutionArn", () => {
  it("reads ExecutionArn from StartExecution's output", () => {
    expect(startedExecutionArn(JSON.stringify({ ExecutionArn: CHILD, StartDate: 1 }))).toBe(CHILD);
  });

  it("is undefined for no text, text that is not JSON, JSON null, or no string ExecutionArn", () => {
    for (const text of [undefined, "", "{cut", "null", "5", '{"ExecutionArn":7}', "{}"]) {
      expect(startedExecutionArn(text)).toBeUndefined();
    }
  });
});
