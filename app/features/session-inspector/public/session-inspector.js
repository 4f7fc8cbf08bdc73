// Counts down every [data-countdown] element (an ISO date) once a second. No inline script: CSP.
// Its words come from the page, in the reader's language ([data-countdown-labels]).
const targets = document.querySelectorAll("[data-countdown]");
const labels = document.querySelector("[data-countdown-labels]")?.dataset ?? {};
const unit = {
  d: labels.day ?? "d",
  h: labels.hour ?? "h",
  m: labels.minute ?? "m",
  s: labels.second ?? "s",
};
function format(ms) {
  if (ms <= 0) return labels.expired ?? "expired";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = d
    ? [`${d}${unit.d}`, `${h}${unit.h}`]
    : h
      ? [`${h}${unit.h}`, `${m}${unit.m}`]
      : [`${m}${unit.m}`, `${s % 60}${unit.s}`];
  return parts.join(" ");
}
function tick() {
  for (const el of targets) {
    el.textContent = format(Date.parse(el.dataset.countdown) - Date.now());
  }
}
if (targets.length > 0) {
  tick();
  setInterval(tick, 1000);
}
