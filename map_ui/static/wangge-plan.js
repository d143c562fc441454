/* wangge grid planning page (网格规划): open or run a plan, paint buildings into grids,
 * undo and redo, lock grids and re-run the rest, check and publish.
 *
 * The page holds the plan's grids and buildings. An edit (a click, a brush stroke, a box)
 * is drawn and counted at once, then saved as one batch of moves with the plan version
 * it was made on; the server answers with the new version and the redrawn grids. A stale
 * version (someone else edited the draft) stops editing with a message and a reload
 * button. window.wanggePlan exposes the state for tests. */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("wangge-plan-config").textContent);
  var login = WanggeMap.session(cfg.api_url);
  if (!login) { return; }
  var STATUS = { draft: "草稿", published: "已发布", superseded: "已废止" };
  var JOB_STATUS = { queued: "排队中", running: "正在划分", done: "完成", failed: "失败" };

  var state = {
    plan: null, version: 0, grids: {}, buildings: {}, compounds: {}, active: null,
    tool: "select", newGrid: false, undo: [], redo: [], remap: {}, pending: 0,
    queue: Promise.resolve(), conflict: null, lastError: null, panelMs: null, saves: 0,
    job: null
  };
  window.wanggePlan = state;

  var el = function (id) { return document.getElementById(id); };
  function esc(value) { return WanggeMap.esc(value); }

  // ---- the map (on a GCJ-02 basemap every outline is shifted to lie on it)
  var page = WanggeMap.pageMap(cfg, { preferCanvas: true, boxZoom: false });
  var map = page.map, coordsToLatLng = page.coordsToLatLng;
  state.map = map;
  var gridLayer = L.layerGroup().addTo(map);
  var buildingLayer = L.layerGroup().addTo(map);
  var diffLayer = L.layerGroup().addTo(map);

  // ---- talking to the API
  var request = login.request;
  // the API's problem, with its fix when it gives one
  function problem(err) { return err.message + (err.fix ? "（" + err.fix + "）" : ""); }
  function showError(text) {
    state.lastError = text;
    el("error").textContent = text;
    el("error").hidden = !text;
  }

  // ---- measures in local metres (an equirectangular projection about the plan's centre)
  var metres = { kx: 111320, ky: 110540 };
  function ringMeasure(ring) {
    var area = 0, length = 0;
    for (var i = 0, j = ring.length - 1; i < ring.length; j = i++) {
      var xi = ring[i][0] * metres.kx, yi = ring[i][1] * metres.ky;
      var xj = ring[j][0] * metres.kx, yj = ring[j][1] * metres.ky;
      area += (xj + xi) * (yj - yi);
      length += Math.sqrt((xi - xj) * (xi - xj) + (yi - yj) * (yi - yj));
    }
    return { area: Math.abs(area) / 2, length: length };
  }
  function shapeMeasure(geometry) {
    var polygons = !geometry ? [] : geometry.type === "Polygon" ? [geometry.coordinates] :
      geometry.coordinates;
    var area = 0, length = 0;
    polygons.forEach(function (rings) {
      rings.forEach(function (ring, k) {
        var m = ringMeasure(ring);
        area += k === 0 ? m.area : -m.area;
        length += m.length;
      });
    });
    return {
      pieces: polygons.length,
      pp: length > 0 ? 4 * Math.PI * area / (length * length) : null
    };
  }

  // ---- plan, grids and buildings
  function band() {
    var p = state.plan.params || {};
    var target = p.target || cfg.target, tol = p.tolerance || cfg.tolerance;
    return { target: target, lo: target * (1 - tol), hi: target * (1 + tol) };
  }
  function editable() {
    return state.plan && state.plan.status === "draft" && !state.conflict;
  }
  function colour(grid) { return cfg.colours[(grid.seq - 1) % cfg.colours.length]; }
  function resolve(id) {
    while (state.remap[id] !== undefined) { id = state.remap[id]; }
    return id;
  }

  function putGrid(feature) {
    var p = feature.properties, id = p.grid_id;
    var old = state.grids[id];
    if (old && old.layer) { gridLayer.removeLayer(old.layer); }
    var grid = {
      id: id, code: p.code, seq: p.seq, community: p.community_code, locked: !!p.locked,
      flags: p.flags, reason: p.exception_reason, geometry: feature.geometry, layer: null
    };
    var measure = shapeMeasure(feature.geometry);
    grid.pieces = measure.pieces;
    grid.pp = measure.pp;
    state.grids[id] = grid;
    if (feature.geometry && measure.pieces > 0) {
      grid.layer = L.geoJSON(feature, {
        coordsToLatLng: coordsToLatLng, interactive: false, style: gridStyle(grid)
      }).addTo(gridLayer);
      grid.layer.bindTooltip(String(grid.seq).padStart(3, "0"), {
        permanent: true, direction: "center", className: "wg-grid-label"
      });
    }
    return grid;
  }
  function gridStyle(grid) {
    var active = grid.id === state.active;
    return {
      color: grid.pieces > 1 ? "#d50000" : active ? "#0057b8" : "#333",
      weight: active ? 4 : 2, dashArray: grid.pieces > 1 ? "6 4" : grid.locked ? "2 4" : null,
      fill: false
    };
  }
  function buildingStyle(b) {
    var grid = b.grid === null ? null : state.grids[b.grid];
    if (!grid) {
      return { color: "#d50000", weight: 2, fillColor: "#fff", fillOpacity: 0.9 };
    }
    var active = grid.id === state.active;
    return {
      color: active ? "#0057b8" : "#555", weight: active ? 1.5 : 0.6,
      fillColor: colour(grid), fillOpacity: grid.locked ? 0.35 : 0.8
    };
  }
  function restyle(ids) {
    ids.forEach(function (id) {
      var b = state.buildings[id];
      if (b && b.layer) { b.layer.setStyle(buildingStyle(b)); }
    });
  }
  function restyleAll() {
    Object.keys(state.buildings).forEach(function (id) { restyle([id]); });
    Object.keys(state.grids).forEach(function (id) {
      var g = state.grids[id];
      if (g.layer) { g.layer.setStyle(gridStyle(g)); }
    });
  }

  function openPlan(planId) {
    state.ready = false;
    showError("");
    state.conflict = null;
    el("conflict").hidden = true;
    return Promise.all([
      request("GET", "/plans/" + planId),
      request("GET", "/plans/" + planId + "/grids"),
      request("GET", "/plans/" + planId + "/buildings")
    ]).then(function (answers) {
      state.plan = answers[0];
      state.version = answers[0].version;
      state.grids = {};
      state.buildings = {};
      state.compounds = {};
      state.undo = [];
      state.redo = [];
      state.remap = {};
      gridLayer.clearLayers();
      buildingLayer.clearLayers();
      diffLayer.clearLayers();
      var first = answers[2].features[0] || answers[1].features[0];
      if (first) {
        var lat = firstLat(first.geometry);
        metres.kx = 111320 * Math.cos(lat * Math.PI / 180);
      }
      answers[1].features.forEach(putGrid);
      drawBuildings(answers[2]);
      if (state.active !== null && !state.grids[state.active]) { state.active = null; }
      var url = new URL(window.location.href);
      url.searchParams.set("plan", planId);
      window.history.replaceState(null, "", url.pathname + url.search);
      el("plans").value = String(planId);
      showPlan();
      var bounds = buildingLayer.getLayers().length ? L.featureGroup(buildingLayer.getLayers())
        .getBounds() : null;
      if (bounds && bounds.isValid()) { map.fitBounds(bounds.pad(0.05), { animate: false }); }
      state.ready = true;
    }).catch(function (err) { showError("无法打开方案：" + err.message); });
  }
  function firstLat(geometry) {
    var c = geometry.coordinates;
    while (Array.isArray(c[0])) { c = c[0]; }
    return c[1];
  }

  function drawBuildings(fc) {
    fc.features.forEach(function (f) {
      var p = f.properties;
      var b = {
        id: p.building_id, grid: p.grid_id === null ? null : p.grid_id,
        households: p.households || 0, estimated: !!p.households_estimated,
        compound: p.compound_id, community: p.community_code, name: p.name, layer: null
      };
      state.buildings[b.id] = b;
      if (b.compound !== null && b.compound !== undefined) {
        (state.compounds[b.compound] = state.compounds[b.compound] || []).push(b.id);
      }
      var layer = L.geoJSON(f, { coordsToLatLng: coordsToLatLng, style: buildingStyle(b) });
      layer.eachLayer(function (shape) {
        b.layer = shape;
        shape.on("mousedown", function (e) { startStroke(b, e); });
        shape.on("mouseover", function () { strokeOver(b); });
        shape.bindTooltip(function () { return buildingTip(b); }, { sticky: true });
      });
      layer.addTo(buildingLayer);
    });
  }
  function buildingTip(b) {
    var grid = b.grid === null ? null : state.grids[b.grid];
    return esc(b.name || ("楼栋 " + b.id)) + "<br>" + b.households + " 户" +
      (b.estimated ? "（估算）" : "") + "<br>" +
      (grid ? "网格 " + esc(grid.code) : "未分配网格");
  }

  // ---- the live panel: computed here from what the page holds
  function tally() {
    var counts = {}, estimated = {}, unassigned = 0, compoundGrids = {}, compoundHouseholds = {};
    Object.keys(state.grids).forEach(function (id) { counts[id] = 0; estimated[id] = 0; });
    Object.keys(state.buildings).forEach(function (key) {
      var b = state.buildings[key];
      if (b.grid === null || counts[b.grid] === undefined) { unassigned += 1; } else {
        counts[b.grid] += b.households;
        if (b.estimated) { estimated[b.grid] += 1; }
      }
      if (b.compound !== null && b.compound !== undefined) {
        (compoundGrids[b.compound] = compoundGrids[b.compound] || {})[b.grid] = true;
        compoundHouseholds[b.compound] = (compoundHouseholds[b.compound] || 0) + b.households;
      }
    });
    var split = 0, splitFitting = 0, hi = band().hi;
    Object.keys(compoundGrids).forEach(function (c) {
      if (Object.keys(compoundGrids[c]).length > 1) {
        split += 1;
        if (compoundHouseholds[c] <= hi) { splitFitting += 1; }
      }
    });
    return {
      counts: counts, estimated: estimated, unassigned: unassigned, split: split,
      splitFitting: splitFitting
    };
  }
  function inBand(households, grid) {
    var b = band();
    return (households >= b.lo && households <= b.hi) || !!(grid && grid.flags);
  }
  function gridOrder() {
    return Object.keys(state.grids).map(function (id) { return state.grids[id]; })
      .sort(function (a, b) { return a.code < b.code ? -1 : a.code > b.code ? 1 : 0; });
  }

  function renderPanel() {
    var started = performance.now();
    var t = tally(), b = band(), grids = gridOrder();
    state.tally = t;
    var scale = Math.max(b.hi * 1.5, Math.max.apply(null, grids.map(function (g) {
      return t.counts[g.id];
    }).concat([1])));
    var out = 0, pieces = 0, pp = 0, measured = 0, estimated = 0;
    var rows = grids.map(function (g) {
      var h = t.counts[g.id], ok = inBand(h, g);
      if (!ok) { out += 1; }
      if (g.pieces > 1) { pieces += 1; }
      if (g.pp !== null) { pp += g.pp; measured += 1; }
      estimated += t.estimated[g.id];
      var dev = Math.round(100 * (h - b.target) / b.target);
      var warn = [];
      if (g.pieces > 1) { warn.push("分成 " + g.pieces + " 块"); }
      if (!ok) { warn.push("超出范围"); }
      if (g.flags) { warn.push("标记：" + esc(g.flags)); }
      if (t.estimated[g.id]) { warn.push(t.estimated[g.id] + " 栋估算户数"); }
      return "<tr data-grid=\"" + g.id + "\" class=\"" + (g.id === state.active ? "active " : "") +
        (g.pieces > 1 ? "pieces" : "") + "\"><td><span class=\"swatch\" style=\"background:" +
        colour(g) + "\"></span><span class=\"code\" title=\"" + esc(g.code) + "\">" +
        esc(g.code.slice(12)) + "</span></td><td><div class=\"bar\" title=\"" +
        Math.round(b.lo) + "–" + Math.round(b.hi) + " 户\"><div class=\"band\" style=\"left:" +
        (100 * b.lo / scale) + "%;width:" + (100 * (b.hi - b.lo) / scale) + "%\"></div>" +
        "<div class=\"fill" + (ok ? "" : " out") + "\" style=\"width:" +
        Math.min(100, 100 * h / scale) + "%\"></div></div><span class=\"count\" data-grid-count=\"" +
        g.id + "\">" + h + " 户</span>" + (warn.length ? "<span class=\"warn\">" +
        warn.join("；") + "</span>" : "") + "</td><td>" + (dev > 0 ? "+" : "") + dev +
        "%</td><td>" + (g.pp === null ? "—" : g.pp.toFixed(2)) + "</td><td><input type=\"checkbox\"" +
        " class=\"lock\" aria-label=\"锁定网格 " + esc(g.code) + "\"" + (g.locked ? " checked" : "") +
        (editable() ? "" : " disabled") + "></td></tr>";
    });
    el("grid-table").tBodies[0].innerHTML = rows.join("");
    el("summary").innerHTML = [
      "<div>网格 <b>" + grids.length + "</b> 个，目标 " + b.target + " 户（" + Math.round(b.lo) +
        "–" + Math.round(b.hi) + "）</div>",
      "<div" + (out ? " class=\"warn\"" : "") + ">超出范围 <b id=\"out-count\">" + out +
        "</b> 个</div>",
      "<div" + (pieces ? " class=\"warn\"" : "") + ">不连续（分块）网格 <b>" + pieces + "</b> 个</div>",
      "<div>平均紧凑度 (Polsby-Popper) <b>" + (measured ? (pp / measured).toFixed(2) : "—") +
        "</b></div>",
      "<div" + (t.splitFitting ? " class=\"warn\"" : "") + ">被拆分小区 <b>" + t.split +
        "</b> 个（其中可整体容纳 " + t.splitFitting + " 个）</div>",
      "<div" + (t.unassigned ? " class=\"warn\"" : "") + ">未分配楼栋 <b id=\"unassigned\">" +
        t.unassigned + "</b> 栋</div>",
      "<div>估算户数的楼栋 <b>" + estimated + "</b> 栋</div>"
    ].join("");
    renderActive();
    state.panelMs = performance.now() - started;
  }
  function renderActive() {
    var g = state.active === null ? null : state.grids[state.active];
    el("active").textContent = g ? "当前网格：" + g.code + (g.locked ? "（已锁定）" : "") :
      "当前网格：未选择（点击右侧表格或地图上的楼栋）";
    var options = ["<option value=\"\">— 选择要并入的网格 —</option>"];
    gridOrder().forEach(function (other) {
      if (g && other.id !== g.id && other.community === g.community) {
        options.push("<option value=\"" + other.id + "\">" + esc(other.code) + "</option>");
      }
    });
    el("merge-from").innerHTML = options.join("");
    el("undo").disabled = !editable() || !state.undo.length;
    el("redo").disabled = !editable() || !state.redo.length;
    el("new-grid").classList.toggle("armed", state.newGrid);
    el("new-grid").textContent = state.newGrid ? "＋ 新建网格（涂刷楼栋以建立）" : "＋ 新建网格";
  }
  function showPlan() {
    var p = state.plan;
    el("plan-box").hidden = false;
    el("panel").hidden = false;
    el("plan-name").textContent = "#" + p.id + " " + p.name;
    el("plan-state").textContent = STATUS[p.status] + " · 版本 " + state.version + " · 社区 " +
      p.community_codes.join("、") + (p.effective_from ? " · 生效 " + p.effective_from : "");
    el("save-state").textContent = "";
    ["tools", "rerun", "publish", "validate", "delete"].forEach(function (id) {
      el(id).disabled = p.status !== "draft";
    });
    el("publish-box").hidden = true;
    map.invalidateSize();
    renderPanel();
    loadCompare();
  }
  function setActive(id) {
    var before = state.active;
    state.active = id;
    [before, id].forEach(function (g) {
      if (g !== null && state.grids[g] && state.grids[g].layer) {
        state.grids[g].layer.setStyle(gridStyle(state.grids[g]));
      }
    });
    Object.keys(state.buildings).forEach(function (key) {
      var b = state.buildings[key];
      if (b.grid === before || b.grid === id) { restyle([key]); }
    });
    renderPanel();
  }

  // ---- edits: one gesture, one batch of moves, one undo step
  function gestureMoves(ids, target) {
    var seen = {}, moves = [], refused = null;
    ids.forEach(function (id) {
      var b = state.buildings[id];
      var group = el("whole-compound").checked && b.compound !== null && b.compound !== undefined ?
        state.compounds[b.compound] : [id];
      group.forEach(function (k) {
        var m = state.buildings[k];
        if (seen[k] || m.community !== b.community) { return; }
        seen[k] = true;
        if (m.grid === target) { return; }
        var from = m.grid === null ? null : state.grids[m.grid];
        if (from && from.locked) { refused = from; return; }
        moves.push({ b: Number(k), from: m.grid, to: target });
      });
    });
    return { moves: moves, refused: refused };
  }
  function paint(ids, t0) {
    if (!editable() || !ids.length) { return; }
    var target = null;
    if (!state.newGrid) {
      if (state.active === null) { showError("请先选择要涂刷进的网格（点击右侧表格中的一行）"); return; }
      target = state.grids[state.active];
      if (target.locked) { showError("网格 " + target.code + " 已锁定，先解锁再涂刷"); return; }
      var community = state.buildings[ids[0]].community;
      ids = ids.filter(function (id) { return state.buildings[id].community === target.community; });
      if (!ids.length) {
        showError("楼栋属于社区 " + community + "，只能划入本社区的网格");
        return;
      }
    }
    var plan = gestureMoves(ids, state.newGrid ? "new" : state.active);
    if (plan.refused) { showError("网格 " + plan.refused.code + " 已锁定，其中的楼栋不能移出"); }
    else { showError(""); }
    if (!plan.moves.length) { return; }
    state.newGrid = false;
    edit(plan.moves, { record: true, t0: t0 });
  }

  function applyLocal(moves, field) {
    var started = performance.now();
    moves.forEach(function (m) { state.buildings[m.b].grid = m[field]; });
    restyle(moves.map(function (m) { return m.b; }));
    renderPanel();
    state.editMs = performance.now() - started;
  }

  // Send moves [{b, from, to}] (to: a grid id, or "new"); record an undo step if asked.
  function edit(moves, options) {
    var isNew = moves.some(function (m) { return m.to === "new"; });
    var t0 = options.t0 || performance.now();
    var timing = state.timing = { moves: moves.length };
    if (!isNew) {
      applyLocal(moves, "to");
      timing.panel = performance.now() - t0;
      requestAnimationFrame(function () { timing.frame = performance.now() - t0; });
    }
    if (options.record) {
      state.undo.push({ moves: moves });
      if (state.undo.length > cfg.undo_steps) { state.undo.shift(); }
      state.redo = [];
    }
    state.pending += 1;
    saving();
    var known = {};
    Object.keys(state.grids).forEach(function (id) { known[id] = true; });
    var step = options.record ? state.undo[state.undo.length - 1] : options.step;
    state.queue = state.queue.then(function () {
      if (state.conflict) { throw Object.assign(new Error("conflict"), { status: 409 }); }
      var body = {
        version: state.version,
        moves: moves.map(function (m) {
          return m.to === "new" ? { building_id: m.b, new_grid: true } :
            { building_id: m.b, grid_id: resolve(m.to) };
        })
      };
      return request("POST", "/plans/" + state.plan.id + "/moves", body);
    }).then(function (answer) {
      state.version = answer.version;
      state.saves += 1;
      var affected = {};
      moves.forEach(function (m) {
        if (m.from !== null) { affected[resolve(m.from)] = true; }
        if (m.to !== "new") { affected[resolve(m.to)] = true; }
      });
      var created = null;
      answer.grids.features.forEach(function (f) {
        if (!known[f.properties.grid_id]) { created = f.properties.grid_id; }
        delete affected[f.properties.grid_id];
        putGrid(f);
      });
      Object.keys(affected).forEach(function (id) { dropGrid(id); });
      if (isNew && created !== null) {
        moves.forEach(function (m) { if (m.to === "new") { m.to = created; } });
        applyLocal(moves, "to");
        setActive(created);
      }
      renderPanel();
      timing.saved = performance.now() - t0;
    }).catch(function (err) {
      options.failed = true;
      if (!isNew) { applyLocal(moves, "from"); }
      if (options.record) {
        var at = state.undo.indexOf(step);
        if (at >= 0) { state.undo.splice(at, 1); }
      }
      if (err.status === 409 || err.message === "conflict") {
        conflict(err);
      } else {
        showError("保存失败：" + problem(err));
      }
    }).then(function () {
      state.pending -= 1;
      saving();
    });
    return state.queue;
  }
  function dropGrid(id) {
    var g = state.grids[id];
    if (!g) { return; }
    if (g.layer) { gridLayer.removeLayer(g.layer); }
    delete state.grids[id];
    if (state.active === Number(id)) { state.active = null; }
  }
  function saving() {
    el("save-state").textContent = state.pending ? "正在保存…" :
      state.conflict ? "未保存" : "已自动保存（版本 " + state.version + "）";
    if (state.plan) {
      el("plan-state").textContent = STATUS[state.plan.status] + " · 版本 " + state.version +
        " · 社区 " + state.plan.community_codes.join("、");
    }
    renderActive();
  }
  function conflict(err) {
    if (!state.conflict) {
      state.conflict = err.message === "conflict" ? "草稿已被他人修改" : err.message;
      el("conflict-text").textContent = "草稿已被他人修改，您的修改未保存，请重新加载后再编辑。（" +
        state.conflict + "）";
      el("conflict").hidden = false;
      renderPanel();
    }
  }

  // an undo or redo step replays the moves backwards or forwards; a grid that an edit
  // emptied (and the server removed) is made again as a new grid
  function replay(stack, other, backwards) {
    if (!editable() || !stack.length) { return; }
    var step = stack.pop();
    var moves = step.moves.map(function (m) {
      var to = backwards ? m.from : m.to, from = backwards ? m.to : m.from;
      to = to === null ? null : resolve(to);
      // a building that was in no grid stays where it is (a plan cannot unassign)
      return { b: m.b, from: from === null ? null : resolve(from),
               to: to === null ? null : !state.grids[to] ? "new" : to };
    }).filter(function (m) { return m.to !== null; });
    if (!moves.length) { other.push(step); renderActive(); return; }
    other.push(step);
    var fresh = moves.filter(function (m) { return m.to === "new"; });
    var options = { record: false, step: step };
    edit(moves, options).then(function () {
      if (options.failed) {  // not done: the step stays where it was
        other.pop();
        stack.push(step);
        renderActive();
        return;
      }
      fresh.forEach(function (m) {
        var old = backwards ? step.moves.filter(function (s) { return s.b === m.b; })[0].from :
          step.moves.filter(function (s) { return s.b === m.b; })[0].to;
        if (typeof m.to === "number" && old !== null) { state.remap[old] = m.to; }
      });
    });
  }
  el("undo").addEventListener("click", function () { replay(state.undo, state.redo, true); });
  el("redo").addEventListener("click", function () { replay(state.redo, state.undo, false); });
  document.addEventListener("keydown", function (e) {
    if (!(e.ctrlKey || e.metaKey) || e.target.tagName === "INPUT") { return; }
    if (e.key === "z" && !e.shiftKey) { e.preventDefault(); el("undo").click(); }
    if (e.key === "y" || (e.key === "z" && e.shiftKey)) { e.preventDefault(); el("redo").click(); }
  });

  // ---- gestures: select, brush (click or drag), box
  var stroke = null;
  function startStroke(b, e) {
    if (state.tool === "select") {
      if (b.grid !== null) { setActive(b.grid); }
      return;
    }
    if (state.tool !== "paint") { return; }
    L.DomEvent.stop(e.originalEvent);
    stroke = { ids: [b.id], seen: {} };
    stroke.seen[b.id] = true;
  }
  function strokeOver(b) {
    if (stroke && !stroke.seen[b.id]) {
      stroke.seen[b.id] = true;
      stroke.ids.push(b.id);
    }
  }
  var box = null;
  map.on("mousedown", function (e) {
    if (state.tool !== "box" || !editable()) { return; }
    box = { start: e.latlng, rect: L.rectangle([e.latlng, e.latlng], {
      color: "#0057b8", weight: 1, dashArray: "4 3", fillOpacity: 0.05, interactive: false
    }).addTo(map) };
  });
  map.on("mousemove", function (e) {
    if (box) { box.rect.setBounds(L.latLngBounds(box.start, e.latlng)); }
  });
  document.addEventListener("mouseup", function () {
    var t0 = performance.now();
    if (stroke) {
      var ids = stroke.ids;
      stroke = null;
      paint(ids, t0);
    }
    if (box) {
      var bounds = box.rect.getBounds();
      map.removeLayer(box.rect);
      box = null;
      var inside = Object.keys(state.buildings).filter(function (id) {
        var layer = state.buildings[id].layer;
        return layer && bounds.contains(layer.getCenter());
      }).map(Number);
      paint(inside, t0);
    }
  });
  document.querySelectorAll("input[name=tool]").forEach(function (input) {
    input.addEventListener("change", function () {
      state.tool = input.value;
      if (state.tool === "select") { map.dragging.enable(); } else { map.dragging.disable(); }
      map.getContainer().style.cursor = state.tool === "select" ? "" : "crosshair";
    });
  });
  el("new-grid").addEventListener("click", function () {
    state.newGrid = !state.newGrid;
    if (state.newGrid && state.tool === "select") {
      document.querySelector("input[name=tool][value=paint]").click();
    }
    renderActive();
  });
  el("merge").addEventListener("click", function () {
    var from = Number(el("merge-from").value);
    if (!from || state.active === null) { showError("先选择当前网格和要并入的网格"); return; }
    var target = state.grids[state.active];
    if (target.locked || state.grids[from].locked) { showError("锁定的网格不能合并"); return; }
    var moves = Object.keys(state.buildings).filter(function (id) {
      return state.buildings[id].grid === from;
    }).map(function (id) { return { b: Number(id), from: from, to: state.active }; });
    if (moves.length) { showError(""); edit(moves, { record: true }); }
  });
  el("grid-table").addEventListener("click", function (e) {
    var row = e.target.closest("tr[data-grid]");
    if (!row) { return; }
    var id = Number(row.dataset.grid);
    if (e.target.classList.contains("lock")) { lock(id, e.target.checked); return; }
    setActive(id);
  });

  // ---- locking and re-running the rest
  function lock(id, locked) {
    if (!editable()) { return; }
    state.pending += 1;
    saving();
    state.queue = state.queue.then(function () {
      return request("PUT", "/plans/" + state.plan.id + "/grids/" + id + "/lock",
                     { version: state.version, locked: locked });
    }).then(function (answer) {
      state.version = answer.version;
      state.grids[id].locked = answer.locked;
      restyleAll();
      renderPanel();
    }).catch(function (err) {
      if (err.status === 409) { conflict(err); } else { showError("锁定失败：" + err.message); }
      renderPanel();
    }).then(function () { state.pending -= 1; saving(); });
  }
  el("rerun").addEventListener("click", function () {
    if (!editable()) { return; }
    state.queue.then(function () {
      return request("POST", "/plans/" + state.plan.id + "/rerun", { version: state.version });
    }).then(function (job) {
      return follow(job);
    }).then(function (job) {
      return openPlan(job.plan_id || state.plan.id);
    }).catch(function (err) {
      if (err.status === 409) { conflict(err); } else { showError("重新划分失败：" + err.message); }
    });
  });

  // ---- jobs: auto-partition and re-run report progress until done
  function follow(job) {
    state.job = job;
    el("job").hidden = false;
    return new Promise(function (resolveJob, reject) {
      function show(j) {
        state.job = j;
        el("job-text").textContent = (j.kind === "rerun" ? "重新划分" : "自动划分") + "：" +
          (JOB_STATUS[j.status] || j.status) + (j.total ? "（" + j.done + "/" + j.total +
          " 个社区）" : "") + (j.message ? " " + j.message : "");
        el("job-progress").max = j.total || 1;
        el("job-progress").value = j.done || 0;
        if (j.status === "done") { resolveJob(j); return; }
        if (j.status === "failed") {
          var err = new Error(j.error || "划分失败");
          if (/changed since|版本/.test(j.error || "")) { err.status = 409; }
          reject(err);
          return;
        }
        setTimeout(function () {
          request("GET", "/plan-jobs/" + j.id).then(show).catch(reject);
        }, 400);
      }
      show(job);
    });
  }
  el("run").addEventListener("click", function () {
    var code = el("run-community").value;
    var body = {
      communities: code.length === 12 ? [code] : null,
      target: Number(el("run-target").value), tolerance: Number(el("run-tolerance").value) / 100,
      seed: Number(el("run-seed").value || 0)
    };
    if (code.length === 9) {
      body.communities = streetCommunities(code);
    }
    showError("");
    request("POST", "/plans?background=true", body).then(follow).then(function (job) {
      return refreshPlans().then(function () { return openPlan(job.plan_id); });
    }).catch(function (err) { showError("划分失败：" + err.message); });
  });
  el("import").addEventListener("click", function () {
    var file = el("import-file").files[0];
    if (!file) { showError("请先选择要导入的方案文件"); return; }
    var form = new FormData();
    form.append("file", file);
    if (el("import-name").value.trim()) { form.append("name", el("import-name").value.trim()); }
    showError("");
    request("POST", "/plans/import", form).then(function (plan) {
      return refreshPlans().then(function () { return openPlan(plan.id); });
    }).catch(function (err) { showError("导入失败：" + problem(err)); });
  });
  function streetCommunities(code) {
    var street = cfg.directory.filter(function (s) { return s.code === code; })[0];
    return street ? street.communities.map(function (c) { return c.code; }) : [];
  }

  // ---- checking and publishing
  function problemsOf(answer) {
    var b = band();
    var outOfBand = gridOrder().filter(function (g) {
      var h = state.tally.counts[g.id];
      return !g.flags && (h < b.lo || h > b.hi);
    });
    el("problems").innerHTML = answer.problems.length ? answer.problems.map(function (p) {
      return "<li>" + esc(p.problem) + "</li>";
    }).join("") : "<li>检查通过，可以发布。</li>";
    el("reasons").innerHTML = outOfBand.map(function (g) {
      return "<label>网格 " + esc(g.code) + "（" + state.tally.counts[g.id] + " 户）超出范围的原因" +
        "<input type=\"text\" class=\"reason\" data-code=\"" + esc(g.code) + "\" value=\"" +
        esc(g.reason || "") + "\"></label>";
    }).join("");
    el("effective").value = el("effective").value || new Date(Date.now() + 8 * 3600000)
      .toISOString().slice(0, 10);
    el("publish-box").hidden = false;
  }
  function check() {
    return state.queue.then(function () {
      return request("GET", "/plans/" + state.plan.id + "/validation");
    }).then(problemsOf).catch(function (err) { showError("检查失败：" + err.message); });
  }
  el("validate").addEventListener("click", check);
  el("publish").addEventListener("click", check);
  el("publish-cancel").addEventListener("click", function () { el("publish-box").hidden = true; });
  el("publish-confirm").addEventListener("click", function () {
    var exceptions = {}, missing = [];
    document.querySelectorAll("#reasons input.reason").forEach(function (input) {
      if (input.value.trim()) { exceptions[input.dataset.code] = input.value.trim(); }
      else { missing.push(input.dataset.code); }
    });
    if (missing.length) {
      showError("以下网格户数超出范围，请填写原因后再发布：" + missing.join("、"));
      return;
    }
    showError("");
    request("POST", "/plans/" + state.plan.id + "/publish", {
      effective_from: el("effective").value || null, exceptions: exceptions
    }).then(function (plan) {
      return refreshPlans().then(function () { return openPlan(plan.id); });
    }).then(function () {
      el("save-state").textContent = "已发布，网格编码已登记";
    }).catch(function (err) {
      showError("发布失败：" + problem(err));
    });
  });

  // ---- naming and deleting
  el("rename").addEventListener("click", function () {
    var name = window.prompt("方案名称", state.plan.name);
    if (name === null || !name.trim()) { return; }
    request("PATCH", "/plans/" + state.plan.id, { name: name.trim() }).then(function (plan) {
      state.plan.name = plan.name;
      el("plan-name").textContent = "#" + plan.id + " " + plan.name;
      return refreshPlans();
    }).catch(function (err) { showError("重命名失败：" + err.message); });
  });
  el("delete").addEventListener("click", function () {
    if (!window.confirm("删除草稿 #" + state.plan.id + " " + state.plan.name + "？此操作不能撤销。")) {
      return;
    }
    state.queue.then(function () {
      return request("DELETE", "/plans/" + state.plan.id);
    }).then(function () {
      state.plan = null;
      gridLayer.clearLayers();
      buildingLayer.clearLayers();
      diffLayer.clearLayers();
      el("plan-box").hidden = true;
      el("panel").hidden = true;
      window.history.replaceState(null, "", window.location.pathname);
      return refreshPlans();
    }).catch(function (err) { showError("删除失败：" + err.message); });
  });

  // ---- comparing and exporting
  function loadCompare() {
    var options = ["<option value=\"\">— 另一方案 —</option>"];
    (state.plans || []).forEach(function (p) {
      var shared = p.community_codes.some(function (c) {
        return state.plan.community_codes.indexOf(c) >= 0;
      });
      if (p.id !== state.plan.id && shared) {
        options.push("<option value=\"" + p.id + "\">#" + p.id + " " + esc(p.name) + "（" +
          STATUS[p.status] + "）</option>");
      }
    });
    el("compare").innerHTML = options.join("");
    el("diff").innerHTML = "";
    diffLayer.clearLayers();
  }
  function metricCell(metrics, key) {
    var o = (metrics || {}).overall || {};
    var v = o[key];
    return v === undefined || v === null ? "—" : typeof v === "number" ? (Math.round(v * 1000) /
      1000) : esc(v);
  }
  el("compare").addEventListener("change", function () {
    var other = el("compare").value;
    diffLayer.clearLayers();
    if (!other) { el("diff").innerHTML = ""; return; }
    request("GET", "/plans/" + state.plan.id + "/diff/" + other).then(function (d) {
      d.moved.forEach(function (m) {
        var b = state.buildings[m.building_id];
        if (b && b.layer) {
          L.polygon(b.layer.getLatLngs(), { color: "#ff6d00", weight: 3, fill: false,
                                            interactive: false }).addTo(diffLayer);
        }
      });
      var keys = [["grids", "网格数"], ["within_15", "±15% 以内"], ["within_25", "±25% 以内"],
                  ["contiguous", "连续网格占比"], ["pp_mean", "平均紧凑度"],
                  ["compounds_fit_split", "被拆分的可容纳小区"]];
      el("diff").innerHTML = "与方案 #" + d.other.id + " 相比，<b id=\"moved-count\">" +
        d.moved.length + "</b> 栋楼所属网格不同（地图上橙色描边）。" +
        "<table><tr><th></th><th>本方案</th><th>#" + d.other.id + "</th></tr>" +
        keys.map(function (k) {
          return "<tr><td>" + k[1] + "</td><td>" + metricCell(d.plan.metrics, k[0]) +
            "</td><td>" + metricCell(d.other.metrics, k[0]) + "</td></tr>";
        }).join("") + "</table>";
    }).catch(function (err) { showError("比较失败：" + err.message); });
  });
  document.querySelectorAll("a[data-format]").forEach(function (a) {
    a.addEventListener("click", function (e) {
      e.preventDefault();
      var format = a.dataset.format;
      login.fetch("/plans/" + state.plan.id + "/export?format=" + format).then(function (r) {
        if (!r.ok) { throw new Error("HTTP " + r.status); }
        var name = (r.headers.get("Content-Disposition") || "").split("filename=")[1];
        return r.blob().then(function (blob) {
          var link = document.createElement("a");
          link.href = URL.createObjectURL(blob);
          link.download = (name || ("plan." + format)).replace(/"/g, "");
          link.click();
          setTimeout(function () { URL.revokeObjectURL(link.href); }, 1000);
        });
      }).catch(function (err) { showError("导出失败：" + err.message); });
    });
  });

  // ---- start: who is logged in, the plans, the run form
  function refreshPlans() {
    return request("GET", "/plans").then(function (list) {
      state.plans = list;
      el("plans").innerHTML = "<option value=\"\">— 选择方案 —</option>" + list.map(function (p) {
        return "<option value=\"" + p.id + "\">#" + p.id + " " + esc(p.name) + "（" +
          STATUS[p.status] + "，" + p.grids + " 个网格）</option>";
      }).join("");
      if (state.plan) { el("plans").value = String(state.plan.id); }
    });
  }
  el("plans").addEventListener("change", function () {
    if (el("plans").value) { openPlan(Number(el("plans").value)); }
  });
  el("reload").addEventListener("click", function () { openPlan(state.plan.id); });
  el("run-target").value = cfg.target;
  el("run-tolerance").value = Math.round(cfg.tolerance * 100);
  el("run-community").innerHTML = cfg.directory.map(function (s) {
    return "<optgroup label=\"" + esc(s.name || s.code) + "\"><option value=\"" + esc(s.code) +
      "\">整个街道 " + esc(s.name || s.code) + "</option>" + s.communities.map(function (c) {
        return "<option value=\"" + esc(c.code) + "\">" + esc(c.name || c.code) + "</option>";
      }).join("") + "</optgroup>";
  }).join("");
  request("GET", "/auth/me").then(function (me) {
    el("who").textContent = me.name + "（" + (cfg.roles[me.role] || me.role) + "）";
  }).catch(function () {});
  refreshPlans().then(function () {
    if (cfg.plan_id) { return openPlan(cfg.plan_id); }
    el("run-box").open = true;
  }).catch(function (err) { showError("无法读取方案列表：" + err.message); });
})();
