import { Router } from "express";
import { expect, test } from "vitest";
import type { Feature } from "../../../app/core/feature.js";
import { features } from "../../../app/feature-list.js";
import { startTestApp } from "../../helpers/app.js";
import { loggedInClient } from "../../helpers/auth.js";

/**
 * `kit.proveAddress`: how a feature that mails something to the account's address (a sign-in
 * link) says the mailbox was proven. The first time it marks the address verified and takes the
 * account over (every session ends, as for the verification link); after that it does nothing.
 */
const prover: Feature = {
  name: "prover",
  setup: (kit) => ({
    routes: Router().get("/test/prove/:id", async (req, res) => {
      res.json(await kit.proveAddress(req, req.params.id, { keepSession: false }));
    }),
  }),
};

test("a feature proves an address through the kit: the first time only, and every session ends", async () => {
  const app = await startTestApp({ features: [...features, prover] });
  const { client, user } = await loggedInClient(app, "kit@example.com");
  const visitor = app.client();

  const first = await visitor.getJson(`/test/prove/${user.id}`);
  expect(JSON.parse(first.body)).toEqual({ first: true, keptSession: false });
  const { rows } = await app.pool.query(
    "select email_verified_at is not null as verified from users where id = $1",
    [user.id],
  );
  expect(rows[0]).toEqual({ verified: true });
  expect((await client.get("/account")).status).toBe(303);

  const again = await visitor.getJson(`/test/prove/${user.id}`);
  expect(JSON.parse(again.body)).toEqual({ first: false, keptSession: false });
});
