import type { Request, Response, Router } from "express";
import { z } from "zod";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { AppError } from "../../http/respond.js";
import { deviceName, UNKNOWN_BROWSER } from "../../http/user-agent.js";
import { noStore, wantsJson } from "../../http/views.js";
import { type CeremonyDeps, registrationOptions, verifyRegistration } from "./ceremony.js";
import { addPasskey, MAX_PASSKEYS, removePasskey, renamePasskey } from "./store.js";

/** A passkey's name: what the person calls the device, one line of at most 64 characters. */
export const passkeyName = z
  .string()
  .transform((value) => value.normalize("NFKC").trim())
  .pipe(
    z
      .string()
      .min(1, "Give the passkey a name.")
      .max(64, "A passkey's name is at most 64 characters.")
      .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u, "A passkey's name is one line of plain text."),
  );

const PAGE = "/account/security";

/** A change made from the security page: JSON for a script, else a message on the page. */
function done(req: Request, res: Response, text: string) {
  if (wantsJson(req)) return void res.json({ message: text });
  req.session.flash = { kind: "info", text };
  res.redirect(303, PAGE);
}

/** A refused change: the security page again with the message, or JSON for a script. */
const refused = (status: number, code: string, text: string) =>
  new AppError(status, code, text, { back: PAGE });

/** Adding (sudo mode), naming and removing passkeys, from the security page. */
export function passkeyAccountRoutes(kit: Kit, deps: CeremonyDeps): Router {
  const { pool, events } = kit;
  const router = privateRouter(kit.guards);
  const sudo = kit.guards.sudo(PAGE);

  // Options for the browser to make a passkey (JSON, for public/passkeys.js).
  router.post("/account/passkeys/options", sudo, async (req, res) => {
    noStore(res);
    const user = userOf(req);
    res.json({ options: await registrationOptions(deps, req, user) });
  });

  // The browser's new passkey: checked, then stored under the name of this device.
  router.post("/account/passkeys", sudo, async (req, res) => {
    noStore(res);
    const user = userOf(req);
    const checked = await verifyRegistration(deps, req, user, req.body?.credential);
    if (!checked.ok) throw new AppError(checked.status, checked.error, checked.message);
    const device = deviceName(req.get("user-agent"));
    const named = passkeyName.safeParse(device === UNKNOWN_BROWSER ? "Passkey" : device);
    const added = await addPasskey(kit.signInMethods, user.id, {
      ...checked.passkey,
      name: named.success ? named.data : "Passkey",
    });
    if (added === "taken") {
      throw new AppError(409, "taken", "That passkey is registered already.");
    }
    if (added === "limit") {
      throw new AppError(
        409,
        "limit",
        `You have ${MAX_PASSKEYS} passkeys, the most an account can have. Remove one first.`,
      );
    }
    if (added === "gone") throw new AppError(401, "unauthenticated", "Log in first.");
    await events.record({ userId: user.id, kind: "passkey_added", req });
    req.log?.info({ userId: user.id }, "passkey added");
    req.session.flash = {
      kind: "info",
      text: `Passkey added: "${added.name}". Next time, sign in with it.`,
    };
    res.status(201).json({ passkey: { id: added.id, name: added.name }, next: PAGE });
  });

  router.post("/account/passkeys/:id/name", sudo, async (req, res) => {
    const user = userOf(req);
    const parsed = passkeyName.safeParse(typeof req.body?.name === "string" ? req.body.name : "");
    if (!parsed.success) {
      throw refused(400, "error", parsed.error.issues[0]?.message ?? "That name cannot be used.");
    }
    if (!(await renamePasskey(pool, user.id, String(req.params.id), parsed.data))) {
      throw refused(404, "error", "That passkey is not on your account.");
    }
    done(req, res, `Passkey renamed to "${parsed.data}".`);
  });

  // "Remove": refused while it is the account's last way to sign in.
  router.post("/account/passkeys/:id/delete", sudo, async (req, res) => {
    const user = userOf(req);
    const result = await removePasskey(kit.signInMethods, user.id, String(req.params.id));
    if (result === "none") throw refused(404, "error", "That passkey is not on your account.");
    if (result === "last") {
      throw refused(
        409,
        "error",
        "That passkey is your only way to sign in, so it cannot be removed. Add another way to sign in first.",
      );
    }
    await events.record({ userId: user.id, kind: "passkey_removed", req });
    req.log?.info({ userId: user.id }, "passkey removed");
    done(req, res, "Passkey removed. It no longer signs in to this account.");
  });

  return router;
}
