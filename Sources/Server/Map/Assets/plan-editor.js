// The plan editor on the map (/map?plan=ID): topological editing of a draft plan's grids. A vertex
// belongs to every grid holding it; the server moves, adds and deletes it in all of them
// (POST /api/plans/{id}/operations), answers with the grids it changed and the plan's problems,
// and hands back the operations that undo and redo the edit. Viewers see the plan, read-only.
'use strict';
(function () {
  const page = window.wangge;
  const { api, postJSON, inCRS, el, notice, drawProblems, BAND_COLOURS } = page.lib;
  const SNAP_PX = 10;         // vertices and edges this close on the screen are snapped to
  const HANDLE_ZOOM = 15;     // vertex handles from this zoom on (a county has tens of thousands)
  const MAX_HANDLES = 3000;

  const ed = {
    plan: null, canEdit: false,
    grids: new Map(),         // grid_id → GeoJSON feature (in the page's CRS)
    layers: new Map(),        // grid_id → Leaflet polygon
    pane: null, handles: null, sketch: null,
    mode: 'move', selected: null, mergeFirst: null, splitPoints: [],
    undo: [], redo: [],
    edits: 0, timings: [],    // ms from the planner's action to the server's problems drawn
    busy: false,
  };
  page.editor = ed;

  // ---- geometry on the screen ----

  const key = (c) => c[0].toFixed(7) + ',' + c[1].toFixed(7);
  const toLatLng = (c) => L.latLng(c[1], c[0]);
  const toCoord = (ll) => [ll.lng, ll.lat];
  const px = (c) => page.map.latLngToContainerPoint(toLatLng(c));

  function rings(f) { return f.geometry.coordinates; }

  // Every distinct vertex of the plan: position and how many grids hold it.
  function vertices() {
    const seen = new Map();
    for (const f of ed.grids.values()) {
      const mine = new Map();
      for (const r of rings(f)) for (const c of r.slice(0, -1)) mine.set(key(c), c);
      for (const [k, c] of mine) { const v = seen.get(k); if (v) v.n++; else seen.set(k, { c, n: 1 }); }
    }
    return seen;
  }

  function nearestOnSegment(p, a, b) {
    const dx = b.x - a.x, dy = b.y - a.y, len = dx * dx + dy * dy;
    const t = len === 0 ? 0 : Math.max(0, Math.min(1, ((p.x - a.x) * dx + (p.y - a.y) * dy) / len));
    return L.point(a.x + t * dx, a.y + t * dy);
  }

  // The vertex within SNAP_PX of a screen point (not `except`), else the nearest point of an edge
  // within SNAP_PX (with that edge), else nothing.
  function snap(point, except) {
    let best = null;
    for (const f of ed.grids.values()) for (const r of rings(f)) for (const c of r) {
      if (except && key(c) === except) continue;
      const d = px(c).distanceTo(point);
      if (d <= SNAP_PX && (!best || d < best.d)) best = { d, c, vertex: true };
    }
    if (best) return best;
    for (const f of ed.grids.values()) for (const r of rings(f)) for (let i = 0; i + 1 < r.length; i++) {
      if (except && (key(r[i]) === except || key(r[i + 1]) === except)) continue;
      const a = px(r[i]), b = px(r[i + 1]), q = nearestOnSegment(point, a, b), d = q.distanceTo(point);
      if (d <= SNAP_PX && (!best || d < best.d)) best = { d, c: toCoord(page.map.containerPointToLatLng(q)), edge: [r[i], r[i + 1]] };
    }
    return best;
  }

  function inside(c, f) {
    let odd = false;
    for (const r of rings(f)) for (let i = 0, j = r.length - 1; i < r.length; j = i++) {
      const [xi, yi] = r[i], [xj, yj] = r[j];
      if ((yi > c[1]) !== (yj > c[1]) && c[0] < ((xj - xi) * (c[1] - yi)) / (yj - yi) + xi) odd = !odd;
    }
    return odd;
  }

  function gridAt(c) {
    for (const f of ed.grids.values()) if (inside(c, f)) return f;
    return null;
  }

  // ---- drawing ----

  function style(f) {
    const p = f.properties;
    const chosen = p.grid_id === ed.selected || p.grid_id === ed.mergeFirst;
    return { color: chosen ? '#e8590c' : '#1f2d3d', weight: chosen ? 3 : 1.2, fillColor: BAND_COLOURS[p.band] || '#ccc', fillOpacity: 0.45, className: 'wg-plan-grid' };
  }

  function label(p) {
    return p.name + ' · ' + p.grid_id + ' · ' + p.households + ' 户 households' + (p.households_source === 'override' ? ' (set)' : '') + ' · ' + p.band;
  }

  function drawGrid(f) {
    const old = ed.layers.get(f.properties.grid_id);
    if (old) ed.pane.removeLayer(old);
    const layer = L.geoJSON(f, { pane: 'plan', style, interactive: true }).getLayers()[0];
    layer.bindTooltip(() => label(f.properties), { sticky: true });
    layer.on('add', () => { const e = layer.getElement(); if (e) e.dataset.gridId = f.properties.grid_id; });
    layer.on('click', (ev) => clicked(ev, f));
    ed.layers.set(f.properties.grid_id, layer);
    ed.pane.addLayer(layer);
  }

  function restyle() { for (const [code, layer] of ed.layers) layer.setStyle(style(ed.grids.get(code))); }

  function drawHandles() {
    ed.handles.clearLayers();
    const zoomed = page.map.getZoom() >= HANDLE_ZOOM;
    document.getElementById('edit-hint').textContent = !ed.canEdit ? 'read-only: viewers see the plan as it is'
      : zoomed ? 'drag a vertex: every grid holding it follows' : 'zoom in (to ' + HANDLE_ZOOM + ') for the vertices';
    if (!zoomed || !ed.canEdit) return;
    const bounds = page.map.getBounds().pad(0.1);
    let n = 0;
    for (const [k, v] of vertices()) {
      const ll = toLatLng(v.c);
      if (!bounds.contains(ll) || ++n > MAX_HANDLES) continue;
      const m = L.marker(ll, {
        draggable: ed.mode === 'move', keyboard: false, autoPan: false,
        icon: L.divIcon({ className: 'wg-vertex' + (v.n > 1 ? ' wg-shared' : ''), iconSize: [12, 12] }),
      });
      m.on('add', () => { const e = m.getElement(); if (e) { e.dataset.vertex = k; e.dataset.grids = v.n; } });
      m.on('dragend', () => {
        const at = page.map.latLngToContainerPoint(m.getLatLng());
        const s = snap(at, k);
        const to = s ? s.c : toCoord(m.getLatLng());
        apply({ op: 'move_vertex', from: point(v.c), to: point(to) }, 'moved a vertex of ' + v.n + ' grid' + (v.n > 1 ? 's' : ''));
      });
      m.on('click', () => { if (ed.mode === 'delete') apply({ op: 'remove_vertex', at: point(v.c) }, 'deleted a vertex'); });
      ed.handles.addLayer(m);
    }
  }

  function drawSketch() {
    ed.sketch.clearLayers();
    if (ed.splitPoints.length) {
      L.polyline(ed.splitPoints.map(toLatLng), { color: '#e8590c', weight: 2, dashArray: '6 4', className: 'wg-split', interactive: false }).addTo(ed.sketch);
      for (const c of ed.splitPoints) L.circleMarker(toLatLng(c), { radius: 4, color: '#e8590c', interactive: false }).addTo(ed.sketch);
    }
  }

  function point(c) { return { type: 'Point', coordinates: c }; }

  function status(text, error) {
    const s = document.getElementById('edit-status');
    s.textContent = text;
    s.className = error ? 'error' : 'muted';
  }

  function listChanged(codes) {
    document.getElementById('edit-changed').replaceChildren(...codes.filter((c) => ed.grids.has(c)).map((c) =>
      el('li', { 'data-grid-id': c, text: label(ed.grids.get(c).properties) })));
  }

  function buttons() {
    document.getElementById('edit-undo').disabled = !ed.undo.length || ed.busy;
    document.getElementById('edit-redo').disabled = !ed.redo.length || ed.busy;
    const sel = ed.selected && ed.grids.get(ed.selected);
    document.getElementById('edit-selected').textContent = sel ? label(sel.properties) : 'click a grid to choose it';
    for (const b of document.querySelectorAll('#plan-editor button[data-partition]')) b.disabled = !sel || ed.busy;
    document.getElementById('edit-split-done').disabled = ed.splitPoints.length < 2 || ed.busy;
  }

  // ---- the planner's actions ----

  function clicked(ev, f) {
    L.DomEvent.stopPropagation(ev);
    if (!ed.canEdit) return;
    const code = f.properties.grid_id;
    if (ed.mode === 'merge') {
      if (!ed.mergeFirst) { ed.mergeFirst = code; restyle(); status('merge: now click the neighbour to merge into ' + code); return; }
      const into = ed.mergeFirst;
      ed.mergeFirst = null;
      if (into !== code) apply({ op: 'merge', into, grid_id: code }, 'merged ' + code + ' into ' + into);
      restyle();
      return;
    }
    if (ed.mode === 'split' || ed.mode === 'add') return mapClicked(ev);
    ed.selected = code;
    restyle();
    buttons();
  }

  function mapClicked(ev) {
    if (!ed.canEdit) return;
    const at = page.map.latLngToContainerPoint(ev.latlng);
    if (ed.mode === 'add') {
      const s = snap(at);
      if (!s || !s.edge) return status('add: click on an edge (within ' + SNAP_PX + ' px)', true);
      apply({ op: 'insert_vertex', edge: { type: 'LineString', coordinates: s.edge }, at: point(s.c) }, 'added a vertex');
    } else if (ed.mode === 'split') {
      const s = snap(at);
      ed.splitPoints.push(s ? s.c : toCoord(ev.latlng));
      drawSketch();
      buttons();
    }
  }

  async function finishSplit() {
    const line = ed.splitPoints;
    ed.splitPoints = [];
    drawSketch();
    // The grid the line cuts: the one holding the middle of its middle segment.
    const i = Math.floor((line.length - 1) / 2);
    const mid = [(line[i][0] + line[i + 1][0]) / 2, (line[i][1] + line[i + 1][1]) / 2];
    const f = gridAt(mid);
    if (!f) { buttons(); return status('split: the line must cross a grid of the plan', true); }
    await apply({ op: 'split', grid_id: f.properties.grid_id, line: { type: 'LineString', coordinates: line } }, 'split ' + f.properties.grid_id);
  }

  function partition(level) {
    const code = ed.selected;
    if (!code) return;
    const parent = code.slice(0, level === 'village' ? 12 : 9);
    apply({ op: 'partition', parent }, 'partitioned ' + level + ' ' + parent + ' into the 300–500 band');
  }

  // One edit: sent, then the answer drawn (the grids the server changed, the plan's problems).
  async function apply(body, what, history) {
    if (ed.busy) return;
    ed.busy = true;
    buttons();
    const t0 = performance.now();
    // The page's own positions are in its datum; an undo or redo is the server's, in WGS84.
    const crs = history || page.config.crs.endsWith('CRS84') ? {} : { crs: page.config.crs };
    try {
      ed.lastBody = Object.assign(body, crs);   // what was sent, for operators' consoles and the tests
      const r = await postJSON('/api/plans/' + ed.plan + '/operations', ed.lastBody);
      for (const code of r.removed) {
        ed.grids.delete(code);
        const layer = ed.layers.get(code);
        if (layer) ed.pane.removeLayer(layer);
        ed.layers.delete(code);
        if (ed.selected === code) ed.selected = null;
      }
      for (const f of r.grids.features) { ed.grids.set(f.properties.grid_id, f); drawGrid(f); }
      drawProblems(r.problems);
      drawHandles();
      listChanged(r.grids.features.map((f) => f.properties.grid_id));
      if (history === 'undo') ed.redo.push({ undo: r.undo, redo: r.redo, what });
      else {
        ed.undo.push({ undo: r.undo, redo: r.redo, what });
        if (history !== 'redo') ed.redo = [];
      }
      ed.edits++;
      const ms = Math.round(performance.now() - t0);
      ed.timings.push(ms);
      document.body.dataset.edits = String(ed.edits);
      status((history ? history + ': ' : '') + what + ' — ' + r.problems.features.length + ' problems (' + ms + ' ms)');
    } catch (e) {
      status((history ? history + ': ' : '') + what + ' refused: ' + e.message, true);
      drawHandles();   // a refused drag goes back where it was
      document.body.dataset.refused = String((+document.body.dataset.refused || 0) + 1);
    } finally {
      ed.busy = false;
      buttons();
    }
  }

  async function undo() {
    const step = ed.undo.pop();
    if (step) await apply(step.undo, step.what, 'undo');
  }

  async function redo() {
    const step = ed.redo.pop();
    if (step) await apply(step.redo, step.what, 'redo');
  }

  // ---- opening a plan ----

  ed.open = async function (planID) {
    ed.plan = planID;
    if (ed.pane) { page.map.removeLayer(ed.pane); page.map.removeLayer(ed.handles); page.map.removeLayer(ed.sketch); }
    ed.grids.clear(); ed.layers.clear(); ed.undo = []; ed.redo = []; ed.selected = null; ed.mergeFirst = null; ed.splitPoints = [];
    const box = document.getElementById('plan-editor');
    if (!planID) {
      box.hidden = true;
      if (page.grids && !page.map.hasLayer(page.grids)) page.grids.addTo(page.map);
      return;
    }
    const plan = await api('/api/plans/' + planID);
    ed.canEdit = page.who.role === 'planner' && plan.status === 'draft';
    const fc = await api(inCRS('/api/plans/' + planID + '/grids'));
    if (!page.map.getPane('plan')) page.map.createPane('plan').style.zIndex = 428;
    // The plan replaces the live layer on the screen while it is open.
    if (page.grids) page.map.removeLayer(page.grids);
    ed.pane = L.layerGroup().addTo(page.map);
    ed.handles = L.layerGroup().addTo(page.map);
    ed.sketch = L.layerGroup().addTo(page.map);
    for (const f of fc.features) { ed.grids.set(f.properties.grid_id, f); drawGrid(f); }
    box.hidden = false;
    for (const e of box.querySelectorAll('.edit-tools')) e.hidden = !ed.canEdit;
    status(fc.features.length + ' grids in plan #' + planID + (ed.canEdit ? '' : ' (read-only)'));
    drawHandles();
    buttons();
    document.body.dataset.planOpen = String(planID);
  };

  // ---- wiring ----

  for (const input of document.querySelectorAll('input[name=edit-mode]')) {
    input.addEventListener('change', () => {
      ed.mode = input.value; ed.mergeFirst = null; ed.splitPoints = [];
      // Clicks draw a split line: a double click must not zoom.
      if (ed.mode === 'split') page.map.doubleClickZoom.disable(); else page.map.doubleClickZoom.enable();
      drawSketch(); restyle(); drawHandles(); buttons();
      status({ move: 'drag a vertex; snaps to vertices and edges within ' + SNAP_PX + ' px', add: 'click on an edge to add a vertex (both sides get it)',
        delete: 'click a vertex to delete it from every grid holding it', split: 'click points across a grid, then 完成 finish',
        merge: 'click a grid, then the neighbour to merge into it' }[ed.mode]);
    });
  }
  document.getElementById('edit-undo').addEventListener('click', () => undo());
  document.getElementById('edit-redo').addEventListener('click', () => redo());
  document.getElementById('edit-split-done').addEventListener('click', () => finishSplit());
  for (const b of document.querySelectorAll('#plan-editor button[data-partition]')) b.addEventListener('click', () => partition(b.dataset.partition));
  document.addEventListener('keydown', (ev) => {
    if (!ed.plan || !ed.canEdit || !(ev.ctrlKey || ev.metaKey) || ev.target.matches('input, textarea, select')) return;
    if (ev.key === 'z' && !ev.shiftKey) { ev.preventDefault(); undo(); }
    if (ev.key === 'Enter' && ed.mode === 'split' && ed.splitPoints.length >= 2) finishSplit();
    if (ev.key === 'y' || (ev.key === 'z' && ev.shiftKey)) { ev.preventDefault(); redo(); }
  });
  const whenMap = setInterval(() => {
    if (!page.map) return;
    clearInterval(whenMap);
    page.map.on('zoomend moveend', () => { if (ed.plan) drawHandles(); });
    page.map.on('click', (ev) => { if (ed.plan) mapClicked(ev); });
  }, 50);
})();
