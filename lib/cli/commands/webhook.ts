/**
 * `webhook install|status|uninstall`: registers the stack's webhook receiver (its Function
 * URL) as the organization's webhook with `/api/webhooks`, shows it, or removes it.
 * An organization has one webhook (spec, `/api/webhooks`): `install` never takes it from
 * another endpoint without `--replace`, and `uninstall` never deletes another endpoint's.
 * Replacing updates the registration in place (PUT), so no event falls between a delete and
 * a create. Against the embedded simulator by default, like the other commands; `--live`
 * asks the real API. The secret is read from POLYTOMIC_WEBHOOK_SECRET and never printed.
 */
import { randomBytes, randomUUID } from "node:crypto";
import { redactUrl } from "../../../functions/polytomic/redact";
import type { Webhook } from "../../../functions/polytomic/types";
import { emptyScenario, ManualClock } from "../../../simulator";
import {
  CredentialError,
  commandSpec,
  flag,
  parseCommandArgs,
  stringValue,
  UsageError,
} from "../args";
import { SCENARIO_OPTION } from "../config";
import { helpRequested } from "../help";
import type { CliIO } from "../io";
import { targetError } from "../preflight";
import { type ApiTarget, chooseTarget, openTarget } from "../target";

const ACTIONS = ["install", "status", "uninstall"] as const;
type Action = (typeof ACTIONS)[number];

export const WEBHOOK = commandSpec({
  name: "webhook",
  usage: "webhook <install|status|uninstall> [options]",
  description:
    "Registers the stack's webhook receiver (the WebhookUrl output) as the organization's " +
    "Polytomic webhook, shows the registration, or removes it. An organization has one " +
    "webhook: install refuses to take it from another endpoint unless --replace is given, " +
    "and uninstall only removes a webhook pointing at --endpoint. Other consumers of the " +
    "events subscribe to the stack's EventBridge bus instead (docs/webhooks.md).",
  positionals: 1,
  options: [
    {
      name: "endpoint",
      type: "string",
      value: "URL",
      description: "the receiver's URL (the stack's WebhookUrl output); install and uninstall",
    },
    {
      name: "replace",
      type: "boolean",
      description: "install: point the organization's webhook here even if another endpoint has it",
    },
    {
      name: "live",
      type: "boolean",
      description: "ask the real Polytomic API (POLYTOMIC_API_KEY, POLYTOMIC_API_URL)",
    },
    { ...SCENARIO_OPTION, default: "an empty scenario" },
  ],
  environment: [
    ["POLYTOMIC_WEBHOOK_SECRET", "the secret install registers (the stack's webhook secret)"],
    ["POLYTOMIC_API_KEY", "the API key --live sends"],
    ["POLYTOMIC_API_URL", "the API --live asks (default https://app.polytomic.com)"],
  ],
  exitCodes:
    "0 done (status: a webhook points at --endpoint, or any when none is given), 1 status: " +
    "no webhook, or another endpoint's, 2 usage or credential error, or a webhook of another " +
    "endpoint that install (without --replace) or uninstall will not touch.",
});

/** @returns the exit code (see WEBHOOK.exitCodes) */
export async function webhookCommand(args: readonly string[], io: CliIO): Promise<number> {
  const parsed = parseCommandArgs(WEBHOOK, args);
  if (helpRequested(WEBHOOK, parsed, io)) return 0;
  const action = parseAction(parsed.positionals[0]);
  const choice = chooseTarget("webhook", flag(parsed, "live"), {
    scenario: stringValue(parsed, "scenario"),
  });
  const endpoint = parseEndpoint(stringValue(parsed, "endpoint"), action, choice.live);
  const secret = action === "install" ? webhookSecret(io, choice.live) : "";
  const target = await openTarget(choice, io, {
    command: "webhook",
    clock: new ManualClock(Date.now()),
    fallback: { scenario: emptyScenario, name: "empty" },
  });
  try {
    const hooks = await call(target, () => target.client.listWebhooks());
    const run = { target, hooks, endpoint, io };
    if (action === "status") return status(run);
    if (action === "uninstall") return await uninstall(run);
    return await install(run, secret, flag(parsed, "replace"));
  } finally {
    await target.close();
  }
}

function parseAction(text: string | undefined): Action {
  if ((ACTIONS as readonly (string | undefined)[]).includes(text)) return text as Action;
  const got = text === undefined ? "nothing" : `"${text}"`;
  throw new UsageError(`webhook: expected install, status or uninstall, got ${got}`);
}

