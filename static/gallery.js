// Timeline grids: infinite scroll (the "Older photos" link works without this file), keeping the
// place for the back button, and showing uploads without a reload on the timeline (elsewhere
// upload.js says where they went; on an album page they can be added to it).
"use strict";

// Justified rows, as photo apps lay out a timeline: every photo keeps its aspect ratio (from the
// width and height in the page, so boxes are right before any image has loaded), the photos of
// one row share a height, and each row but a month's last fills the width. Without this file
// the CSS shows a plain grid of squares.
Shoebox.justify = (root) => {
  const narrow = matchMedia("(max-width: 40rem)").matches;
  const target = narrow ? 110 : 220;
  root.classList.add("justified");
  for (const grid of root.querySelectorAll(".grid")) {
    // The exact width less a pixel: clientWidth is rounded, the browser rounds each box to
    // 1/64 px, and a hair too many wraps a row's last photo.
    const width = grid.getBoundingClientRect().width - 1;
    if (width <= 0) continue;
    grid.dataset.width = width;
    const gap = parseFloat(getComputedStyle(grid).columnGap) || 0;
    let row = [], ratios = 0;
    const close = (last) => {
      let h = (width - gap * (row.length - 1)) / ratios;
      if (last) h = Math.min(h, target);
      for (const { li, ratio } of row) {
        // Rounded down to 1/100 px: a sum a hair over the width would wrap the last photo.
        const w = Math.floor(ratio * h * 100) / 100;
        li.style.width = `${w}px`;
        li.style.height = `${Math.floor(h * 100) / 100}px`;
      }
      row = [];
      ratios = 0;
    };
    for (const li of grid.children) {
      const img = li.querySelector("img");
      if (!img) continue;
      const ratio = (Number(img.getAttribute("width")) || 1) / (Number(img.getAttribute("height")) || 1);
      row.push({ li, img, ratio });
      ratios += ratio;
      if (ratios * target + gap * (row.length - 1) >= width) close(false);
    }
    if (row.length) close(true);
  }
};

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
    Shoebox.justify(timeline);
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
    Shoebox.justify(timeline);
  }

  // On an album page: a button in the upload notice that adds the photos just uploaded to it.
  function offerAlbum(album, ids) {
    const notice = document.getElementById("upload-elsewhere");
    if (!notice || !ids.length) return;
    let button = document.getElementById("upload-to-album");
    if (!button) {
      button = document.createElement("button");
      button.type = "button";
      button.id = "upload-to-album";
      button.className = "small";
      button.textContent = "Add them to this album";
      notice.append(" ", button);
      button.addEventListener("click", async () => {
        button.disabled = true;
        const r = await fetch(`/api/v1/albums/${album}/photos`, {
          method: "POST",
          headers: { "Content-Type": "application/json", "X-CSRF-Token": Shoebox.csrf() },
          body: JSON.stringify({ ids: JSON.parse(button.dataset.ids) }),
        });
        if (r.ok) location.reload();
        else {
          button.disabled = false;
          const v = await r.json().catch(() => ({}));
          button.textContent = `Not added: ${v.error || `HTTP ${r.status}`} (select to try again)`;
        }
      });
    }
    button.dataset.ids = JSON.stringify(ids);
  }

  document.addEventListener("DOMContentLoaded", () => {
    const timeline = document.getElementById("timeline");
    if (!timeline) return;
    Shoebox.justify(timeline);
    // Again when the width changes (rotation, a window resized, a scroll bar appearing).
    new ResizeObserver(() => {
      const moved = (g) => Math.abs(g.getBoundingClientRect().width - 1 - Number(g.dataset.width)) > 0.5;
      if ([...timeline.querySelectorAll(".grid")].some(moved)) Shoebox.justify(timeline);
    }).observe(timeline);
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
    // Only the unfiltered first page of the timeline holds the newest photos; merging them into
    // an album, the trash or a search result would show photos that do not belong there.
    if (timeline.dataset.showsUploads === "true") {
      document.addEventListener("shoebox:uploaded", (e) => {
        e.preventDefault();
        refresh();
      });
    } else if (timeline.dataset.album) {
      document.addEventListener("shoebox:uploaded", (e) => offerAlbum(timeline.dataset.album, e.detail.added));
    }
  });
})();

