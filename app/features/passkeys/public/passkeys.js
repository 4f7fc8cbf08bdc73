// Passkeys (WebAuthn) on SimpleWebAuthn's browser bundle, loaded before this file from
// /static/vendor/simplewebauthn-browser.js (the global SimpleWebAuthnBrowser). No inline code
// (CSP): each button says what it does in data- attributes.
//
//   data-passkey="register" | "authenticate"
//   data-options   URL that answers { options } (a challenge kept in the session)
//   data-verify    URL that checks the browser's answer and answers { next } (where to go)
//   data-csrf      the page's CSRF token, sent as X-CSRF-Token
//   data-status    id of the element that shows what went wrong
//   data-form      id of a form whose "remember" and "next" fields go with the answer
//   data-autofill  also offer passkeys in the username field's autofill (conditional UI)
//   data-texts     what to say when something goes wrong, in the page's language (JSON)
const webauthn = window.SimpleWebAuthnBrowser;

// English, for a button without data-texts.
const ENGLISH = {
  cancelled: "The passkey request was cancelled or timed out.",
  exists: "This device already has a passkey for your account.",
  insecure: "Passkeys only work on this site's own address (https://, or http://localhost).",
  failed: "The passkey did not work. Try again, or use another way in.",
  refused: "That did not work. Try again.",
  unsupported: "This browser cannot use passkeys.",
  unreachable: "The server could not be reached. Try again.",
};

function texts(button) {
  try {
    return { ...ENGLISH, ...JSON.parse(button.dataset.texts || "{}") };
  } catch {
    return ENGLISH;
  }
}

function say(button, text) {
  const status = document.getElementById(button.dataset.status);
  if (!status) return;
  status.textContent = text;
  status.classList.add("error");
  status.hidden = text === "";
}

// A form sent from this page ("Continue with …", the login form) ends what the page was asking
// for in the background: its answer would reach a page on its way out, perhaps for a browser
// that has logged in meanwhile (and whose form token no longer fits).
const leaving = new AbortController();
document.addEventListener("submit", () => leaving.abort());

async function post(url, csrf, body) {
  leaving.signal.throwIfAborted();
  const res = await fetch(url, {
    method: "POST",
    signal: leaving.signal,
    credentials: "same-origin",
    headers: {
      accept: "application/json",
      "content-type": "application/json",
      "x-csrf-token": csrf,
    },
    body: JSON.stringify(body ?? {}),
  });
  let data = {};
  try {
    data = await res.json();
  } catch {
    // Not JSON (a proxy's error page): the generic message below.
  }
  return { ok: res.ok, data };
}

function extras(button) {
  const form = button.dataset.form ? document.getElementById(button.dataset.form) : null;
  const remember = form?.querySelector('[name="remember"]');
  const next = form?.querySelector('[name="next"]');
  return { remember: remember ? remember.checked : false, next: next?.value || undefined };
}

function explain(button, error) {
  const text = texts(button);
  switch (error?.name) {
    case "NotAllowedError":
      return text.cancelled;
    case "InvalidStateError":
      return text.exists;
    case "SecurityError":
      return text.insecure;
    default:
      return text.failed;
  }
}

// Another request took over (the button replaced the autofill one): nothing to say.
const replaced = (error) =>
  error?.name === "AbortError" || error?.code === "ERROR_CEREMONY_ABORTED";

/** What the server refused: go where it says (confirm first, start over), or say why. */
function refused(button, reply, rpId, credentialId) {
  const { data } = reply;
  if (data.confirm) return location.assign(data.confirm);
  if (data.next) return location.assign(data.next);
  // A passkey this site no longer knows (removed): let the device stop offering it.
  if (data.error === "unknown_passkey" && rpId && credentialId) {
    PublicKeyCredential.signalUnknownCredential?.({ rpId, credentialId }).catch(() => {});
  }
  say(button, data.message || texts(button).refused);
}

// While a button's request runs, the autofill one waits: started late, it would cancel the
// button's (a page allows one WebAuthn request at a time).
let pressed = false;

async function ceremony(button, autofill) {
  const csrf = button.dataset.csrf;
  const options = await post(button.dataset.options, csrf);
  if (autofill && pressed) return "replaced";
  if (!options.ok) return autofill ? undefined : refused(button, options);
  const optionsJSON = options.data.options;
  let credential;
  try {
    credential =
      button.dataset.passkey === "register"
        ? await webauthn.startRegistration({ optionsJSON })
        : await webauthn.startAuthentication({ optionsJSON, useBrowserAutofill: autofill });
  } catch (error) {
    if (replaced(error)) return "replaced";
    if (!autofill) say(button, explain(button, error));
    return undefined;
  }
  const verified = await post(button.dataset.verify, csrf, { credential, ...extras(button) });
  if (verified.ok) {
    location.assign(verified.data.next || location.pathname);
    return "done";
  }
  refused(button, verified, optionsJSON.rpId, credential.id);
  return undefined;
}

// Passkeys in the username field's suggestions, until one is picked or the button takes over.
// Offered again after a failed pick (an unknown passkey, ...), a few times at most.
let autofillOffers = 0;
async function offerInAutofill(button) {
  if (autofillOffers >= 5 || !(await webauthn.browserSupportsWebAuthnAutofill())) return;
  if (pressed) return;
  autofillOffers += 1;
  try {
    if ((await ceremony(button, true)) === undefined) offerInAutofill(button);
  } catch {
    // The network went away: the button still works.
  }
}

function start() {
  const buttons = document.querySelectorAll("[data-passkey]");
  if (buttons.length === 0) return;
  const supported = webauthn?.browserSupportsWebAuthn() ?? false;
  for (const button of buttons) {
    if (!supported) {
      button.disabled = true;
      say(button, texts(button).unsupported);
      continue;
    }
    button.addEventListener("click", async () => {
      if (button.disabled) return;
      button.disabled = true;
      pressed = true;
      say(button, "");
      let outcome;
      try {
        outcome = await ceremony(button, false);
        // An autofill request that was just starting when the button was pressed cancelled it:
        // once more, now that nothing else can start.
        if (outcome === "replaced") outcome = await ceremony(button, false);
      } catch {
        say(button, texts(button).unreachable);
      } finally {
        button.disabled = false;
        pressed = false;
      }
      if (outcome !== "done" && button.dataset.autofill !== undefined) offerInAutofill(button);
    });
    if (button.dataset.autofill !== undefined) offerInAutofill(button);
  }
}

start();
