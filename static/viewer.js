// The viewer: arrow keys and swipes move between photos, neighbours are loaded ahead, Escape goes
// back. Moving replaces the history entry, so the back button returns to the timeline.
"use strict";
document.addEventListener("DOMContentLoaded", () => {
  const viewer = document.getElementById("viewer");
  if (!viewer) return;
  const newer = document.getElementById("newer");
  const older = document.getElementById("older");
  const back = document.getElementById("back");

  for (const link of [newer, older]) {
    if (!link) continue;
    const img = new Image();
    img.sizes = "100vw";
    img.srcset = link.dataset.srcset;
    img.src = link.dataset.src;
    link.addEventListener("click", (e) => {
      e.preventDefault();
      location.replace(link.href);
    });
  }
  const go = (link) => link && location.replace(link.href);
  document.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey || e.target.closest("input, textarea, select, video")) return;
    if (e.key === "ArrowLeft") go(newer);
    else if (e.key === "ArrowRight") go(older);
    else if (e.key === "Escape") back.click();
    else if (e.key === "i") document.getElementById("info").toggleAttribute("open");
    else return;
    e.preventDefault();
  });
  // Back: the timeline entry we came from when there is one, otherwise the link.
  back.addEventListener("click", (e) => {
    if (document.referrer && new URL(document.referrer).origin === location.origin && history.length > 1) {
      const from = new URL(document.referrer);
      if (from.pathname === "/" || !from.pathname.startsWith("/photos/")) {
        e.preventDefault();
        history.back();
      }
    }
  });
  // Touch: swipe left or right for the next or previous photo, down to close; a tap shows or
  // hides the bars, so the photo can fill the screen.
  let start = null;
  const stage = viewer.querySelector(".stage");
  stage.addEventListener("touchstart", (e) => {
    if (e.touches.length === 1) start = { x: e.touches[0].clientX, y: e.touches[0].clientY };
    else start = null;
  }, { passive: true });
  stage.addEventListener("touchend", (e) => {
    if (!start) return;
    const t = e.changedTouches[0];
    const dx = t.clientX - start.x, dy = t.clientY - start.y;
    start = null;
    if (Math.abs(dx) > 50 && Math.abs(dx) > 2 * Math.abs(dy)) go(dx > 0 ? newer : older);
    else if (dy > 80 && dy > 2 * Math.abs(dx)) back.click();
    else if (Math.abs(dx) < 10 && Math.abs(dy) < 10) viewer.classList.toggle("bare");
  });
});

// A live photo's clip plays over the still while the mouse hovers it, or while a finger holds it
// (a moment, so a swipe or a tap stays what it was); it stops and rewinds when they leave.
document.addEventListener("DOMContentLoaded", () => {
  const clip = document.getElementById("live-clip");
  const stage = clip && clip.closest(".stage");
  if (!clip || !stage) return;
  let hold = null;
  const play = () => {
    clip.classList.add("playing");
    clip.play().catch(() => clip.classList.remove("playing"));
  };
  const stop = () => {
    clearTimeout(hold);
    hold = null;
    clip.pause();
    clip.currentTime = 0;
    clip.classList.remove("playing");
  };
  // After a tap the browser moves its mouse pointer there too: that hover is not the user's.
  let touched = 0;
  const hovering = (e) => e.pointerType === "mouse" && Date.now() - touched > 1000
    && !(e.sourceCapabilities && e.sourceCapabilities.firesTouchEvents);
  stage.addEventListener("pointerenter", (e) => { if (hovering(e)) play(); });
  stage.addEventListener("pointerleave", (e) => { if (e.pointerType === "mouse") stop(); });
  stage.addEventListener("pointerdown", (e) => {
    if (e.pointerType !== "mouse") hold = setTimeout(play, 250);
  });
  for (const end of ["pointerup", "pointercancel"]) {
    stage.addEventListener(end, (e) => {
      if (e.pointerType === "mouse") return;
      touched = Date.now();
      stop();
    });
  }
  // A long press would open the phone's image menu instead of playing.
  stage.addEventListener("contextmenu", (e) => { if (hold || clip.classList.contains("playing")) e.preventDefault(); });
});

// The small map in the info panel: Leaflet (and places.js for the tiles) load only the first
// time the panel opens, so a viewer page without that costs nothing more.
document.addEventListener("DOMContentLoaded", () => {
  const el = document.getElementById("minimap");
  const info = document.getElementById("info");
  if (!el || !info) return;
  const load = (tag, attrs) => new Promise((resolve, reject) => {
    const node = Object.assign(document.createElement(tag), attrs);
    node.onload = resolve;
    node.onerror = () => reject(new Error(`${attrs.src || attrs.href} did not load`));
    document.head.append(node);
  });
  let started = false;
  const show = async () => {
    if (!info.open || started) return;
    started = true;
    try {
      await load("link", { rel: "stylesheet", href: el.dataset.leafletCss });
      if (!window.L) await load("script", { src: el.dataset.leafletJs });
      if (!window.ShoeboxMap) await load("script", { src: el.dataset.placesJs });
      const at = [Number(el.dataset.lat), Number(el.dataset.lng)];
      const map = L.map(el, { zoomControl: false, scrollWheelZoom: false }).setView(at, 13);
      ShoeboxMap.tiles(el).addTo(map);
      L.marker(at, { icon: L.divIcon({ className: "place-pin", iconSize: [18, 18] }), title: "Where the photo was taken", keyboard: false }).addTo(map);
      el.dataset.ready = "true";
    } catch (e) {
      el.textContent = `The map could not be shown: ${e.message}.`;
    }
  };
  info.addEventListener("toggle", show);
  show();
});
