// A hint while typing a new password: the server's rules in words (at least 12 characters, at
// most 256, not a common or easily guessed password). The server stays the judge: this only
// says what it will check, so nothing like its password dictionary is shipped here.
// The sentences come from the page, in the reader's language: the input's data-strength
// (views/partials/field.eta), `more[n - 1]` for n characters still needed. English otherwise.
(() => {
  const MIN = 12;
  const MAX = 256;
  const english = {
    more: (more) => `${more} more character${more === 1 ? "" : "s"} needed (at least ${MIN}).`,
    tooLong: `Too long: at most ${MAX} characters.`,
    guessable: "Too easy to guess: try a few unrelated words.",
    ok: "Long enough. When you submit, we also check it is not a common or easily guessed password.",
  };
  const sentencesOf = (input) => {
    let given = {};
    try {
      given = JSON.parse(input.dataset.strength || "{}") || {};
    } catch {
      given = {};
    }
    const text = (value, fallback) => (typeof value === "string" && value ? value : fallback);
    return {
      more: (more) =>
        text(Array.isArray(given.more) ? given.more[more - 1] : "", english.more(more)),
      tooLong: text(given.tooLong, english.tooLong),
      guessable: text(given.guessable, english.guessable),
      ok: text(given.ok, english.ok),
    };
  };
  const guessable = (value) =>
    /^(.)\1*$/.test(value) ||
    /^\d+$/.test(value) ||
    /^(?:password|qwerty|letmein|welcome|123456|abc123)/i.test(value);
  for (const input of document.querySelectorAll('input[autocomplete="new-password"]')) {
    const say = sentencesOf(input);
    const hint = document.createElement("p");
    hint.className = "strength";
    hint.id = `${input.id}-strength`;
    hint.setAttribute("aria-live", "polite");
    input.insertAdjacentElement("afterend", hint);
    const describedBy = input.getAttribute("aria-describedby");
    input.setAttribute("aria-describedby", describedBy ? `${describedBy} ${hint.id}` : hint.id);
    const update = () => {
      const value = input.value;
      let text = "";
      let ok = false;
      if (value.length === 0) text = "";
      else if (value.length < MIN) text = say.more(MIN - value.length);
      else if (value.length > MAX) text = say.tooLong;
      else if (guessable(value)) text = say.guessable;
      else {
        text = say.ok;
        ok = true;
      }
      hint.textContent = text;
      hint.classList.toggle("ok", ok);
    };
    input.addEventListener("input", update);
  }
})();
