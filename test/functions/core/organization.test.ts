import { describe, expect, it } from "vitest";
import { MAX_ERROR_MESSAGE, POLYTOMIC_TEXT_MARKER } from "../../../functions/core/failure-text";
import { namingOrganization } from "../../../functions/core/organization";

const ORG = "7c1e0000-0000-4000-8000-0000000000a0";
const scope = { organization_id: ORG, organization_name: "Acme" };

describe("namingOrganization", () => {
  it("appends the organization to our message, once; nothing outside a fan-out", () => {
    const named = namingOrganization('no bulk sync is named "X"', scope);
    expect(named).toBe(`no bulk sync is named "X" in organization Acme (${ORG})`);
    expect(namingOrganization(named, scope)).toBe(named);
    expect(namingOrganization("m", { organization_id: ORG })).toBe(`m in organization ${ORG}`);
    expect(namingOrganization("m", {})).toBe("m");
  });

  it("keeps Polytomic's text last and the whole within MAX_ERROR_MESSAGE, the organization kept", () => {
    const theirs = `${POLYTOMIC_TEXT_MARKER}${"x".repeat(1000)}`;
    const named = namingOrganization(`run failed${theirs}`, scope);
    expect(
      named.startsWith(`run failed in organization Acme (${ORG})${POLYTOMIC_TEXT_MARKER}`),
    ).toBe(true);
    const long = namingOrganization("y".repeat(MAX_ERROR_MESSAGE), scope);
    expect(Array.from(long).length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
    expect(long.endsWith(` in organization Acme (${ORG})`)).toBe(true);
    const both = namingOrganization(`${"z".repeat(900)}${theirs}`, scope);
    expect(Array.from(both).length).toBeLessThanOrEqual(MAX_ERROR_MESSAGE);
    expect(both).toContain(`in organization Acme (${ORG})${POLYTOMIC_TEXT_MARKER}`);
  });
});