// Select mode: "Select", then click tiles (shift-click for a range; Space or Enter with the
// keyboard; on a touch screen a long press on a photo starts select mode with it), then a bulk action. Actions go to the JSON API, then the page reloads.
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const bar = document.getElementById("select-bar");
    const timeline = document.getElementById("timeline");
    if (!bar || !timeline) return;
    bar.hidden = false;
    const toggle = document.getElementById("select-toggle");
    const count = document.getElementById("select-count");
    const actions = bar.querySelector(".actions");
    let on = false, last = null;
    const tiles = () => [...timeline.querySelectorAll("a.tile")];
    const chosen = () => tiles().filter((a) => a.classList.contains("selected"));
    const show = () => {
      const n = chosen().length;
      count.textContent = on ? `${n} selected` : "";
      actions.hidden = !on || n === 0;
    };
    const mark = (a, yes) => {
      a.classList.toggle("selected", yes);
      a.setAttribute("aria-pressed", String(yes));
    };
    toggle.addEventListener("click", () => {
      on = !on;
      toggle.setAttribute("aria-pressed", String(on));
      toggle.textContent = on ? "Done" : "Select";
      timeline.classList.toggle("selecting", on);
      for (const a of tiles()) {
        if (on) a.setAttribute("aria-pressed", "false");
        else {
          a.classList.remove("selected");
          a.removeAttribute("aria-pressed");
        }
      }
      last = null;
      show();
    });
    const pick = (a, range) => {
      const all = tiles();
      if (range && last) {
        const [i, j] = [all.indexOf(last), all.indexOf(a)].sort((x, y) => x - y);
        for (const t of all.slice(i, j + 1)) mark(t, true);
      } else {
        mark(a, !a.classList.contains("selected"));
      }
      last = a;
      show();
    };
    // A long press (half a second without moving) selects, as in phone photo apps; the click
    // that follows the finger lifting is swallowed, so it neither opens nor unselects the photo.
    let press = null, swallow = false;
    const cancelPress = () => {
      if (press) clearTimeout(press.timer);
      press = null;
    };
    timeline.addEventListener("pointerdown", (e) => {
      const a = e.target.closest("a.tile");
      if (e.pointerType === "mouse" || !a) return;
      cancelPress();
      swallow = false;
      press = {
        x: e.clientX,
        y: e.clientY,
        timer: setTimeout(() => {
          press = null;
          swallow = true;
          if (!on) toggle.click();
          if (!a.classList.contains("selected")) pick(a, false);
          navigator.vibrate?.(15);
        }, 500),
      };
    });
    timeline.addEventListener("pointermove", (e) => {
      if (press && Math.hypot(e.clientX - press.x, e.clientY - press.y) > 10) cancelPress();
    });
    timeline.addEventListener("pointerup", cancelPress);
    timeline.addEventListener("pointercancel", cancelPress);
    // Android opens a link's menu on a long press, sometimes before the timer above: a press
    // still held then selects at once instead.
    timeline.addEventListener("contextmenu", (e) => {
      const a = e.target.closest("a.tile");
      if (!a) return;
      if (press) {
        cancelPress();
        swallow = true;
        if (!on) toggle.click();
        if (!a.classList.contains("selected")) pick(a, false);
      }
      if (on || swallow) e.preventDefault();
    });
    // Capture phase: in select mode a click selects instead of opening the photo.
    timeline.addEventListener("click", (e) => {
      const a = e.target.closest("a.tile");
      if (a && swallow) {
        swallow = false;
        e.preventDefault();
        e.stopImmediatePropagation();
        return;
      }
      if (!on || !a) return;
      e.preventDefault();
      e.stopImmediatePropagation();
      pick(a, e.shiftKey);
    }, true);
    timeline.addEventListener("keydown", (e) => {
      const a = e.target.closest("a.tile");
      if (!on || !a || (e.key !== " " && e.key !== "Enter")) return;
      e.preventDefault();
      pick(a, e.shiftKey);
    });
    bar.addEventListener("click", async (e) => {
      const b = e.target.closest("button[data-action]");
      if (!b) return;
      const ids = chosen().map((a) => Number(a.dataset.id));
      if (!ids.length) return;
      const action = b.dataset.action;
      if (action === "zip") {
        location.href = `/api/v1/photos/zip?ids=${ids.join(",")}`;
        return;
      }
      if (action === "trash" && !confirm(`Move ${ids.length} photo(s) to the trash?`)) return;
      const body = { action, ids };
      if (action === "add_to_album" || action === "remove_from_album") {
        body.album_id = Number(action === "add_to_album" ? document.getElementById("select-album").value : bar.dataset.album);
      }
      b.disabled = true;
      const r = await fetch("/api/v1/photos/batch", {
        method: "POST",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": Shoebox.csrf() },
        body: JSON.stringify(body),
      });
      b.disabled = false;
      if (r.ok) location.reload();
      else {
        const v = await r.json().catch(() => ({}));
        count.textContent = `Not done: ${v.error || `HTTP ${r.status}`}`;
      }
    });
  });
})();

