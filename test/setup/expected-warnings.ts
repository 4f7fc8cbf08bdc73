/**
 * The comparison tests run express-session (and ours, which warns as it does) with options it
 * deprecates, on purpose: resave or saveUninitialized left out, no secret, `key`, maxAge as a
 * Date. depd, which prints express-session's deprecations, prints nothing when the process listens
 * for "deprecation" events, and ours follow the same rule (app/session/warn.ts), so this listener
 * keeps them off the test output. Tests that check a warning is given read it with warningsDuring.
 */
process.on("deprecation", () => {});
