import type { RequestHandler } from "express";
import type { SettingsPage } from "../core/feature.js";

/**
 * The core's settings pages, in the navigation's order; the features' entries follow. Labels
 * are catalogue keys (views/settings.eta translates them), the features' too.
 */
export const CORE_SETTINGS_PAGES: readonly SettingsPage[] = [
  { path: "/account", label: "settings.account" },
  { path: "/account/security", label: "settings.security" },
  { path: "/account/sessions", label: "settings.sessions" },
];

export interface SettingsNavEntry extends SettingsPage {
  /** The page this request is on: `aria-current="page"`. */
  current: boolean;
}

/**
 * The settings navigation for `views/settings.eta` (`it.settingsNav`): every page under /account
 * of a logged-in user. An entry is the current one on its own path (a `#panel` entry never is).
 */
export function settingsNav(features: readonly SettingsPage[]): RequestHandler {
  const pages = [...CORE_SETTINGS_PAGES, ...features];
  return (req, res, next) => {
    if (req.user && (req.path === "/account" || req.path.startsWith("/account/"))) {
      const here = req.path.replace(/\/+$/, "") || "/";
      res.locals.settingsNav = pages.map(
        (page): SettingsNavEntry => ({ ...page, current: page.path === here }),
      );
    }
    next();
  };
}
