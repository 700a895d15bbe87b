// Uploads: drop files or folders anywhere on the page, or pick them with the Upload button.
// Each file is one request, so each has its own progress bar and its own answer.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const panel = document.getElementById("uploads");
  const input = document.getElementById("upload-files");
  if (!panel || !input) return;
  const list = document.getElementById("upload-list");
  const total = document.getElementById("upload-total");
  const summary = document.getElementById("upload-summary");
  const drop = document.getElementById("drop");
  const elsewhere = document.getElementById("upload-elsewhere");
  const queue = [];
  // Ids of the photos these uploads added (not duplicates), for pages that show them elsewhere.
  const added = [];
  let sizeSum = 0, doneBytes = 0, running = 0, stored = 0, failed = 0;
  const PARALLEL = 2;

  function updateTotal(extra) {
    total.max = Math.max(1, sizeSum);
    total.value = doneBytes + extra;
  }

  function explain(f) {
    if (f.result === "new") return null;
    if (f.result === "existing") return "already in your library (duplicate): nothing stored";
    if (f.result === "joined") return "uploaded, and joined the photo of the same name (its Live Photo clip or RAW)";
    return f.reason || "refused";
  }

  function send(job) {
    running++;
    const xhr = new XMLHttpRequest();
    const form = new FormData();
    form.append("files", job.file, job.name);
    xhr.open("POST", "/api/v1/upload");
    xhr.setRequestHeader("X-CSRF-Token", Shoebox.csrf());
    xhr.responseType = "json";
    let loaded = 0;
    xhr.upload.addEventListener("progress", (e) => {
      if (!e.lengthComputable) return;
      loaded = (e.loaded / e.total) * job.file.size;
      job.bar.value = e.loaded / e.total;
      updateTotal(inFlight());
    });
    job.loaded = () => loaded;
    const finish = (ok, message) => {
      running--;
      doneBytes += job.file.size;
      job.loaded = () => 0;
      job.bar.value = 1;
      job.li.classList.add(ok ? "ok" : "failed");
      job.msg.textContent = message;
      if (ok) stored++;
      else failed++;
      updateTotal(inFlight());
      next();
    };
    xhr.addEventListener("load", () => {
      const f = xhr.response?.files?.[0];
      if (f) {
        const why = explain(f);
        if (f.result === "new" || f.result === "joined") added.push(f.photo_id);
        if (why === null) finish(true, "uploaded");
        else finish(f.result === "existing" || f.result === "joined", why);
      } else {
        finish(false, xhr.response?.error || xhr.response?.message || `the server answered ${xhr.status}`);
      }
    });
    xhr.addEventListener("error", () => finish(false, "the connection failed"));
    xhr.send(form);
  }

  const active = new Set();
  function inFlight() {
    let n = 0;
    for (const j of active) n += j.loaded();
    return n;
  }

  function next() {
    while (running < PARALLEL && queue.length) {
      const job = queue.shift();
      active.add(job);
      send(job);
    }
    if (!running && !queue.length) {
      active.clear();
      summary.textContent = `Done: ${stored} stored or already there, ${failed} not stored.`;
      // A page that shows the new photos itself (the timeline) cancels the event; anywhere else
      // (an album, the trash, a search) they are not on this page, so say where they are.
      const event = new CustomEvent("shoebox:uploaded", { cancelable: true, detail: { added: [...added] } });
      const shownHere = !document.dispatchEvent(event);
      elsewhere.hidden = shownHere || !added.length;
      document.getElementById("upload-elsewhere-count").textContent =
        `${added.length} photo${added.length === 1 ? "" : "s"} uploaded`;
    } else {
      summary.textContent = `Uploading ${queue.length + running} file(s)…`;
    }
  }

  function add(files) {
    if (!files.length) return;
    panel.hidden = false;
    for (const { file, name } of files) {
      const li = document.createElement("li");
      const label = document.createElement("span");
      label.className = "fname";
      label.textContent = name;
      const bar = document.createElement("progress");
      bar.max = 1;
      bar.value = 0;
      bar.setAttribute("aria-label", `Upload of ${name}`);
      const msg = document.createElement("span");
      msg.className = "msg";
      msg.textContent = "waiting";
      li.append(label, bar, msg);
      list.append(li);
      sizeSum += file.size;
      queue.push({ file, name, li, bar, msg, loaded: () => 0 });
    }
    updateTotal(inFlight());
    next();
  }

  // Folders: walk the dropped directory entries; hidden files (.DS_Store, …) are left out.
  async function walk(entry, prefix, out) {
    if (entry.name.startsWith(".")) return;
    if (entry.isFile) {
      const file = await new Promise((res, rej) => entry.file(res, rej));
      out.push({ file, name: file.name, path: prefix + file.name });
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (;;) {
        const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
        if (!batch.length) break;
        for (const e of batch) await walk(e, `${prefix}${entry.name}/`, out);
      }
    }
  }

  async function dropped(dt) {
    const out = [];
    const entries = [];
    for (const item of dt.items || []) {
      if (item.kind !== "file") continue;
      const entry = item.webkitGetAsEntry?.();
      if (entry) entries.push(entry);
      else {
        const f = item.getAsFile();
        if (f) out.push({ file: f, name: f.name });
      }
    }
    for (const e of entries) await walk(e, "", out);
    if (!out.length && dt.files) for (const f of dt.files) out.push({ file: f, name: f.name });
    add(out);
  }

  input.addEventListener("change", () => {
    add([...input.files].map((f) => ({ file: f, name: f.name })));
    input.value = "";
  });
  document.getElementById("upload-close").addEventListener("click", () => {
    if (running || queue.length) return;
    panel.hidden = true;
    list.replaceChildren();
    sizeSum = doneBytes = stored = failed = 0;
    added.length = 0;
    elsewhere.hidden = true;
    updateTotal(0);
  });

  let depth = 0;
  const hasFiles = (e) => [...(e.dataTransfer?.types || [])].includes("Files");
  document.addEventListener("dragenter", (e) => {
    if (!hasFiles(e)) return;
    depth++;
    drop.hidden = false;
  });
  document.addEventListener("dragleave", () => {
    if (--depth <= 0) {
      depth = 0;
      drop.hidden = true;
    }
  });
  document.addEventListener("dragover", (e) => {
    if (hasFiles(e)) e.preventDefault();
  });
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    depth = 0;
    drop.hidden = true;
    if (e.dataTransfer) dropped(e.dataTransfer);
  });
});
