/**
 * The tags the stack puts on each pipeline's state machine, so the command line finds a
 * deployed pipeline from its stack's name and the pipeline's (states:ListStateMachines
 * and states:ListTagsForResource; no CloudFormation access needed). Shared by the CDK
 * stack (lib/stack.ts) and the readers (lib/deployed/stack.ts).
 */
export const STACK_TAG = "polytomic-orchestrator:stack";
export const PIPELINE_TAG = "polytomic-orchestrator:pipeline";
/** The stack's name when neither `--stack` nor the CDK context names one (bin/app.ts). */
export const DEFAULT_STACK_NAME = "PolytomicOrchestrator";
