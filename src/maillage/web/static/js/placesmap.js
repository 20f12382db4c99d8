// placesmap.js: the places listed on /places, on a map. Each place is a numbered marker,
// a link to its row of the list (the same number), reachable with the keyboard in the
// list's order; the place searched is a cross. Drawn over the same background as the
// explore map (basemap.js): tiles when the server sets them, else outlines and commune names.

import { baseStyle, nameCommunes } from "./basemap.js";

const el = document.getElementById("places-map");
if (el) start(el).catch((error) => {
  el.dataset.state = "error";
  console.warn("places map:", error);
});

function webglAvailable() {
  try {
    return !!document.createElement("canvas").getContext("webgl2");
  } catch (e) {
    return false;
  }
}

// A numbered marker: a link to the row, named by its number and the place's name.
function marker(place) {
  const link = document.createElement("a");
  link.className = "place-marker";
  link.href = `#place-${place.id}`;
  link.textContent = String(place.n);
  link.setAttribute("aria-label", `${place.n}. ${place.name}`);
  link.title = place.name;
  link.style.zIndex = String(1000 - place.n);
  link.addEventListener("click", (event) => {
    const row = document.getElementById(`place-${place.id}`);
    if (!row) return;
    event.preventDefault();
    history.replaceState(null, "", link.hash);
    row.scrollIntoView({ block: "start" });
    const first = row.querySelector("a");
    if (first) first.focus({ preventScroll: true });
  });
  return link;
}

async function start(element) {
  if (!webglAvailable()) {
    element.dataset.state = "error";
    return;
  }
  const places = JSON.parse(element.dataset.places || "[]");
  const centre = JSON.parse(element.dataset.centre || "null");
  const maplibregl = await import(element.dataset.maplibreUrl);
  const map = new maplibregl.Map({ container: element, style: baseStyle(element),
    center: centre || [places[0].lon, places[0].lat], zoom: 12,
    attributionControl: { compact: !element.dataset.tileUrl }, dragRotate: false, pitchWithRotate: false });
  map.addControl(new maplibregl.NavigationControl({ showCompass: false }));
  window.maillage = Object.assign(window.maillage || {}, { placesMap: map });
  await new Promise((resolve) => map.on("load", resolve));
  nameCommunes(map, element);
  const bounds = new maplibregl.LngLatBounds();
  if (centre) {
    const cross = document.createElement("span");
    cross.className = "place-centre";
    cross.setAttribute("aria-hidden", "true");
    cross.title = element.dataset.centreLabel || "";
    new maplibregl.Marker({ element: cross }).setLngLat(centre).addTo(map);
    bounds.extend(centre);
  }
  // in the list's order (the keyboard's), the nearest drawn on top
  for (const place of places) {
    new maplibregl.Marker({ element: marker(place), anchor: "center" }).setLngLat([place.lon, place.lat]).addTo(map);
    bounds.extend([place.lon, place.lat]);
  }
  map.fitBounds(bounds, { padding: 48, maxZoom: 15, duration: 0 });
  map.once("idle", () => { element.dataset.state = "ready"; });
}
