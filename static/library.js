// The administrator's library page: start an index and watch it live (server-sent events).
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const form = document.getElementById("index-form");
  if (!form) return;
  const status = document.getElementById("index-status");
  const bar = document.getElementById("index-progress");
  const button = form.querySelector("button");
  let source = null;
  // After "Index now", the first event may still be the previous run's summary: wait for this run.
  function watch(fresh) {
    let seen = !fresh;
    source?.close();
    source = new EventSource("/api/v1/index/events");
    const show = (text) => (status.textContent = text);
    source.addEventListener("started", (e) => {
      const d = JSON.parse(e.data);
      seen = true;
      bar.hidden = false;
      bar.max = Math.max(1, d.to_analyse);
      bar.value = 0;
      show(`Started: ${d.total} files, ${d.to_analyse} to read.`);
    });
    source.addEventListener("file", (e) => {
      const d = JSON.parse(e.data);
      seen = true;
      bar.hidden = false;
      bar.max = Math.max(1, d.to_analyse);
      bar.value = d.done;
      show(`Reading ${d.done} of ${d.to_analyse}: ${d.path}`);
    });
    source.addEventListener("finished", (e) => {
      if (!seen) return;
      const s = JSON.parse(e.data).summary;
      bar.value = bar.max;
      show(`Finished in ${(s.millis / 1000).toFixed(1)} s: ${s.files} files, ${s.new_photos} new photos, ` +
        `${s.unchanged} unchanged, ${s.skipped} skipped, ${s.missing} missing. Reload for the updated lists.`);
      button.disabled = false;
      source.close();
    });
    source.addEventListener("failed", (e) => {
      if (!seen) return;
      show(`Failed: ${JSON.parse(e.data).error}`);
      button.disabled = false;
      source.close();
    });
  }
  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    button.disabled = true;
    const r = await fetch("/api/v1/index", { method: "POST", headers: { "X-CSRF-Token": Shoebox.csrf() } });
    if (r.status === 202) watch(true);
    else if (r.status === 409) watch(false);
    else {
      status.textContent = `The index did not start (HTTP ${r.status}).`;
      button.disabled = false;
    }
  }, true);
  if (status.dataset.running === "true") watch(false);
});