// The date scrubber: pressing or dragging along it shows the month under the finger or pointer;
// letting go goes there: by scrolling when the month is on the page already, otherwise by
// loading the page that starts at that month (the link), skipping everything in between.
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const scrubber = document.getElementById("scrubber");
    if (!scrubber) return;
    const label = document.createElement("div");
    label.className = "scrub-label";
    label.setAttribute("aria-hidden", "true");
    label.hidden = true;
    document.body.append(label);
    let current = null;
    // The month link under the height y (the scrubber's ticks stack from top to bottom).
    const under = (y) => {
      const ticks = [...scrubber.querySelectorAll("a.tick")];
      return ticks.find((t) => t.getBoundingClientRect().bottom >= y) || ticks[ticks.length - 1];
    };
    const show = (y) => {
      const tick = under(y);
      if (!tick) return;
      current?.classList.remove("here");
      current = tick;
      tick.classList.add("here");
      label.textContent = tick.dataset.label;
      label.style.top = `${Math.max(0, y - 16)}px`;
      label.hidden = false;
    };
    // The month at the top of the screen is marked on the scrubber while scrolling.
    const mark = (key) => {
      for (const t of scrubber.querySelectorAll("a.tick[aria-current]")) t.removeAttribute("aria-current");
      scrubber.querySelector(`a.tick[data-month="${key}"]`)?.setAttribute("aria-current", "true");
    };
    let ticking = false;
    addEventListener("scroll", () => {
      if (ticking) return;
      ticking = true;
      requestAnimationFrame(() => {
        ticking = false;
        const months = [...document.querySelectorAll("#timeline .month")];
        const top = months.filter((m) => m.getBoundingClientRect().top <= 80).pop() || months[0];
        if (top) mark(top.dataset.month);
      });
    }, { passive: true });
    const first = document.querySelector("#timeline .month");
    if (first) mark(first.dataset.month);
    const jump = (tick) => {
      const there = document.querySelector(`#timeline .month[data-month="${tick.dataset.month}"]`);
      if (there) there.scrollIntoView();
      else location.href = tick.href;
    };
    let dragging = false;
    scrubber.addEventListener("pointerdown", (e) => {
      if (e.button !== 0) return;
      e.preventDefault();
      dragging = true;
      scrubber.setPointerCapture(e.pointerId);
      show(e.clientY);
    });
    scrubber.addEventListener("pointermove", (e) => {
      if (dragging) show(e.clientY);
      else if (e.pointerType === "mouse") show(e.clientY);
    });
    scrubber.addEventListener("pointerleave", () => {
      if (!dragging) label.hidden = true;
    });
    const end = (go) => () => {
      if (!dragging) return;
      dragging = false;
      label.hidden = true;
      if (go && current) jump(current);
    };
    scrubber.addEventListener("pointerup", end(true));
    scrubber.addEventListener("pointercancel", end(false));
    // The pointer did the work; a keyboard's Enter still follows the link (or scrolls).
    scrubber.addEventListener("click", (e) => {
      const a = e.target.closest("a");
      if (!a) return;
      e.preventDefault();
      if (e.detail === 0) jump(a.classList.contains("tick") ? a : scrubber.querySelector(`a.tick[data-month="${a.dataset.month}"]`));
    });
  });
})();

