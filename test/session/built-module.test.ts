import { execFile } from "node:child_process";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";
import { describe, expect, test } from "vitest";

// What `npm run build` ships: dist/app/session/index.js must be usable by plain Node (no tsx,
// no vitest) exactly like express-session: a default-exported function carrying Store,
// MemoryStore, Cookie and Session, that third-party stores can extend. And app/session must
// stand alone, so it could become a package.

const root = resolve(dirname(fileURLToPath(import.meta.url)), "../..");
const sourceDir = join(root, "app/session");
const built = join(root, "dist/app/session/index.js");
const run = promisify(execFile);

function sources(): string[] {
  return readdirSync(sourceDir)
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(sourceDir, f));
}

function isStale(): boolean {
  if (!existsSync(built)) return true;
  const builtAt = statSync(built).mtimeMs;
  return sources().some((file) => {
    const out = join(
      root,
      "dist/app/session",
      file.slice(sourceDir.length + 1).replace(/\.ts$/, ".js"),
    );
    return !existsSync(out) || statSync(file).mtimeMs > Math.min(builtAt, statSync(out).mtimeMs);
  });
}

/** Build (only when dist is missing or older than the sources), reporting app/session errors. */
async function ensureBuilt(): Promise<string[]> {
  if (!isStale()) return [];
  const tsc = join(root, "node_modules/.bin/tsc");
  try {
    await run(tsc, ["-p", "tsconfig.build.json"], { cwd: root, timeout: 120_000 });
    return [];
  } catch (err) {
    // tsc still emits on type errors elsewhere in the app; only errors in app/session count here.
    const output = String((err as { stdout?: string }).stdout ?? err);
    return output.split("\n").filter((line) => line.startsWith("app/session/"));
  }
}

describe("the built module (dist/app/session/index.js)", () => {
  test("builds, and under plain Node default-exports session with the store classes attached", {
    timeout: 120_000,
  }, async () => {
    expect(await ensureBuilt()).toEqual([]);
    expect(existsSync(built)).toBe(true);
    expect(existsSync(built.replace(/\.js$/, ".d.ts"))).toBe(true);

    // A consumer written the express-session way, run by plain Node from the project root.
    const consumer = `
      import session, { Store, MemoryStore, Cookie, Session } from ${JSON.stringify(pathToFileURL(built).href)};
      import express from "express";
      import { createRequire } from "node:module";
      const require = createRequire(${JSON.stringify(pathToFileURL(join(root, "package.json")).href)});
      const out = {
        defaultExport: typeof session,
        attached: ["Store", "MemoryStore", "Cookie", "Session"].map((k) => typeof session[k]),
        sameAsNamed: session.Store === Store && session.MemoryStore === MemoryStore
          && session.Cookie === Cookie && session.Session === Session,
      };
      const MemoryStoreLib = require("memorystore")(session);
      const FileStore = require("session-file-store")(session);
      const PGStore = require("connect-pg-simple")(session);
      out.thirdParty = [new MemoryStoreLib(), new FileStore({ path: require("node:os").tmpdir(), reapInterval: -1, logFn() {} }),
        new PGStore({ pool: { query() {}, on() {} }, pruneSessionInterval: false })].map((s) => s instanceof Store);
      const app = express();
      app.use(session({ secret: "built", resave: false, saveUninitialized: false }));
      app.get("/", (req, res) => { req.session.n = 1; res.end("ok"); });
      const server = app.listen(0, "127.0.0.1", async () => {
        const res = await fetch("http://127.0.0.1:" + server.address().port + "/");
        out.status = res.status;
        out.setCookie = res.headers.getSetCookie().map((c) => c.replace(/=s%3A[^;]+/, "=<value>"));
        server.close();
        console.log(JSON.stringify(out));
      });
    `;
    const { stdout } = await run(process.execPath, ["--input-type=module", "-e", consumer], {
      cwd: root,
      timeout: 30_000,
      env: { ...process.env, NODE_ENV: "test" },
    });
    const out = JSON.parse(stdout.trim().split("\n").at(-1) ?? "{}");
    expect(out).toEqual({
      defaultExport: "function",
      attached: ["function", "function", "function", "function"],
      sameAsNamed: true,
      thirdParty: [true, true, true],
      status: 200,
      setCookie: ["connect.sid=<value>; Path=/; HttpOnly"],
    });
  });
});

describe("app/session stands alone", () => {
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8")) as {
    dependencies?: Record<string, string>;
  };

  test.each(sources().map((f) => [f.slice(root.length + 1), f]))(
    "%s imports only its siblings, Node built-ins and runtime dependencies",
    (_rel, file) => {
      const text = readFileSync(file, "utf8");
      const runtimeImports = [
        ...text.matchAll(/^(?:import|export)\s+(?!type\b)[^;]*?from\s+"([^"]+)"/gms),
      ].map((m) => m[1] ?? "");
      for (const spec of runtimeImports) {
        if (spec.startsWith(".")) {
          expect(resolve(dirname(file), spec).startsWith(sourceDir)).toBe(true);
        } else if (!spec.startsWith("node:")) {
          const name = spec.startsWith("@")
            ? spec.split("/").slice(0, 2).join("/")
            : spec.split("/")[0];
          expect(
            Object.keys(pkg.dependencies ?? {}),
            `${spec} must be a runtime dependency`,
          ).toContain(name);
        }
      }
    },
  );
});
