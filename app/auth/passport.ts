import type { Request } from "express";
import passportModule from "passport";
import { Strategy as LocalStrategy } from "passport-local";
import type pg from "pg";
import { verifyAgainstNothing, verifyPassword } from "./passwords.js";
import { findCredentials, findUserById } from "./users.js";

/**
 * The login story in one place: the local strategy checks email + password; the session keeps
 * only the user's ID, and each request turns it back into the user.
 */
export function createAuthenticator(pool: pg.Pool) {
  const passport = new passportModule.Passport();

  passport.use(
    new LocalStrategy(
      { usernameField: "email", passwordField: "password" },
      (email, password, done) => {
        (async () => {
          const found = await findCredentials(pool, email);
          // Unknown email, an account with no password (it signs in with its provider) and a
          // wrong password answer alike, and take about as long.
          if (!found?.passwordHash) {
            await verifyAgainstNothing(password);
            return done(null, false);
          }
          const ok = await verifyPassword(found.passwordHash, password);
          return ok ? done(null, found.user) : done(null, false);
        })().catch(done);
      },
    ),
  );
  passport.serializeUser((user, done) => done(null, user.id));
  // A session logged in under an older generation of the user (before a password change, a
  // reset or "log out everywhere else") no longer logs anyone in, even if it was saved since.
  passport.deserializeUser(
    (req: Request, id: string, done: (err: unknown, user?: Express.User | false) => void) => {
      findUserById(pool, String(id))
        .then((user) => {
          const current = user && (req.session.generation ?? 0) === user.sessionGeneration;
          done(null, current ? user : false);
        })
        .catch(done);
    },
  );
  return passport;
}

/**
 * `req.login`, minus its early save. Passport 0.7's login regenerates the session (no fixation),
 * stores the user's ID in it and saves it at once; the caller then sets the rest (lifetime,
 * client, generation) and the middleware saves it again at the end of the request: two writes
 * of the same new row. Here the session is regenerated and the user put where Passport reads it
 * (`passport.user`, what serializeUser above stores) and on `req.user`, as `req.login` does; the
 * one write is the middleware's, before the response goes out.
 */
export async function logIn(req: Request, user: Express.User): Promise<void> {
  await req.session.regenerate();
  req.session.passport = { user: user.id };
  req.user = user;
}

export type Authenticator = ReturnType<typeof createAuthenticator>;
