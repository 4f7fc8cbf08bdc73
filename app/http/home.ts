import { Router } from "express";
import type { Views } from "./views.js";

export function homeRoutes(views: Views): Router {
  const router = Router();

  // The landing page: public, so a visitor who only looks gets no cookie and no session row.
  router.get("/", (_req, res) => {
    views.render(res, "home", { title: "Home" });
  });

  return router;
}
