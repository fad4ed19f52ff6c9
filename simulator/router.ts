/**
 * The simulator's routing table: the spec's path templates in routes.ts compiled to regular
 * expressions, most literal segments first, so `/api/syncs/{id}/executions` wins over
 * `/api/syncs/{id}/{other}`-like templates.
 */
import { ORGANIZATION_ROUTES } from "./organization-routes";
import { ROUTES, type Route } from "./routes";
import { WEBHOOK_ROUTES } from "./webhook-routes";

interface CompiledRoute {
  route: Route;
  regex: RegExp;
  names: string[];
  literals: number;
}

/** A request's route and its decoded path parameters; or why there is none (404 or 405). */
export type RouteMatch =
  | { route: Route; params: Record<string, string> }
  | { route: undefined; pathKnown: boolean };

function compileRoute(route: Route): CompiledRoute {
  const names: string[] = [];
  const segments = route.template.split("/").slice(1);
  const pattern = segments
    .map((seg) => {
      const m = /^\{(\w+)\}$/.exec(seg);
      if (m?.[1]) {
        names.push(m[1]);
        return "([^/]+)";
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    })
    .join("/");
  return {
    route,
    regex: new RegExp(`^/${pattern}/?$`),
    names,
    literals: segments.filter((s) => !s.startsWith("{")).length,
  };
}

export class Router {
  private readonly routes = [...ROUTES, ...WEBHOOK_ROUTES, ...ORGANIZATION_ROUTES]
    .map(compileRoute)
    .sort((a, b) => b.literals - a.literals);

  /** The route for `method` on `pathname`; `pathKnown` tells 405 from 404 when none. */
  match(method: string, pathname: string): RouteMatch {
    let pathKnown = false;
    for (const compiled of this.routes) {
      const m = compiled.regex.exec(pathname);
      if (!m) continue;
      pathKnown = true;
      if (compiled.route.method !== method) continue;
      const params: Record<string, string> = {};
      compiled.names.forEach((name, i) => {
        params[name] = decodeURIComponent(m[i + 1] ?? "");
      });
      return { route: compiled.route, params };
    }
    return { route: undefined, pathKnown };
  }
}
