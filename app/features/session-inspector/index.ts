import { fileURLToPath } from "node:url";
import type { Feature } from "../../core/feature.js";
import { inspectorRoutes } from "./routes.js";

declare module "../../session/types.js" {
  interface SessionData {
    /**
     * A counter the inspector's button adds one to (POST /account/session/count): the demo's
     * data. Never changed by looking at a page, so a page view writes nothing.
     */
    counter: number;
  }
}

/**
 * The session inspector: a page (/account/session) that shows what `req.session` and the store
 * hold for this session, and a button for each method of the session API (regenerate, reload,
 * save, touch, destroy). A demo of app/session; delete it when the app is yours.
 */
export const sessionInspector: Feature = {
  name: "session-inspector",
  setup(kit) {
    const views = kit.views.at(new URL("./views/", import.meta.url));
    return {
      routes: inspectorRoutes(kit, views),
      publicDir: fileURLToPath(new URL("./public/", import.meta.url)),
      // Its page is in the settings navigation (a demo: delete it when the app is yours).
      settingsPages: [{ path: "/account/session", label: "session-inspector.nav" }],
    };
  },
};
