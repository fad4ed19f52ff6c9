import aslValidator from "asl-validator";
import { CloudFormationValidatePlugin } from "aws-cdk-lib";
import { describe, expect, it, vi } from "vitest";
import { allStates } from "../../../lib/asl/definition";
import { synthesizeDefinitions } from "../../../lib/constructs/definitions";
import { PIPELINE_STATES } from "../../../lib/constructs/pipeline-state-machine";
import { RUN_SYNC_TASK_FUNCTIONS } from "../../../lib/constructs/run-sync-state-machine";
import { sampleConfig } from "../../fixtures/cdk/config";
import { FIXTURE_FUNCTIONS_DIR } from "../helpers";

describe("synthesizeDefinitions", () => {
  const defs = synthesizeDefinitions(sampleConfig(), { functionsDir: FIXTURE_FUNCTIONS_DIR });

  it("returns valid, token-free definitions for run-sync and every pipeline", () => {
    expect(Object.keys(defs.pipelines).sort()).toEqual(["manual", "nightly"]);
    for (const definition of [defs.runSync, ...Object.values(defs.pipelines)]) {
      expect(JSON.stringify(definition)).not.toMatch(/\$\{Token|Fn::|"Ref"/);
      expect(aslValidator(definition).errorsText("\n")).toBe("");
    }
  });

  it("maps each run-sync task state to the function it invokes", () => {
    expect(defs.taskFunctions).toEqual(RUN_SYNC_TASK_FUNCTIONS);
  });

  it("points pipeline child tasks at the run-sync machine", () => {
    const run = Object.fromEntries(allStates(defs.pipelines.manual ?? { StartAt: "", States: {} }))[
      PIPELINE_STATES.run("one")
    ];
    expect(run?.Parameters?.StateMachineArn).toBe(defs.runSyncArn);
  });

  it("skips aws-cdk-lib's built-in CloudFormation validation, which the local runner does not need", () => {
    const validate = vi.spyOn(CloudFormationValidatePlugin.prototype, "validate");
    try {
      synthesizeDefinitions(sampleConfig(), { functionsDir: FIXTURE_FUNCTIONS_DIR });
      expect(validate).not.toHaveBeenCalled();
    } finally {
      validate.mockRestore();
    }
  });
});
