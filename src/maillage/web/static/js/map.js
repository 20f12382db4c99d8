// map.js: the map widget. Actors as points coloured by world, clustered when dense,
// those placed at their commune's centre (approximate) as one point per commune that
// says so and names them, over the shipped boundaries of régions and départements (no outside tiles unless the
// server sets one). Listens to "maillage:filters" and "maillage:select"; emits
// "maillage:select" (an actor) and "maillage:drill" (a territory, in aggregated views).
// Points are clustered in every mode, clusters never wider than half the clustering
// radius, so that neighbouring clusters do not overlap; a click takes the point whose
// centre is nearest (never a neighbour drawn over it).

import { baseStyle, nameCommunes } from "./basemap.js";

const FRANCE = [[-5.5, 41.2], [9.8, 51.3]]; // mainland France (Corsica included)
const LANG = document.documentElement.lang || "fr";
const NUMBER = new Intl.NumberFormat(LANG);
const COMPACT = new Intl.NumberFormat(LANG, { notation: "compact", maximumFractionDigits: 1 });
const CLUSTER_MAX_ZOOM = 13;
const CLUSTER_RADIUS = 50; // pixels; a cluster's circle is at most 20 px wide each side
const GROUP_NAMES = 30; // names listed in a commune's group; the table holds them all

const el = document.getElementById("map");
if (el) start(el).catch((error) => fail(el, error));

// The page's strings (data, in its language).
function strings() {
  const node = document.getElementById("maillage-i18n");
  return node ? JSON.parse(node.textContent) : {};
}

// The page's string ``key`` with its ``values`` in, numbers written in the page's language.
function say(key, values) {
  let text = strings()[key] || key;
  if (typeof text === "object") text = text[new Intl.PluralRules(LANG).select((values || {}).n)] || text.other;
  for (const [name, value] of Object.entries(values || {})) {
    text = text.replace(`%(${name})s`, typeof value === "number" ? NUMBER.format(value) : value);
  }
  return text;
}

function status(text) {
  const node = document.getElementById("map-status");
  if (node) node.textContent = text;
}

function fail(element, error) {
  element.dataset.state = "error";
  status(error && error.name === "WebGLUnavailable" ? say("no_webgl") : say("error"));
  console.warn("map:", error);
}

// The server refused the filters (4xx): say so, apart from a failure of its own.
function refusal(error) {
  return error && error.status >= 400 && error.status < 500 ? say("refused") : say("error");
}

function inFrance([lon, lat]) {
  return lon >= FRANCE[0][0] && lon <= FRANCE[1][0] && lat >= FRANCE[0][1] && lat <= FRANCE[1][1];
}

// What to frame: the points in mainland France when they hold at least half of the
// actors placed (the national view would otherwise be framed on the overseas
// départements too, mainland France a tenth of it), else all of them (a view of
// La Réunion). [[west, south], [east, north]], or null without a point.
function framing(features) {
  const points = features.filter((f) => f.geometry && f.geometry.type === "Point");
  const weight = (f) => f.properties.count || f.properties.point_count || 1;
  const inside = points.filter((f) => inFrance(f.geometry.coordinates));
  const all = points.reduce((sum, f) => sum + weight(f), 0);
  const chosen = inside.reduce((sum, f) => sum + weight(f), 0) * 2 >= all && inside.length ? inside : points;
  if (!chosen.length) return null;
  const box = [[Infinity, Infinity], [-Infinity, -Infinity]];
  for (const f of chosen) {
    const [lon, lat] = f.geometry.coordinates;
    box[0] = [Math.min(box[0][0], lon), Math.min(box[0][1], lat)];
    box[1] = [Math.max(box[1][0], lon), Math.max(box[1][1], lat)];
  }
  return box;
}

function webglAvailable() {
  try {
    return !!document.createElement("canvas").getContext("webgl2");
  } catch (e) {
    return false;
  }
}

function withQuery(url, query) {
  const target = new URL(url, window.location.href);
  target.search = new URLSearchParams(query).toString();
  return target.toString();
}

// ``query`` in the timeline's ``year`` (every year when it is null).
function inYear(query, year) {
  const params = new URLSearchParams(query);
  if (year == null || year === "") params.delete("year");
  else params.set("year", String(year));
  return params.toString();
}

