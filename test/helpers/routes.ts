import type { Express } from "express";

/** One route the app registers: its method, its full path, and the guards declared on it. */
export interface RegisteredRoute {
  method: string;
  path: string;
  /** The `access` marks of the guards in front of it (core/guards.ts): "user", "sudo", ... */
  guards: string[];
}

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean>; stack: Layer[] };
  handle: { stack?: Layer[]; access?: string };
}

const paths = (path: string | string[] | undefined) =>
  path === undefined ? [""] : Array.isArray(path) ? path : [path];

/**
 * Every route of the app, read from Express's router (its layers, not a list of ours): so a
 * route added anywhere, by any feature or test hook, shows up.
 */
export function registeredRoutes(app: Express): RegisteredRoute[] {
  const routes: RegisteredRoute[] = [];
  const walk = (stack: Layer[], prefix: string) => {
    for (const layer of stack) {
      if (layer.route) {
        const guards = layer.route.stack.flatMap((l) => (l.handle.access ? [l.handle.access] : []));
        for (const path of paths(layer.route.path)) {
          for (const [method, on] of Object.entries(layer.route.methods)) {
            if (on && method !== "_all") {
              routes.push({ method: method.toUpperCase(), path: `${prefix}${path}`, guards });
            }
          }
        }
      } else if (layer.handle.stack) {
        for (const mount of paths(layer.rawPath)) {
          walk(layer.handle.stack, `${prefix}${mount === "/" ? "" : mount}`);
        }
      }
    }
  };
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, "");
  return routes;
}
