// Usage: node .ci/core-flow.mjs URL
// What every copy of the app must do, whatever features it has, asked of a running server over
// HTTP as a browser would: sign up, log out, log in, change the password, log out, log in with
// the new password (and not with the old one). Each step's form is fetched first for its CSRF
// token; cookies are kept as a browser keeps them. Prints each step; exits 1 on the first surprise.
const base = process.argv[2];
if (!base) {
  console.error("usage: node .ci/core-flow.mjs URL");
  process.exit(2);
}
const jar = new Map();
const email = `flow-${Date.now()}@example.com`;
const first = "a first passphrase for the flow";
const second = "another passphrase for the flow";

function keep(response) {
  for (const line of response.headers.getSetCookie()) {
    const [pair, ...attributes] = line.split(";");
    const name = pair.slice(0, pair.indexOf("="));
    const gone = attributes.some(
      (a) => /^\s*max-age=0\s*$/i.test(a) || /expires=thu, 01 jan 1970/i.test(a),
    );
    if (gone) jar.delete(name);
    else jar.set(name, pair.slice(name.length + 1));
  }
}

async function request(method, path, form) {
  const response = await fetch(new URL(path, base), {
    method,
    redirect: "manual",
    headers: {
      cookie: [...jar].map(([name, value]) => `${name}=${value}`).join("; "),
      ...(form ? { "content-type": "application/x-www-form-urlencoded" } : {}),
    },
    body: form ? new URLSearchParams(form).toString() : undefined,
  });
  keep(response);
  return {
    status: response.status,
    location: response.headers.get("location"),
    body: await response.text(),
  };
}

async function submit(page, path, fields) {
  const shown = await request("GET", page);
  const token = /name="_csrf" value="([^"]*)"/.exec(shown.body)?.[1];
  if (!token) throw new Error(`GET ${page}: ${shown.status}, no form token`);
  return request("POST", path, { _csrf: token, ...fields });
}

function expect(step, reply, status, location) {
  const ok = reply.status === status && (location === undefined || reply.location === location);
  console.log(
    `${ok ? "ok  " : "FAIL"} ${step}: ${reply.status}${reply.location ? ` -> ${reply.location}` : ""}`,
  );
  if (!ok) {
    console.error(
      `expected ${status}${location ? ` -> ${location}` : ""}\n${reply.body.slice(0, 2000)}`,
    );
    process.exit(1);
  }
}

const account = async (step, status) => expect(step, await request("GET", "/account"), status);

expect("sign up", await submit("/register", "/register", { email, password: first }), 303);
await account("the account page, signed up", 200);
expect("log out", await submit("/account", "/logout", {}), 303);
await account("the account page, logged out", 303);
expect("log in", await submit("/login", "/login", { email, password: first }), 303);
await account("the account page, logged in", 200);
expect(
  "change the password",
  await submit("/account/security", "/account/password", {
    current_password: first,
    new_password: second,
  }),
  303,
);
await account("the account page, after the change", 200);
expect("log out", await submit("/account", "/logout", {}), 303);
expect("the old password", await submit("/login", "/login", { email, password: first }), 401);
expect(
  "log in with the new one",
  await submit("/login", "/login", { email, password: second }),
  303,
);
await account("the account page, logged in again", 200);
console.log("core flow: sign up, log out, log in, password change all work");
