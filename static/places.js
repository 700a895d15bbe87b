// The Places map: every photo with a position, clustered (Leaflet and Leaflet.markercluster,
// vendored under /static/vendor). Selecting a cluster or a pin lists its photos under the map.
"use strict";
window.ShoeboxMap = (() => {
  const escape = (text) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
  // The credit for the tiles, as text (Leaflet shows attributions as HTML: nothing from the
  // configuration is taken as markup), linked to the tile provider's terms when known.
  const attribution = (el) => {
    const text = escape(el.dataset.attribution || "");
    const url = el.dataset.attributionUrl;
    return url ? `<a href="${escape(url)}" rel="noopener noreferrer" target="_blank">${text}</a>` : text;
  };
  const tiles = (el) => L.tileLayer(el.dataset.tiles, { maxZoom: 19, attribution: attribution(el) });
  return { tiles };
})();

document.addEventListener("DOMContentLoaded", async () => {
  const el = document.getElementById("map");
  if (!el || !window.L) return;
  const count = document.getElementById("places-count");
  const panel = document.getElementById("place-photos");
  const grid = document.getElementById("place-grid");
  const more = document.getElementById("place-more");
  const title = document.getElementById("place-photos-title");
  const map = L.map(el, { worldCopyJump: true }).setView([30, 0], 2);
  ShoeboxMap.tiles(el).addTo(map);

  let places;
  try {
    const r = await fetch(el.dataset.places, { credentials: "same-origin" });
    if (!r.ok) throw new Error(`HTTP ${r.status}`);
    places = (await r.json()).places;
  } catch (e) {
    count.textContent = `The photos' places could not be loaded (${e.message}). Reload to try again.`;
    return;
  }
  count.textContent = places.length
    ? `${places.length} photo(s) with a location. Select a group or a pin to see its photos.`
    : "None of your photos has a location yet. Cameras and phones with GPS record where a photo was taken.";
  // Newest first, as the API lists them; a cluster's photos are shown in this order.
  const order = new Map(places.map((p, i) => [p.id, i]));

  // A cluster's (or a pin's) photos: thumbnails linking to the viewer, a page of them at a time.
  const PAGE = 30;
  let shown = [], next = 0;
  const showMore = async () => {
    const batch = shown.slice(next, next + PAGE);
    next += batch.length;
    more.hidden = next >= shown.length;
    const photos = await Promise.all(batch.map(async (id) => {
      const r = await fetch(`/api/v1/photos/${id}`, { credentials: "same-origin" });
      return r.ok ? r.json() : null;
    }));
    for (const p of photos) {
      if (!p) continue;
      const li = document.createElement("li");
      li.id = `place-p${p.id}`;
      const a = document.createElement("a");
      a.className = "tile";
      a.href = `/photos/${p.id}`;
      a.dataset.id = p.id;
      const img = document.createElement("img");
      img.src = p.thumbnails.tile_224;
      img.alt = p.title || `Photo taken ${p.taken_local.replace("T", " ")}`;
      img.loading = "lazy";
      a.append(img);
      li.append(a);
      grid.append(li);
    }
  };
  const showPhotos = (ids) => {
    shown = [...ids].sort((a, b) => order.get(a) - order.get(b));
    next = 0;
    grid.replaceChildren();
    title.textContent = `${shown.length} photo(s) here`;
    panel.hidden = false;
    showMore();
    title.tabIndex = -1;
    title.focus({ preventScroll: true });
    panel.scrollIntoView({ behavior: "smooth", block: "nearest" });
  };
  more.addEventListener("click", showMore);
  document.getElementById("place-close").addEventListener("click", () => {
    panel.hidden = true;
    el.focus();
  });

  const cluster = L.markerClusterGroup({ zoomToBoundsOnClick: false, showCoverageOnHover: false, maxClusterRadius: 60 });
  const pin = L.divIcon({ className: "place-pin", iconSize: [18, 18] });
  for (const p of places) {
    const marker = L.marker([p.lat, p.lng], { icon: pin, title: "A photo taken here", keyboard: true });
    marker.photoId = p.id;
    marker.on("click", () => showPhotos([p.id]));
    cluster.addLayer(marker);
  }
  cluster.on("clusterclick", (e) => showPhotos(e.layer.getAllChildMarkers().map((m) => m.photoId)));
  // Clusters are reached with the keyboard too: Enter on a focused cluster opens its photos.
  cluster.on("clusterkeypress", (e) => {
    if (e.originalEvent.key === "Enter") showPhotos(e.layer.getAllChildMarkers().map((m) => m.photoId));
  });
  // Zoom first, without animation, then draw the clusters once, at that zoom (clusters drawn
  // during a zoom animation are replaced when it ends).
  if (places.length) {
    const bounds = L.latLngBounds(places.map((p) => [p.lat, p.lng]));
    map.fitBounds(bounds, { maxZoom: 13, padding: [30, 30], animate: false });
  }
  map.addLayer(cluster);
  el.dataset.ready = "true";
});
