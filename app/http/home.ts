import { Router } from "express";

// A placeholder until the login pages exist; static, so nothing needs escaping yet.
const HOME_PAGE = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Passport session starter</title></head>
<body>
<h1>Passport session starter</h1>
<p>The server is running. Sign-up and login pages come next.</p>
</body>
</html>
`;

export function homeRoutes(): Router {
  const router = Router();

  // What a visitor sees at the root of the site.
  router.get("/", (_req, res) => {
    res.type("html").send(HOME_PAGE);
  });

  return router;
}
