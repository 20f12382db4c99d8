// network.js: the network widget (sigma.js over graphology). Nodes coloured by world and
// sized by links, positions computed by the server. Listens to "maillage:filters",
// "maillage:select" and "maillage:year"; emits "maillage:select" and "maillage:drill".
(function () {
  "use strict";

  var FADED = "#d6d3d1";
  var LARGE = 3000; // links above which links are hidden while the camera moves
  var DEFERRED = 20000; // links above which the graph is drawn nodes first, links next
  var UNKNOWN = "#57534e";

  var el = document.getElementById("network");
  if (!el) return;

  function say(key, values) {
    var node = document.getElementById("maillage-i18n");
    var table = node ? JSON.parse(node.textContent) : {};
    var text = table[key] || key;
    Object.keys(values || {}).forEach(function (name) { text = text.replace("%(" + name + ")s", values[name]); });
    return text;
  }

  function status(text) {
    var node = document.getElementById("network-status");
    if (node) node.textContent = text;
  }

  function withoutYear(query) {
    var params = new URLSearchParams(query);
    params.delete("year");
    return params.toString();
  }

  function activeIn(attrs, year) {
    if (year == null) return true;
    return (attrs.start_year == null || attrs.start_year <= year) && (attrs.end_year == null || attrs.end_year >= year);
  }

  function Network(element) {
    this.el = element;
    this.colours = JSON.parse(element.dataset.colours || "{}");
    this.kindColours = JSON.parse(element.dataset.kindColours || "{}");
    this.sizeBy = "degree";
    this.graph = new graphology.Graph({ multi: true, type: "undirected" });
    this.selected = null;
    this.year = null;
    this.loads = 0;
    var initial = JSON.parse(element.dataset.query || "{}");
    this.year = initial.year ? Number(initial.year) : null;
    this.query = new URLSearchParams(initial).toString();
  }

  // Straight links only: sigma's default edge program also carries the self-loop path,
  // drawn with 32 segments, which every link then pays for (the server sends no loop).
  // Software WebGL draws a 10,000-link view several times faster without it.
  function straightEdges() {
    var defaults = Sigma.primitives && Sigma.primitives.DEFAULT_PRIMITIVES;
    if (!defaults || !defaults.edges || !defaults.edges.paths) return undefined;
    var paths = defaults.edges.paths.filter(function (p) { return p.name === "straight"; });
    if (!paths.length) return undefined;
    return Object.assign({}, defaults, { edges: Object.assign({}, defaults.edges, { paths: paths }) });
  }

  Network.prototype.open = function () {
    var self = this;
    this.renderer = new Sigma(this.graph, this.el, {
      primitives: straightEdges(),
      settings: { itemSizesReference: "screen", labelRenderedSizeThreshold: 9, minCameraRatio: 0.05, maxCameraRatio: 4 },
      nodeReducer: function (key, data, attrs) { return self.nodeStyle(key, attrs); },
      edgeReducer: function (key, data, attrs) { return self.edgeStyle(key, attrs); }
    });
    this.renderer.on("clickNode", function (payload) { self.click(payload.node); });
    document.addEventListener("maillage:filters", function (e) { self.load(e.detail.query); });
    document.addEventListener("maillage:select", function (e) { self.select(e.detail.actorId, e.detail.from); });
    document.addEventListener("maillage:year", function (e) { self.setYear(e.detail.year); });
    var sizer = document.getElementById("node-size");
    if (sizer) {
      sizer.addEventListener("change", function () {
        self.sizeBy = sizer.value;
        self.renderer.refresh({ skipIndexation: true });
      });
    }
    return this.load(this.query);
  };

  Network.prototype.nodeSize = function (attrs) {
    if (this.sizeBy === "degree" || attrs[this.sizeBy] == null) return attrs.size;
    return Math.min(2.5 + 1.6 * Math.sqrt(attrs[this.sizeBy]), 18);
  };

  Network.prototype.nodeStyle = function (key, attrs) {
    var size = this.nodeSize(attrs);
    if (!this.selected) return { size: size };
    if (key === this.selected) return { highlighted: true, size: size * 1.6, labelVisibility: "visible", zIndex: 2 };
    if (this.neighbours && this.neighbours.has(key)) return { size: size, zIndex: 1 };
    return { size: size, color: FADED, label: null, zIndex: 0 };
  };

  Network.prototype.edgeStyle = function (key, attrs) {
    if (!activeIn(attrs, this.year)) return { visibility: "hidden" };
    if (this.selected && !this.graph.hasExtremity(key, this.selected)) return { color: "#e7e5e4" };
    return {};
  };

  Network.prototype.load = function (query) {
    var self = this;
    this.query = query;
    this.el.dataset.state = "loading";
    status(say("loading"));
    var url = new URL(this.el.dataset.url, window.location.href);
    url.search = withoutYear(query);
    return fetch(url, { headers: { Accept: "application/json" } })
      .then(function (response) {
        if (!response.ok) throw new Error("network data: " + response.status);
        return response.json();
      })
      .then(function (data) { performance.mark("network:data"); self.show(data); })
      .catch(function (error) {
        self.el.dataset.state = "error";
        status(say("error"));
        console.warn("network:", error);
      });
  };

  Network.prototype.show = function (data) {
    var graph = this.graph;
    var colours = this.colours;
    graph.clear();
    var large = data.links.length > LARGE;
    var deferred = data.links.length > DEFERRED;
    // Links are hidden while the camera moves on large graphs so that software WebGL stays
    // fluid. Set while the graph is empty: a setting change re-indexes the whole graph.
    if (this.renderer.getSetting("hideEdgesOnMove") !== large) {
      this.renderer.setSetting("hideEdgesOnMove", large);
    }
    data.nodes.forEach(function (n) {
      graph.addNode(n.id, {
        x: n.x, y: n.y, size: n.size, label: n.label, color: colours[n.world] || UNKNOWN,
        actor_id: n.actor_id, territory: n.territory, degree: n.degree, cross_world: n.cross_world,
        count: n.count
      });
    });
    if (!deferred) this.addLinks(data.links);
    this.mode = data.meta.mode;
    this.selected = null;
    this.neighbours = null;
    this.el.dataset.selected = "";
    // Huge graphs: nodes first (drawn and clickable at once), links added on the next
    // frames (below that, one frame with both costs less than two).
    performance.mark("network:built");
    // The camera first: its change schedules a frame that refresh() draws now (set after,
    // it would cost a second full frame, about 0.4 s for 10,000 links in software WebGL).
    this.renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    this.renderer.refresh();
    performance.mark("network:refreshed");
    var template = data.meta.mode === "actors" ? "nodes_shown" : "groups_shown";
    status(say(template, { nodes: data.nodes.length, links: data.links.length }));
    this.loads += 1;
    this.el.dataset.loads = String(this.loads);
    this.el.dataset.mode = data.meta.mode;
    this.el.dataset.state = "ready";
    this.drawEdges(deferred ? data.links : null);
  };

  Network.prototype.addLinks = function (links) {
    var graph = this.graph;
    var kinds = this.kindColours;
    links.forEach(function (l) {
      if (!graph.hasNode(l.source) || !graph.hasNode(l.target)) return;
      graph.addEdgeWithKey(l.id, l.source, l.target, {
        color: kinds[l.kind] || "#a8a29e", size: l.count ? Math.min(1 + Math.log(l.count), 6) : 1,
        start_year: l.start_year, end_year: l.end_year
      });
    });
  };

  Network.prototype.drawEdges = function (pending) {
    var self = this;
    var loads = this.loads;
    this.el.dataset.edges = pending ? "pending" : "drawn";
    if (!pending) return;
    requestAnimationFrame(function () {
      requestAnimationFrame(function () {
        if (self.loads !== loads) return;
        self.addLinks(pending);
        if (self.selected) self.neighbours = new Set(self.graph.neighbors(self.selected));
        self.renderer.refresh();
        requestAnimationFrame(function () { self.el.dataset.edges = "drawn"; });
      });
    });
  };

  Network.prototype.click = function (key) {
    var attrs = this.graph.getNodeAttributes(key);
    if (attrs.actor_id != null) {
      document.dispatchEvent(new CustomEvent("maillage:select", { detail: { actorId: attrs.actor_id, from: "network" } }));
    } else if (attrs.territory) {
      document.dispatchEvent(new CustomEvent("maillage:drill", { detail: { territory: attrs.territory } }));
    }
  };

  Network.prototype.select = function (actorId, from) {
    var key = actorId == null ? null : "a" + actorId;
    if (key && !this.graph.hasNode(key)) key = null;
    this.selected = key;
    this.neighbours = key ? new Set(this.graph.neighbors(key)) : null;
    this.el.dataset.selected = key || "";
    this.renderer.refresh({ skipIndexation: true });
    if (key && from !== "network") {
      var where = this.renderer.getNodeDisplayData(key);
      if (where) this.renderer.getCamera().animate({ x: where.x, y: where.y, ratio: 0.6 }, { duration: 400 });
    }
  };

  Network.prototype.setYear = function (year) {
    this.year = year == null || year === "" ? null : Number(year);
    this.el.dataset.year = this.year == null ? "" : String(this.year);
    this.renderer.refresh({ skipIndexation: true });
  };

  function webglAvailable() {
    try { return !!document.createElement("canvas").getContext("webgl2"); } catch (e) { return false; }
  }

  if (!webglAvailable() || typeof Sigma === "undefined") {
    el.dataset.state = "error";
    status(say("no_webgl"));
    return;
  }
  var network = new Network(el);
  window.maillage = Object.assign(window.maillage || {}, { network: network });
  network.open();
})();
