import { describe, expect, it } from "vitest";
import { benchFanOut, formatFanOut } from "../../bench/fan-out";

describe("bench/fan-out.ts: 20 steps across 500 organizations", () => {
  it("stays within the definition, history and payload quotas, measured and worst case", async () => {
    const report = await benchFanOut();
    expect(report.organizations).toBe(500);
    for (const bytes of [report.fan_out_definition_bytes, report.organization_definition_bytes]) {
      expect(bytes).toBeLessThan(report.definition_quota_bytes);
    }
    const measured = [
      report.measured_half_failed,
      report.measured_all_failed,
      report.measured_all_adopted,
    ];
    for (const events of [
      report.worst_case.history_events,
      ...measured.map((m) => m.history_events),
    ]) {
      expect(events).toBeLessThan(report.history_quota);
    }
    for (const bytes of [
      report.worst_case.payload_bytes,
      ...measured.map((m) => m.largest_payload_bytes),
    ]) {
      expect(bytes).toBeLessThan(report.payload_quota);
    }
    // The synth-time estimate bounds what the engine measured.
    for (const m of measured) {
      expect(m.history_events).toBeLessThanOrEqual(report.worst_case.history_events);
      expect(m.largest_payload_bytes).toBeLessThanOrEqual(report.worst_case.payload_bytes);
    }
    expect(formatFanOut(report)[0]).toContain("500 organizations");
  }, 120_000);
});
