/**
 * register-wait: invoked by the run-sync machine's token wait (`lambda:invoke.waitForTaskToken`)
 * with `{execution_id, waiter, token, wait_seconds}`; stores the token under the Polytomic
 * execution id for wake (functions/core/event-wait.ts). Never logs the token.
 *
 * Environment: WAITS_BUCKET (the waits' bucket).
 */
import { S3Client } from "@aws-sdk/client-s3";
import { type Env, requireEnv } from "../aws/env";
import { S3WaitStore } from "../aws/event-wait";
import { type RegisterWaitDeps, registerWait } from "../core/event-wait";

export function registerWaitDepsFromEnv(env: Env, s3: S3Client): RegisterWaitDeps {
  return {
    store: new S3WaitStore(s3, requireEnv(env, "WAITS_BUCKET")),
    clock: { now: () => Date.now() },
  };
}

export function makeHandler(deps: RegisterWaitDeps) {
  return (input: unknown) => registerWait(input, deps);
}

let built: ReturnType<typeof makeHandler> | undefined;

/** The Lambda entry point (deps built on the first invocation, reused after). */
export const handler = (input: unknown) => {
  built ??= makeHandler(registerWaitDepsFromEnv(process.env, new S3Client({})));
  return built(input);
};
