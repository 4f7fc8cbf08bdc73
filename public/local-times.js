// Shows the exact times of the page's <time data-local> elements in the reader's own time zone:
// the server wrote them in UTC (app/http/time-format.ts). data-local="title": the text stays
// relative ("3 minutes ago") and the title gets the exact time; "text": the text is the exact time.
// No inline script: CSP.
const exact = new Intl.DateTimeFormat(document.documentElement.lang || undefined, {
  dateStyle: "medium",
  timeStyle: "long",
});
for (const el of document.querySelectorAll("time[data-local][datetime]")) {
  const date = new Date(el.dateTime);
  if (Number.isNaN(date.valueOf())) continue;
  if (el.dataset.local === "text") el.textContent = exact.format(date);
  else el.title = exact.format(date);
}
