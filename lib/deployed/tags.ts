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
/**
 * The bucket the run-sync machine exports the runs' logs to (lib/constructs/logs-bucket.ts):
 * a deployed report links each exported log to its S3 console page.
 */
export const LOGS_BUCKET_TAG = "polytomic-orchestrator:logs-bucket";
