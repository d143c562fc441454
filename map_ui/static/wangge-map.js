/* wangge street-office map: loads layers from the API by viewport (no build step).
 *
 * WanggeMap.init(map, config) is called by the page folium renders; config is
 * {api_url, community, detail_zoom, page_limit}. Communities and grids are loaded at every
 * zoom, buildings and facilities from config.detail_zoom. Features already drawn are kept,
 * so an open popup survives the reload that follows a pan.
 */
var WanggeMap = (function () {
  "use strict";

  var GRID_COLOUR = "#C0158F";
  var PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                 "#17becf", "#bcbd22", "#e377c2", "#7f7f7f"];
  var SHAPES = ["circle", "square", "diamond"];
  var KINDS = {grid: "网格", compound: "小区", building: "建筑", facility: "部件设施"};

  function esc(value) {
    if (value === null || value === undefined) { return ""; }
    return String(value).replace(/[&<>"']/g, function (c) {
      return {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;"}[c];
    });
  }

  function hash(text) {
    var h = 0;
    for (var i = 0; i < text.length; i++) { h = (h * 31 + text.charCodeAt(i)) | 0; }
    return Math.abs(h);
  }

  function rows(pairs) {
    return "<table class=\"wg-props\">" + pairs.map(function (p) {
      return "<tr><th>" + esc(p[0]) + "</th><td>" + p[1] + "</td></tr>";
    }).join("") + "</table>";
  }

  function area(m2) {
    if (m2 === null || m2 === undefined) { return ""; }
    return esc((m2 / 10000).toFixed(2)) + " 公顷（" + esc(Math.round(m2)) + " 平方米）";
  }

  /* The style of a facility class: a colour and a shape, stable for its code. */
  function classStyle(code) {
    var h = hash(code || "");
    return {colour: PALETTE[h % PALETTE.length], shape: SHAPES[Math.floor(h / 10) % SHAPES.length]};
  }

  function symbol(code, name) {
    var s = classStyle(code);
    return "<span class=\"wg-sym wg-" + s.shape + "\" style=\"background:" + s.colour + "\">" +
      "<b>" + esc((name || "?").charAt(0)) + "</b></span>";
  }

  function init(map, config) {
    var api = config.api_url || "";
    var state = {seq: 0, drawn: {}, classes: {}};
    map.setMaxZoom(20);
    L.control.scale({imperial: false}).addTo(map);
    if (config.attribution) { map.attributionControl.addAttribution(esc(config.attribution)); }
    ["communities", "grids", "buildings", "facilities"].forEach(function (name, i) {
      map.createPane("wg-" + name).style.zIndex = 400 + 10 * i;
    });

    function url(path, params) {
      var query = Object.keys(params).filter(function (k) {
        return params[k] !== null && params[k] !== undefined;
      }).map(function (k) {
        return encodeURIComponent(k) + "=" + encodeURIComponent(params[k]);
      }).join("&");
      return api + path + (query ? "?" + query : "");
    }

    function getJSON(address) {
      return fetch(address, {headers: {Accept: "application/json"}}).then(function (r) {
        if (!r.ok) { throw new Error(address + " → HTTP " + r.status); }
        return r.json();
      });
    }

    /* ---- popups ---- */
    function gridPopup(p) {
      var html = "<div class=\"wg-popup\"><h4>网格 " + esc(p.code) + "</h4>" + rows([
        ["社区", esc(p.community_name || p.community_code)], ["户数", esc(p.households)],
        ["建筑数", esc(p.buildings)], ["面积", area(p.area_m2)]
      ]) + "<h5>网格员</h5><div class=\"wg-staff\">正在加载…</div></div>";
      return html;
    }

    /* The popup content is a DOM node, so filling it in survives popup.update(). */
    function gridContent(layer, p) {
      var div = L.DomUtil.create("div");
      div.innerHTML = gridPopup(p);
      getJSON(url("/grids/" + encodeURIComponent(p.code) + "/staff", {})).then(function (staff) {
        div.querySelector(".wg-staff").innerHTML = staff.length ? staff.map(function (s) {
          return "<div class=\"wg-person\"><b>" + esc(s.name) + "</b>（" + esc(s.post) + "岗）" +
            " <a href=\"tel:" + esc(s.phone) + "\">" + esc(s.phone) + "</a>" +
            (s.duties ? "<br><small>" + esc(s.duties) + "</small>" : "") + "</div>";
        }).join("") : "暂无网格员";
        if (layer.isPopupOpen()) { layer.getPopup().update(); }
      }).catch(function (err) {
        div.querySelector(".wg-staff").textContent = "网格员信息加载失败";
        console.warn(err);
      });
      return div;
    }

    function buildingPopup(p) {
      var households = p.households === null ? "未知" :
        esc(p.households) + (p.households_estimated ? "（估算）" : "");
      return "<div class=\"wg-popup\"><h4>" + esc(p.name || "建筑 " + p.id) + "</h4>" + rows([
        ["户数", households], ["小区", esc(p.compound_name || "—")],
        ["网格", esc(p.grid_code || "—")], ["地址", esc(p.address || "—")]
      ]) + "</div>";
    }

    function facilityPopup(p) {
      return "<div class=\"wg-popup\"><h4>" + esc(p.name || p.class_name) + "</h4>" + rows([
        ["类别", esc(p.class_name) + "（" + esc(p.class_code) + "）"], ["编码", esc(p.code)],
        ["状态", esc(p.status || "—")]
      ]) + "</div>";
    }

    /* ---- layers ---- */
    var layers = {
      communities: L.geoJSON(null, {
        pane: "wg-communities",
        style: {color: "#333", weight: 3, dashArray: "8 4", fill: false},
        onEachFeature: function (f, layer) {
          layer.bindTooltip(esc(f.properties.name), {sticky: true});
        }
      }),
      grids: L.geoJSON(null, {
        pane: "wg-grids",
        style: {color: GRID_COLOUR, weight: 2.5, fillColor: GRID_COLOUR, fillOpacity: 0.04},
        onEachFeature: function (f, layer) {
          layer.bindTooltip(esc(f.properties.seq), {
            permanent: true, direction: "center", className: "wg-grid-label"
          });
          layer.bindPopup("", {maxWidth: 320});
          layer.on("popupopen", function (e) { e.popup.setContent(gridContent(layer, f.properties)); });
        }
      }),
      buildings: L.geoJSON(null, {
        pane: "wg-buildings",
        style: function (f) {
          var c = PALETTE[hash(f.properties.grid_code || "") % PALETTE.length];
          return {color: "#555", weight: 0.8, fillColor: c, fillOpacity: 0.45};
        },
        onEachFeature: function (f, layer) { layer.bindPopup(buildingPopup(f.properties)); }
      }),
      facilities: L.geoJSON(null, {
        pointToLayer: function (f, latlng) {
          return L.marker(latlng, {icon: L.divIcon({
            className: "wg-facility", iconSize: [18, 18],
            html: symbol(f.properties.class_code, f.properties.class_name)
          })});
        },
        onEachFeature: function (f, layer) {
          layer.bindPopup(facilityPopup(f.properties));
          var k = f.properties.class_code;
          var entry = state.classes[k] || {name: f.properties.class_name, count: 0};
          entry.count += 1;
          state.classes[k] = entry;
        }
      })
    };
    var titles = {communities: "社区边界", grids: "网格", buildings: "建筑", facilities: "部件设施"};
    var detailed = {buildings: true, facilities: true};
    var keys = {communities: "code", grids: "code", buildings: "id", facilities: "id"};
    Object.keys(layers).forEach(function (name) {
      state.drawn[name] = {};
      layers[name].addTo(map);
    });
    var overlays = {};
    Object.keys(layers).forEach(function (name) { overlays[titles[name]] = layers[name]; });
    L.control.layers(null, overlays, {collapsed: false, position: "topright"}).addTo(map);

    /* ---- legend ---- */
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "wg-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);

    function drawLegend() {
      var html = "<h4>图例</h4>" +
        "<div><span class=\"wg-swatch\" style=\"border:2px solid " + GRID_COLOUR + "\"></span>网格边界（" +
        layers.grids.getLayers().length + "）</div>" +
        "<div><span class=\"wg-swatch\" style=\"border:2px dashed #333\"></span>社区边界</div>" +
        "<div><span class=\"wg-swatch\" style=\"background:#9ecae1\"></span>建筑（按网格着色，" +
        layers.buildings.getLayers().length + "）</div>";
      var codes = Object.keys(state.classes).sort();
      html += codes.map(function (k) {
        var c = state.classes[k];
        return "<div class=\"wg-class\" data-class=\"" + esc(k) + "\">" + symbol(k, c.name) +
          "<span class=\"wg-name\">" + esc(c.name) + "</span> <span class=\"wg-count\">" +
          esc(c.count) + "</span></div>";
      }).join("");
      if (map.getZoom() < config.detail_zoom) {
        html += "<div class=\"wg-hint\">放大到 " + esc(config.detail_zoom) + " 级显示建筑和部件设施</div>";
      }
      legend.getContainer().innerHTML = html;
    }

    /* ---- loading by viewport ---- */
    function load(name, address, seq, pages) {
      return getJSON(address).then(function (fc) {
        if (seq !== state.seq && detailed[name]) { return; }
        var fresh = fc.features.filter(function (f) {
          var key = f.id !== undefined ? f.id : f.properties[keys[name]];
          if (state.drawn[name][key]) { return false; }
          state.drawn[name][key] = true;
          return true;
        });
        layers[name].addData({type: "FeatureCollection", features: fresh});
        var next = (fc.links || []).filter(function (l) { return l.rel === "next"; })[0];
        if (next && pages > 1) {
          var u = new URL(next.href, window.location.href);
          return load(name, api + u.pathname + u.search, seq, pages - 1);
        }
      });
    }

    /* Detail layers are dropped below detail_zoom, so a district view stays light. */
    function forget(name) {
      layers[name].clearLayers();
      state.drawn[name] = {};
      if (name === "facilities") {
        Object.keys(state.classes).forEach(function (k) { delete state.classes[k]; });
      }
    }

    function refresh() {
      state.seq += 1;
      var seq = state.seq;
      var b = map.getBounds();
      var bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map(function (v) {
        return v.toFixed(6);
      }).join(",");
      var jobs = Object.keys(layers).map(function (name) {
        if (!map.hasLayer(layers[name])) { return null; }
        if (detailed[name] && map.getZoom() < config.detail_zoom) {
          forget(name);
          return null;
        }
        var params = {bbox: bbox, limit: config.page_limit};
        if (config.community) { params.community_code = config.community; }
        return load(name, url("/collections/" + name + "/items", params), seq, 5);
      });
      return Promise.all(jobs).then(drawLegend).catch(function (err) {
        console.warn("wangge: loading failed", err);
      });
    }

    map.on("moveend overlayadd", refresh);

    /* ---- search ---- */
    var marker = null;
    var search = L.control({position: "topleft"});
    search.onAdd = function () {
      var div = L.DomUtil.create("div", "wg-search leaflet-bar");
      div.innerHTML = "<input type=\"search\" placeholder=\"搜索网格、建筑、小区、设施\" " +
        "aria-label=\"搜索\"><ul class=\"wg-hits\"></ul>";
      L.DomEvent.disableClickPropagation(div);
      L.DomEvent.disableScrollPropagation(div);
      return div;
    };
    search.addTo(map);
    var box = search.getContainer().querySelector("input");
    var list = search.getContainer().querySelector(".wg-hits");
    var timer = null;

    function show(hit) {
      var bb = hit.bbox;
      map.flyToBounds([[bb[1], bb[0]], [bb[3], bb[2]]], {maxZoom: 18, duration: 0.8});
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker([hit.lat, hit.lon], {radius: 10, color: "#0050ff", weight: 3, fill: false})
        .addTo(map).bindTooltip(esc(hit.label), {permanent: true, direction: "top"});
      list.innerHTML = "";
    }

    function find() {
      var q = box.value.trim();
      if (!q) { list.innerHTML = ""; return; }
      getJSON(url("/search", {q: q, limit: 10})).then(function (hits) {
        if (box.value.trim() !== q) { return; }
        list.innerHTML = hits.length ? "" : "<li class=\"wg-none\">未找到</li>";
        hits.forEach(function (hit) {
          var li = L.DomUtil.create("li", "wg-hit", list);
          li.innerHTML = "<span class=\"wg-kind\">" + esc(KINDS[hit.kind] || hit.kind) + "</span> " +
            esc(hit.label) + (hit.detail ? " <small>" + esc(hit.detail) + "</small>" : "");
          li.addEventListener("click", function () { show(hit); });
        });
      }).catch(function (err) { console.warn("wangge: search failed", err); });
    }

    box.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(find, 250);
    });
    box.addEventListener("keydown", function (e) {
      if (e.key === "Enter") { clearTimeout(timer); find(); }
    });

    refresh();
    return {map: map, layers: layers, refresh: refresh, classes: state.classes};
  }

  return {init: init, classStyle: classStyle};
})();