// The slideshow of a list (the timeline, an album): the photos on the page one after another,
// each for a few seconds, loading the next page of the list when it gets near the end.
(() => {
  document.addEventListener("DOMContentLoaded", () => {
    const start = document.getElementById("slideshow-start");
    const timeline = document.getElementById("timeline");
    if (!start || !timeline) return;
    let show = null;

    const button = (label, action) => {
      const b = document.createElement("button");
      b.type = "button";
      b.textContent = label;
      b.addEventListener("click", action);
      return b;
    };

    const open = () => {
      const tiles = () => [...timeline.querySelectorAll("a.tile img")];
      if (show || !tiles().length) return;
      const overlay = document.createElement("div");
      overlay.className = "slideshow";
      overlay.id = "slideshow";
      overlay.setAttribute("role", "dialog");
      overlay.setAttribute("aria-modal", "true");
      overlay.setAttribute("aria-label", "Slideshow");
      const frames = [new Image(), new Image()];
      const status = document.createElement("p");
      status.className = "sr";
      status.setAttribute("role", "status");
      const controls = document.createElement("div");
      controls.className = "controls";
      const interval = Number(start.dataset.interval) || 5000;
      const size = Math.max(screen.width, screen.height) * devicePixelRatio > 1400 ? "fit_1920" : "fit_1280";
      const sharper = async (img, id) => {
        try {
          const r = await fetch(`/api/v1/photos/${id}`, { credentials: "same-origin" });
          const url = r.ok && (await r.json()).thumbnails?.[size];
          if (!url) return;
          const big = new Image();
          big.src = url;
          await big.decode();
          if (overlay.dataset.id === id) img.src = url;
        } catch (e) {
          // The thumbnail stays: a softer picture, the slideshow goes on.
        }
      };
      let index = 0, front = 0, timer = null, playing = true;
      const schedule = () => {
        clearTimeout(timer);
        if (playing) timer = setTimeout(() => go(index + 1), interval);
      };
      const go = (to) => {
        const all = tiles();
        // Near the end: the next page of the list, as scrolling down would load it.
        if (to >= all.length - 3) document.getElementById("next-page")?.click();
        index = (to + all.length) % all.length;
        const tile = all[index];
        front = 1 - front;
        const img = frames[front];
        const id = tile.closest("a.tile").dataset.id;
        // The tile's thumbnail is loaded already; a screen-sized one replaces it when the API
        // has said where it is (the server alone makes media URLs).
        img.src = tile.getAttribute("src");
        img.alt = tile.alt;
        sharper(img, id);
        frames[1 - front].classList.remove("on");
        img.classList.add("on");
        overlay.dataset.id = id;
        status.textContent = `Photo ${index + 1} of ${all.length}${playing ? "" : ", paused"}`;
        schedule();
      };
      const pause = button("Pause", () => {
        playing = !playing;
        pause.textContent = playing ? "Pause" : "Play";
        pause.setAttribute("aria-pressed", String(!playing));
        status.textContent = playing ? "Playing" : "Paused";
        schedule();
      });
      pause.setAttribute("aria-pressed", "false");
      const close = () => {
        clearTimeout(timer);
        document.removeEventListener("keydown", keys, true);
        if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
        overlay.remove();
        show = null;
        start.focus();
      };
      const keys = (e) => {
        const act = { " ": () => pause.click(), ArrowLeft: () => go(index - 1), ArrowRight: () => go(index + 1), Escape: close }[e.key];
        if (!act) return;
        e.preventDefault();
        e.stopImmediatePropagation();
        act();
      };
      controls.append(button("Previous", () => go(index - 1)), pause, button("Next", () => go(index + 1)), button("Close", close));
      overlay.append(...frames, controls, status);
      document.body.append(overlay);
      document.addEventListener("keydown", keys, true);
      show = overlay;
      overlay.requestFullscreen?.().catch(() => {});
      pause.focus();
      go(0);
    };

    start.addEventListener("click", open);
    document.addEventListener("keydown", (e) => {
      if (e.key !== "s" || e.ctrlKey || e.metaKey || e.altKey || show) return;
      if (e.target.closest("input, textarea, select, [contenteditable], dialog")) return;
      e.preventDefault();
      open();
    });
  });
})();
