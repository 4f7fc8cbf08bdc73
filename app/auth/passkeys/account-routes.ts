import { type Request, type Response, Router } from "express";
import { z } from "zod";
import { recordEvent } from "../../activity/record.js";
import { deviceName, UNKNOWN_BROWSER } from "../../http/user-agent.js";
import { noStore, wantsJson } from "../../http/views.js";
import type { RequireRecentAuth } from "../sudo.js";
import { type CeremonyDeps, registrationOptions, verifyRegistration } from "./ceremony.js";
import { addPasskey, MAX_PASSKEYS, removePasskey, renamePasskey } from "./store.js";

export interface PasskeyAccountDeps extends CeremonyDeps {
  requireRecentAuth: RequireRecentAuth;
}

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

/** The answer to a form on the security page: JSON for a script, else a message on the page. */
function answer(
  req: Request,
  res: Response,
  status: number,
  text: string,
  kind: "info" | "error" = status < 400 ? "info" : "error",
) {
  if (wantsJson(req)) {
    res.status(status).json(status < 400 ? { message: text } : { error: kind, message: text });
    return;
  }
  req.session.flash = { kind, text };
  res.redirect(303, PAGE);
}

/** Adding (sudo mode), naming and removing passkeys, from the security page. */
export function passkeyAccountRoutes(deps: PasskeyAccountDeps): Router {
  const { pool } = deps;
  const router = Router();
  const sudo = deps.requireRecentAuth(PAGE);

  // Options for the browser to make a passkey (JSON, for public/passkeys.js).
  router.post("/account/passkeys/options", sudo, async (req, res) => {
    noStore(res);
    const user = req.user as Express.User;
    res.json({ options: await registrationOptions(deps, req, user) });
  });

  // The browser's new passkey: checked, then stored under the name of this device.
  router.post("/account/passkeys", sudo, async (req, res) => {
    noStore(res);
    const user = req.user as Express.User;
    const checked = await verifyRegistration(deps, req, user, req.body?.credential);
    if (!checked.ok) {
      return res.status(checked.status).json({ error: checked.error, message: checked.message });
    }
    const device = deviceName(req.get("user-agent"));
    const named = passkeyName.safeParse(device === UNKNOWN_BROWSER ? "Passkey" : device);
    const added = await addPasskey(pool, user.id, {
      ...checked.passkey,
      name: named.success ? named.data : "Passkey",
    });
    if (added === "taken") {
      return res.status(409).json({
        error: "taken",
        message: "That passkey is registered already.",
      });
    }
    if (added === "limit") {
      return res.status(409).json({
        error: "limit",
        message: `You have ${MAX_PASSKEYS} passkeys, the most an account can have. Remove one first.`,
      });
    }
    if (added === "gone") return res.status(401).json({ error: "unauthenticated" });
    await recordEvent(pool, { userId: user.id, kind: "passkey_added", req });
    req.log?.info({ userId: user.id }, "passkey added");
    req.session.flash = {
      kind: "info",
      text: `Passkey added: "${added.name}". Next time, sign in with it.`,
    };
    res.status(201).json({ passkey: { id: added.id, name: added.name }, next: PAGE });
  });

  router.post("/account/passkeys/:id/name", sudo, async (req, res) => {
    const user = req.user as Express.User;
    const parsed = passkeyName.safeParse(typeof req.body?.name === "string" ? req.body.name : "");
    if (!parsed.success) {
      return answer(req, res, 400, parsed.error.issues[0]?.message ?? "That name cannot be used.");
    }
    if (!(await renamePasskey(pool, user.id, String(req.params.id), parsed.data))) {
      return answer(req, res, 404, "That passkey is not on your account.");
    }
    answer(req, res, 200, `Passkey renamed to "${parsed.data}".`);
  });

  // "Remove": refused while it is the account's last way to sign in.
  router.post("/account/passkeys/:id/delete", sudo, async (req, res) => {
    const user = req.user as Express.User;
    const result = await removePasskey(pool, user.id, String(req.params.id));
    if (result === "none") return answer(req, res, 404, "That passkey is not on your account.");
    if (result === "last") {
      return answer(
        req,
        res,
        409,
        "That passkey is your only way to sign in, so it cannot be removed. Add another passkey or link a sign-in provider first.",
      );
    }
    await recordEvent(pool, { userId: user.id, kind: "passkey_removed", req });
    req.log?.info({ userId: user.id }, "passkey removed");
    answer(req, res, 200, "Passkey removed. It no longer signs in to this account.");
  });

  return router;
}
