// Counts down every [data-countdown] element (an ISO date) once a second. No inline script: CSP.
const targets = document.querySelectorAll("[data-countdown]");
function format(ms) {
  if (ms <= 0) return "expired";
  const s = Math.floor(ms / 1000);
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  const parts = d ? [`${d}d`, `${h}h`] : h ? [`${h}h`, `${m}m`] : [`${m}m`, `${s % 60}s`];
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