// The colour of a point: its world's, from the taxonomy as the page gives it
// (``colours``: world -> colour), ``unknown`` for an actor with no world.
function colourExpression(colours, unknown) {
  const match = ["match", ["get", "world"]];
  for (const [world, colour] of Object.entries(colours)) match.push(world, colour);
  match.push(unknown);
  return match;
}

// A cluster counts actors: a commune's group (approximate places, or a territory of an
// aggregated view) counts its members.
const ACTORS_OF = ["coalesce", ["get", "count"], 1];
// The radius of a point that stands for ``n`` actors: at most 19 px, 20 with half its
// stroke, so that two clusters, at least CLUSTER_RADIUS apart, leave a margin between them.
const radiusOf = (n) => ["interpolate", ["linear"], n, 1, 7, 2, 10, 20, 13, 200, 16, 2000, 19];

function addActorLayers(map, colours, unknown) {
  map.addSource("actors", { type: "geojson", data: { type: "FeatureCollection", features: [] },
    cluster: true, clusterMaxZoom: CLUSTER_MAX_ZOOM, clusterRadius: CLUSTER_RADIUS, promoteId: "id",
    clusterProperties: { actors: ["+", ACTORS_OF] } });
  map.addLayer({ id: "clusters", type: "circle", source: "actors", filter: ["has", "point_count"],
    paint: { "circle-color": "#1e3a8a", "circle-opacity": 0.85, "circle-stroke-color": "#fff", "circle-stroke-width": 2,
      "circle-radius": radiusOf(["get", "actors"]) } });
  map.addLayer({ id: "actors", type: "circle", source: "actors", filter: ["!", ["has", "point_count"]],
    layout: { "circle-sort-key": ["-", 0, ACTORS_OF] }, // small groups drawn over big ones
    paint: { "circle-color": colourExpression(colours, unknown),
      "circle-stroke-color": ["case", ["has", "approximate"], "#111827", "#fff"],
      "circle-stroke-width": ["case", ["has", "approximate"], 2.5, 1.5],
      "circle-radius": ["case", ["has", "count"], radiusOf(["get", "count"]), 7] } });
  map.addLayer({ id: "selected", type: "circle", source: "actors", filter: ["==", ["get", "id"], -1],
    paint: { "circle-color": "rgba(0,0,0,0)", "circle-radius": 13, "circle-stroke-color": "#111827", "circle-stroke-width": 3 } });
}

// Of the points under a click, the one whose centre is nearest (the one the visitor aimed at).
function nearest(map, features, point) {
  let best = null;
  let bestDistance = Infinity;
  for (const f of features) {
    const p = map.project(f.geometry.coordinates);
    const distance = (p.x - point.x) ** 2 + (p.y - point.y) ** 2;
    if (distance < bestDistance) [best, bestDistance] = [f, distance];
  }
  return best;
}

class MapWidget {
  constructor(maplibregl, element) {
    this.lib = maplibregl;
    this.el = element;
    this.colours = JSON.parse(element.dataset.colours || "{}");
    this.unknown = element.dataset.unknownColour;
    this.query = new URLSearchParams(JSON.parse(element.dataset.query || "{}")).toString();
    this.places = new Map();
    this.groups = new Map(); // commune code -> its group of approximate places
    this.markers = new Map();
    this.mode = "actors";
    this.loads = 0;
    this.requests = 0;
  }

  async open() {
    this.map = new this.lib.Map({ container: this.el, style: baseStyle(this.el), bounds: FRANCE,
      attributionControl: { compact: !this.el.dataset.tileUrl }, dragRotate: false, pitchWithRotate: false,
      locale: strings().map_ui || {} });
    this.map.addControl(new this.lib.NavigationControl({ showCompass: false }));
    await new Promise((resolve) => this.map.on("load", resolve));
    nameCommunes(this.map, this.el);
    addActorLayers(this.map, this.colours, this.unknown);
    this.listen();
    await this.load(this.query);
  }

