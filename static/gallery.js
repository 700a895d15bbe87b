// Timeline grids: infinite scroll (the "Older photos" link works without this file), keeping the
// place for the back button, and showing uploads without a reload.
"use strict";
(() => {
  // Appends the months of a fetched page, merging a month split across two pages.
  function append(doc, sourceURL) {
    const timeline = document.getElementById("timeline");
    for (const section of doc.querySelectorAll("#timeline > .month")) {
      for (const a of section.querySelectorAll("a.tile")) a.dataset.page = sourceURL;
      const last = timeline.lastElementChild;
      if (last && last.dataset.month === section.dataset.month) {
        last.querySelector(".grid").append(...section.querySelector(".grid").children);
      } else {
        timeline.append(document.adoptNode(section));
      }
    }
    Shoebox.placeholders(timeline);
  }

  let loading = false;
  async function loadNext(link) {
    if (loading) return;
    loading = true;
    try {
      const url = link.getAttribute("href");
      const r = await fetch(url, { credentials: "same-origin" });
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      const doc = new DOMParser().parseFromString(await r.text(), "text/html");
      append(doc, url);
      const next = doc.getElementById("next-page");
      if (next) link.setAttribute("href", next.getAttribute("href"));
      else link.parentElement.remove();
    } catch (e) {
      link.textContent = "Older photos (loading failed: select to try again)";
    } finally {
      loading = false;
    }
  }

  // The first page again, after an upload: new photos are the newest, so they are at the top.
  async function refresh() {
    const r = await fetch("/", { credentials: "same-origin" });
    if (!r.ok) return;
    const doc = new DOMParser().parseFromString(await r.text(), "text/html");
    const fresh = doc.getElementById("timeline");
    const timeline = document.getElementById("timeline");
    if (!fresh || !timeline) return;
    const known = new Set([...timeline.querySelectorAll("li[id]")].map((li) => li.id));
    document.getElementById("timeline-empty")?.remove();
    const sections = [...fresh.querySelectorAll(".month")].reverse();
    for (const section of sections) {
      const items = [...section.querySelectorAll("li[id]")].filter((li) => !known.has(li.id));
      if (!items.length) continue;
      const same = timeline.querySelector(`.month[data-month="${section.dataset.month}"] .grid`);
      if (same) {
        // Newest first: insert before the first tile that is older in the fetched order.
        const order = [...section.querySelectorAll("li[id]")].map((li) => li.id);
        for (const li of items) {
          const after = order.slice(order.indexOf(li.id) + 1).map((id) => document.getElementById(id)).find(Boolean);
          same.insertBefore(document.adoptNode(li), after && after.parentElement === same ? after : null);
        }
      } else {
        const later = [...timeline.querySelectorAll(".month")].find((m) => m.dataset.month < section.dataset.month);
        const node = document.adoptNode(section);
        for (const li of node.querySelectorAll("li[id]")) if (known.has(li.id)) li.remove();
        timeline.insertBefore(node, later || null);
      }
    }
    Shoebox.placeholders(timeline);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const timeline = document.getElementById("timeline");
    if (!timeline) return;
    const link = document.getElementById("next-page");
    if (link) {
      link.addEventListener("click", (e) => {
        e.preventDefault();
        loadNext(link);
      });
      if ("IntersectionObserver" in window) {
        new IntersectionObserver((entries) => {
          if (entries.some((en) => en.isIntersecting)) loadNext(link);
        }, { rootMargin: "800px" }).observe(link);
      }
    }
    // Opening a photo from an appended page: make this history entry that page, so the back
    // button (or a reload) comes back to the same place.
    timeline.addEventListener("click", (e) => {
      const a = e.target.closest("a.tile");
      if (!a) return;
      const page = a.dataset.page || location.pathname + location.search;
      history.replaceState(null, "", `${page}#p${a.dataset.id}`);
    });
    document.addEventListener("shoebox:uploaded", refresh);
  });
})();
