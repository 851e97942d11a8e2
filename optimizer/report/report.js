/* reeplan report: charts (SVG, hover tooltip, drag to zoom, double-click to reset), a map of the network
   (wheel to zoom, drag to pan, hover for details), sortable and filterable tables. No library, no network:
   everything the page shows is in the page (its data: the JSON script element with id reeplan-data). */
(function () {
  "use strict";
  var NS = "http://www.w3.org/2000/svg";
  var DATA = JSON.parse(document.getElementById("reeplan-data").textContent);
  var PALETTE = ["#2b6cb0", "#dd6b20", "#2f855a", "#b83280", "#6b46c1", "#c53030", "#319795", "#975a16",
                 "#4a5568", "#d69e2e"];

  function svg(tag, attrs, parent) {
    var e = document.createElementNS(NS, tag);
    for (var k in attrs) { if (attrs[k] !== undefined && attrs[k] !== null) e.setAttribute(k, attrs[k]); }
    if (parent) parent.appendChild(e);
    return e;
  }
  function esc(s) {
    return String(s === null || s === undefined ? "" : s).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }
  function fmt(v) {
    if (v === null || v === undefined || (typeof v === "number" && !isFinite(v))) return "–";
    if (typeof v !== "number") return esc(v);
    var a = Math.abs(v), d = Number.isInteger(v) || a >= 1000 ? 0 : a >= 10 ? 1 : a >= 1 ? 2 : 3;
    return v.toLocaleString("en-US", {minimumFractionDigits: d, maximumFractionDigits: d});
  }

  // ------------------------------------------------------------------ tooltip
  var tip = document.createElement("div");
  tip.className = "tip";
  tip.setAttribute("role", "tooltip");
  document.body.appendChild(tip);
  function showTip(html, ev) {
    tip.innerHTML = html;
    tip.style.display = "block";
    var x = ev.clientX + 14, y = ev.clientY + 14, w = tip.offsetWidth, h = tip.offsetHeight;
    if (x + w > window.innerWidth - 8) x = ev.clientX - w - 14;
    if (y + h > window.innerHeight - 8) y = ev.clientY - h - 14;
    tip.style.left = Math.max(4, x) + "px";
    tip.style.top = Math.max(4, y) + "px";
  }
  function hideTip() { tip.style.display = "none"; }

  function niceTicks(lo, hi, n) {
    if (!(hi > lo)) { hi = lo + 1; }
    var step = Math.pow(10, Math.floor(Math.log10((hi - lo) / n)));
    var err = (hi - lo) / n / step;
    if (err >= 7.5) step *= 10; else if (err >= 3.5) step *= 5; else if (err >= 1.5) step *= 2;
    var out = [];
    for (var t = Math.ceil(lo / step) * step; t <= hi + step * 1e-9; t += step) out.push(Math.abs(t) < step * 1e-9 ? 0 : t);
    return out;
  }

  // ------------------------------------------------------------------ charts
  function chart(host, spec) {
    var W = Math.max(320, host.clientWidth || 800), H = spec.height || 300;
    var M = {l: 64, r: 16, t: 12, b: 40};
    var full = {lo: 0, hi: spec.x.length - 1};
    var view = {lo: full.lo, hi: full.hi};
    var numericX = spec.kind === "line" || spec.kind === "step" || spec.kind === "scatter";
    var xs = spec.x;
    var root = svg("svg", {width: W, height: H, viewBox: "0 0 " + W + " " + H, "class": "chart-svg",
                           role: "img", "aria-label": spec.title || ""}, null);
    host.innerHTML = "";
    host.appendChild(root);
    var legend = document.createElement("div");
    legend.className = "legend";
    (spec.series || []).forEach(function (s, i) {
      if (s.legend === false) return;
      var item = document.createElement("span");
      item.innerHTML = '<i style="background:' + (s.color || PALETTE[i % PALETTE.length]) + '"></i>' + esc(s.name);
      legend.appendChild(item);
    });
    if ((spec.refs || []).length) {
      var r = document.createElement("span");
      r.innerHTML = '<i style="background:#c53030;height:2px"></i>' + esc(spec.refLegend || "limit or target");
      legend.appendChild(r);
    }
    host.appendChild(legend);
    var marks = 0;

    function draw() {
      while (root.firstChild) root.removeChild(root.firstChild);
      marks = 0;
      var lo = view.lo, hi = view.hi, iw = W - M.l - M.r, ih = H - M.t - M.b;
      var idx = [];
      for (var i = lo; i <= hi; i++) idx.push(i);
      var ymin = 0, ymax = 0;
      (spec.series || []).forEach(function (s) {
        idx.forEach(function (i) {
          var v = s.values[i];
          if (typeof v === "number" && isFinite(v)) { ymax = Math.max(ymax, v); ymin = Math.min(ymin, v); }
        });
      });
      if (spec.kind === "stack") {
        idx.forEach(function (i) {
          var pos = 0, neg = 0;
          spec.series.forEach(function (s) { var v = s.values[i] || 0; if (v > 0) pos += v; else neg += v; });
          ymax = Math.max(ymax, pos); ymin = Math.min(ymin, neg);
        });
      }
      (spec.refs || []).forEach(function (rf) {
        if (rf.i === undefined || (rf.i >= lo && rf.i <= hi)) ymax = Math.max(ymax, rf.y);
      });
      if (spec.ymax !== undefined) ymax = Math.max(ymax, spec.ymax);
      if (ymax <= ymin) ymax = ymin + 1;
      ymax *= 1.05;
      var xnum = function (i) { return Number(xs[i]); };
      var X, band = 0;
      if (numericX) {
        var x0 = xnum(lo), x1 = xnum(hi);
        if (x1 === x0) { x0 -= 0.5; x1 += 0.5; }
        X = function (i) { return M.l + (xnum(i) - x0) / (x1 - x0) * iw; };
      } else {
        band = iw / idx.length;
        X = function (i) { return M.l + (i - lo + 0.5) * band; };
      }
      var Y = function (v) { return M.t + ih - (v - ymin) / (ymax - ymin) * ih; };
      var g = svg("g", {}, root);
      var ticks = niceTicks(ymin, ymax, 5), tstep = ticks.length > 1 ? ticks[1] - ticks[0] : 1;
      var tdig = Math.max(0, Math.min(4, -Math.floor(Math.log10(tstep) + 1e-9)));
      ticks.forEach(function (t) {
        svg("line", {x1: M.l, x2: W - M.r, y1: Y(t), y2: Y(t), stroke: "#e2e8f0"}, g);
        svg("text", {x: M.l - 6, y: Y(t) + 4, "text-anchor": "end", "class": "tick"}, g).textContent =
          t.toLocaleString("en-US", {minimumFractionDigits: tdig, maximumFractionDigits: tdig});
      });
      var step = Math.max(1, Math.ceil(idx.length / Math.max(2, Math.floor(iw / 60))));
      idx.forEach(function (i, k) {
        if (k % step) return;
        svg("text", {x: X(i), y: H - M.b + 16, "text-anchor": "middle", "class": "tick"}, g).textContent =
          numericX && typeof xs[i] === "number" ? fmt(xs[i]) : String(xs[i]);
      });
      svg("line", {x1: M.l, x2: W - M.r, y1: Y(0), y2: Y(0), stroke: "#718096"}, g);
      if (spec.yLabel) svg("text", {x: 12, y: M.t + ih / 2, transform: "rotate(-90 12 " + (M.t + ih / 2) + ")",
                                    "text-anchor": "middle", "class": "axis"}, g).textContent = spec.yLabel;
      if (spec.xLabel) svg("text", {x: M.l + iw / 2, y: H - 4, "text-anchor": "middle", "class": "axis"}, g).textContent = spec.xLabel;
      var series = spec.series || [];
      if (spec.kind === "stack") {
        var bw = band * 0.7;
        idx.forEach(function (i) {
          var pos = 0, neg = 0;
          series.forEach(function (s, si) {
            var v = s.values[i] || 0;
            if (!v) return;
            var a = v > 0 ? pos : neg, b = a + v;
            if (v > 0) pos = b; else neg = b;
            svg("rect", {x: X(i) - bw / 2, y: Y(Math.max(a, b)), width: bw, height: Math.max(0.5, Math.abs(Y(a) - Y(b))),
                         fill: s.color || PALETTE[si % PALETTE.length], "class": "mark"}, g);
            marks++;
          });
        });
      } else if (spec.kind === "bar") {
        var n = Math.max(1, series.length), bw2 = band * 0.8 / n;
        idx.forEach(function (i) {
          series.forEach(function (s, si) {
            var v = s.values[i];
            if (typeof v !== "number" || !isFinite(v)) return;
            svg("rect", {x: X(i) - band * 0.4 + si * bw2, y: Y(Math.max(v, 0)), width: Math.max(1, bw2 - 1),
                         height: Math.max(0.5, Math.abs(Y(v) - Y(0))), fill: s.color || PALETTE[si % PALETTE.length],
                         "class": "mark"}, g);
            marks++;
          });
        });
      } else {
        series.forEach(function (s, si) {
          var d = "", prev = null;
          idx.forEach(function (i) {
            var v = s.values[i];
            if (typeof v !== "number" || !isFinite(v)) { prev = null; return; }
            if (spec.kind === "step" && prev !== null) d += "L" + X(i) + "," + Y(prev);
            d += (prev === null ? "M" : "L") + X(i) + "," + Y(v);
            prev = v;
          });
          var color = s.color || PALETTE[si % PALETTE.length];
          if (spec.kind !== "scatter" && d) {
            svg("path", {d: d, fill: "none", stroke: color, "stroke-width": s.width || 2.2,
                         "stroke-dasharray": s.dash || null, "class": "mark"}, g);
            marks++;
          }
          if (spec.kind !== "step") {
            idx.forEach(function (i) {
              var v = s.values[i];
              if (typeof v !== "number" || !isFinite(v)) return;
              svg("circle", {cx: X(i), cy: Y(v), r: spec.kind === "scatter" ? 4 : 2.6, fill: color, "class": "mark"}, g);
              marks++;
            });
          }
        });
      }
      (spec.refs || []).forEach(function (rf) {
        var xa = M.l, xb = W - M.r;
        if (rf.i !== undefined) {
          if (rf.i < lo || rf.i > hi) return;
          xa = X(rf.i) - (band ? band * 0.45 : 8); xb = X(rf.i) + (band ? band * 0.45 : 8);
        }
        svg("line", {x1: xa, x2: xb, y1: Y(rf.y), y2: Y(rf.y), stroke: rf.color || "#c53030", "stroke-width": 2,
                     "stroke-dasharray": rf.dash || "6 3"}, g);
        if (rf.label && rf.i === undefined) svg("text", {x: xb - 4, y: Y(rf.y) - 4, "text-anchor": "end", "class": "ref"}, g).textContent = rf.label;
      });
      // hover and zoom layer
      var guide = svg("line", {y1: M.t, y2: M.t + ih, stroke: "#4a5568", "stroke-dasharray": "3 3", visibility: "hidden"}, g);
      var brush = svg("rect", {y: M.t, height: ih, fill: "rgba(43,108,176,.15)", visibility: "hidden"}, g);
      var hit = svg("rect", {x: M.l, y: M.t, width: iw, height: ih, fill: "transparent", "class": "hit"}, g);
      var nearest = function (px) {
        var best = lo, bd = Infinity;
        idx.forEach(function (i) { var d2 = Math.abs(X(i) - px); if (d2 < bd) { bd = d2; best = i; } });
        return best;
      };
      var start = null;
      var local = function (ev) { var b = root.getBoundingClientRect(); return (ev.clientX - b.left) * W / b.width; };
      hit.addEventListener("mousemove", function (ev) {
        var px = local(ev), i = nearest(px);
        guide.setAttribute("x1", X(i)); guide.setAttribute("x2", X(i)); guide.setAttribute("visibility", "visible");
        if (start !== null) {
          brush.setAttribute("x", Math.min(start, px)); brush.setAttribute("width", Math.abs(px - start));
          brush.setAttribute("visibility", "visible");
        }
        var rows = series.map(function (s, si) {
          return '<tr><td><i style="background:' + (s.color || PALETTE[si % PALETTE.length]) + '"></i>' + esc(s.name) +
                 '</td><td class="num">' + fmt(s.values[i]) + (spec.unit ? " " + esc(spec.unit) : "") + "</td></tr>";
        }).join("");
        (spec.refs || []).forEach(function (rf) {
          if (rf.i === undefined || rf.i === i) rows += '<tr><td class="ref">' + esc(rf.label || "limit") + '</td><td class="num">' + fmt(rf.y) + "</td></tr>";
        });
        showTip("<b>" + esc(spec.xLabel ? spec.xLabel + " " : "") + (typeof xs[i] === "number" && numericX ? fmt(xs[i]) : esc(xs[i])) + "</b><table>" + rows + "</table>", ev);
      });
      hit.addEventListener("mouseleave", function () { guide.setAttribute("visibility", "hidden"); hideTip(); });
      hit.addEventListener("mousedown", function (ev) { start = local(ev); ev.preventDefault(); });
      hit.addEventListener("mouseup", function (ev) {
        if (start === null) return;
        var a = nearest(Math.min(start, local(ev))), b = nearest(Math.max(start, local(ev)));
        start = null;
        brush.setAttribute("visibility", "hidden");
        if (b > a) { view.lo = a; view.hi = b; draw(); }
      });
      hit.addEventListener("dblclick", function () { view.lo = full.lo; view.hi = full.hi; draw(); });
      host.setAttribute("data-drawn", "1");
      host.setAttribute("data-marks", String(marks));
      host.setAttribute("data-zoom", lo + ":" + hi);
    }
    draw();
    host._reeplanChart = {zoom: function (a, b) { view.lo = a; view.hi = b; draw(); }, reset: function () { view.lo = full.lo; view.hi = full.hi; draw(); }};
  }

  // ------------------------------------------------------------------ map
  var MODE_STYLE = {rail: {color: "#2d3748", dash: null}, road: {color: "#975a16", dash: "7 3"},
                    river: {color: "#3182ce", dash: "2 3"}, winter_road: {color: "#63b3ed", dash: "1 4"},
                    sea: {color: "#2c5282", dash: "9 4"}, multimodal: {color: "#805ad5", dash: "8 3 2 3"}};
  function yearColor(y, lo, hi) {
    if (y === null || y === undefined) return "#a0aec0";
    var stops = [[68, 1, 84], [59, 82, 139], [33, 145, 140], [94, 201, 98], [253, 231, 37]];
    var f = hi > lo ? (y - lo) / (hi - lo) : 0;
    f = Math.max(0, Math.min(1, f)) * (stops.length - 1);
    var k = Math.min(stops.length - 2, Math.floor(f)), t = f - k, a = stops[k], b = stops[k + 1];
    return "rgb(" + [0, 1, 2].map(function (j) { return Math.round(a[j] + (b[j] - a[j]) * t); }).join(",") + ")";
  }
  function map(host, spec) {
    var W = Math.max(360, host.clientWidth || 900), H = spec.height || 560;
    var pts = spec.nodes.map(function (n) { return [n.lon, n.lat]; });
    var lat0 = pts.reduce(function (s, p) { return s + p[1]; }, 0) / Math.max(1, pts.length);
    var k = Math.cos(lat0 * Math.PI / 180);
    var P = function (lon, lat) { return [lon * k, -lat]; };
    var xs = pts.map(function (p) { return P(p[0], p[1])[0]; }), ys = pts.map(function (p) { return P(p[0], p[1])[1]; });
    var bx0 = Math.min.apply(null, xs), bx1 = Math.max.apply(null, xs), by0 = Math.min.apply(null, ys), by1 = Math.max.apply(null, ys);
    var pad = Math.max(bx1 - bx0, by1 - by0) * 0.08 + 1;
    bx0 -= pad; bx1 += pad; by0 -= pad; by1 += pad;
    var aspect = W / H;
    if ((bx1 - bx0) / (by1 - by0) < aspect) { var cx = (bx0 + bx1) / 2, hw = (by1 - by0) * aspect / 2; bx0 = cx - hw; bx1 = cx + hw; }
    else { var cy = (by0 + by1) / 2, hh = (bx1 - bx0) / aspect / 2; by0 = cy - hh; by1 = cy + hh; }
    var home = [bx0, by0, bx1 - bx0, by1 - by0], vb = home.slice();
    var root = svg("svg", {width: W, height: H, viewBox: vb.join(" "), "class": "map-svg", role: "img",
                           "aria-label": "map of deposits, plant sites, power sources, links and connections"}, null);
    host.innerHTML = "";
    host.appendChild(root);
    var unit = (bx1 - bx0) / W;  // map units per pixel at the start
    var sea = svg("rect", {x: bx0 - 400, y: by0 - 400, width: bx1 - bx0 + 800, height: by1 - by0 + 800, fill: "#eef5fb"}, root);
    sea.setAttribute("class", "sea");
    var land = svg("g", {"class": "outline"}, root);
    (spec.outline || []).forEach(function (c) {
      c.rings.forEach(function (ring) {
        var d = ring.map(function (p, i) { var q = P(p[0], p[1]); return (i ? "L" : "M") + q[0].toFixed(3) + "," + q[1].toFixed(3); }).join("") + "Z";
        svg("path", {d: d, fill: c.name === "Russia" ? "#fbfaf5" : "#f1efe8", stroke: "#a0aec0",
                     "stroke-width": unit * 0.8, "vector-effect": "non-scaling-stroke"}, land);
      });
    });
    var lo = spec.years[0], hi = spec.years[1];
    var maxFlow = Math.max.apply(null, [1].concat(spec.edges.map(function (e) { return e.flow || 0; })));
    var edges = svg("g", {"class": "edges"}, root), nodes = svg("g", {"class": "nodes"}, root), labels = svg("g", {"class": "labels"}, root);
    var tipFor = function (elm, html) {
      elm.addEventListener("mousemove", function (ev) { showTip(html, ev); });
      elm.addEventListener("mouseleave", hideTip);
    };
    spec.edges.forEach(function (e) {
      var a = P(e.from[1], e.from[0]), b = P(e.to[1], e.to[0]);
      var used = (e.flow || 0) > 0;
      var w = used ? 1.5 + 6 * Math.sqrt(e.flow / maxFlow) : 1;
      var style = e.kind === "connection" ? {color: "#d69e2e", dash: "2 2"} : (MODE_STYLE[e.mode] || MODE_STYLE.rail);
      if (e.upgraded) svg("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: "#f6e05e", "stroke-width": w + 5,
                                   "stroke-linecap": "round", "vector-effect": "non-scaling-stroke", opacity: 0.9}, edges);
      var line = svg("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: used ? yearColor(e.year, lo, hi) : style.color,
                              "stroke-width": w, "stroke-dasharray": style.dash, opacity: used ? 0.95 : 0.45,
                              "vector-effect": "non-scaling-stroke", "class": "edge " + e.kind + " mode-" + (e.mode || "power"),
                              "data-name": e.name}, edges);
      var hitLine = svg("line", {x1: a[0], y1: a[1], x2: b[0], y2: b[1], stroke: "transparent", "stroke-width": 10,
                                 "vector-effect": "non-scaling-stroke"}, edges);
      tipFor(hitLine, e.info);
      tipFor(line, e.info);
    });
    var maxSize = Math.max.apply(null, [1].concat(spec.nodes.map(function (n) { return n.size || 0; })));
    spec.nodes.forEach(function (n) {
      var p = P(n.lon, n.lat), r = (4 + 9 * Math.sqrt((n.size || 0) / maxSize)) * unit;
      var fill = n.used ? yearColor(n.year, lo, hi) : "#cbd5e0", shape;
      if (n.kind === "deposit") {
        shape = svg("path", {d: "M" + p[0] + "," + (p[1] - r * 1.2) + "L" + (p[0] + r) + "," + (p[1] + r * 0.8) + "L" + (p[0] - r) + "," + (p[1] + r * 0.8) + "Z"}, nodes);
      } else if (n.kind === "source") {
        shape = svg("rect", {x: p[0] - r * 0.8, y: p[1] - r * 0.8, width: r * 1.6, height: r * 1.6}, nodes);
      } else {
        shape = svg("circle", {cx: p[0], cy: p[1], r: r}, nodes);
      }
      shape.setAttribute("fill", fill);
      shape.setAttribute("stroke", n.existing ? "#1a202c" : "#4a5568");
      shape.setAttribute("stroke-width", (n.existing ? 2 : 1) * unit);
      shape.setAttribute("class", "node " + n.kind);
      shape.setAttribute("data-name", n.name);
      tipFor(shape, n.info);
      if (n.kind !== "source") {
        var t = svg("text", {x: p[0] + r + 2 * unit, y: p[1] + 3.5 * unit, "font-size": 11 * unit, "class": "label " + n.kind}, labels);
        t.textContent = n.name;
      }
    });
    // zoom (wheel) and pan (drag); double-click resets
    var apply = function () {
      root.setAttribute("viewBox", vb.join(" "));
      var z = home[2] / vb[2];
      labels.querySelectorAll("text").forEach(function (t) { t.setAttribute("font-size", 11 * unit / z); });
      host.setAttribute("data-zoom", z.toFixed(3));
    };
    root.addEventListener("wheel", function (ev) {
      ev.preventDefault();
      var b = root.getBoundingClientRect(), fx = (ev.clientX - b.left) / b.width, fy = (ev.clientY - b.top) / b.height;
      var s = ev.deltaY < 0 ? 0.8 : 1.25, nw = Math.min(home[2] * 2, Math.max(home[2] / 40, vb[2] * s)), nh = nw * vb[3] / vb[2];
      vb = [vb[0] + (vb[2] - nw) * fx, vb[1] + (vb[3] - nh) * fy, nw, nh];
      apply();
    }, {passive: false});
    var drag = null;
    root.addEventListener("mousedown", function (ev) { drag = [ev.clientX, ev.clientY, vb[0], vb[1]]; });
    window.addEventListener("mouseup", function () { drag = null; });
    root.addEventListener("mousemove", function (ev) {
      if (!drag) return;
      var b = root.getBoundingClientRect();
      vb[0] = drag[2] - (ev.clientX - drag[0]) * vb[2] / b.width;
      vb[1] = drag[3] - (ev.clientY - drag[1]) * vb[3] / b.height;
      apply();
    });
    root.addEventListener("dblclick", function () { vb = home.slice(); apply(); });
    host.setAttribute("data-drawn", "1");
    host.setAttribute("data-marks", String(spec.nodes.length + spec.edges.length));
    host.setAttribute("data-sites", String(spec.nodes.filter(function (n) { return n.kind === "site"; }).length));
    apply();
  }

  // ------------------------------------------------------------------ tables
  function cellValue(td) {
    var t = (td.getAttribute("data-v") !== null ? td.getAttribute("data-v") : td.textContent).trim();
    var n = t.replace(/[,\s%]/g, "").replace(/^[–-]$/, "");
    if (n !== "" && !isNaN(Number(n))) return Number(n);
    return t.toLowerCase();
  }
  function sortable(tbl) {
    var head = tbl.tHead, body = tbl.tBodies[0];
    if (!head || !body) return;
    Array.prototype.forEach.call(head.rows[0].cells, function (th, col) {
      th.classList.add("sortable");
      th.title = "sort";
      th.addEventListener("click", function () {
        var asc = th.getAttribute("aria-sort") !== "ascending";
        Array.prototype.forEach.call(head.rows[0].cells, function (o) { o.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", asc ? "ascending" : "descending");
        var rows = Array.prototype.slice.call(body.rows);
        rows.sort(function (a, b) {
          var x = cellValue(a.cells[col] || a), y = cellValue(b.cells[col] || b);
          if (typeof x === "number" && typeof y === "number") return asc ? x - y : y - x;
          return asc ? String(x).localeCompare(String(y)) : String(y).localeCompare(String(x));
        });
        rows.forEach(function (r) { body.appendChild(r); });
      });
    });
    if (body.rows.length > 6) {
      var box = document.createElement("input");
      box.type = "search";
      box.className = "filter";
      box.placeholder = "filter rows…";
      box.setAttribute("aria-label", "filter the rows of this table");
      box.addEventListener("input", function () {
        var q = box.value.toLowerCase();
        Array.prototype.forEach.call(body.rows, function (r) { r.style.display = r.textContent.toLowerCase().indexOf(q) >= 0 ? "" : "none"; });
      });
      tbl.parentNode.insertBefore(box, tbl);
    }
  }

  function start() {
    document.querySelectorAll("[data-chart-id]").forEach(function (host) {
      var spec = DATA.charts[host.getAttribute("data-chart-id")];
      if (spec) chart(host, spec);
    });
    document.querySelectorAll("[data-map-id]").forEach(function (host) {
      var spec = DATA.maps[host.getAttribute("data-map-id")];
      if (spec) map(host, spec);
    });
    document.querySelectorAll("main table").forEach(sortable);
    document.body.setAttribute("data-ready", "1");
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start); else start();
})();
