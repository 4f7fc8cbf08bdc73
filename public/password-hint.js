// A hint while typing a new password: the server's rules in words (at least 12 characters, at
// most 256, not a common or easily guessed password). The server stays the judge: this only
// says what it will check, so nothing like its password dictionary is shipped here.
(() => {
  const MIN = 12;
  const MAX = 256;
  const guessable = (value) =>
    /^(.)\1*$/.test(value) ||
    /^\d+$/.test(value) ||
    /^(?:password|qwerty|letmein|welcome|123456|abc123)/i.test(value);
  for (const input of document.querySelectorAll('input[autocomplete="new-password"]')) {
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
      else if (value.length < MIN) {
        const more = MIN - value.length;
        text = `${more} more character${more === 1 ? "" : "s"} needed (at least ${MIN}).`;
      } else if (value.length > MAX) text = `Too long: at most ${MAX} characters.`;
      else if (guessable(value)) text = "Too easy to guess: try a few unrelated words.";
      else {
        text =
          "Long enough. When you submit, we also check it is not a common or easily guessed password.";
        ok = true;
      }
      hint.textContent = text;
      hint.classList.toggle("ok", ok);
    };
    input.addEventListener("input", update);
  }
})();