  listen() {
    this.map.on("click", (e) => this.click(e.point));
    for (const layer of ["actors", "clusters"]) {
      this.map.on("mouseenter", layer, () => { this.map.getCanvas().style.cursor = "pointer"; });
      this.map.on("mouseleave", layer, () => { this.map.getCanvas().style.cursor = ""; });
    }
    this.map.on("idle", () => this.updateCounts());
    document.addEventListener("maillage:filters", (e) => this.load(e.detail.query)); // never rejects
    // The timeline: the actors linked in the year, where the map is (no reframing).
    document.addEventListener("maillage:year", (e) => {
      if (inYear(this.query, e.detail.year) !== this.query) this.load(inYear(this.query, e.detail.year), false);
    });
    document.addEventListener("maillage:select", (e) => this.select(e.detail.actorId, e.detail.from));
    const shade = document.getElementById("shade");
    if (shade) shade.addEventListener("change", () => this.shade());
  }

  // One handler for points and clusters: the nearest centre under the pointer wins (a
  // neighbour's circle drawn over it never steals the click).
  click(point) {
    const pad = 3;
    const box = [[point.x - pad, point.y - pad], [point.x + pad, point.y + pad]];
    const hit = this.map.queryRenderedFeatures(box, { layers: ["clusters", "actors"] });
    const feature = nearest(this.map, hit, point);
    if (!feature) return;
    if (feature.properties.cluster_id != null) this.zoomCluster(feature);
    else this.clickPoint(feature);
  }

  clickPoint(feature) {
    const props = feature.properties;
    if (props.approximate) {
      this.openGroup(this.groups.get(props.code), feature.geometry.coordinates);
    } else if (props.code) {
      document.dispatchEvent(new CustomEvent("maillage:drill", { detail: { territory: props.code } }));
    } else {
      document.dispatchEvent(new CustomEvent("maillage:select", { detail: { actorId: props.id, from: "map" } }));
    }
  }

  // The actors placed at a commune's centre: how many, that the place is approximate,
  // and who (each name selects its actor).
  openGroup(group, coordinates) {
    if (!group) return;
    if (this.popup) this.popup.remove();
    const box = document.createElement("div");
    box.className = "map-group";
    const title = document.createElement("strong");
    title.textContent = say(group.count === 1 ? "group_title_one" : "group_title", { name: group.name, n: group.count });
    const note = document.createElement("p");
    note.className = "map-group-note";
    note.textContent = say("approximate_note");
    const list = document.createElement("ul");
    for (const [id, name] of group.members.slice(0, GROUP_NAMES)) {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "linklike";
      button.dataset.actorId = String(id);
      button.textContent = name;
      button.addEventListener("click", () => document.dispatchEvent(
        new CustomEvent("maillage:select", { detail: { actorId: id, from: "map" } })));
      const item = document.createElement("li");
      item.append(button);
      list.append(item);
    }
    box.append(title, note, list);
    if (group.members.length > GROUP_NAMES) {
      const more = document.createElement("p");
      more.textContent = say("group_more", { n: group.members.length - GROUP_NAMES });
      box.append(more);
    }
    this.popup = new this.lib.Popup({ maxWidth: "340px" }).setLngLat(coordinates).setDOMContent(box).addTo(this.map);
  }

  async zoomCluster(feature) {
    const zoom = await this.map.getSource("actors").getClusterExpansionZoom(feature.properties.cluster_id);
    this.map.easeTo({ center: feature.geometry.coordinates, zoom });
  }

  // Shows the view of ``query``; when it cannot be had (filters refused, server down),
  // the previous view stays and the status says why. Only the last request's answer is
  // shown (filters can change faster than answers come).
  async load(query, frame = true) {
    const ticket = (this.requests += 1);
    this.el.dataset.state = "loading";
    status(say("loading"));
    try {
      const response = await fetch(withQuery(this.el.dataset.geojsonUrl, query), { headers: { Accept: "application/geo+json" } });
      if (!response.ok) throw Object.assign(new Error(`map data: ${response.status}`), { status: response.status });
      const data = await response.json();
      if (ticket !== this.requests) return;
      this.query = query; // the view shown, that shade() follows
      this.el.dataset.year = new URLSearchParams(query).get("year") || "";
      this.show(data, frame);
      await this.shade();
    } catch (error) {
      if (ticket !== this.requests) return;
      this.el.dataset.state = "error";
      status(refusal(error));
      console.warn("map:", error);
      return;
    }
    if (ticket !== this.requests) return;
    this.loads += 1;
    this.el.dataset.loads = String(this.loads);
    this.el.dataset.state = "ready";
  }

