/* wangge street-office map: loads layers from the API by viewport (no build step).
 *
 * WanggeMap.init(map, config, parts) is called by the page folium renders; config is the
 * page's MapConfig (map_ui/page.py), parts.clusters the folium MarkerCluster group and
 * parts.fit the [[south, west], [north, east]] to fit the view to (or null).
 * Streets, communities and grids come as GeoJSON by viewport (on a street page, asked for
 * community by community); buildings as vector tiles (Leaflet.VectorGrid) from config.detail_zoom,
 * facilities from config.facility_zoom; below it, facility counts clustered by cell
 * (/map/facility-clusters) feed Leaflet.markercluster. With
 * config.coords = "gcj02" the data are shifted WGS84 → GCJ-02 to lie on the basemap: GeoJSON
 * and counts here, vector tiles by the tile server (?coords=gcj02).
 */
var WanggeMap = (function () {
  "use strict";

  var GRID_COLOUR = "#C0158F";
  var PALETTE = ["#d62728", "#1f77b4", "#2ca02c", "#ff7f0e", "#9467bd", "#8c564b",
                 "#17becf", "#bcbd22", "#e377c2", "#7f7f7f"];
  var SHAPES = ["circle", "square", "diamond"];
  var KINDS = {grid: "网格", compound: "小区", building: "建筑", facility: "部件设施"};
  var STATUS = {intact: "完好", damaged: "损坏", lost: "丢失", removed: "已拆除"};
  /* Popups keep clear of the controls down the left side (search box, buttons). */
  var POPUP = {maxWidth: 320, autoPanPaddingTopLeft: [290, 10], autoPanPaddingBottomRight: [10, 10]};

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

  /* ---- GCJ-02: the public forward formula (as gis/chinacoords.py) ---- */
  var GCJ_A = 6378245.0, GCJ_EE = 0.00669342162296594323;

  function offsetLat(x, y) {
    var r = -100 + 2 * x + 3 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(y * Math.PI) + 40 * Math.sin(y / 3 * Math.PI)) * 2 / 3;
    r += (160 * Math.sin(y / 12 * Math.PI) + 320 * Math.sin(y * Math.PI / 30)) * 2 / 3;
    return r;
  }

  function offsetLon(x, y) {
    var r = 300 + x + 2 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * Math.sqrt(Math.abs(x));
    r += (20 * Math.sin(6 * x * Math.PI) + 20 * Math.sin(2 * x * Math.PI)) * 2 / 3;
    r += (20 * Math.sin(x * Math.PI) + 40 * Math.sin(x / 3 * Math.PI)) * 2 / 3;
    r += (150 * Math.sin(x / 12 * Math.PI) + 300 * Math.sin(x / 30 * Math.PI)) * 2 / 3;
    return r;
  }

  /* [lon, lat] in GCJ-02 of a WGS84 point. */
  function toGcj02(lon, lat) {
    var dLat = offsetLat(lon - 105, lat - 35), dLon = offsetLon(lon - 105, lat - 35);
    var rad = lat / 180 * Math.PI, magic = Math.sin(rad);
    magic = 1 - GCJ_EE * magic * magic;
    var sqrtMagic = Math.sqrt(magic);
    dLat = (dLat * 180) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sqrtMagic) * Math.PI);
    dLon = (dLon * 180) / (GCJ_A / sqrtMagic * Math.cos(rad) * Math.PI);
    return [lon + dLon, lat + dLat];
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

  /* The same symbol as an SVG image, for points drawn in vector tiles. */
  var iconCache = {};
  function classIcon(code, name) {
    if (iconCache[code]) { return iconCache[code]; }
    var s = classStyle(code);
    var shape = {
      circle: "<circle cx=\"9\" cy=\"9\" r=\"8\"/>",
      square: "<rect x=\"1\" y=\"1\" width=\"16\" height=\"16\" rx=\"2\"/>",
      diamond: "<path d=\"M9 0.5 17.5 9 9 17.5 0.5 9z\"/>"
    }[s.shape];
    var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"18\" height=\"18\">" +
      "<g fill=\"" + s.colour + "\" stroke=\"#fff\" stroke-width=\"1.5\">" + shape + "</g>" +
      "<text x=\"9\" y=\"13\" font-size=\"11\" font-weight=\"bold\" text-anchor=\"middle\" fill=\"#fff\" " +
      "font-family=\"Noto Sans CJK SC, sans-serif\">" + esc((name || "?").charAt(0)) + "</text></svg>";
    iconCache[code] = L.icon({
      iconUrl: "data:image/svg+xml;charset=utf-8," + encodeURIComponent(svg), iconSize: [18, 18]
    });
    return iconCache[code];
  }

  function buildingPopup(p) {
    var households = p.households === null || p.households === undefined ? "未知" :
      esc(p.households) + (p.households_estimated ? "（估算）" : "");
    return "<div class=\"wg-popup\"><h4>" + esc(p.name || "建筑 " + p.id) + "</h4>" + rows([
      ["户数", households], ["小区", esc(p.compound_name || "—")],
      ["网格", esc(p.grid_code || "—")]
    ]) + "</div>";
  }

  function facilityPopup(p) {
    return "<div class=\"wg-popup\"><h4>" + esc(p.name || p.class_name) + "</h4>" + rows([
      ["类别", esc(p.class_name) + "（" + esc(p.class_code) + "）"], ["编码", esc(p.code || "—")],
      ["状态", esc(STATUS[p.status] || p.status || "—")]
    ]) + "</div>";
  }

  // the basemap's tile layers ({url, subdomains, attribution, max_zoom} each)
  function tileLayers(list) {
    return list.map(function (b) {
      return L.tileLayer(b.url, {
        subdomains: b.subdomains || "abc", attribution: esc(b.attribution || ""),
        maxNativeZoom: b.max_zoom, maxZoom: 20
      });
    });
  }

  function init(map, config, parts) {
    var api = config.api_url || "";
    var gcj = config.coords === "gcj02";
    var areaCode = config.community || config.street || null;
    var state = {seq: 0, drawn: {}, classes: []};
    map.setMaxZoom(20);
    if (map.zoomControl) {
      [[".leaflet-control-zoom-in", "放大"], [".leaflet-control-zoom-out", "缩小"]].forEach(function (b) {
        var button = map.zoomControl.getContainer().querySelector(b[0]);
        button.title = b[1];
        button.setAttribute("aria-label", b[1]);
      });
    }
    L.control.scale({imperial: false}).addTo(map);
    if (config.attribution) { map.attributionControl.addAttribution(esc(config.attribution)); }
    ["streets", "communities", "grids", "buildings", "facilities"].forEach(function (name, i) {
      map.createPane("wg-" + name).style.zIndex = 400 + 10 * i;
    });

    /* Where a WGS84 point is drawn, and the WGS84 point under a drawn one (to ~1 m). */
    function place(lon, lat) {
      var p = gcj ? toGcj02(lon, lat) : [lon, lat];
      return L.latLng(p[1], p[0]);
    }
    function unplace(latlng) {
      if (!gcj) { return [latlng.lng, latlng.lat]; }
      var p = toGcj02(latlng.lng, latlng.lat);
      return [2 * latlng.lng - p[0], 2 * latlng.lat - p[1]];
    }
    function inArea(code) { return !areaCode || String(code || "").indexOf(areaCode) === 0; }

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

    tileLayers(config.basemap || []).forEach(function (layer) { layer.addTo(map); });

    /* ---- grid popup: counts, facilities by class, staff ---- */
    function gridContent(layer, p) {
      var div = L.DomUtil.create("div", "wg-popup");
      div.innerHTML = "<h4>网格 " + esc(p.code) + "</h4>" + rows([
        ["社区", esc(p.community_name || p.community_code)], ["户数", esc(p.households)],
        ["建筑数", esc(p.buildings)], ["面积", area(p.area_m2)]
      ]) + "<h5>部件设施</h5><div class=\"wg-grid-facilities\">正在加载…</div>" +
        "<h5>网格员</h5><div class=\"wg-staff\">正在加载…</div>";
      function fill(selector, address, render, failed) {
        getJSON(address).then(function (data) {
          div.querySelector(selector).innerHTML = render(data);
          if (layer.isPopupOpen()) { layer.getPopup().update(); }
        }).catch(function (err) {
          div.querySelector(selector).textContent = failed;
          console.warn(err);
        });
      }
      var code = encodeURIComponent(p.code);
      fill(".wg-grid-facilities", url("/map/grids/" + code + "/facilities", {}), function (counts) {
        return counts.length ? counts.map(function (c) {
          return "<div class=\"wg-class\">" + symbol(c.class_code, c.class_name) +
            "<span class=\"wg-name\">" + esc(c.class_name) + "</span> <span class=\"wg-count\">" +
            esc(c.count) + "</span></div>";
        }).join("") : "无";
      }, "部件设施加载失败");
      fill(".wg-staff", url("/grids/" + code + "/staff", {}), function (staff) {
        return staff.length ? staff.map(function (s) {
          return "<div class=\"wg-person\"><b>" + esc(s.name) + "</b>（" + esc(s.post) + "岗）" +
            " <a href=\"tel:" + esc(s.phone) + "\">" + esc(s.phone) + "</a>" +
            (s.duties ? "<br><small>" + esc(s.duties) + "</small>" : "") + "</div>";
        }).join("") : "暂无网格员";
      }, "网格员信息加载失败");
      return div;
    }

    /* ---- GeoJSON layers (by viewport) ---- */
    function geojson(pane, filter, options) {
      return L.geoJSON(null, L.extend({
        pane: pane, filter: filter,
        coordsToLatLng: function (c) { return place(c[0], c[1]); }
      }, options));
    }
    /* A community page draws no street boundary: only the community's own. */
    var layers = {
      streets: geojson("wg-streets", function (f) {
        return config.street ? f.properties.code === config.street : !config.community;
      }, {
        style: {color: "#222", weight: 4, opacity: 0.7, fill: false},
        onEachFeature: function (f, layer) { layer.bindTooltip(esc(f.properties.name), {sticky: true}); }
      }),
      communities: geojson("wg-communities", function (f) { return inArea(f.properties.code); }, {
        style: {color: "#333", weight: 2.5, dashArray: "8 4", fill: false},
        onEachFeature: function (f, layer) { layer.bindTooltip(esc(f.properties.name), {sticky: true}); }
      }),
      grids: geojson("wg-grids", function (f) { return inArea(f.properties.community_code); }, {
        style: {color: GRID_COLOUR, weight: 2.5, fillColor: GRID_COLOUR, fillOpacity: 0.04},
        onEachFeature: function (f, layer) {
          layer.bindTooltip(esc(f.properties.seq), {
            permanent: true, direction: "center", className: "wg-grid-label"
          });
          layer.bindPopup("", POPUP);
          layer.on("popupopen", function (e) { e.popup.setContent(gridContent(layer, f.properties)); });
        }
      })
    };
    var keys = {streets: "code", communities: "code", grids: "code"};

    /* ---- vector tile layers ---- */
    function tiles(name, style) {
      var styles = {};
      styles[name] = function (p) { return inArea(p.community_code) ? style(p) : []; };
      return L.vectorGrid.protobuf(api + "/tiles/" + name + "/{z}/{x}/{y}.mvt" + (gcj ? "?coords=gcj02" : ""), {
        pane: "wg-" + name, interactive: true, maxNativeZoom: 18, vectorTileLayerStyles: styles,
        getFeatureId: function (f) { return f.properties.id; }
      });
    }
    var buildings = tiles("buildings", function (p) {
      var c = PALETTE[hash(p.grid_code || "") % PALETTE.length];
      return {color: "#666", weight: 0.6, fill: true, fillColor: c, fillOpacity: 0.55};
    });
    var facilityTiles = tiles("facilities", function (p) {
      /* Leaflet takes a clicked target with getLatLng and a radius of 10 or less for a
       * marker and asks for its latLng, which a point in a tile has not; at 11 it takes the
       * mouse's. The icon is drawn at its own size whatever the radius. */
      return {icon: classIcon(p.class_code, p.class_name), radius: 11};
    });
    var picked = null;
    buildings.on("click", function (e) {
      var p = e.layer.properties;
      if (picked !== null) { buildings.resetFeatureStyle(picked); }
      picked = p.id;
      buildings.setFeatureStyle(p.id, {color: "#0050ff", weight: 3, fill: true,
        fillColor: PALETTE[hash(p.grid_code || "") % PALETTE.length], fillOpacity: 0.6});
      L.popup(POPUP).setLatLng(e.latlng).setContent(buildingPopup(p)).openOn(map);
    });
    facilityTiles.on("click", function (e) {
      L.popup(L.extend({offset: [0, -6]}, POPUP)).setLatLng(e.latlng).setContent(facilityPopup(e.layer.properties)).openOn(map);
    });

    /* ---- facility clusters below the detail zoom ---- */
    var clusters = parts.clusters;
    clusters.options.iconCreateFunction = function (cluster) {
      var n = cluster.getAllChildMarkers().reduce(function (sum, m) { return sum + m.options.count; }, 0);
      var size = n < 100 ? "small" : n < 1000 ? "medium" : "large";
      return L.divIcon({
        html: "<div><span>" + esc(n) + "</span></div>", iconSize: [40, 40],
        className: "marker-cluster marker-cluster-" + size
      });
    };
    map.removeLayer(clusters);
    /* Tiles only from the detail zoom (a GridLayer's minZoom would bound the map's zoom). */
    var buildingGroup = L.layerGroup(), facilities = L.layerGroup([clusters]);
    function detailOnly() {
      [[buildingGroup, buildings, config.detail_zoom],
       [facilities, facilityTiles, config.facility_zoom]].forEach(function (pair) {
        var on = map.getZoom() >= pair[2];
        if (on && !pair[0].hasLayer(pair[1])) { pair[0].addLayer(pair[1]); }
        if (!on && pair[0].hasLayer(pair[1])) { pair[0].removeLayer(pair[1]); }
      });
    }
    map.on("zoomend", detailOnly);
    detailOnly();

    function countMarker(c) {
      var marker = L.marker(place(c.lon, c.lat), {
        count: c.count, title: "部件设施 " + c.count + " 个",
        icon: L.divIcon({html: "<div><span>" + esc(c.count) + "</span></div>", iconSize: [30, 30],
          className: "marker-cluster marker-cluster-small wg-cell"})
      });
      marker.bindPopup("<div class=\"wg-popup\">此处部件设施 " + esc(c.count) + " 个，放大到 " +
        esc(config.facility_zoom) + " 级查看每一个</div>", POPUP);
      return marker;
    }

    var overlays = {
      "街道边界": layers.streets, "社区边界": layers.communities, "网格": layers.grids,
      "建筑": buildingGroup, "部件设施": facilities
    };
    Object.keys(overlays).forEach(function (k) { overlays[k].addTo(map); });
    L.control.layers(null, overlays, {collapsed: false, position: "topright"}).addTo(map);

    /* ---- overview map: the basemap, or the communities' outlines ---- */
    var outline = L.vectorGrid.protobuf(api + "/tiles/communities/{z}/{x}/{y}.mvt" + (gcj ? "?coords=gcj02" : ""), {
      vectorTileLayerStyles: {communities: {color: "#333", weight: 1, fill: true, fillColor: "#888", fillOpacity: 0.1}},
      maxNativeZoom: 18
    });
    var overview = new L.Control.MiniMap(L.layerGroup(tileLayers(config.basemap || []).concat([outline])), {
      position: "bottomleft", toggleDisplay: true, width: 170, height: 150, zoomLevelOffset: -4,
      strings: {hideText: "隐藏鹰眼图", showText: "显示鹰眼图"}
    }).addTo(map);

    /* ---- legend ---- */
    var legend = L.control({position: "bottomright"});
    legend.onAdd = function () {
      var div = L.DomUtil.create("div", "wg-legend leaflet-bar");
      L.DomEvent.disableClickPropagation(div);
      return div;
    };
    legend.addTo(map);

    function classCounts() {
      var byClass = {};
      state.classes.forEach(function (c) { byClass[c.class_code] = {name: c.class_name, count: c.count}; });
      return byClass;
    }

    function drawLegend() {
      var byClass = classCounts();
      var html = "<h4>图例</h4>" +
        "<div><span class=\"wg-swatch\" style=\"border:2px solid " + GRID_COLOUR + "\"></span>网格边界（" +
        layers.grids.getLayers().length + "）</div>" +
        "<div><span class=\"wg-swatch\" style=\"border:2px dashed #333\"></span>社区边界</div>" +
        "<div><span class=\"wg-swatch\" style=\"border:3px solid #222\"></span>街道边界</div>" +
        "<div><span class=\"wg-swatch\" style=\"background:#9ecae1\"></span>建筑（按网格着色）</div>";
      html += Object.keys(byClass).sort().map(function (k) {
        var c = byClass[k];
        return "<div class=\"wg-class\" data-class=\"" + esc(k) + "\">" + symbol(k, c.name) +
          "<span class=\"wg-name\">" + esc(c.name) + "</span> <span class=\"wg-count\">" +
          esc(c.count) + "</span></div>";
      }).join("");
      if (map.getZoom() < config.grid_zoom) {
        html += "<div class=\"wg-hint\">放大到 " + esc(config.grid_zoom) + " 级显示网格</div>";
      }
      if (map.getZoom() < config.detail_zoom) {
        html += "<div class=\"wg-hint\">放大到 " + esc(config.detail_zoom) + " 级显示建筑</div>";
      }
      if (map.getZoom() < config.facility_zoom) {
        html += "<div class=\"wg-hint\">部件设施按位置聚合计数；放大到 " + esc(config.facility_zoom) +
          " 级显示每个部件设施</div>";
      }
      legend.getContainer().innerHTML = html;
    }

    /* ---- loading by viewport ---- */
    function load(name, address, pages) {
      return getJSON(address).then(function (fc) {
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
          return load(name, api + u.pathname + u.search, pages - 1);
        }
      });
    }

    function loadCounts(bbox, seq) {
      var detailed = map.getZoom() >= config.facility_zoom;
      /* With every facility drawn only the legend needs the counts: coarse cells will do. */
      var zoom = detailed ? Math.max(config.facility_zoom - 6, 0) : Math.round(map.getZoom());
      return getJSON(url("/map/facility-clusters", {bbox: bbox, zoom: zoom, area: areaCode})).then(function (counts) {
        if (seq !== state.seq) { return; }
        state.classes = counts.classes;
        clusters.clearLayers();
        if (!detailed) { clusters.addLayers(counts.cells.map(countMarker)); }
      });
    }

    function refresh() {
      state.seq += 1;
      var seq = state.seq;
      var b = map.getBounds();
      var sw = unplace(b.getSouthWest()), ne = unplace(b.getNorthEast());
      var bbox = [Math.max(sw[0], -180), Math.max(sw[1], -85), Math.min(ne[0], 180),
                  Math.min(ne[1], 85)].map(function (v) { return v.toFixed(6); }).join(",");
      /* The area's communities, each asked for by code: a street's view also covers its
       * neighbours, whose grids would weigh as much again. */
      var communities = config.community ? [config.community] : config.communities || [];
      var jobs = [];
      Object.keys(layers).forEach(function (name) {
        if (!map.hasLayer(layers[name]) || (name === "streets" && config.community)) { return; }
        if (name === "grids" && map.getZoom() < config.grid_zoom) {
          /* A district's thousand grids are megabytes and unreadable at this scale. */
          layers.grids.clearLayers();
          state.drawn.grids = {};
          return;
        }
        var address = "/collections/" + name + "/items";
        if (name === "streets" || !communities.length) {
          jobs.push(load(name, url(address, {bbox: bbox, limit: config.page_limit}), 5));
          return;
        }
        communities.forEach(function (code) {
          jobs.push(load(name, url(address, {bbox: bbox, limit: config.page_limit, community_code: code}), 5));
        });
      });
      jobs.push(map.hasLayer(facilities) ? loadCounts(bbox, seq) : null);
      return Promise.all(jobs).then(drawLegend).catch(function (err) {
        console.warn("wangge: loading failed", err);
      });
    }


    /* ---- start page: streets and communities, as links ---- */
    if (config.directory && config.directory.length) {
      var directory = L.control({position: "topright"});
      directory.onAdd = function () {
        var div = L.DomUtil.create("div", "wg-directory");
        div.innerHTML = "<h4>街道与社区</h4>" + config.directory.map(function (s) {
          return "<div class=\"wg-street\"><a href=\"" + esc(api + "/map/streets/" + encodeURIComponent(s.code)) +
            "\">" + esc(s.name || s.code) + "</a><ul>" + s.communities.map(function (c) {
              return "<li><a href=\"" + esc(api + "/map/communities/" + encodeURIComponent(c.code)) + "\">" +
                esc(c.name) + "</a></li>";
            }).join("") + "</ul></div>";
        }).join("");
        L.DomEvent.disableClickPropagation(div);
        L.DomEvent.disableScrollPropagation(div);
        return div;
      };
      directory.addTo(map);
    }

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
      map.flyToBounds([place(bb[0], bb[1]), place(bb[2], bb[3])], {maxZoom: 18, duration: 0.8});
      if (marker) { map.removeLayer(marker); }
      marker = L.circleMarker(place(hit.lon, hit.lat), {radius: 10, color: "#0050ff", weight: 3, fill: false})
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

    Object.keys(layers).forEach(function (name) { state.drawn[name] = {}; });
    if (parts.fit) { map.fitBounds(parts.fit, {animate: false}); }
    detailOnly();
    map.on("moveend overlayadd", refresh);
    refresh();
    return {
      map: map, layers: layers, buildings: buildings, facilities: facilityTiles,
      clusters: clusters, overview: overview, refresh: refresh, counts: classCounts,
      place: place
    };
  }

  // A full-page map for the scripted pages (heat map, planner): the view fitted to
  // config.bounds, a scale, the basemap's tile layers and the data's attribution. On a
  // GCJ-02 basemap every point is shifted to lie on it: latLng(lon, lat) and
  // coordsToLatLng (for L.geoJSON) do that.
  function pageMap(config, options) {
    var gcj = config.coords === "gcj02";
    function latLng(lon, lat) {
      var p = gcj ? toGcj02(lon, lat) : [lon, lat];
      return L.latLng(p[1], p[0]);
    }
    var map = L.map("map", options);
    if (config.bounds) {
      var b = config.bounds;
      map.fitBounds([latLng(b[0], b[1]), latLng(b[2], b[3])]);
    } else {
      map.setView([32.04, 118.78], 14);
    }
    L.control.scale({imperial: false}).addTo(map);
    tileLayers(config.basemap || []).forEach(function (layer) { layer.addTo(map); });
    if (config.attribution) { map.attributionControl.addAttribution(config.attribution); }
    return {
      map: map, gcj: gcj, latLng: latLng,
      coordsToLatLng: function (c) { return latLng(c[0], c[1]); }
    };
  }

  // The login of the scripted pages: the token the /login page keeps for the browser
  // session. Without one (or when the API says it expired) the page goes to /login and
  // comes back after. request(method, path, body) sends JSON (or a FormData as multipart)
  // and answers the JSON (null for 204), or fails with the API's problem, its HTTP status
  // (err.status) and fix (err.fix).
  function session(apiUrl) {
    var KEY = "wangge.token", token = sessionStorage.getItem(KEY);
    function toLogin() {
      var here = window.location.pathname + window.location.search;
      window.location.assign("/login?next=" + encodeURIComponent(here));
    }
    if (!token) { toLogin(); return null; }
    var me = { token: token };
    me.fetch = function (path, init) {
      init = init || {};
      init.headers = Object.assign({ Authorization: "Bearer " + token }, init.headers || {});
      return fetch(apiUrl + path, init).then(function (r) {
        if (r.status === 401) {
          sessionStorage.removeItem(KEY);
          toLogin();
          throw new Error("登录已失效，请重新登录");
        }
        return r;
      });
    };
    me.request = function (method, path, body) {
      var init = { method: method, headers: {} };
      if (body instanceof FormData) {
        init.body = body;  // multipart: the browser sets the type and boundary
      } else if (body !== undefined) {
        init.headers["Content-Type"] = "application/json";
        init.body = JSON.stringify(body);
      }
      return me.fetch(path, init).then(function (r) {
        if (r.status === 204) { return null; }
        return r.json().then(function (answer) {
          if (!r.ok) {
            var err = new Error(answer.problem || answer.message || ("HTTP " + r.status));
            err.status = r.status;
            err.fix = answer.fix;
            throw err;
          }
          return answer;
        });
      });
    };
    return me;
  }

  return {
    init: init, classStyle: classStyle, toGcj02: toGcj02, esc: esc, pageMap: pageMap,
    session: session
  };
})();
