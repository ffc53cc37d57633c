// graphkit report: the interactive network view (vis-network, positions computed in Python).
// SPDX-License-Identifier: GPL-3.0-or-later
(function () {
  "use strict";
  var status = document.getElementById("gk-status");
  var container = document.getElementById("gk-network");
  if (!container || typeof vis === "undefined") { return; }
  var data = JSON.parse(document.getElementById("gk-data").textContent);
  var byId = {};
  data.nodes.forEach(function (n) { byId[n.id] = n; });

  function visNode(n) {
    return {
      id: n.id, x: n.x, y: n.y, size: n.size, shape: "dot",
      label: n.named ? n.short : undefined,
      color: { background: n.color, border: "#ffffff",
               highlight: { background: n.color, border: "#111111" } },
      borderWidth: 1, font: { size: data.label_size || 22, color: "#1d2330", strokeWidth: 4,
              strokeColor: "#ffffff" }
    };
  }
  var nodes = new vis.DataSet(data.nodes.map(visNode));
  var edgeList = data.edges.map(function (e, i) {
    return { id: "e" + i, from: e.from, to: e.to, width: Math.min(0.5 + Math.log(1 + e.w), 6),
             color: { color: "#b8bec9", highlight: "#444444", opacity: 0.7 } };
  });
  data.hypotheses.forEach(function (h, i) {
    edgeList.push({ id: "h" + i, from: h.from, to: h.to, dashes: [6, 5], width: 2.5,
                    color: { color: "#d62728", highlight: "#d62728" } });
  });
  var edges = new vis.DataSet(edgeList);
  var network = new vis.Network(container, { nodes: nodes, edges: edges }, {
    physics: false,
    interaction: { hover: true, multiselect: false, navigationButtons: false },
    edges: { smooth: false, selectionWidth: 2 },
    layout: { improvedLayout: false }
  });
  // A handle for the browser console (and for automated checks): the view and its data.
  window.graphkitNetwork = { network: network, nodes: nodes, edges: edges, data: data };

  function text(tag, value, cls) {
    var el = document.createElement(tag);
    el.textContent = value === null || value === undefined ? "–" : String(value);
    if (cls) { el.className = cls; }
    return el;
  }
  function showDetails(id) {
    var n = byId[id];
    var side = document.getElementById("gk-details");
    while (side.firstChild) { side.removeChild(side.firstChild); }
    if (!n) { return; }
    side.appendChild(text("h3", n.label));
    var dl = document.createElement("dl");
    var rows = [["kind", n.kind], ["community", n.community],
                ["phones", (n.phones || []).join(", ")], ["PageRank", n.pagerank],
                ["betweenness", n.betweenness], ["leadership", n.leadership],
                ["level (0 = top)", n.level],
                ["most likely superior", n.superior ? (byId[n.superior] || {}).label || n.superior : null],
                ["broker role", n.role], ["why", n.why]];
    rows.forEach(function (r) { dl.appendChild(text("dt", r[0])); dl.appendChild(text("dd", r[1])); });
    var hyp = data.hypotheses.filter(function (h) { return h.from === id || h.to === id; });
    hyp.forEach(function (h) {
      var other = h.from === id ? h.to : h.from;
      dl.appendChild(text("dt", "hypothesis: " + h.kind));
      dl.appendChild(text("dd", ((byId[other] || {}).label || other) + " (score " + h.score +
                                ", " + h.status + ")"));
    });
    side.appendChild(dl);
  }
  network.on("click", function (params) {
    if (params.nodes.length) { showDetails(params.nodes[0]); }
  });

  var list = document.getElementById("gk-names");
  data.nodes.forEach(function (n) {
    var o = document.createElement("option");
    o.value = n.label;
    list.appendChild(o);
  });
  var search = document.getElementById("gk-search");
  function find(query) {
    var q = query.trim().toLowerCase();
    if (!q) { return null; }
    for (var i = 0; i < data.nodes.length; i++) {
      var n = data.nodes[i];
      if (n.label.toLowerCase() === q || String(n.id).toLowerCase() === q) { return n; }
    }
    for (var j = 0; j < data.nodes.length; j++) {
      var m = data.nodes[j];
      var hay = (m.label + " " + m.id + " " + (m.phones || []).join(" ")).toLowerCase();
      if (hay.indexOf(q) >= 0) { return m; }
    }
    return null;
  }
  function go() {
    var n = find(search.value);
    if (!n) { return; }
    nodes.update({ id: n.id, hidden: false });
    network.selectNodes([n.id]);
    network.focus(n.id, { scale: 1.4, animation: false });
    showDetails(n.id);
  }
  search.addEventListener("change", go);
  search.addEventListener("keydown", function (ev) { if (ev.key === "Enter") { go(); } });

  var select = document.getElementById("gk-community");
  data.communities.forEach(function (c) {
    var o = document.createElement("option");
    o.value = String(c.id);
    o.textContent = c.id + " (" + c.size + " members)";
    select.appendChild(o);
  });
  select.addEventListener("change", function () {
    var want = select.value;
    nodes.update(data.nodes.map(function (n) {
      return { id: n.id, hidden: want !== "" && String(n.community) !== want };
    }));
    network.fit({ animation: false });
  });
  document.getElementById("gk-hyp").addEventListener("change", function (ev) {
    edges.update(data.hypotheses.map(function (h, i) {
      return { id: "h" + i, hidden: !ev.target.checked };
    }));
  });
  document.getElementById("gk-fit").addEventListener("click", function () {
    network.fit({ animation: false });
  });

  network.once("afterDrawing", function () {
    var canvas = container.querySelector("canvas");
    var painted = 0;
    if (canvas) {
      var px = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
      for (var k = 3; k < px.length; k += 4) { if (px[k] > 0) { painted++; } }
    }
    status.setAttribute("data-painted-pixels", String(painted));
    status.setAttribute("data-load-ms", String(Math.round(performance.now())));
    status.setAttribute("data-nodes", String(data.nodes.length));
  });
  network.fit({ animation: false });
})();
