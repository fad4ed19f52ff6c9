/**
 * `/api/webhooks`: the organization's one webhook (spec: list, create, get, update, delete,
 * disable, enable). The registry lives in the simulator's state (simulator/webhooks.ts); a
 * second create while one exists is a 422 `webhook_exists` (the spec lists 422 for create; the
 * body is the simulator's choice), so a caller replaces a webhook by updating it.
 */
import {
  apiError,
  callerOrganization,
  ok,
  type Route,
  type RouteContext,
  type RouteResult,
} from "./routes";
import type { WebhookRecord } from "./webhooks";

function view(hook: WebhookRecord) {
  return { ...hook };
}

/** The webhook the path names, or the 404 for another id. */
function named(ctx: RouteContext): WebhookRecord | RouteResult {
  const hook = ctx.state.webhooks.get();
  const id = (ctx.params.id ?? "").toLowerCase();
  if (!hook || hook.id !== id) return apiError(404, "not_found", `webhook ${id} not found`);
  return hook;
}

const isHook = (x: WebhookRecord | RouteResult): x is WebhookRecord => "endpoint" in x;

function fields(ctx: RouteContext): { endpoint: string; secret: string } | RouteResult {
  const body = ctx.body as { endpoint?: unknown; secret?: unknown } | undefined;
  const endpoint = typeof body?.endpoint === "string" ? body.endpoint.trim() : "";
  const secret = typeof body?.secret === "string" ? body.secret : "";
  if (!/^https?:\/\/\S+$/.test(endpoint)) {
    return apiError(422, "invalid_endpoint", "endpoint: must be an http(s) URL");
  }
  if (secret === "") return apiError(422, "invalid_secret", "secret: must not be empty");
  return { endpoint, secret };
}

function withHook(ctx: RouteContext, change: (hook: WebhookRecord) => void): RouteResult {
  const hook = named(ctx);
  if (!isHook(hook)) return hook;
  change(hook);
  return ok({ data: view(hook) });
}

/**
 * The simulator keeps one webhook, the default organization's (docs/simulator.md): another
 * organization's caller gets 403 rather than another organization's registration.
 */
function ownerOnly(route: Route): Route {
  return {
    ...route,
    handle: (ctx) =>
      callerOrganization(ctx) === ctx.state.organizations.ownerId
        ? route.handle(ctx)
        : apiError(
            403,
            "forbidden",
            "the simulator models the default organization's webhook only",
          ),
  };
}

const ROUTES: Route[] = [
  {
    method: "GET",
    template: "/api/webhooks",
    endpoint: "webhooks",
    handle(ctx) {
      const hook = ctx.state.webhooks.get();
      return ok({ data: hook ? [view(hook)] : [] });
    },
  },
  {
    method: "POST",
    template: "/api/webhooks",
    endpoint: "webhooks",
    handle(ctx) {
      if (ctx.state.webhooks.get()) {
        return apiError(422, "webhook_exists", "the organization already has a webhook");
      }
      const f = fields(ctx);
      if ("status" in f) return f;
      return ok({ data: view(ctx.state.webhooks.create(f.endpoint, f.secret, ctx.now)) });
    },
  },
  {
    method: "GET",
    template: "/api/webhooks/{id}",
    endpoint: "webhooks",
    handle: (ctx) => withHook(ctx, () => {}),
  },
  {
    method: "PUT",
    template: "/api/webhooks/{id}",
    endpoint: "webhooks",
    handle(ctx) {
      const f = fields(ctx);
      if ("status" in f) return f;
      return withHook(ctx, (hook) => {
        hook.endpoint = f.endpoint;
        hook.secret = f.secret;
      });
    },
  },
  {
    method: "DELETE",
    template: "/api/webhooks/{id}",
    endpoint: "webhooks",
    handle(ctx) {
      const hook = named(ctx);
      if (!isHook(hook)) return hook;
      ctx.state.webhooks.delete();
      return { status: 200, body: undefined };
    },
  },
  {
    method: "POST",
    template: "/api/webhooks/{id}/disable",
    endpoint: "webhooks",
    handle: (ctx) =>
      withHook(ctx, (hook) => {
        hook.disabled = true;
      }),
  },
  {
    method: "POST",
    template: "/api/webhooks/{id}/enable",
    endpoint: "webhooks",
    handle: (ctx) =>
      withHook(ctx, (hook) => {
        hook.disabled = false;
      }),
  },
];

export const WEBHOOK_ROUTES: Route[] = ROUTES.map(ownerOnly);
