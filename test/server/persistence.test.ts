import { promisify } from "node:util";
import { sign } from "cookie-signature";
import { afterEach, expect, test } from "vitest";
import type { RunningServer } from "../../app/server.js";
import { startServer } from "../../app/server.js";
import { hashStoreKey } from "../../app/session/index.js";
import { makeTempDir } from "../helpers/temp-dir.js";
import { TEST_SECRET, testConfig } from "../helpers/test-config.js";

let dir: ReturnType<typeof makeTempDir> | undefined;
let running: RunningServer | undefined;
afterEach(async () => {
  await running?.close();
  running = undefined;
  dir?.remove();
});

test("stop the app and start it again: users and sessions are still there", async () => {
  dir = makeTempDir("persistence-test");
  const config = testConfig({ DATA_DIR: `${dir.path}/pg` }, dir.path);

  running = await startServer(config);
  await running.pool.query(
    "insert into users (email, password_hash) values ('kept@example.com', 'x')",
  );
  const expires = new Date(Date.now() + 3_600_000);
  await promisify<string, object, void>((sid, data, cb) =>
    running?.sessionStore.set(sid, data, cb),
  )(hashStoreKey("kept-session"), {
    cookie: {
      originalMaxAge: 3_600_000,
      expires,
      httpOnly: true,
      path: "/",
      createdAt: Date.now(),
    },
  });
  await running.close();

  running = await startServer(config);
  const { rows } = await running.pool.query("select email from users");
  expect(rows).toEqual([{ email: "kept@example.com" }]);
  // The browser's cookie still names a live session (the store keeps its SHA-256): the app
  // loads it and rolls the cookie.
  const cookie = encodeURIComponent(`s:${sign("kept-session", TEST_SECRET)}`);
  const res = await fetch(`${running.url}/`, { headers: { cookie: `sid=${cookie}` } });
  expect(res.headers.get("set-cookie")).toMatch(/^sid=s%3Akept-session\./);
}, 90_000);
