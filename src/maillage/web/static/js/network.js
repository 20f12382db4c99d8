// network.js: the network widget (sigma.js over graphology). Nodes coloured by world and
// sized by links, positions computed by the server. Listens to "maillage:filters",
// "maillage:select" and "maillage:year"; emits "maillage:select" and "maillage:drill".
//
// What a frame costs in software WebGL (SwiftShader, as in headless Chromium) decides the
// shape of this file. Sigma draws each node and link as one instance of an instanced draw
// (and each node twice, for picking), and SwiftShader pays some 20 µs per instance
// whatever its size: a frame of a 5,000-actor view with 14,000 links took 0.6 s, and
// every change (a click, a hover, the timeline) cost a frame. So sigma keeps the camera,
// the pointer and the frame loop, and:
// - the nodes and the links are drawn by a layer of ours in sigma's frame (a custom
//   layer program), each in one plain draw call: two triangles per item (``graphLayer``);
//   sigma's own graph holds one invisible node (it draws nothing without one) and its
//   bounding box is set to the view's (``setCustomBBox``), so that its camera, its
//   matrices and graphToViewport work as usual;
// - names, the node under the pointer and the selection are drawn on a 2D canvas laid
//   over sigma's, from the nodes' positions on screen (``this.screen``), and clicks are
//   matched to nodes there: a hover or a click costs no WebGL frame.
// ``this.graph`` is the view's graph (nodes and links).
(function () {
  "use strict";

  var LINK = "#a8a29e"; // a bundle of links (aggregated view), as the page's lines
  var VEIL = "rgba(238, 242, 246, 0.85)"; // the widget's background, over what is not selected
  var LABEL_FONT = "13px system-ui, sans-serif";
  var STRONG_FONT = "600 13px system-ui, sans-serif";
  var INK = "#1c1917";
  var LABEL_THRESHOLD = 6; // nodes drawn this large (radius in pixels) show their name, when it fits
  var REACH = 3; // pixels around a node that still hit it
  var LINK_STRIDE = 28; // bytes per link vertex: position, normal, side, thickness (floats), colour (bytes)
  var NODE_STRIDE = 24; // bytes per node vertex: position, corner, size (floats), colour (bytes)
  var PLACEHOLDER = "placeholder"; // sigma's one node

  var el = document.getElementById("network");
  if (!el) return;
  // Colours of the worlds and link kinds come from the taxonomies, through the page:
  // data-colours, data-kind-colours, and this one for an actor with no world.
  var UNKNOWN = el.dataset.unknownColour;
  var UNKNOWN_KIND = el.dataset.unknownKindColour || LINK; // a link with no kind
  var NUMBER = new Intl.NumberFormat(document.documentElement.lang || "fr");
  var PLURAL = new Intl.PluralRules(document.documentElement.lang || "fr");

  // The page's string ``key`` with its ``values`` in, numbers written in the page's
  // language; a message with a count is its plural form for ``values.n``.
  function say(key, values) {
    var node = document.getElementById("maillage-i18n");
    var table = node ? JSON.parse(node.textContent) : {};
    var text = table[key] || key;
    if (typeof text === "object") text = text[PLURAL.select((values || {}).n)] || text.other;
    Object.keys(values || {}).forEach(function (name) {
      var value = values[name];
      text = text.replace("%(" + name + ")s", typeof value === "number" ? NUMBER.format(value) : value);
    });
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

  function emptyGraph() {
    return new graphology.Graph({ multi: true, type: "undirected" });
  }

  var parsedColours = { transparent: [0, 0, 0, 0] };
  // "#rgb" or "#rrggbb" as [r, g, b, 255]; anything else is the links' grey.
  function rgba(colour) {
    var found = parsedColours[colour];
    if (found) return found;
    var hex = /^#([0-9a-f]{3}|[0-9a-f]{6})$/i.test(colour || "") ? colour.slice(1) : LINK.slice(1);
    if (hex.length === 3) hex = hex.replace(/./g, "$&$&");
    found = [0, 2, 4].map(function (i) { return parseInt(hex.slice(i, i + 2), 16); }).concat([255]);
    parsedColours[colour] = found;
    return found;
  }

  // The links: quads between the nodes' graph coordinates, normalised as sigma does
  // (u_centre, u_ratio: its bounding box) and widened on the GPU to their thickness in
  // pixels (at least sigma's minEdgeThickness), with a one-pixel fade.
  var LINK_VERTEX = [
    "#version 300 es",
    "in vec2 a_position;",
    "in vec2 a_normal;",
    "in float a_side;",
    "in float a_thickness;",
    "in vec4 a_color;",
    "uniform mat3 u_matrix;",
    "uniform vec2 u_centre;",
    "uniform float u_ratio;",
    "uniform float u_sizeRatio;",
    "uniform float u_correctionRatio;",
    "uniform float u_minThickness;",
    "out vec4 v_color;",
    "out float v_distance;",
    "out float v_half;",
    "void main() {",
    "  float thickness = max(a_thickness / u_sizeRatio, u_minThickness);",
    "  float reach = thickness * 0.5 + 1.0;",
    "  vec2 framed = 0.5 + (a_position - u_centre) / u_ratio;",
    "  vec2 position = framed + a_normal * a_side * reach * u_correctionRatio;",
    "  gl_Position = vec4((u_matrix * vec3(position, 1.0)).xy, 0.0, 1.0);",
    "  v_color = a_color;",
    "  v_distance = a_side * reach;",
    "  v_half = thickness * 0.5;",
    "}"
  ].join("\n");
  var LINK_FRAGMENT = [
    "#version 300 es",
    "precision mediump float;",
    "in vec4 v_color;",
    "in float v_distance;",
    "in float v_half;",
    "out vec4 fragColor;",
    "void main() {",
    "  float alpha = clamp(v_half + 0.5 - abs(v_distance), 0.0, 1.0) * v_color.a;",
    "  fragColor = vec4(v_color.rgb * alpha, alpha);",
    "}"
  ].join("\n");

  // The nodes: discs drawn as sigma 4 draws them (a square of half-side 2 * size /
  // sizeRatio in units of correctionRatio, the edge of the disc one unit inside, faded
  // over two units).
  var NODE_VERTEX = [
    "#version 300 es",
    "in vec2 a_position;",
    "in vec2 a_corner;",
    "in float a_size;",
    "in vec4 a_color;",
    "uniform mat3 u_matrix;",
    "uniform vec2 u_centre;",
    "uniform float u_ratio;",
    "uniform float u_sizeRatio;",
    "uniform float u_correctionRatio;",
    "out vec4 v_color;",
    "out vec2 v_offset;",
    "out float v_radius;",
    "void main() {",
    "  float radius = 2.0 * a_size / u_sizeRatio;",
    "  vec2 framed = 0.5 + (a_position - u_centre) / u_ratio;",
    "  vec2 position = framed + a_corner * radius * u_correctionRatio;",
    "  gl_Position = vec4((u_matrix * vec3(position, 1.0)).xy, 0.0, 1.0);",
    "  v_color = a_color;",
    "  v_offset = a_corner * radius;",
    "  v_radius = radius;",
    "}"
  ].join("\n");
  var NODE_FRAGMENT = [
    "#version 300 es",
    "precision mediump float;",
    "in vec4 v_color;",
    "in vec2 v_offset;",
    "in float v_radius;",
    "out vec4 fragColor;",
    "void main() {",
    "  float alpha = smoothstep(1.0, -1.0, length(v_offset) - (v_radius - 1.0)) * v_color.a;",
    "  fragColor = vec4(v_color.rgb * alpha, alpha);",
    "}"
  ].join("\n");

  // Sigma's edge program is compiled (the shaders of software WebGL are compiled on the
  // page's thread) though sigma draws no link here: the straight path only keeps it small.
  function straightEdges() {
    var defaults = Sigma.primitives && Sigma.primitives.DEFAULT_PRIMITIVES;
    if (!defaults || !defaults.edges || !defaults.edges.paths) return undefined;
    var paths = defaults.edges.paths.filter(function (p) { return p.name === "straight"; });
    if (!paths.length) return undefined;
    return Object.assign({}, defaults, { edges: Object.assign({}, defaults.edges, { paths: paths }) });
  }

  function compile(gl, type, source) {
    var shader = gl.createShader(type);
    gl.shaderSource(shader, source);
    gl.compileShader(shader);
    if (!gl.getShaderParameter(shader, gl.COMPILE_STATUS)) throw new Error("network shader: " + gl.getShaderInfoLog(shader));
    return shader;
  }

  // A program with its vertex array: ``attributes`` are [name, size, type, offset].
  function makeProgram(gl, vertexSource, fragmentSource, uniformNames, attributes, stride) {
    var program = gl.createProgram();
    var shaders = [compile(gl, gl.VERTEX_SHADER, vertexSource), compile(gl, gl.FRAGMENT_SHADER, fragmentSource)];
    shaders.forEach(function (shader) { gl.attachShader(program, shader); });
    gl.linkProgram(program);
    var uniforms = {};
    uniformNames.forEach(function (name) { uniforms[name] = gl.getUniformLocation(program, name); });
    var vao = gl.createVertexArray();
    var buffer = gl.createBuffer();
    gl.bindVertexArray(vao);
    gl.bindBuffer(gl.ARRAY_BUFFER, buffer);
    attributes.forEach(function (a) {
      var where = gl.getAttribLocation(program, a[0]);
      gl.enableVertexAttribArray(where);
      gl.vertexAttribPointer(where, a[1], a[2], a[2] === gl.UNSIGNED_BYTE, stride, a[3]);
    });
    gl.bindVertexArray(null);
    gl.bindBuffer(gl.ARRAY_BUFFER, null);
    return { program: program, shaders: shaders, uniforms: uniforms, vao: vao, buffer: buffer, stride: stride, data: null, count: 0 };
  }

  function drawProgram(gl, p, data, setUniforms) {
    if (data !== p.data) {
      gl.bindBuffer(gl.ARRAY_BUFFER, p.buffer);
      gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
      gl.bindBuffer(gl.ARRAY_BUFFER, null);
      p.count = data.byteLength / p.stride;
      p.data = data;
    }
    if (!p.count) return;
    gl.useProgram(p.program);
    setUniforms(p.uniforms);
    gl.bindVertexArray(p.vao);
    gl.drawArrays(gl.TRIANGLES, 0, p.count);
    gl.bindVertexArray(null);
  }

  function killProgram(gl, p) {
    gl.deleteBuffer(p.buffer);
    gl.deleteVertexArray(p.vao);
    gl.deleteProgram(p.program);
    p.shaders.forEach(function (shader) { gl.deleteShader(shader); });
  }

  // The custom layer program of sigma (at the "edges" depth) drawing the view: the links,
  // then the nodes over them.
  function graphLayer(network) {
    return function (gl) {
      network.gl = gl;
      var common = ["u_matrix", "u_centre", "u_ratio", "u_sizeRatio", "u_correctionRatio"];
      var links = makeProgram(gl, LINK_VERTEX, LINK_FRAGMENT, common.concat(["u_minThickness"]), [
        ["a_position", 2, gl.FLOAT, 0], ["a_normal", 2, gl.FLOAT, 8], ["a_side", 1, gl.FLOAT, 16],
        ["a_thickness", 1, gl.FLOAT, 20], ["a_color", 4, gl.UNSIGNED_BYTE, 24]
      ], LINK_STRIDE);
      var nodes = makeProgram(gl, NODE_VERTEX, NODE_FRAGMENT, common, [
        ["a_position", 2, gl.FLOAT, 0], ["a_corner", 2, gl.FLOAT, 8], ["a_size", 1, gl.FLOAT, 16],
        ["a_color", 4, gl.UNSIGNED_BYTE, 20]
      ], NODE_STRIDE);
      return {
        render: function (params) {
          // sigma's normalisation of graph coordinates: its bounding box, the same
          // ratio for x and y.
          var box = network.renderer.getCustomBBox() || network.renderer.getBBox();
          var ratio = Math.max(box.x[1] - box.x[0], box.y[1] - box.y[0]);
          if (!ratio || !isFinite(ratio)) ratio = 1;
          var set = function (u) {
            gl.uniformMatrix3fv(u.u_matrix, false, params.matrix);
            gl.uniform2f(u.u_centre, (box.x[0] + box.x[1]) / 2 || 0, (box.y[0] + box.y[1]) / 2 || 0);
            gl.uniform1f(u.u_ratio, ratio);
            gl.uniform1f(u.u_sizeRatio, params.sizeRatio);
            gl.uniform1f(u.u_correctionRatio, params.correctionRatio);
            if (u.u_minThickness) gl.uniform1f(u.u_minThickness, params.minEdgeThickness);
          };
          gl.enable(gl.BLEND);
          drawProgram(gl, links, network.linkData(), set);
          drawProgram(gl, nodes, network.nodeData(), set);
        },
        kill: function () {
          killProgram(gl, links);
          killProgram(gl, nodes);
        }
      };
    };
  }

  function Network(element) {
    this.el = element;
    this.colours = JSON.parse(element.dataset.colours || "{}");
    this.kindColours = JSON.parse(element.dataset.kindColours || "{}");
    this.sizeBy = "degree";
    this.graph = emptyGraph();
    this.selected = null;
    this.neighbours = null;
    this.hovered = null;
    this.shown = false; // whether a view has been shown (the warm-up frame is not one)
    this.links = null; // vertices of the links drawn, built when asked for
    this.discs = null; // vertices of the nodes drawn, built when asked for
    this.screen = null; // nodes' positions and radii on screen, for the last frame
    this.loads = 0;
    this.requests = 0;
    var initial = JSON.parse(element.dataset.query || "{}");
    this.year = initial.year ? Number(initial.year) : null;
    this.query = new URLSearchParams(initial).toString();
  }

  Network.prototype.open = function () {
    var self = this;
    // The data are asked for first (the page preloads them): the server lays them out
    // while sigma starts. Sigma's only node is not drawn: every click reaches the stage,
    // and is matched to a node of the view on "clickStage".
    var data = this.fetch(this.el.dataset.src || null);
    var renderer = new Sigma(placeholder({ x: [0, 1], y: [0, 1] }), this.el, {
      primitives: straightEdges(),
      settings: { itemSizesReference: "screen", renderLabels: false, minCameraRatio: 0.05, maxCameraRatio: 4 }
    });
    this.renderer = renderer;
    renderer.addCustomLayerProgram("graph", "edges", graphLayer(this));
    this.warmUp();
    this.overlay = document.createElement("canvas");
    this.overlay.className = "network-overlay";
    this.overlay.setAttribute("aria-hidden", "true");
    this.el.appendChild(this.overlay);
    renderer.on("afterRender", function () {
      self.screen = null;
      self.drawOverlay();
    });
    renderer.on("clickNode", function (payload) { // as sigma would report one
      if (self.graph.hasNode(payload.node)) self.click(payload.node);
    });
    renderer.on("clickStage", function (payload) {
      var key = self.nodeAt(payload.event.x, payload.event.y);
      if (key) self.click(key);
    });
    this.watchPointer();
    document.addEventListener("maillage:filters", function (e) { self.load(e.detail.query); });
    document.addEventListener("maillage:select", function (e) { self.select(e.detail.actorId, e.detail.from); });
    document.addEventListener("maillage:year", function (e) { self.setYear(e.detail.year); });
    var sizer = document.getElementById("node-size");
    if (sizer) {
      sizer.addEventListener("change", function () {
        self.sizeBy = sizer.value;
        self.graph.forEachNode(function (key, attrs) { attrs.size = self.nodeSize(attrs); });
        self.discs = null;
        self.renderer.scheduleRender();
      });
    }
    return this.receive(data);
  };

  // Sigma's graph: one node, not drawn (size 0), in the middle of ``box``.
  function placeholder(box) {
    var graph = new graphology.Graph();
    graph.addNode(PLACEHOLDER, { x: (box.x[0] + box.x[1]) / 2, y: (box.y[0] + box.y[1]) / 2, size: 0, color: "#000000" });
    return graph;
  }

  // The view's bounding box (sigma's camera frames it).
  function boundingBox(graph) {
    var box = { x: [Infinity, -Infinity], y: [Infinity, -Infinity] };
    graph.forEachNode(function (key, attrs) {
      if (attrs.x < box.x[0]) box.x[0] = attrs.x;
      if (attrs.x > box.x[1]) box.x[1] = attrs.x;
      if (attrs.y < box.y[0]) box.y[0] = attrs.y;
      if (attrs.y > box.y[1]) box.y[1] = attrs.y;
    });
    return graph.order ? box : { x: [0, 1], y: [0, 1] };
  }

  // Hands ``graph`` to the layer and sigma's camera: its frame is drawn now.
  Network.prototype.draw = function (graph) {
    var box = boundingBox(graph);
    this.graph = graph;
    this.links = null;
    this.discs = null;
    this.renderer.setCustomBBox(box);
    this.renderer.setGraph(placeholder(box));
  };

  // Before the data, one frame of a small graph, on the canvas hidden: software WebGL
  // compiles its pipelines at their first draw, and the GPU process does it while the
  // page receives and builds the graph, not in the first real frame. (Hidden, the frame
  // is not composited: the page does not wait for it.)
  Network.prototype.warmUp = function () {
    var graph = emptyGraph();
    graph.addNode("warm-0", { x: 0, y: 0, size: 12, color: UNKNOWN });
    graph.addNode("warm-1", { x: 1, y: 1, size: 12, color: UNKNOWN });
    graph.addEdge("warm-0", "warm-1", { color: LINK, size: 1 });
    this.stage(false);
    this.draw(graph);
    if (this.gl) this.gl.flush(); // to the GPU now, not with the next frame
  };

  Network.prototype.stage = function (visible) {
    var canvas = this.renderer.getStageCanvas();
    if (canvas) canvas.style.visibility = visible ? "" : "hidden";
  };

  Network.prototype.nodeSize = function (attrs) {
    if (this.sizeBy === "degree" || attrs[this.sizeBy] == null) return attrs.base_size;
    return Math.min(2.5 + 1.6 * Math.sqrt(attrs[this.sizeBy]), 18);
  };

  // The data at ``url`` (the first view's, preloaded by the page) or of this.query.
  Network.prototype.fetch = function (url) {
    this.el.dataset.state = "loading";
    status(say("loading"));
    if (!url) {
      var built = new URL(this.el.dataset.url, window.location.href);
      built.search = withoutYear(this.query);
      url = built.toString();
    }
    return fetch(url).then(function (response) {
      if (!response.ok) throw Object.assign(new Error("network data: " + response.status), { status: response.status });
      return response.json();
    });
  };

  // Shows the answer to the last request only (filters can change faster than answers come).
  // Without an answer (filters refused, server down) the previous view stays and the
  // status says why.
  Network.prototype.receive = function (data) {
    var self = this;
    var ticket = (this.requests += 1);
    return data
      .then(function (body) {
        if (self.requests !== ticket) return;
        performance.mark("network:data");
        self.show(body);
      })
      .catch(function (error) {
        if (self.requests !== ticket) return;
        var refused = error && error.status >= 400 && error.status < 500;
        self.el.dataset.state = "error";
        status(say(refused ? "refused" : "error"));
        console.warn("network:", error);
      });
  };

  Network.prototype.load = function (query) {
    this.query = query;
    return this.receive(this.fetch(null));
  };

  // The graph is built apart from sigma, then handed over in one go.
  Network.prototype.show = function (data) {
    var graph = emptyGraph();
    var colours = this.colours;
    var kinds = this.kindColours;
    var self = this;
    data.nodes.forEach(function (n) {
      var attrs = {
        x: n.x, y: n.y, base_size: n.size, color: colours[n.world] || UNKNOWN,
        // a group of actors without a known place has no territory to be named after
        name: data.meta.mode === "aggregated" && !n.territory ? say("no_place") : n.label,
        actor_id: n.actor_id, territory: n.territory, degree: n.degree, cross_world: n.cross_world,
        count: n.count
      };
      attrs.size = self.nodeSize(attrs);
      graph.addNode(n.id, attrs);
    });
    data.links.forEach(function (l) {
      if (!graph.hasNode(l.source) || !graph.hasNode(l.target)) return;
      graph.addEdgeWithKey(l.id, l.source, l.target, {
        color: kinds[l.kind] || (l.count ? LINK : UNKNOWN_KIND), size: l.count ? Math.min(1 + Math.log(l.count), 6) : 1,
        start_year: l.start_year, end_year: l.end_year
      });
    });
    performance.mark("network:built");
    this.selected = null;
    this.neighbours = null;
    this.hovered = null;
    this.el.dataset.selected = "";
    // The camera first: its change schedules a frame that draw() draws now (set after,
    // it would cost a second full frame).
    this.renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 });
    this.stage(true);
    this.shown = true;
    this.draw(graph);
    performance.mark("network:refreshed");
    this.mode = data.meta.mode;
    var actors = data.meta.mode === "actors";
    status(say("nodes_shown", {
      nodes: say(actors ? "n_actors" : "n_groups", { n: data.nodes.length }),
      links: say(actors ? "n_links" : "n_bundles", { n: data.links.length })
    }));
    if (this.year != null) this.setYear(this.year); // the timeline's year, on the new view
    this.loads += 1;
    this.el.dataset.loads = String(this.loads);
    this.el.dataset.mode = data.meta.mode;
    this.el.dataset.edges = "drawn"; // with the nodes, in the same frame
    this.el.dataset.state = "ready";
  };

  // Six vertices (two triangles) per link of the year, between its nodes' graph coordinates.
  Network.prototype.linkData = function () {
    if (this.links) return this.links;
    var year = this.year;
    var links = [];
    this.graph.forEachEdge(function (key, attrs, source, target, a, b) {
      if (activeIn(attrs, year)) links.push(attrs, a, b);
    });
    var data = new ArrayBuffer((links.length / 3) * 6 * LINK_STRIDE);
    var floats = new Float32Array(data);
    var bytes = new Uint8Array(data);
    var at = 0;
    function vertex(place, nx, ny, side, thickness, colour) {
      var f = at / 4;
      floats[f] = place.x;
      floats[f + 1] = place.y;
      floats[f + 2] = nx;
      floats[f + 3] = ny;
      floats[f + 4] = side;
      floats[f + 5] = thickness;
      bytes[at + 24] = colour[0];
      bytes[at + 25] = colour[1];
      bytes[at + 26] = colour[2];
      bytes[at + 27] = colour[3];
      at += LINK_STRIDE;
    }
    for (var i = 0; i < links.length; i += 3) {
      var attrs = links[i];
      var a = links[i + 1];
      var b = links[i + 2];
      var dx = b.x - a.x;
      var dy = b.y - a.y;
      var length = Math.sqrt(dx * dx + dy * dy) || 1;
      var nx = -dy / length;
      var ny = dx / length;
      var colour = rgba(attrs.color);
      var thickness = attrs.size || 1;
      vertex(a, nx, ny, 1, thickness, colour);
      vertex(a, nx, ny, -1, thickness, colour);
      vertex(b, nx, ny, 1, thickness, colour);
      vertex(b, nx, ny, 1, thickness, colour);
      vertex(a, nx, ny, -1, thickness, colour);
      vertex(b, nx, ny, -1, thickness, colour);
    }
    this.links = data;
    return data;
  };

  // Six vertices (two triangles) per node: the corners of the square around its disc.
  Network.prototype.nodeData = function () {
    if (this.discs) return this.discs;
    var data = new ArrayBuffer(this.graph.order * 6 * NODE_STRIDE);
    var floats = new Float32Array(data);
    var bytes = new Uint8Array(data);
    var at = 0;
    var corners = [[-1, -1], [1, -1], [1, 1], [-1, -1], [1, 1], [-1, 1]];
    var active = this.active;
    this.graph.forEachNode(function (key, attrs) {
      var colour = rgba(attrs.color);
      if (active && !active.has(key)) colour = [colour[0], colour[1], colour[2], 40]; // not linked this year
      for (var c = 0; c < 6; c++) {
        var f = at / 4;
        floats[f] = attrs.x;
        floats[f + 1] = attrs.y;
        floats[f + 2] = corners[c][0];
        floats[f + 3] = corners[c][1];
        floats[f + 4] = attrs.size;
        bytes[at + 20] = colour[0];
        bytes[at + 21] = colour[1];
        bytes[at + 22] = colour[2];
        bytes[at + 23] = colour[3];
        at += NODE_STRIDE;
      }
    });
    this.discs = data;
    return data;
  };

  // Where the last frame drew each node: keys, centres and radii in pixels.
  Network.prototype.onScreen = function () {
    if (this.screen) return this.screen;
    var renderer = this.renderer;
    var keys = [];
    var xs = [];
    var ys = [];
    var radii = [];
    this.graph.forEachNode(function (key, attrs) {
      var p = renderer.graphToViewport(attrs);
      keys.push(key);
      xs.push(p.x);
      ys.push(p.y);
      radii.push(renderer.scaleSize(attrs.size));
    });
    this.screen = { keys: keys, xs: xs, ys: ys, radii: radii };
    return this.screen;
  };

  // The node drawn at (x, y) in the widget, the nearest centre when several are.
  Network.prototype.nodeAt = function (x, y) {
    var screen = this.onScreen();
    var found = null;
    var best = Infinity;
    for (var i = 0; i < screen.keys.length; i++) {
      var dx = screen.xs[i] - x;
      var dy = screen.ys[i] - y;
      var reach = screen.radii[i] + REACH;
      var d = dx * dx + dy * dy;
      if (d <= reach * reach && d < best) {
        best = d;
        found = screen.keys[i];
      }
    }
    return found;
  };

  // The node under the pointer: its name, and a hand for a cursor (at most once a frame).
  Network.prototype.watchPointer = function () {
    var self = this;
    var pending = null;
    function update() {
      var at = pending;
      pending = null;
      var key = at && self.shown ? self.nodeAt(at.x, at.y) : null;
      if (key === self.hovered) return;
      self.hovered = key;
      self.el.style.cursor = key ? "pointer" : "";
      self.drawOverlay();
    }
    this.el.addEventListener("mousemove", function (e) {
      var box = self.el.getBoundingClientRect();
      if (!pending) requestAnimationFrame(update);
      pending = { x: e.clientX - box.left, y: e.clientY - box.top };
    });
    this.el.addEventListener("mouseleave", function () {
      pending = null;
      requestAnimationFrame(update);
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
    this.drawOverlay();
    if (key && from !== "network") {
      // The camera's coordinates are sigma's normalised ones (see graphLayer).
      var box = this.renderer.getCustomBBox();
      var ratio = Math.max(box.x[1] - box.x[0], box.y[1] - box.y[0]) || 1;
      var attrs = this.graph.getNodeAttributes(key);
      var where = { x: 0.5 + (attrs.x - (box.x[0] + box.x[1]) / 2) / ratio, y: 0.5 + (attrs.y - (box.y[0] + box.y[1]) / 2) / ratio };
      this.renderer.getCamera().animate({ x: where.x, y: where.y, ratio: 0.6 }, { duration: 400 });
    }
  };

  // The timeline: the links active in ``year`` drawn, the actors without one faded
  // (the rule of the server's views: in a year, the actors linked that year), and the
  // status says how many.
  Network.prototype.setYear = function (year) {
    this.year = year == null || year === "" ? null : Number(year);
    this.el.dataset.year = this.year == null ? "" : String(this.year);
    this.links = null;
    this.discs = null;
    this.active = null;
    if (this.graph && this.mode === "actors") {
      var active = this.year == null ? null : new Set();
      var count = 0;
      var self = this;
      this.graph.forEachEdge(function (key, attrs, source, target) {
        if (!activeIn(attrs, self.year)) return;
        count += 1;
        if (active) { active.add(source); active.add(target); }
      });
      this.active = active;
      this.el.dataset.yearNodes = active ? String(active.size) : "";
      status(active
        ? say("nodes_in_year", { year: String(this.year), nodes: say("n_linked", { n: active.size }), links: say("n_links", { n: count }) })
        : say("nodes_shown", { nodes: say("n_actors", { n: this.graph.order }), links: say("n_links", { n: count }) }));
    }
    this.renderer.scheduleRender();
  };

  // The layer over sigma's drawing. Without a selection: the names of the largest nodes
  // (the largest first, none over another nor out of the canvas). With one: a veil over everything, then the
  // links of the selected node (those of the year), its neighbours (named where room is)
  // and itself, larger, its name in a box. Then the node under the pointer, named.
  Network.prototype.drawOverlay = function () {
    var canvas = this.overlay;
    if (!canvas) return;
    var ratio = window.devicePixelRatio || 1;
    var width = this.el.clientWidth;
    var height = this.el.clientHeight;
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    var ctx = canvas.getContext("2d");
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    if (!this.shown) return; // nothing over the warm-up frame
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    var selected = this.selected && this.graph.hasNode(this.selected) ? this.selected : null;
    if (selected) this.drawSelection(ctx, selected, width, height);
    else this.drawNames(ctx, width, height);
    var hovered = this.hovered && this.graph.hasNode(this.hovered) ? this.hovered : null;
    if (hovered && hovered !== selected) {
      var p = this.renderer.graphToViewport(this.graph.getNodeAttributes(hovered));
      var r = this.renderer.scaleSize(this.graph.getNodeAttribute(hovered, "size"));
      disc(ctx, p, r + 2, "#ffffff");
      disc(ctx, p, r, this.graph.getNodeAttribute(hovered, "color") || UNKNOWN);
      boxedName(ctx, p, r, this.graph.getNodeAttribute(hovered, "name"));
    }
  };

  function disc(ctx, p, r, colour) {
    ctx.fillStyle = colour;
    ctx.beginPath();
    ctx.arc(p.x, p.y, r, 0, 2 * Math.PI);
    ctx.fill();
  }

  var LABEL_HEIGHT = 16; // the box of a name in LABEL_FONT, its halo included

  // Where the name of a node of radius ``r`` at ``p`` goes: right of the node, else left
  // of it when it would leave the canvas there; null when it fits on neither side, or
  // would cover a name already placed (``placed``: boxes {x, y, w, h}).
  function placeName(ctx, placed, p, r, text, width, height) {
    if (!text) return null;
    ctx.font = LABEL_FONT;
    var w = ctx.measureText(text).width + 6;
    var y = p.y - LABEL_HEIGHT / 2;
    if (y < 0 || y + LABEL_HEIGHT > height) return null;
    var x = p.x + r + 1;
    if (x + w > width) x = p.x - r - 1 - w;
    if (x < 0) return null;
    var box = { x: x, y: y, w: w, h: LABEL_HEIGHT, text: text };
    for (var i = 0; i < placed.length; i++) {
      var o = placed[i];
      if (box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h) return null;
    }
    placed.push(box);
    return box;
  }

  function nameBeside(ctx, box) {
    if (!box) return;
    ctx.font = LABEL_FONT;
    ctx.strokeStyle = "rgba(255, 255, 255, 0.85)";
    ctx.lineWidth = 3;
    ctx.strokeText(box.text, box.x + 3, box.y + LABEL_HEIGHT / 2);
    ctx.fillStyle = INK;
    ctx.fillText(box.text, box.x + 3, box.y + LABEL_HEIGHT / 2);
  }

  function boxedName(ctx, p, r, text) {
    if (!text) return;
    ctx.font = STRONG_FONT;
    var box = ctx.measureText(text).width;
    ctx.fillStyle = "#ffffff";
    ctx.shadowColor = "rgba(0, 0, 0, 0.35)";
    ctx.shadowBlur = 6;
    ctx.fillRect(p.x + r + 2, p.y - 11, box + 10, 22);
    ctx.shadowBlur = 0;
    ctx.fillStyle = INK;
    ctx.fillText(text, p.x + r + 7, p.y);
  }

  Network.prototype.drawNames = function (ctx, width, height) {
    var screen = this.onScreen();
    var graph = this.graph;
    var large = [];
    for (var i = 0; i < screen.keys.length; i++) {
      var x = screen.xs[i];
      var y = screen.ys[i];
      if (screen.radii[i] >= LABEL_THRESHOLD && x >= 0 && y >= 0 && x <= width && y <= height) large.push(i);
    }
    large.sort(function (a, b) { return screen.radii[b] - screen.radii[a]; });
    // the largest first; a name that would cover another, or leave the canvas, is left out
    var placed = [];
    large.forEach(function (i) {
      var p = { x: screen.xs[i], y: screen.ys[i] };
      nameBeside(ctx, placeName(ctx, placed, p, screen.radii[i], graph.getNodeAttribute(screen.keys[i], "name"), width, height));
    });
    this.labels = placed; // the names shown (boxes in pixels), for the tests and tools
  };

  Network.prototype.drawSelection = function (ctx, key, width, height) {
    var renderer = this.renderer;
    var graph = this.graph;
    var year = this.year;
    var at = function (node) { return renderer.graphToViewport(graph.getNodeAttributes(node)); };
    var radius = function (node) { return renderer.scaleSize(graph.getNodeAttribute(node, "size")); };
    ctx.fillStyle = VEIL;
    ctx.fillRect(0, 0, width, height);
    var centre = at(key);
    ctx.lineCap = "round";
    graph.forEachEdge(key, function (edge, attrs, source, target) {
      if (!activeIn(attrs, year)) return;
      var other = at(source === key ? target : source);
      ctx.strokeStyle = attrs.color || LINK;
      ctx.lineWidth = Math.max(renderer.scaleSize(attrs.size || 1), 1.7);
      ctx.beginPath();
      ctx.moveTo(centre.x, centre.y);
      ctx.lineTo(other.x, other.y);
      ctx.stroke();
    });
    var size = radius(key) * 1.6;
    ctx.font = STRONG_FONT;
    var own = { x: centre.x + size + 2, y: centre.y - 11, w: ctx.measureText(graph.getNodeAttribute(key, "name") || "").width + 10, h: 22 };
    var placed = [own]; // the selected node's name first: no neighbour's covers it
    this.neighbours.forEach(function (node) {
      var r = radius(node);
      var p = at(node);
      disc(ctx, p, r, graph.getNodeAttribute(node, "color") || UNKNOWN);
      nameBeside(ctx, placeName(ctx, placed, p, r, graph.getNodeAttribute(node, "name"), width, height)); // every neighbour, when it fits
    });
    this.labels = placed;
    disc(ctx, centre, size + 2, "#ffffff");
    disc(ctx, centre, size, graph.getNodeAttribute(key, "color") || UNKNOWN);
    boxedName(ctx, centre, size, graph.getNodeAttribute(key, "name"));
  };

  if (typeof Sigma === "undefined" || typeof WebGL2RenderingContext === "undefined") {
    el.dataset.state = "error";
    status(say("no_webgl"));
    return;
  }
  var network = new Network(el);
  window.maillage = Object.assign(window.maillage || {}, { network: network });
  try {
    network.open();
  } catch (error) { // no WebGL context
    el.dataset.state = "error";
    status(say("no_webgl"));
    console.warn("network:", error);
  }
})();
