import { describe, expect, it } from "vitest";
import { type AslDefinition, allStates } from "../../../lib/asl/definition";

describe("allStates", () => {
  it("lists every state by name, in Parallel branches and Map iterators too", () => {
    const definition: AslDefinition = {
      StartAt: "Fan",
      States: {
        Fan: {
          Type: "Parallel",
          Branches: [{ StartAt: "A", States: { A: { Type: "Pass", End: true } } }],
          Next: "Each",
        },
        Each: {
          Type: "Map",
          ItemProcessor: {
            StartAt: "B",
            States: {
              B: {
                Type: "Parallel",
                Branches: [{ StartAt: "C", States: { C: { Type: "Succeed" } } }],
                End: true,
              },
            },
          },
          Next: "Legacy",
        },
        Legacy: {
          Type: "Map",
          Iterator: { StartAt: "D", States: { D: { Type: "Pass", End: true } } },
          End: true,
        },
      },
    };
    expect(allStates(definition).map(([name]) => name)).toEqual([
      "Fan",
      "A",
      "Each",
      "B",
      "C",
      "Legacy",
      "D",
    ]);
  });
});