  show(data, frame = true) {
    const meta = data.meta;
    this.mode = meta.mode;
    this.places = new Map(data.features.filter((f) => f.properties.id).map((f) => [f.properties.id, f.geometry.coordinates]));
    this.groups = new Map(data.features.filter((f) => f.properties.approximate).map((f) => [f.properties.code, f.properties]));
    for (const f of data.features.filter((g) => g.properties.approximate)) {
      for (const [id] of f.properties.members) this.places.set(id, f.geometry.coordinates);
    }
    if (this.popup) this.popup.remove();
    for (const marker of this.markers.values()) marker.remove();
    this.markers.clear();
    const source = this.map.getSource("actors");
    source.setClusterOptions({ cluster: true, clusterMaxZoom: CLUSTER_MAX_ZOOM, clusterRadius: CLUSTER_RADIUS });
    source.setData(data);
    const box = frame ? framing(data.features) : null;
    if (box) this.map.fitBounds(box, { padding: 40, maxZoom: 10, duration: 0 });
    status(this.caption(meta));
  }

  // The status line of a view: how many actors, grouped or not, and how many unplaced.
  caption(meta) {
    let text = meta.mode === "actors"
      ? say("actors_shown", { n: meta.total - meta.unplaced })
      : say("aggregated", { n: meta.total, level: say(meta.level) });
    if (meta.approximate > 0) text += ` · ${say("approximate", { n: meta.approximate })}`;
    if (meta.unplaced > 0) text += ` · ${say("unplaced", { n: meta.unplaced })}`;
    return text;
  }

  async shade() {
    const select = document.getElementById("shade");
    const measure = select ? select.value : "";
    this.map.removeFeatureState({ source: "departements" });
    if (!measure) return;
    const url = new URL(withQuery(this.el.dataset.shadingUrl, this.query));
    url.searchParams.set("measure", measure);
    let shading;
    try {
      const response = await fetch(url, { headers: { Accept: "application/json" } });
      if (!response.ok) return;
      shading = await response.json();
    } catch (error) { // the points are shown all the same
      console.warn("map shading:", error);
      return;
    }
    for (const [code, value] of Object.entries(shading.values)) {
      const share = shading.max > 0 ? value / shading.max : 0;
      this.map.setFeatureState({ source: "departements", id: code }, { value: share });
    }
  }

  select(actorId, from) {
    this.map.setFilter("selected", ["==", ["get", "id"], actorId == null ? -1 : Number(actorId)]);
    this.el.dataset.selected = actorId == null ? "" : String(actorId);
    const place = this.places.get(Number(actorId));
    if (place && from !== "map") {
      this.map.easeTo({ center: place, zoom: Math.max(this.map.getZoom(), CLUSTER_MAX_ZOOM + 1), duration: 500 });
    }
  }

  updateCounts() {
    if (!this.map.getSource("actors") || !this.map.isSourceLoaded("actors")) return;
    const seen = new Set();
    const features = this.map.querySourceFeatures("actors");
    for (const f of features) {
      const p = f.properties;
      const count = p.actors || p.point_count || p.count;
      if (!count || count < 2) continue;
      const key = p.cluster_id != null ? `c${p.cluster_id}` : `g${p.code}`;
      if (seen.has(key) || seen.size > 300) continue;
      seen.add(key);
      if (!this.markers.has(key)) this.markers.set(key, this.countMarker(f.geometry.coordinates, count));
      this.markers.get(key).addTo(this.map);
    }
    for (const [key, marker] of this.markers) {
      if (!seen.has(key)) { marker.remove(); this.markers.delete(key); }
    }
  }

  countMarker(coordinates, count) {
    const label = document.createElement("span");
    label.className = "cluster-count";
    label.setAttribute("aria-hidden", "true");
    label.textContent = COMPACT.format(count); // "1,2 k" in French, "1.2K" in English
    return new this.lib.Marker({ element: label }).setLngLat(coordinates);
  }
}

async function start(element) {
  if (!webglAvailable()) {
    const error = new Error("WebGL unavailable");
    error.name = "WebGLUnavailable";
    throw error;
  }
  const maplibregl = await import(element.dataset.maplibreUrl);
  const widget = new MapWidget(maplibregl, element);
  window.maillage = Object.assign(window.maillage || {}, { mapWidget: widget });
  await widget.open();
  window.maillage.map = widget.map;
}
