import { Router } from "express";
import type { Views } from "./views.js";

export function homeRoutes(views: Views): Router {
  const router = Router();

  // The landing page: public, so a visitor who only looks gets no cookie and no session row.
  // ?deleted=1 after deleting an account (nothing is stored for the message: no session).
  router.get("/", (req, res) => {
    const deleted = req.query.deleted === "1" && !req.user;
    views.render(res, "home", {
      title: "home.title",
      notice: deleted ? "home.deleted" : undefined,
    });
  });

  return router;
}
