// Copy, download and print for the two-factor pages: the setup key and the recovery codes. No
// inline script (CSP); the buttons are hidden until this script shows them, so a page without
// JavaScript offers none it cannot keep. What it says comes from the page, in its language
// (data-copied, data-downloaded, data-copy-failed); English if a button has none.
for (const button of document.querySelectorAll("[data-copy], [data-download], [data-print]")) {
  button.hidden = false;
  button.addEventListener("click", async () => {
    const status = document.getElementById(button.dataset.status || "");
    const say = (text) => {
      if (!status) return;
      status.textContent = text;
      status.hidden = false;
    };
    if (button.dataset.print !== undefined) {
      window.print();
      return;
    }
    const text = button.dataset.copy ?? button.dataset.download ?? "";
    if (button.dataset.download !== undefined) {
      const url = URL.createObjectURL(new Blob([`${text}\n`], { type: "text/plain" }));
      const link = document.createElement("a");
      link.href = url;
      link.download = button.dataset.filename || "codes.txt";
      link.click();
      URL.revokeObjectURL(url);
      say(button.dataset.downloaded || "Downloaded.");
      return;
    }
    try {
      await navigator.clipboard.writeText(text);
      say(button.dataset.copied || "Copied.");
    } catch {
      say(button.dataset.copyFailed || "Copying did not work here: select the text and copy it.");
    }
  });
}
