/**
 * Whether a step's run-sync execution could reach Step Functions' 25,000-event history
 * limit: past it the execution FAILS without running its Catch (Step Functions quotas),
 * so its cleanup would not run. Most of a long step's events are its status checks; the
 * waits between them come from the step's `poll` settings (nextPollSeconds, the same
 * function check-status uses), at worst without any run history.
 */
import { nextPollSeconds, pollBucket, retriesWhileRunning } from "../../functions/core/polling";
import type { PipelinesConfig, StepConfig } from "./model";

/** Events of one check cycle: the check Task (5), the "Run finished?" Choice (2), the Wait (2). */
export const EVENTS_PER_CHECK = 9;
/**
 * Events of one check in the retry loop (webhooks off, `adaptive`: functions/core/polling.ts):
 * a retry of the check Task re-invokes its function within the same state, which adds
 * LambdaFunctionScheduled, LambdaFunctionStarted and LambdaFunctionFailed (TaskScheduled,
 * TaskStarted, TaskFailed for an optimized integration) and no TaskStateEntered/Exited, Choice
 * or Wait events (HistoryEvent types, Step Functions API reference; bench/history-events.ts
 * EVENTS_PER_RETRY). As recorded against AWS in localstack/localstack's validated snapshot
 * tests/aws/services/stepfunctions/v2/scenarios/test_base_scenarios.snapshot.json
 * (test_lambda_invoke_with_retry_base): TaskStateEntered, then LambdaFunctionScheduled,
 * LambdaFunctionStarted, LambdaFunctionFailed once per attempt, then TaskStateExited.
 */
export const EVENTS_PER_RETRIED_CHECK = 3;
/**
 * The same with webhooks, where a token wait replaces the Wait: TaskStateEntered,
 * TaskScheduled, TaskStarted, TaskSubmitted, TaskSucceeded or TaskTimedOut, TaskStateExited
 * (HistoryEvent types, Step Functions API reference) instead of the Wait's 2: 13. When
 * register-wait fails the cycle is the failed Task (up to 5) and then the Wait (2): 14, the
 * worst case counted. The token wait's timeout (`eventWaitSeconds`) is never shorter than
 * the Wait's `nextPollSeconds`, so counting cycles with the latter stays an upper bound for
 * waits that time out. Only a run-end event ends one sooner: a true one ends the loop, and a
 * false one (forged, or put on the bus) costs a cycle the count does not bound. The first
 * token wait of a trusted step (after a check that reads nothing: the cycle's events without
 * a status call) comes once a step: it is in the 5,000 events left beside
 * CHECK_EVENT_BUDGET, not in the cycles.
 */
export const EVENTS_PER_CHECK_WITH_TOKEN_WAIT = 14;
/**
 * At most this many events for the checks, leaving 5,000 of the 25,000 for starting
 * (including `on_conflict: wait`), Task retries, the cancel, log export and metrics.
 */
export const CHECK_EVENT_BUDGET = 20_000;

/**
 * The events a check of `step` adds without webhooks: the retry loop's for `adaptive`, the
 * Wait loop's for `fixed` and `backoff`.
 */
export function eventsPerCheckOf(step: Pick<StepConfig, "poll">): number {
  return retriesWhileRunning("retry", step.poll) ? EVENTS_PER_RETRIED_CHECK : EVENTS_PER_CHECK;
}

/**
 * Status checks a step makes at most before its timeout (stops counting past the budget).
 * Without an `eventsPerCheck` (a stack without webhooks), an `adaptive` step's waits are the
 * retry loop's, rounded down to its intervals (more checks than the unrounded waits).
 */
export function worstCaseChecks(
  step: Pick<StepConfig, "poll" | "timeout_seconds">,
  eventsPerCheck?: number,
): number {
  const events = eventsPerCheck ?? eventsPerCheckOf(step);
  const retried = eventsPerCheck === undefined && events === EVENTS_PER_RETRIED_CHECK;
  const limit = Math.ceil(CHECK_EVENT_BUDGET / events) + 1;
  let elapsed = 0;
  let polls = 0;
  while (elapsed < step.timeout_seconds && polls < limit) {
    polls += 1;
    const wait = nextPollSeconds(step.poll, { elapsedSeconds: elapsed, polls });
    elapsed += retried ? pollBucket(wait) : wait;
  }
  return polls + 1;
}

/** One problem per step whose checks alone could take its execution near the limit. */
export function historyProblems(
  config: Pick<PipelinesConfig, "pipelines">,
  /** @default - per step, as a stack without webhooks checks it (eventsPerCheckOf) */
  perCheck?: number,
): Array<{ pipeline: string; step: string; message: string }> {
  const problems: Array<{ pipeline: string; step: string; message: string }> = [];
  for (const pipeline of config.pipelines) {
    for (const step of pipeline.steps) {
      const eventsPerCheck = perCheck ?? eventsPerCheckOf(step);
      const checks = worstCaseChecks(step, perCheck);
      if (checks * eventsPerCheck <= CHECK_EVENT_BUDGET) continue;
      problems.push({
        pipeline: pipeline.name,
        step: step.id,
        message: `polling ${step.poll.strategy} from every ${step.poll.min_seconds}s for up to ${step.timeout_seconds}s could make over ${Math.floor(CHECK_EVENT_BUDGET / eventsPerCheck)} status checks (${eventsPerCheck} history events each): the step's execution could reach Step Functions' 25,000-event history limit, past which it fails without cleaning up. Raise poll.min, use strategy adaptive or backoff, or shorten the step's timeout`,
      });
    }
  }
  return problems;
}
