import type { Request, Response, Router } from "express";
import { z } from "zod";
import type { Kit } from "../../core/feature.js";
import { privateRouter, userOf } from "../../core/guards.js";
import { AppError } from "../../http/respond.js";
import { deviceMessage, deviceName } from "../../http/user-agent.js";
import { noStore, wantsJson } from "../../http/views.js";
import { localeOf, type Message, msg, translator } from "../../i18n/index.js";
import { type CeremonyDeps, registrationOptions, verifyRegistration } from "./ceremony.js";
import { addPasskey, MAX_PASSKEYS, removePasskey, renamePasskey } from "./store.js";

/** A passkey's name: what the person calls the device, one line of at most 64 characters. */
export const passkeyName = z
  .string()
  .transform((value) => value.normalize("NFKC").trim())
  .pipe(
    z
      .string()
      .min(1, "passkeys.name.empty")
      .max(64, "passkeys.name.tooLong")
      .regex(/^[^\p{Cc}\p{Cf}\p{Zl}\p{Zp}]*$/u, "passkeys.name.oneLine"),
  );

const PAGE = "/account/security";

/** A change made from the security page: JSON for a script, else a message on the page. */
function done(req: Request, res: Response, text: Message) {
  if (wantsJson(req)) return void res.json({ message: translator(localeOf(req))(text) });
  req.session.flash = { kind: "info", text };
  res.redirect(303, PAGE);
}

/** A refused change: the security page again with the message, or JSON for a script. */
const refused = (status: number, code: string, key: string) =>
  new AppError(status, code, key, { back: PAGE });

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
    const userAgent = req.get("user-agent");
    // "Passkey" in the language of the page it is added from, when the browser has no name.
    const fallback = translator(localeOf(req))("passkeys.defaultName");
    const known = deviceMessage(userAgent) !== "device.unknown";
    const named = passkeyName.safeParse(known ? deviceName(userAgent) : fallback);
    const added = await addPasskey(kit.signInMethods, user.id, {
      ...checked.passkey,
      name: named.success ? named.data : fallback,
    });
    if (added === "taken") {
      throw new AppError(409, "taken", "passkeys.errors.taken");
    }
    if (added === "limit") {
      throw new AppError(409, "limit", "passkeys.errors.limit", { values: { max: MAX_PASSKEYS } });
    }
    if (added === "gone") throw new AppError(401, "unauthenticated", "passkeys.errors.logInFirst");
    await events.record({ userId: user.id, kind: "passkey_added", req });
    req.log?.info({ userId: user.id }, "passkey added");
    req.session.flash = {
      kind: "info",
      text: msg("passkeys.flash.added", { name: added.name }),
    };
    res.status(201).json({ passkey: { id: added.id, name: added.name }, next: PAGE });
  });

  router.post("/account/passkeys/:id/name", sudo, async (req, res) => {
    const user = userOf(req);
    const parsed = passkeyName.safeParse(typeof req.body?.name === "string" ? req.body.name : "");
    if (!parsed.success) {
      throw refused(400, "error", parsed.error.issues[0]?.message ?? "passkeys.name.invalid");
    }
    if (!(await renamePasskey(pool, user.id, String(req.params.id), parsed.data))) {
      throw refused(404, "error", "passkeys.errors.notYours");
    }
    done(req, res, msg("passkeys.flash.renamed", { name: parsed.data }));
  });

  // "Remove": refused while it is the account's last way to sign in.
  router.post("/account/passkeys/:id/delete", sudo, async (req, res) => {
    const user = userOf(req);
    const result = await removePasskey(kit.signInMethods, user.id, String(req.params.id));
    if (result === "none") throw refused(404, "error", "passkeys.errors.notYours");
    if (result === "last") {
      throw refused(409, "error", "passkeys.errors.last");
    }
    await events.record({ userId: user.id, kind: "passkey_removed", req });
    req.log?.info({ userId: user.id }, "passkey removed");
    done(req, res, "passkeys.flash.removed");
  });

  return router;
}
