// The administrator's library page: start an index and watch it live (server-sent events).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("index-form");
  if (!form) return;
  const status = document.getElementById("index-status");
  const bar = document.getElementById("index-progress");
  const button = form.querySelector("button");
  let source = null;
  // Key order differs between the status JSON and the events: compare with sorted keys.
  const canon = (v) =>
    JSON.stringify(v, (k, x) => (x && typeof x === "object" && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort()) : x));
  // After "Index now", the first event may still be the previous run's summary (`stale`): skip it.
  function watch(stale) {
    source?.close();
    source = new EventSource("/api/v1/index/events");
    const show = (text) => (status.textContent = text);
    source.addEventListener("started", (e) => {
      const d = JSON.parse(e.data);
      bar.hidden = false;
      bar.max = Math.max(1, d.to_analyse);
      bar.value = 0;
      show(`Started: ${d.total} files, ${d.to_analyse} to read.`);
    });
    source.addEventListener("file", (e) => {
      const d = JSON.parse(e.data);
      bar.hidden = false;
      bar.max = Math.max(1, d.to_analyse);
      bar.value = d.done;
      show(`Reading ${d.done} of ${d.to_analyse}: ${d.path}`);
    });
    source.addEventListener("finished", (e) => {
      if (stale !== null && canon(JSON.parse(e.data)) === stale) return;
      const s = JSON.parse(e.data).summary;
      bar.value = bar.max;
      show(`Finished in ${(s.millis / 1000).toFixed(1)} s: ${s.files} files, ${s.new_photos} new photos, ` +
        `${s.unchanged} unchanged, ${s.skipped} skipped, ${s.missing} missing. Reload for the updated lists.`);
      button.disabled = false;
      source.close();
    });
    source.addEventListener("failed", (e) => {
      if (stale !== null && canon(JSON.parse(e.data)) === stale) return;
      show(`Failed: ${JSON.parse(e.data).error}`);
      button.disabled = false;
      source.close();
    });
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    const before = await fetch("/api/v1/index").then((r) => r.json()).catch(() => ({}));
    const stale = before.last ? canon(before.last) : null;
    const r = await fetch("/api/v1/index", { method: "POST", headers: { "X-CSRF-Token": Shoebox.csrf() } });
    if (r.status === 202) watch(stale);
    else if (r.status === 409) watch(null);
    else {
      status.textContent = `The index did not start (HTTP ${r.status}).`;
      button.disabled = false;
    }
  }, true);
  if (status.dataset.running === "true") watch(null);
});