/** `--endpoint`: required by install and uninstall; https against the real API. */
function parseEndpoint(text: string | undefined, action: Action, live: boolean) {
  if (text === undefined) {
    if (action === "status") return undefined;
    throw new UsageError(`webhook ${action}: --endpoint URL is required (the WebhookUrl output)`);
  }
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`webhook: --endpoint is not a URL: "${text}"`);
  }
  const allowed = live ? ["https:"] : ["https:", "http:"];
  if (!allowed.includes(url.protocol)) {
    throw new UsageError(`webhook: --endpoint must be an ${live ? "https" : "http(s)"} URL`);
  }
  return text.trim();
}

function webhookSecret(io: CliIO, live: boolean): string {
  const secret = io.env.POLYTOMIC_WEBHOOK_SECRET?.trim();
  if (secret) return secret;
  if (!live) return randomBytes(24).toString("hex");
  throw new CredentialError(
    "webhook install --live: set POLYTOMIC_WEBHOOK_SECRET to the stack's webhook secret " +
      "(the WebhookSecretArn output; docs/webhooks.md says how to read it)",
  );
}

interface Run {
  target: ApiTarget;
  hooks: Webhook[];
  endpoint: string | undefined;
  io: CliIO;
}

const same = (a: string | undefined, b: string | undefined) =>
  a !== undefined && b !== undefined && a.replace(/\/+$/, "") === b.replace(/\/+$/, "");

/** An endpoint as printed: scheme, host and path (another consumer's query may hold a token). */
const shown = (endpoint: string | undefined) =>
  endpoint === undefined ? "(no endpoint)" : redactUrl(endpoint);

/** One line about a registration, never its secret. */
function describe(hook: Webhook): string {
  const state = hook.disabled ? "disabled" : "enabled";
  return `webhook ${hook.id ?? "(no id)"} -> ${shown(hook.endpoint)} (${state})`;
}

function status({ hooks, endpoint, io, target }: Run): number {
  const [hook] = hooks;
  if (hook === undefined) {
    io.stdout.write(`no webhook is registered with ${target.description}\n`);
    return 1;
  }
  const ours = endpoint === undefined || same(hook.endpoint, endpoint);
  const whose = endpoint === undefined ? "" : ours ? " (this endpoint)" : " (another endpoint)";
  io.stdout.write(`${describe(hook)}${whose}\n`);
  return ours ? 0 : 1;
}

async function install({ hooks, endpoint, io, target }: Run, secret: string, replace: boolean) {
  const body = { endpoint: endpoint ?? "", secret };
  const [hook] = hooks;
  if (hook === undefined) {
    const key = `webhook-install-${randomUUID()}`;
    const created = await call(target, () =>
      target.client.createWebhook(body, { idempotencyKey: key }),
    );
    io.stdout.write(`registered ${describe(created)}\n`);
    return 0;
  }
  if (!same(hook.endpoint, endpoint) && !replace) {
    throw new UsageError(
      `webhook install: the organization's one webhook points at ${shown(hook.endpoint)}, another ` +
        "endpoint; taking it would stop that consumer's events. Have it subscribe to the " +
        "stack's EventBridge bus (docs/webhooks.md), then run again with --replace.",
    );
  }
  const updated = await call(target, () => target.client.updateWebhook(hook.id ?? "", body));
  const verb = same(hook.endpoint, endpoint) ? "updated" : `replaced ${shown(hook.endpoint)} with`;
  io.stdout.write(`${verb} ${describe(updated)}\n`);
  return 0;
}

async function uninstall({ hooks, endpoint, io, target }: Run) {
  const [hook] = hooks;
  if (hook === undefined) {
    io.stdout.write("no webhook is registered: nothing to uninstall\n");
    return 0;
  }
  if (!same(hook.endpoint, endpoint)) {
    throw new UsageError(
      `webhook uninstall: the organization's webhook points at ${shown(hook.endpoint)}, not ${shown(endpoint)}; left as it is`,
    );
  }
  await call(target, () => target.client.deleteWebhook(hook.id ?? ""));
  io.stdout.write(`deleted ${describe(hook)}\n`);
  return 0;
}

/** A call whose failure is read as the person running the command should read it. */
async function call<T>(target: ApiTarget, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    throw targetError(err, target);
  }
}
