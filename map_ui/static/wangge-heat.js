/* wangge incident heat map: density, hexagon counts, Gi* hotspots, emerging hotspots.
 * Every number comes from the API with the browser session's login token; nothing is
 * baked into the page. window.wanggeHeat exposes the state for tests. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("wangge-heat-config").textContent);
  var login = WanggeMap.session(cfg.api_url);
  if (!login) { return; }
  var DAY = 86400000;
  var PAGE = 10000;
  var MAX_POINTS = 50000;

  var state = {
    mode: "heat", points: [], weeks: [], week: null, drawn: 0, cells: 0, playing: null,
    lastError: null
  };
  window.wanggeHeat = state;

  // on a GCJ-02 basemap (AMap-style) every point and outline is shifted to lie on it
  var page = WanggeMap.pageMap(cfg, { preferCanvas: true, zoomControl: true });
  var map = page.map, gcj = page.gcj, latLng = page.latLng;
  var coordsToLatLng = page.coordsToLatLng;
  state.latLng = latLng;
  state.map = map;

  var el = function (id) { return document.getElementById(id); };
  var statusLine = el("status-line");

  function api(path, params) {
    var query = new URLSearchParams();
    Object.keys(params || {}).forEach(function (k) {
      if (params[k] !== "" && params[k] !== null && params[k] !== undefined) {
        query.set(k, params[k]);
      }
    });
    return login.request("GET", path + (query.toString() ? "?" + query.toString() : ""));
  }

  function filters() {
    var since = el("since").value, until = el("until").value;
    return {
      since: since ? since + "T00:00:00+08:00" : "",
      until: until ? new Date(Date.parse(until + "T00:00:00+08:00") + DAY).toISOString() : "",
      class_code: el("class").value, status: el("status").value, source: el("source").value
    };
  }

  // ---- context: communities and grids in force, outlines only
  var context = L.layerGroup().addTo(map);
  function drawContext() {
    var b = map.getBounds();
    var pad = gcj ? 0.01 : 0;  // the view is in GCJ-02, the API in WGS84: ~1 km covers the shift
    var bbox = [b.getWest() - pad, b.getSouth() - pad, b.getEast() + pad, b.getNorth() + pad]
      .join(",");
    context.clearLayers();
    api("/collections/communities/items", { bbox: bbox, limit: 500 }).then(function (fc) {
      L.geoJSON(fc, { style: { color: "#555", weight: 1.5, fill: false }, interactive: false,
                      coordsToLatLng: coordsToLatLng }).addTo(context);
    }).catch(function () {});
    if (map.getZoom() >= 14) {
      api("/collections/grids/items", { bbox: bbox, limit: 2000 }).then(function (fc) {
        L.geoJSON(fc, { style: { color: "#c0158f", weight: 1, fill: false }, interactive: false,
                        coordsToLatLng: coordsToLatLng }).addTo(context);
      }).catch(function () {});
    }
  }

  // ---- the data layer of the current mode
  var layer = null;
  function clearLayer() {
    if (layer) { map.removeLayer(layer); layer = null; }
  }

  function weekStart(t) {
    var d = new Date(t + 8 * 3600000);  // weeks in China time, Monday first
    var monday = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) -
      ((d.getUTCDay() + 6) % 7) * DAY;
    return monday - 8 * 3600000;
  }

  function loadPoints() {
    var collected = [];
    function page(offset) {
      var params = Object.assign({ limit: PAGE, offset: offset }, filters());
      return api("/incidents", params).then(function (fc) {
        fc.features.forEach(function (f) {
          var at = latLng(f.geometry.coordinates[0], f.geometry.coordinates[1]);
          collected.push([at.lat, at.lng, Date.parse(f.properties.reported_at)]);
        });
        var next = offset + fc.features.length;
        if (fc.features.length === PAGE && next < Math.min(fc.numberMatched, MAX_POINTS)) {
          return page(next);
        }
        state.matched = fc.numberMatched;
        return collected;
      });
    }
    return page(0);
  }

  // incidents outside every community (or before any is imported) would be off screen:
  // once, show them instead of an empty view
  var fitted = false;
  function fitToPoints(points) {
    if (fitted || !points.length) { return; }
    fitted = true;
    var view = map.getBounds();
    var inside = points.some(function (p) { return view.contains([p[0], p[1]]); });
    if (!inside) {
      map.fitBounds(L.latLngBounds(points.map(function (p) { return [p[0], p[1]]; })),
                    { padding: [20, 20] });
    }
  }

  // The colour scale tops out at the 98th percentile of points per heat cell (the radius in
  // screen pixels, at this zoom), so that dense places stand out instead of every overlap
  // saturating to red.
  var RADIUS = 14;
  function saturation(points) {
    var cells = {};
    points.forEach(function (p) {
      var xy = map.project([p[0], p[1]], map.getZoom());
      var key = Math.floor(xy.x / RADIUS) + ":" + Math.floor(xy.y / RADIUS);
      cells[key] = (cells[key] || 0) + 1;
    });
    var counts = Object.keys(cells).map(function (k) { return cells[k]; });
    if (!counts.length) { return 1; }
    counts.sort(function (a, b) { return a - b; });
    return Math.max(1, counts[Math.floor(0.98 * (counts.length - 1))]);
  }

  function drawHeat() {
    var shown = state.points;
    if (state.week !== null) {
      var start = state.weeks[state.week];
      shown = shown.filter(function (p) { return p[2] >= start && p[2] < start + 7 * DAY; });
      el("week-label").textContent = new Date(start + 8 * 3600000).toISOString().slice(0, 10) +
        " 起一周：" + shown.length + " 件";
    } else {
      el("week-label").textContent = "全部 " + state.weeks.length + " 周";
    }
    clearLayer();
    layer = L.heatLayer(shown.map(function (p) { return [p[0], p[1], 1]; }),
      { radius: RADIUS, blur: 16, max: saturation(shown), maxZoom: map.getZoom(),
        minOpacity: 0.2 }).addTo(map);
    state.drawn = shown.length;
    statusLine.textContent = "共 " + state.points.length + " 件事件" +
      (state.matched > state.points.length ? "（仅显示前 " + state.points.length + " 件）" : "");
  }

  function heat() {
    return loadPoints().then(function (points) {
      state.points = points;
      var starts = {};
      points.forEach(function (p) { if (!isNaN(p[2])) { starts[weekStart(p[2])] = true; } });
      state.weeks = Object.keys(starts).map(Number).sort(function (a, b) { return a - b; });
      state.week = null;
      el("weeks").hidden = state.weeks.length < 2;
      el("week").max = Math.max(0, state.weeks.length - 1);
      fitToPoints(points);
      drawHeat();
      legendHeat();
    });
  }

  function resolution() {
    var z = Math.max(8, Math.min(19, Math.round(map.getZoom())));
    return cfg.resolutions[z];
  }

  function hexColour(count, breaks) {
    var colours = ["#fee5d9", "#fcae91", "#fb6a4a", "#de2d26", "#a50f15"];
    for (var i = 0; i < breaks.length; i++) { if (count <= breaks[i]) { return colours[i]; } }
    return colours[colours.length - 1];
  }

  function quantileBreaks(values) {
    var sorted = values.slice().sort(function (a, b) { return a - b; });
    var breaks = [];
    for (var q = 1; q <= 5; q++) {
      breaks.push(sorted[Math.min(sorted.length - 1, Math.ceil(q / 5 * sorted.length) - 1)]);
    }
    return breaks;
  }

  function hex() {
    var params = Object.assign({ resolution: resolution() }, filters());
    return api("/incidents/h3", params).then(function (fc) {
      var counts = fc.features.map(function (f) { return f.properties.count; });
      var breaks = counts.length ? quantileBreaks(counts) : [];
      clearLayer();
      layer = L.geoJSON(fc, {
        coordsToLatLng: coordsToLatLng,
        style: function (f) {
          return { color: "#fff", weight: 0.5, fillColor: hexColour(f.properties.count, breaks),
                   fillOpacity: 0.75 };
        },
        onEachFeature: function (f, l) {
          l.bindPopup("<b>" + f.properties.count + " 件</b><br>H3 " + f.properties.h3);
        }
      }).addTo(map);
      state.cells = fc.features.length;
      state.drawn = counts.reduce(function (a, b) { return a + b; }, 0);
      statusLine.textContent = fc.features.length + " 个六边形（H3 " + fc.resolution + " 级），" +
        state.drawn + " 件事件";
      legendHex(breaks);
    });
  }

  function hotspot() {
    var params = Object.assign({ resolution: resolution(), permutations: 499, seed: 0 }, filters());
    statusLine.textContent = "正在计算热点（Gi*，置换检验）…";
    return api("/incidents/hotspots", params).then(function (fc) {
      clearLayer();
      var tally = {};
      layer = L.geoJSON(fc, {
        coordsToLatLng: coordsToLatLng,
        style: function (f) {
          var c = f.properties.hotspot_class;
          tally[c] = (tally[c] || 0) + 1;
          return { color: "#999", weight: 0.3, fillColor: cfg.hotspot_colours[c],
                   fillOpacity: c === "not significant" ? 0.15 : 0.8 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup("<b>" + cfg.hotspot_names[p.hotspot_class] + "</b><br>事件 " + p.count +
            " 件<br>Gi* z = " + p.gi_z.toFixed(2) + "<br>p（FDR 校正）= " + p.gi_p_fdr.toFixed(4));
        }
      }).addTo(map);
      state.cells = fc.features.length;
      state.tally = tally;
      statusLine.textContent = fc.features.length + " 个六边形，FDR 校正后显著的热点 " +
        ((tally["hot 99%"] || 0) + (tally["hot 95%"] || 0) + (tally["hot 90%"] || 0)) + " 个";
      legendClasses("热点分析（Getis-Ord Gi*）", Object.keys(cfg.hotspot_colours).map(function (k) {
        return [cfg.hotspot_names[k], cfg.hotspot_colours[k], tally[k] || 0];
      }));
    });
  }

  function emerging() {
    var params = Object.assign({ resolution: resolution(), period: "W", permutations: 199 },
                               filters());
    statusLine.textContent = "正在计算新兴热点（逐周 Gi* 与 Mann-Kendall 趋势）…";
    return api("/incidents/emerging", params).then(function (fc) {
      clearLayer();
      var tally = {};
      layer = L.geoJSON(fc, {
        coordsToLatLng: coordsToLatLng,
        style: function (f) {
          var c = f.properties.category;
          tally[c] = (tally[c] || 0) + 1;
          return { color: "#999", weight: 0.3, fillColor: cfg.emerging[c][1],
                   fillOpacity: c === "not a hotspot" ? 0.15 : 0.8 };
        },
        onEachFeature: function (f, l) {
          var p = f.properties;
          l.bindPopup("<b>" + cfg.emerging[p.category][0] + "</b><br>事件 " + p.count +
            " 件<br>热点周数 " + p.hot_periods + " / " + p.periods);
        }
      }).addTo(map);
      state.cells = fc.features.length;
      state.tally = tally;
      statusLine.textContent = fc.note ? fc.note : (fc.features.length + " 个六边形，" +
        (fc.periods || []).length + " 周");
      legendClasses("新兴热点", Object.keys(cfg.emerging).map(function (k) {
        return [cfg.emerging[k][0], cfg.emerging[k][1], tally[k] || 0];
      }));
    });
  }

  // ---- legends
  var legend = el("legend");
  function legendHeat() {
    legend.innerHTML = "<h2>事件密度</h2><div class='bar'></div>" +
      "<div class='row'><span>低</span><span style='margin-left:auto'>高</span></div>";
  }
  function legendHex(breaks) {
    var rows = ["<h2>事件数（每个六边形）</h2>"];
    var low = 1;
    breaks.forEach(function (b, i) {
      if (i > 0 && b === breaks[i - 1]) { return; }
      rows.push("<div class='row'><span class='swatch' style='background:" +
        hexColour(b, breaks) + "'></span>" + low + "–" + b + " 件</div>");
      low = b + 1;
    });
    legend.innerHTML = rows.join("");
  }
  function legendClasses(title, entries) {
    var rows = ["<h2>" + title + "</h2>"];
    entries.forEach(function (e) {
      rows.push("<div class='row' data-class='" + e[0] + "'><span class='swatch' style='background:" +
        e[1] + "'></span>" + e[0] + "（" + e[2] + "）</div>");
    });
    legend.innerHTML = rows.join("");
  }

  // ---- wiring
  var modes = { heat: heat, hex: hex, hotspot: hotspot, emerging: emerging };
  function refresh() {
    state.mode = el("mode").value;
    stop();
    el("weeks").hidden = state.mode !== "heat" || state.weeks.length < 2;
    state.loading = true;
    return modes[state.mode]().then(function () {
      state.lastError = null;
    }).catch(function (err) {
      state.lastError = String(err.message || err);
      statusLine.textContent = "出错：" + state.lastError;
    }).then(function () { state.loading = false; state.ready = true; });
  }
  state.refresh = refresh;

  function stop() {
    if (state.playing) { clearInterval(state.playing); state.playing = null; }
    el("play").textContent = "▶ 播放";
  }
  el("week").addEventListener("input", function () {
    stop();
    state.week = Number(el("week").value);
    drawHeat();
  });
  el("all-weeks").addEventListener("click", function () { stop(); state.week = null; drawHeat(); });
  el("play").addEventListener("click", function () {
    if (state.playing) { stop(); return; }
    el("play").textContent = "❚❚ 暂停";
    state.week = state.week === null ? 0 : state.week;
    state.playing = setInterval(function () {
      state.week = (state.week + 1) % state.weeks.length;
      el("week").value = state.week;
      drawHeat();
    }, 800);
  });
  ["mode", "since", "until", "class", "status", "source"].forEach(function (id) {
    el(id).addEventListener("change", refresh);
  });
  map.on("zoomend", function () {
    if (state.mode === "heat" && state.points.length) { drawHeat(); }
  });
  map.on("moveend", function () {
    drawContext();
    if (state.mode !== "heat" && !state.loading) { refresh(); }
  });

  var ROLES = { grid_worker: "网格员", community_staff: "社区工作人员",
                street_office: "街道办事处", admin: "系统管理员" };
  api("/auth/me").then(function (me) {
    el("who").textContent = "当前用户：" + me.name + "（" + (ROLES[me.role] || me.role) +
      (me.scope_code ? " " + me.scope_code : "") + "）";
  }).catch(function () {});
  api("/incident-classes").then(function (classes) {
    var select = el("class"), group = null;
    classes.forEach(function (c) {
      if (c.code.length === 2) {
        group = document.createElement("optgroup");
        group.label = c.code + " " + c.name;
        select.appendChild(group);
        var all = document.createElement("option");
        all.value = c.code;
        all.textContent = c.name + "（全部）";
        group.appendChild(all);
      } else if (group) {
        var option = document.createElement("option");
        option.value = c.code;
        option.textContent = c.code + " " + c.name;
        group.appendChild(option);
      }
    });
  }).catch(function () {});
  drawContext();
  refresh();
})();
