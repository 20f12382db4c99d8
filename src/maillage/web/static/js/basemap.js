// basemap.js: what every map of the portal draws under its own points. With the server's
// tile setting (``serve --tile-url ign``: IGN Géoplateforme's Plan IGN), its raster tiles
// and their credit; without one, nothing leaves the server: the shipped outlines of régions
// and départements and, at street zoom, the communes' centres and names
// (/api/communes.geojson, the most populated first). A name is an image drawn with the
// page's own font, so MapLibre places it with its collision detection (a name that would
// cover another is left out) without a glyph server.
//
// The element's data: tileUrl, tileAttribution, tileMaxZoom (optional), departementsUrl,
// regionsUrl, communesUrl.

export const STREET_ZOOM = 10; // from here the communes are named (without tiles)
const GRID = 0.05; // degrees: the boxes asked for, widened as the server widens them
const NAME_PREFIX = "commune:";
const EMPTY = { type: "FeatureCollection", features: [] };

// The style: background, tiles or outlines, and the (empty) source of the communes.
export function baseStyle(element) {
  const tiles = element.dataset.tileUrl;
  const sources = {
    departements: { type: "geojson", data: element.dataset.departementsUrl, promoteId: "code" },
    regions: { type: "geojson", data: element.dataset.regionsUrl },
  };
  const layers = [{ id: "background", type: "background", paint: { "background-color": "#eef2f6" } }];
  if (tiles) {
    sources.tiles = {
      type: "raster", tiles: [tiles], tileSize: 256,
      maxzoom: Number(element.dataset.tileMaxZoom) || 19,
      attribution: element.dataset.tileAttribution || "",
    };
    layers.push({ id: "tiles", type: "raster", source: "tiles" });
  }
  const share = ["coalesce", ["feature-state", "value"], 0];
  layers.push(
    {
      id: "departements-fill", type: "fill", source: "departements",
      paint: {
        "fill-color": ["interpolate", ["linear"], share, 0, "#f8fafc", 1, "#cbd5e1"],
        // over tiles, only a shaded département is tinted: the streets stay readable
        "fill-opacity": tiles ? ["case", [">", share, 0], 0.6, 0] : 1,
      },
    },
    { id: "departements-line", type: "line", source: "departements", paint: { "line-color": "#78716c", "line-width": 0.6 } },
    { id: "regions-line", type: "line", source: "regions", paint: { "line-color": "#334155", "line-width": 1.4 } },
  );
  if (!tiles) {
    sources.communes = { type: "geojson", data: EMPTY };
    layers.push({
      id: "commune-names", type: "symbol", source: "communes", minzoom: STREET_ZOOM,
      layout: {
        "icon-image": ["concat", NAME_PREFIX, ["get", "name"]],
        "icon-anchor": "top",
        "icon-offset": [0, -4], // the dot drawn at the image's top is the centre
        "icon-padding": 3,
        "symbol-sort-key": ["-", 0, ["get", "population"]], // the most populated placed first
      },
    });
  }
  return { version: 8, sources, layers };
}

// A commune's dot and name with a white halo, at the screen's pixel ratio.
function nameImage(text) {
  const ratio = Math.max(1, Math.round(window.devicePixelRatio || 1));
  const font = `600 ${12 * ratio}px system-ui, -apple-system, "Segoe UI", Roboto, "DejaVu Sans", sans-serif`;
  const canvas = document.createElement("canvas");
  const ctx = canvas.getContext("2d");
  ctx.font = font;
  const halo = 3 * ratio;
  const width = Math.ceil(ctx.measureText(text).width + 2 * halo);
  const height = 24 * ratio;
  canvas.width = Math.max(width, 10 * ratio);
  canvas.height = height;
  ctx.font = font;
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  const middle = canvas.width / 2;
  ctx.beginPath();
  ctx.arc(middle, 4 * ratio, 2.8 * ratio, 0, 2 * Math.PI);
  ctx.fillStyle = "#1f2937";
  ctx.strokeStyle = "#fff";
  ctx.lineWidth = 1.5 * ratio;
  ctx.fill();
  ctx.stroke();
  ctx.lineJoin = "round";
  ctx.lineWidth = halo;
  ctx.strokeText(text, middle, 20 * ratio);
  ctx.fillText(text, middle, 20 * ratio);
  return { image: ctx.getImageData(0, 0, canvas.width, canvas.height), ratio };
}

// The box of the view, widened to the grid (the same box for nearby views: one answer,
// kept by the browser's cache).
function gridBox(bounds) {
  const down = (v) => (Math.floor(v / GRID) * GRID).toFixed(2);
  const up = (v) => (Math.ceil(v / GRID) * GRID).toFixed(2);
  const west = Math.max(-180, bounds.getWest()), east = Math.min(180, bounds.getEast());
  const south = Math.max(-90, bounds.getSouth()), north = Math.min(90, bounds.getNorth());
  return [down(west), down(south), up(east), up(north)].join(",");
}

// Without tiles: names the communes of the view at street zoom; ``element.dataset.communes``
// counts the communes of the last answer.
export function nameCommunes(map, element) {
  if (element.dataset.tileUrl || !map.getSource("communes")) return;
  const draw = (id) => {
    if (!id.startsWith(NAME_PREFIX) || map.hasImage(id)) return;
    const { image, ratio } = nameImage(id.slice(NAME_PREFIX.length));
    map.addImage(id, image, { pixelRatio: ratio });
  };
  // MapLibre 6 asks a resolver before placing; older versions fire "styleimagemissing"
  if (map.setMissingStyleImageResolver) map.setMissingStyleImageResolver(async (id) => draw(id));
  else map.on("styleimagemissing", (e) => draw(e.id));
  let asked = "";
  let ticket = 0;
  const update = async () => {
    if (map.getZoom() < STREET_ZOOM) return; // the layer is hidden below; its data kept
    const url = new URL(element.dataset.communesUrl, window.location.href);
    url.searchParams.set("bbox", gridBox(map.getBounds()));
    if (url.toString() === asked) return;
    asked = url.toString();
    const mine = (ticket += 1);
    try {
      const response = await fetch(url, { headers: { Accept: "application/geo+json" } });
      if (!response.ok) throw new Error(`communes: ${response.status}`);
      const data = await response.json();
      if (mine !== ticket) return;
      map.getSource("communes").setData(data);
      element.dataset.communes = String(data.features.length);
    } catch (error) { // the map stays usable without names
      asked = "";
      console.warn("map communes:", error);
    }
  };
  map.on("moveend", update);
  update();
}
