// graphkit report: the interactive network view. sigma.js draws on WebGL; positions come from
// the report's layout (Python), so the page lays nothing out. Labels are drawn here on a 2D
// layer, greedily and collision-free: the selected actor first, then leaders and the most
// prominent of each community, brokers, and the other actors by PageRank as room allows.
// SPDX-License-Identifier: GPL-3.0-or-later
(function () {
  "use strict";
  var status = document.getElementById("gk-status");
  var container = document.getElementById("gk-network");
  var dataEl = document.getElementById("gk-data");
  if (!container || !dataEl) { return; }
  var data = JSON.parse(dataEl.textContent);
  var nodes = data.nodes;
  var byId = {};
  var EDGE = "#c3c8d1", EDGE_NEAR = "#4a5263", FADED = "#e3e6eb", HYP = "#d62728";
  var LABEL_FONT = "12px system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif";
  var LABEL_FONT_BOLD = "600 " + LABEL_FONT;
  var BIG_TIES = 20000;
  var LABEL_HEIGHT = 15, MAX_LABELS = 250, OTHER_LABEL_MIN_RADIUS = 5;
  var found = document.getElementById("gk-found");
  var count = document.getElementById("gk-count");
  var details = document.getElementById("gk-details");
  var card = document.getElementById("gk-card");
  var resultsEl = document.getElementById("gk-results");
  var search = document.getElementById("gk-search");

  function digits(s) { return String(s === null || s === undefined ? "" : s).replace(/\D/g, ""); }
  function roles(n) { return n.roles || []; }
  function isLead(n) {
    var r = roles(n);
    return r.indexOf("leader") >= 0 || r.indexOf("most prominent") >= 0 || r.indexOf("first by leadership") >= 0;
  }
  function isBroker(n) { return roles(n).indexOf("broker") >= 0; }
  function drawn(n) { return n.x !== null && n.x !== undefined; }
  nodes.forEach(function (n, i) {
    n.i = i;
    byId[n.id] = n;
    var phones = n.phones || [];
    n.hay = [n.label, n.id, n.name || ""].concat(phones).join(" ").toLowerCase();
    n.dig = phones.map(digits).concat([digits(n.id)]).filter(function (d) { return d.length >= 5; });
    n.rank = isLead(n) ? 1 : isBroker(n) ? 2 : 3;
  });
  var inHypothesis = {};
  (data.hypotheses || []).forEach(function (h) { inHypothesis[h.from] = true; inHypothesis[h.to] = true; });
  var notDrawn = nodes.filter(function (n) { return !drawn(n); }).length, onRequest = 0;
  status.setAttribute("data-nodes", String(nodes.length));
  status.setAttribute("data-drawn", String(nodes.length - notDrawn));

  // --- filters: communities from the legend, a role, a time range, hypotheses on or off ---
  var activeCommunities = {};  // empty: every community
  var role = "";
  var showHypotheses = true;
  // time: ties [i, j, weight, first_h, last_h] in hours from data.time.start_s; a range of
  // days keeps the ties with an interaction inside it and the actors they join
  var span = data.time || null;
  var fromEl = document.getElementById("gk-from"), toEl = document.getElementById("gk-to");
  var timeOn = false, fromH = 0, toH = 0;
  var tieIn = [], activeByTime = {}, tiesShown = data.edges.length;
  function hoursOf(day, endOfDay) {
    var ms = Date.parse(day + "T00:00:00Z");
    if (isNaN(ms)) { return null; }
    return (ms / 1000 + (endOfDay ? 86400 : 0) - span.start_s) / 3600;
  }
  function applyTime() {
    timeOn = false;
    tiesShown = 0;
    activeByTime = {};
    if (span && fromEl && toEl) {
      var f = hoursOf(fromEl.value || fromEl.min, false), t = hoursOf(toEl.value || toEl.max, true);
      if (f !== null && t !== null) {
        fromH = f; toH = t;
        timeOn = f > 0 || t < (span.end_s - span.start_s) / 3600;
      }
    }
    data.edges.forEach(function (e, k) {
      var keep = !timeOn || (e[3] !== null && e[3] < toH && e[4] > fromH);
      tieIn[k] = keep;
      if (keep) { tiesShown++; activeByTime[e[0]] = true; activeByTime[e[1]] = true; }
    });
    status.setAttribute("data-ties-visible", String(tiesShown));
  }
  applyTime();
  function communityOf(n) { return n.single ? "single" : String(n.community); }
  function visible(n) {
    if (!drawn(n)) { return false; }
    if (timeOn && !activeByTime[n.i]) { return false; }
    var keys = Object.keys(activeCommunities);
    if (keys.length && !activeCommunities[communityOf(n)]) { return false; }
    if (role === "lead" && !isLead(n)) { return false; }
    if (role === "broker" && !isBroker(n)) { return false; }
    if (role === "hypothesis" && !inHypothesis[n.id]) { return false; }
    return true;
  }
  function filterText() {
    var parts = Object.keys(activeCommunities).map(function (c) {
      return c === "single" ? "single actors" : c;
    });
    if (role) { parts.push(document.getElementById("gk-role").selectedOptions[0].textContent); }
    if (timeOn) { parts.push("ties from " + fromEl.value + " to " + toEl.value); }
    return parts.join(", ");
  }
  function updateCount() {
    var shown = 0;
    nodes.forEach(function (n) { if (visible(n)) { shown++; } });
    var f = filterText();
    var text = f
      ? "Showing " + shown.toLocaleString("en") + " of " + nodes.length.toLocaleString("en") +
        " actors (filter: " + f + ")."
      : "Showing all " + shown.toLocaleString("en") + " drawn actors.";
    if (timeOn) {
      var idle = 0;
      nodes.forEach(function (n) { if (drawn(n) && !activeByTime[n.i]) { idle++; } });
      var total = data.edges.length;
      text += " Ties: " + tiesShown.toLocaleString("en") + " of " + total.toLocaleString("en") +
        " had an interaction in these dates; " + (total - tiesShown).toLocaleString("en") +
        " hidden, and " + idle.toLocaleString("en") + " actors with none.";
      status.setAttribute("data-ties-hidden", String(total - tiesShown));
      status.setAttribute("data-idle-hidden", String(idle));
    } else {
      status.setAttribute("data-ties-hidden", "0");
      status.setAttribute("data-idle-hidden", "0");
    }
    if (notDrawn) {
      text += " " + notDrawn.toLocaleString("en") + " less central actors are not drawn: " +
        "search, or the details of an actor tied to them, draws them.";
    }
    if (onRequest) { text += " " + onRequest.toLocaleString("en") + " drawn on request."; }
    count.textContent = text;
    status.setAttribute("data-visible", String(shown));
    return shown;
  }

  // --- search: name, phone or id; always says what it found ---
  function matches(query) {
    var q = query.trim().toLowerCase();
    if (!q) { return []; }
    var qd = digits(q);
    var phoneLike = qd.length >= 5 && qd.length >= q.replace(/[\s+()\-./]/g, "").length;
    var words = q.split(/\s+/);
    var exact = [], partial = [];
    nodes.forEach(function (n) {
      var isExact = n.id.toLowerCase() === q || (n.name || "").toLowerCase() === q ||
        n.label.toLowerCase() === q || (phoneLike && n.dig.indexOf(qd) >= 0);
      if (isExact) { exact.push(n); return; }
      var hit = words.every(function (w) { return n.hay.indexOf(w) >= 0; });
      if (!hit && phoneLike) {
        var tail = qd.charAt(0) === "0" ? qd.slice(1) : qd;  // 07700 900123 finds +447700900123
        hit = n.dig.some(function (d) { return d.indexOf(qd) >= 0 || d.indexOf(tail) >= 0; });
      }
      if (hit) { partial.push(n); }
    });
    return exact.concat(partial);  // nodes come most central first
  }
  function describe(n) {
    var bits = [n.community ? (n.single ? "no community of two or more" : "community " + n.community) : "no community"];
    if (roles(n).length) { bits.push(roles(n).join(", ")); }
    return n.label + " (" + bits.join("; ") + ")";
  }
  function showResults(list, q) {
    while (resultsEl.firstChild) { resultsEl.removeChild(resultsEl.firstChild); }
    if (!q.trim()) { resultsEl.hidden = true; found.textContent = "Type a name, phone or id and press Enter."; return; }
    if (!list.length) {
      resultsEl.hidden = true;
      found.textContent = "No actor matches “" + q.trim() + "”.";
      found.className = "gk-found gk-none";
      return;
    }
    found.className = "gk-found";
    found.textContent = list.length === 1
      ? "1 actor matches: press Enter to show " + list[0].label + "."
      : list.length.toLocaleString("en") + " actors match “" + q.trim() + "”; Enter shows the first, or pick one.";
    list.slice(0, 8).forEach(function (n) {
      var li = document.createElement("li");
      var b = document.createElement("button");
      b.type = "button";
      b.textContent = describe(n);
      b.addEventListener("mousedown", function (ev) { ev.preventDefault(); select(n.id); });
      li.appendChild(b);
      resultsEl.appendChild(li);
    });
    if (list.length > 8) {
      var more = document.createElement("li");
      more.className = "muted";
      more.textContent = "and " + (list.length - 8).toLocaleString("en") + " more: type more of the name";
      resultsEl.appendChild(more);
    }
    resultsEl.hidden = false;
  }
  search.addEventListener("input", function () { showResults(matches(search.value), search.value); });
  search.addEventListener("keydown", function (ev) {
    if (ev.key === "Enter") {
      var list = matches(search.value);
      showResults(list, search.value);
      if (list.length) { select(list[0].id); }
      if (list.length > 1) {  // two people may share a name: say the others exist
        found.textContent += " It is the first of " + list.length.toLocaleString("en") +
          " actors matching “" + search.value.trim() + "”; the list under the search box, as " +
          "you type, shows the others.";
      }
      resultsEl.hidden = true;
    } else if (ev.key === "Escape") { resultsEl.hidden = true; }
  });
  search.addEventListener("blur", function () { resultsEl.hidden = true; });

  // --- details panel (text nodes only) ---
  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value === null || value === undefined || value === "" ? "–" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }
  function showDetails(id) {
    var n = byId[id];
    while (details.firstChild) { details.removeChild(details.firstChild); }
    if (!n) { return; }
    details.appendChild(text("h3", n.label));
    var dl = document.createElement("dl");
    var sup = n.superior ? (byId[n.superior] || {}).label || n.superior : null;
    var rows = [["kind", n.kind], ["community", n.single ? (n.community || "–") + " (single actor)" : n.community],
                ["phones", (n.phones || []).join(", ")], ["roles", roles(n).join(", ")],
                ["PageRank", n.pagerank], ["betweenness", n.betweenness], ["leadership", n.leadership],
                ["level (0 = top)", n.level], ["most likely superior", sup],
                ["broker role", n.role], ["why", n.why]];
    if (!drawn(n)) { rows.unshift(["in the picture", "not drawn (less central than the drawn actors)"]); }
    else if (n.onRequest) { rows.unshift(["in the picture", "drawn on request (less central than the drawn actors)"]); }
    rows.forEach(function (r) { dl.appendChild(text("dt", r[0])); dl.appendChild(text("dd", r[1])); });
    (data.hypotheses || []).forEach(function (h) {
      if (h.from !== id && h.to !== id) { return; }
      var other = h.from === id ? h.to : h.from;
      dl.appendChild(text("dt", "hypothesis: " + h.kind));
      dl.appendChild(text("dd", ((byId[other] || {}).label || other) + " (score " + h.score + ", " + h.status + ")"));
    });
    details.appendChild(dl);
    var hidden = renderer ? undrawnTies(n) : [];
    if (hidden.length) {
      var b = document.createElement("button");
      b.type = "button";
      b.id = "gk-draw-tied";
      b.textContent = "Draw the " + hidden.length.toLocaleString("en") + " actor" +
        (hidden.length === 1 ? "" : "s") + " tied to " + (n.name || n.id) + " that are not drawn";
      b.addEventListener("click", function () {
        drawOnRequest(hidden);
        showDetails(id);
        found.className = "gk-found";
        found.textContent = "Drew " + hidden.length.toLocaleString("en") + " actor" +
          (hidden.length === 1 ? "" : "s") + " tied to " + n.label + " beside it.";
      });
      details.appendChild(b);
    }
  }

  // --- actors beyond the drawing's cap, drawn on request ---
  // They come with their ties (data.more_edges) but no position: one drawn on request is placed
  // at the middle of the drawn actors it is tied to (else of its community's drawn members, else
  // of the picture), a little off it, and its ties to drawn actors are drawn with it.
  var moreEdges = data.more_edges || [], moreOf = null;
  function moreTiesOf(i) {
    if (!moreOf) {
      moreOf = {};
      moreEdges.forEach(function (e, k) {
        (moreOf[e[0]] = moreOf[e[0]] || []).push(k);
        (moreOf[e[1]] = moreOf[e[1]] || []).push(k);
      });
    }
    return moreOf[i] || [];
  }
  function undrawnTies(n) {
    var out = [], seen = {};
    moreTiesOf(n.i).forEach(function (k) {
      var e = moreEdges[k], m = nodes[e[0] === n.i ? e[1] : e[0]];
      if (!drawn(m) && !seen[m.i]) { seen[m.i] = true; out.push(m); }
    });
    return out;
  }
  var box = null;
  function bounds() {
    if (!box) {
      box = { x0: Infinity, y0: Infinity, x1: -Infinity, y1: -Infinity };
      nodes.forEach(function (n) {
        if (!drawn(n)) { return; }
        box.x0 = Math.min(box.x0, n.x); box.x1 = Math.max(box.x1, n.x);
        box.y0 = Math.min(box.y0, n.y); box.y1 = Math.max(box.y1, n.y);
      });
      if (box.x0 > box.x1) { box = { x0: 0, y0: 0, x1: 1000, y1: 1000 }; }
    }
    return box;
  }
  function middle(list) {
    if (!list.length) { return null; }
    var x = 0, y = 0;
    list.forEach(function (m) { x += m.x; y += m.y; });
    return { x: x / list.length, y: y / list.length };
  }
  function placeFor(n) {
    var tied = moreTiesOf(n.i).map(function (k) {
      var e = moreEdges[k];
      return nodes[e[0] === n.i ? e[1] : e[0]];
    }).filter(drawn);
    var at = middle(tied);
    if (!at && !n.single) {
      at = middle(nodes.filter(function (m) { return drawn(m) && m.community === n.community; }));
    }
    var b = bounds();
    if (!at) { at = { x: (b.x0 + b.x1) / 2, y: (b.y0 + b.y1) / 2 }; }
    // a little off the point, on an angle of its own, so two placed at one point stay apart;
    // inside the picture's bounds, so the view does not re-frame
    var r = 0.012 * Math.max(b.x1 - b.x0, b.y1 - b.y0, 1), a = n.i * 2.39996;
    return { x: Math.min(b.x1, Math.max(b.x0, at.x + r * Math.cos(a))),
             y: Math.min(b.y1, Math.max(b.y0, at.y + r * Math.sin(a))) };
  }
  function drawOnRequest(list) {
    list.forEach(function (n) {
      if (drawn(n)) { return; }
      var at = placeFor(n);
      n.x = at.x; n.y = at.y; n.onRequest = true;
      notDrawn--; onRequest++;
      graph.addNode(n.id, { x: n.x, y: n.y, size: n.size, color: n.color });
      byPriority.push(n);
    });
    list.forEach(function (n) {
      moreTiesOf(n.i).forEach(function (k) {
        var e = moreEdges[k];
        if (e.added || !drawn(nodes[e[0]]) || !drawn(nodes[e[1]])) { return; }
        e.added = true;
        var j = data.edges.length;
        data.edges.push(e);
        graph.addEdgeWithKey("e" + j, nodes[e[0]].id, nodes[e[1]].id, { size: 1, color: EDGE, type: "tie", k: j });
      });
      (data.hypotheses || []).forEach(function (h, k) {
        if ((h.from === n.id || h.to === n.id) && graph.hasNode(h.from) && graph.hasNode(h.to) &&
            !graph.hasEdge("h" + k)) {
          graph.addEdgeWithKey("h" + k, h.from, h.to, { size: 2, color: HYP, hyp: true, type: "line" });
        }
      });
    });
    byPriority.sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
    applyTime();
    status.setAttribute("data-drawn", String(nodes.length - notDrawn));
    status.setAttribute("data-on-request", String(onRequest));
    updateCount();  // sigma draws the added actors and ties itself (graph events)
  }

  var handle = { data: data, select: select, matches: matches, labels: function () { return []; } };
  window.graphkitNetwork = handle;
  var renderer = null, graph = null, selected = null, neighbours = {};

  function select(id) {
    var n = byId[id];
    if (!n) { return; }
    showDetails(id);
    status.setAttribute("data-selected", id);
    if (!renderer) {
      found.className = "gk-found";
      found.textContent = "Found " + describe(n) + ": not drawn (this browser cannot draw the " +
        "view); details at the right.";
      return;
    }
    var how = "centred and ringed.";
    if (!drawn(n)) {
      drawOnRequest([n]);
      showDetails(id);
      how = "drawn on request beside the actors it is tied to (it is less central than the " +
        "drawn actors), centred and ringed.";
    }
    var cleared = "";
    if (!visible(n)) {
      clearFilters();
      renderer.refresh();
      cleared = " Filters cleared to show it.";
    }
    selected = id;
    neighbours = {};
    graph.forEachNeighbor(id, function (m) { neighbours[m] = true; });
    var d = renderer.getNodeDisplayData(id);
    var cam = renderer.getCamera();
    cam.setState({ x: d.x, y: d.y, ratio: Math.min(cam.getState().ratio, 0.2) });
    renderer.refresh();
    found.className = "gk-found";
    found.textContent = "Found " + describe(n) + ": " + how + cleared;
  }
  function unselect() {
    selected = null;
    neighbours = {};
    status.removeAttribute("data-selected");
    if (renderer) { renderer.refresh(); }
  }

  function softwareWebgl() {
    try {
      var gl = document.createElement("canvas").getContext("webgl");
      var info = gl && gl.getExtension("WEBGL_debug_renderer_info");
      var name = info ? String(gl.getParameter(info.UNMASKED_RENDERER_WEBGL)) : "";
      status.setAttribute("data-webgl", name);
      return /swiftshader|llvmpipe|software/i.test(name);
    } catch (e) { return false; }
  }
  function webglWorks() {
    try {
      var c = document.createElement("canvas");
      return !!(c.getContext("webgl2") || c.getContext("webgl"));
    } catch (e) { return false; }
  }
  if (typeof Sigma === "undefined" || typeof graphology === "undefined" || !webglWorks()) {
    container.className += " gk-nogl";
    container.appendChild(text("p", "This browser cannot draw the interactive view (it needs " +
      "WebGL); the picture below shows the network, and search still finds every actor.", "muted"));
    document.querySelectorAll(".print-only").forEach(function (el) { el.style.display = "block"; });
    status.setAttribute("data-painted-pixels", "0");
    updateCount();
    return;
  }

  graph = new graphology.Graph({ type: "undirected", multi: true, allowSelfLoops: false });
  nodes.forEach(function (n) {
    if (drawn(n)) { graph.addNode(n.id, { x: n.x, y: n.y, size: n.size, color: n.color }); }
  });
  data.edges.forEach(function (e, k) {
    var a = nodes[e[0]].id, b = nodes[e[1]].id;
    graph.addEdgeWithKey("e" + k, a, b, { size: 1, color: EDGE, type: "tie", k: k });
  });
  (data.hypotheses || []).forEach(function (h, k) {
    if (graph.hasNode(h.from) && graph.hasNode(h.to)) {
      graph.addEdgeWithKey("h" + k, h.from, h.to, { size: 2, color: HYP, hyp: true, type: "line" });
    }
  });

  function nodeReducer(id, attrs) {
    var n = byId[id];
    var out = { x: attrs.x, y: attrs.y, size: attrs.size, color: attrs.color, label: null, zIndex: 1 };
    if (!visible(n)) { out.hidden = true; return out; }
    if (selected) {
      if (id === selected) { out.size = attrs.size * 1.5 + 2; out.zIndex = 3; out.highlighted = true; }
      else if (neighbours[id]) { out.zIndex = 2; }
      else { out.color = FADED; out.zIndex = 0; }
    }
    return out;
  }
  function edgeReducer(id, attrs) {
    var out = { size: attrs.size, color: attrs.color };
    if (attrs.hyp && !showHypotheses) { out.hidden = true; return out; }
    if (!attrs.hyp && !tieIn[attrs.k]) { out.hidden = true; return out; }
    if (selected) {
      var ends = graph.extremities(id);
      if (ends[0] === selected || ends[1] === selected) { out.color = attrs.hyp ? HYP : EDGE_NEAR; out.zIndex = 2; }
      else if (!attrs.hyp) { out.color = FADED; }
    }
    return out;
  }
  function drawHover(context, d) {  // a ring; the card beside the pointer says who it is
    context.beginPath();
    context.arc(d.x, d.y, d.size + 3, 0, Math.PI * 2);
    context.lineWidth = 2;
    context.strokeStyle = "#111111";
    context.stroke();
  }

  var software = softwareWebgl();
  status.setAttribute("data-motion", software ? "image" : "redraw");
  renderer = new Sigma(graph, container, {
    renderLabels: false,  // drawn below: collision-free, by priority
    // Dots as points (gl.POINTS) and observed ties as 1-pixel lines (gl.LINES): a renderer
    // without a GPU (SwiftShader) spends its frames on the instanced circles and rectangles
    // sigma draws by default (10k actors in headless Chromium: 1.2 s a frame, 0.65 s as points
    // and lines; docs/report.md). Hypotheses stay thick.
    nodeProgramClasses: { circle: Sigma.rendering.NodePointProgram },
    edgeProgramClasses: { tie: Sigma.rendering.EdgeLineProgram },
    // while a big network is dragged or zoomed its ties are left out of the frames (without a
    // GPU the picture is moved as an image instead: imageMotion below)
    hideEdgesOnMove: data.edges.length > BIG_TIES && !software,
    defaultDrawNodeHover: drawHover,
    nodeReducer: nodeReducer,
    edgeReducer: edgeReducer,
    zIndex: true,
    minCameraRatio: 0.005,
    maxCameraRatio: 3,
    stagePadding: 24
  });
  handle.renderer = renderer;
  handle.graph = graph;

  // --- labels: a 2D layer over sigma's canvases ---
  var layer = document.createElement("canvas");
  layer.className = "gk-labels";
  container.appendChild(layer);
  var ctx = layer.getContext("2d");
  var byPriority = nodes.filter(drawn).slice().sort(function (a, b) { return a.rank - b.rank || a.i - b.i; });
  var placed = [];
  function overlaps(box, grid) {
    var x0 = Math.floor(box.x / 64), x1 = Math.floor((box.x + box.w) / 64);
    var y0 = Math.floor(box.y / 32), y1 = Math.floor((box.y + box.h) / 32);
    for (var gx = x0; gx <= x1; gx++) {
      for (var gy = y0; gy <= y1; gy++) {
        var cell = grid[gx + ":" + gy];
        if (!cell) { continue; }
        for (var k = 0; k < cell.length; k++) {
          var o = cell[k];
          if (box.x < o.x + o.w && o.x < box.x + box.w && box.y < o.y + o.h && o.y < box.y + box.h) { return true; }
        }
      }
    }
    return false;
  }
  function remember(box, grid) {
    var x0 = Math.floor(box.x / 64), x1 = Math.floor((box.x + box.w) / 64);
    var y0 = Math.floor(box.y / 32), y1 = Math.floor((box.y + box.h) / 32);
    for (var gx = x0; gx <= x1; gx++) {
      for (var gy = y0; gy <= y1; gy++) {
        var key = gx + ":" + gy;
        (grid[key] = grid[key] || []).push(box);
      }
    }
  }
  // Where a label may go, nearest first: beside the dot, above, below, then (for leaders,
  // brokers and the selected actor) the corners and a second ring further out.
  function labelSpots(p, r, w, wide) {
    var h = LABEL_HEIGHT, mid = p.y - h / 2;
    var spots = [[p.x + r + 2, mid], [p.x - r - 2 - w, mid], [p.x - w / 2, p.y - r - 2 - h],
                 [p.x - w / 2, p.y + r + 2]];
    if (!wide) { return spots; }
    [1, 2].forEach(function (k) {
      spots.push([p.x + r + 2, mid - k * h], [p.x + r + 2, mid + k * h],
                 [p.x - r - 2 - w, mid - k * h], [p.x - r - 2 - w, mid + k * h],
                 [p.x - w / 2, p.y - r - 2 - (k + 1) * h], [p.x - w / 2, p.y + r + 2 + k * h]);
    });
    return spots;
  }
  function drawLabels() {
    var dims = renderer.getDimensions();
    var ratio = window.devicePixelRatio || 1;
    if (layer.width !== Math.round(dims.width * ratio) || layer.height !== Math.round(dims.height * ratio)) {
      layer.width = Math.round(dims.width * ratio);
      layer.height = Math.round(dims.height * ratio);
      layer.style.width = dims.width + "px";
      layer.style.height = dims.height + "px";
    }
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, dims.width, dims.height);
    ctx.textBaseline = "middle";
    ctx.lineJoin = "round";
    var grid = {}, currentFont = null;
    placed = [];
    var queue = selected ? [byId[selected]].concat(byPriority) : byPriority;
    for (var k = 0; k < queue.length && placed.length < MAX_LABELS; k++) {
      var n = queue[k];
      if (k > 0 && n.id === selected) { continue; }
      if (!visible(n)) { continue; }
      var d = renderer.getNodeDisplayData(n.id);
      if (!d || d.hidden) { continue; }
      var r = renderer.scaleSize(d.size);
      var priority = n.id === selected || n.rank < 3;
      // the others come by falling size: once one is too small to label, so are the rest
      if (!priority && r < OTHER_LABEL_MIN_RADIUS) { break; }
      if (!priority && selected && !neighbours[n.id]) { continue; }
      var p = renderer.framedGraphToViewport(d);
      if (p.x < -r || p.y < -r || p.x > dims.width + r || p.y > dims.height + r) { continue; }
      var bold = n.id === selected || n.rank === 1;
      var font = bold ? LABEL_FONT_BOLD : LABEL_FONT;
      if (font !== currentFont) { ctx.font = font; currentFont = font; }
      var w = bold ? n.wBold : n.w;
      if (w === undefined) {
        w = ctx.measureText(n.short).width + 6;
        if (bold) { n.wBold = w; } else { n.w = w; }
      }
      var spots = labelSpots(p, r, w, priority);
      for (var s = 0; s < spots.length; s++) {
        var box = { id: n.id, text: n.short, w: w, h: LABEL_HEIGHT,
                    x: Math.max(0, Math.min(spots[s][0], dims.width - w)),
                    y: Math.max(0, Math.min(spots[s][1], dims.height - LABEL_HEIGHT)) };
        if (overlaps(box, grid)) { continue; }
        remember(box, grid);
        placed.push(box);
        if (n.id === selected) {
          ctx.fillStyle = "#fff6bf";
          ctx.fillRect(box.x, box.y, w, LABEL_HEIGHT);
        }
        ctx.strokeStyle = "rgba(255,255,255,0.92)";
        ctx.lineWidth = 3;
        ctx.strokeText(n.short, box.x + 3, box.y + LABEL_HEIGHT / 2);
        ctx.fillStyle = "#1d2330";
        ctx.fillText(n.short, box.x + 3, box.y + LABEL_HEIGHT / 2);
        break;
      }
    }
    if (selected) {
      var sd = renderer.getNodeDisplayData(selected);
      if (sd && !sd.hidden) {
        var sp = renderer.framedGraphToViewport(sd);
        ctx.beginPath();
        ctx.arc(sp.x, sp.y, renderer.scaleSize(sd.size) + 4, 0, Math.PI * 2);
        ctx.lineWidth = 3;
        ctx.strokeStyle = "#111111";
        ctx.stroke();
      }
    }
    status.setAttribute("data-labels", String(placed.length));
  }
  handle.drawLabels = drawLabels;
  handle.labels = function () {  // label boxes in page coordinates, for checks
    var rect = container.getBoundingClientRect();
    return placed.map(function (b) {
      return { id: b.id, text: b.text, x: rect.left + b.x, y: rect.top + b.y, w: b.w, h: b.h };
    });
  };

  // --- moving the picture as an image while the camera moves (WebGL without a GPU) ---
  // SwiftShader and llvmpipe rasterise every frame on the CPU (10k actors: 0.65 s a frame,
  // docs/report.md). There, while the camera moves, the last full picture is moved and scaled as
  // an image (a CSS transform of its layers: the compositor's work, nothing redrawn), and the
  // view is drawn afresh once the camera has rested SETTLE_MS, as map viewers do (and
  // Cytoscape.js's textureOnViewport). What comes into view stays blank until then.
  var SETTLE_MS = 150;
  function imageMotion() {
    var camera = renderer.getCamera();
    var proto = Object.getPrototypeOf(renderer);
    var fullRender = renderer.render, refresh = renderer.refresh;
    var canvases = renderer.getCanvases();
    var layers = Object.keys(canvases).filter(function (k) { return k !== "mouse"; })
      .map(function (k) { return canvases[k]; }).concat([layer]);
    var shot = null, shotDims = null, dirty = true, timer = null;
    layers.forEach(function (c) { c.style.transformOrigin = "0 0"; });
    // positions always from the camera as it is now, not as it was at the last full drawing,
    // so that the mouse, search and labels agree with the moved picture
    function current(o) {
      return o && (o.matrix || o.cameraState) ? o : Object.assign({}, o, { cameraState: camera.getState() });
    }
    renderer.framedGraphToViewport = function (c, o) { return proto.framedGraphToViewport.call(this, c, current(o)); };
    renderer.viewportToFramedGraph = function (c, o) { return proto.viewportToFramedGraph.call(this, c, current(o)); };
    renderer.refresh = function (o) { dirty = true; return refresh.call(this, o); };
    function place(t) { layers.forEach(function (c) { c.style.transform = t; }); }
    function full() {
      clearTimeout(timer);
      timer = null;
      handle.moving = false;
      status.setAttribute("data-moving", "false");
      place("");
      dirty = false;
      shot = camera.getState();
      shotDims = renderer.getDimensions();
      fullRender.call(renderer);
    }
    renderer.render = function () {
      if (this.renderFrame) { cancelAnimationFrame(this.renderFrame); this.renderFrame = null; }
      var now = camera.getState(), dims = this.getDimensions();
      if (dirty || !shot || now.angle !== shot.angle || dims.width !== shotDims.width ||
          dims.height !== shotDims.height) {
        full();
        return this;
      }
      var a0 = proto.framedGraphToViewport.call(this, { x: 0, y: 0 }, { cameraState: shot });
      var a1 = proto.framedGraphToViewport.call(this, { x: 1, y: 1 }, { cameraState: shot });
      var b0 = proto.framedGraphToViewport.call(this, { x: 0, y: 0 }, { cameraState: now });
      var b1 = proto.framedGraphToViewport.call(this, { x: 1, y: 1 }, { cameraState: now });
      var kx = (b1.x - b0.x) / (a1.x - a0.x), ky = (b1.y - b0.y) / (a1.y - a0.y);
      place("translate(" + (b0.x - kx * a0.x) + "px," + (b0.y - ky * a0.y) + "px) scale(" + kx + "," + ky + ")");
      handle.moving = true;
      status.setAttribute("data-moving", "true");
      card.hidden = true;
      clearTimeout(timer);
      timer = setTimeout(full, SETTLE_MS);
      return this;
    };
  }
  if (software) { imageMotion(); }

  // --- hover card ---
  function row(dl, key, value) { dl.appendChild(text("dt", key)); dl.appendChild(text("dd", value)); }
  renderer.on("enterNode", function (ev) {
    if (handle.moving) { return; }  // the picture is an image of the last drawing: no picking
    var n = byId[ev.node];
    while (card.firstChild) { card.removeChild(card.firstChild); }
    card.appendChild(text("strong", n.name || n.id));
    if (n.name) { card.appendChild(text("div", n.id, "muted")); }
    var dl = document.createElement("dl");
    row(dl, "phones", (n.phones || []).join(", "));
    row(dl, "community", n.single ? "single actor" : n.community);
    row(dl, "roles", roles(n).join(", ") || "–");
    row(dl, "PageRank · leadership · betweenness", n.pagerank + " · " + n.leadership + " · " + n.betweenness);
    card.appendChild(dl);
    var d = renderer.framedGraphToViewport(renderer.getNodeDisplayData(ev.node));
    var dims = renderer.getDimensions();
    card.hidden = false;
    card.style.left = Math.min(d.x + 14, dims.width - card.offsetWidth - 4) + "px";
    card.style.top = Math.min(d.y + 14, dims.height - card.offsetHeight - 4) + "px";
    status.setAttribute("data-hovered", ev.node);
  });
  renderer.on("leaveNode", function () { card.hidden = true; status.removeAttribute("data-hovered"); });
  renderer.on("clickNode", function (ev) { if (!handle.moving) { select(ev.node); } });
  renderer.on("clickStage", function () { unselect(); });

  // --- legend, role, hypotheses, fit ---
  var legendButtons = Array.prototype.slice.call(document.querySelectorAll("#gk-legend .gk-leg"));
  function syncLegend() {
    legendButtons.forEach(function (b) {
      b.setAttribute("aria-pressed", activeCommunities[b.getAttribute("data-community")] ? "true" : "false");
    });
  }
  legendButtons.forEach(function (b) {
    b.addEventListener("click", function () {
      var c = b.getAttribute("data-community");
      if (activeCommunities[c]) { delete activeCommunities[c]; } else { activeCommunities[c] = true; }
      if (selected && !visible(byId[selected])) { selected = null; }
      syncLegend();
      updateCount();
      renderer.refresh();
    });
  });
  function clearFilters() {
    activeCommunities = {};
    role = "";
    document.getElementById("gk-role").value = "";
    if (fromEl && toEl) { fromEl.value = fromEl.min; toEl.value = toEl.max; applyTime(); }
    if (selected && !visible(byId[selected])) { selected = null; }
    syncLegend();
    updateCount();
  }
  document.getElementById("gk-role").addEventListener("change", function (ev) {
    role = ev.target.value;
    if (selected && !visible(byId[selected])) { selected = null; }
    updateCount();
    renderer.refresh();
  });
  [fromEl, toEl].forEach(function (el) {
    if (!el) { return; }
    el.addEventListener("change", function () {
      applyTime();
      if (selected && !visible(byId[selected])) { selected = null; }
      updateCount();
      renderer.refresh();
    });
  });
  document.getElementById("gk-clear").addEventListener("click", function () { clearFilters(); renderer.refresh(); });
  document.getElementById("gk-hyp").addEventListener("change", function (ev) {
    showHypotheses = ev.target.checked;
    renderer.refresh();
  });
  function fit() { renderer.getCamera().setState({ x: 0.5, y: 0.5, ratio: 1, angle: 0 }); }
  handle.fit = fit;
  document.getElementById("gk-fit").addEventListener("click", fit);

  // --- first paint: time and painted pixels, for checks ---
  var first = true;
  renderer.on("afterRender", function () {
    drawLabels();
    if (!first) { return; }
    first = false;
    status.setAttribute("data-load-ms", String(Math.round(performance.now())));
    var painted = 0;
    var canvases = renderer.getCanvases();
    ["edges", "nodes"].forEach(function (key) {
      var c = canvases[key];
      var gl = c && (c.getContext("webgl2") || c.getContext("webgl"));
      if (!gl) { return; }
      var px = new Uint8Array(gl.drawingBufferWidth * gl.drawingBufferHeight * 4);
      gl.readPixels(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight, gl.RGBA, gl.UNSIGNED_BYTE, px);
      for (var j = 3; j < px.length; j += 4) { if (px[j] > 0) { painted++; } }
    });
    status.setAttribute("data-painted-pixels", String(painted));
  });
  updateCount();
  renderer.refresh();
})();
