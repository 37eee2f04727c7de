// The one-screen map (一屏观城乡): boundaries, grids, cameras and live cases over the server's own
// APIs (OGC API – Features, /api, the SSE feed). Leaflet comes from Debian's libjs-leaflet.
'use strict';
(function () {
  const OPEN = ['reported', 'assigned', 'accepted', 'mediating', 'escalated'];
  const STATUS_COLOURS = { reported: '#d7301f', assigned: '#fc8d59', accepted: '#fdbb84', mediating: '#4393c3', escalated: '#762a83' };
  const OPEN_STEPS = [[0, '#f7f7f7', '0'], [1, '#fee8c8', '1'], [2, '#fdbb84', '2–4'], [5, '#e34a33', '5+']];
  const BAND_COLOURS = { under: '#9ecae1', within: '#a1d99b', over: '#fc9272' };
  const CAMERA_COLOURS = { tianwang: '#1f78b4', xueliang: '#33a02c' };
  // Today's patrol coverage (share of a grid's households within 50 m of its track).
  const COVERAGE_STEPS = [[0, '#f7f7f7', 'no track'], [0.001, '#deebf7', 'under 25%'], [0.25, '#9ecae1', '25–50%'], [0.5, '#4292c6', '50–75%'], [0.75, '#08519c', '75% and more']];
  // Emerging hot spot patterns, hot in reds and cold in blues (ArcGIS's names).
  const PATTERN_COLOURS = {
    new_hot: '#fcae91', consecutive_hot: '#fb6a4a', intensifying_hot: '#a50f15', persistent_hot: '#de2d26',
    diminishing_hot: '#fee5d9', sporadic_hot: '#fdd0a2', oscillating_hot: '#fd8d3c', historical_hot: '#bdbdbd',
    new_cold: '#c6dbef', consecutive_cold: '#6baed6', intensifying_cold: '#08519c', persistent_cold: '#3182bd',
    diminishing_cold: '#eff3ff', sporadic_cold: '#c7e9c0', oscillating_cold: '#74c476', historical_cold: '#969696',
  };
  const PATTERN_NAMES = {
    new_hot: '新兴热点 new', consecutive_hot: '连续热点 consecutive', intensifying_hot: '加剧热点 intensifying',
    persistent_hot: '持续热点 persistent', diminishing_hot: '减弱热点 diminishing', sporadic_hot: '零星热点 sporadic',
    oscillating_hot: '振荡热点 oscillating', historical_hot: '历史热点 historical',
  };

  const page = {
    config: null, who: null, map: null,
    grids: null,               // L.GeoJSON of the live grid layer
    gridFeatures: new Map(),   // grid_id → feature properties
    cases: new Map(),          // case_id → { marker, props }
    caseLayer: null, cameraLayer: null, planLayer: null,
    colourBy: 'open', gridStats: null, gridStatsAt: 0,
    risk: new Map(),           // grid_id → hot spot pattern (other than none)
    patrol: new Map(),         // grid_id → today's patrol row (/api/patrol)
    workerLayer: null, trackLayer: null,
    ready: false,
  };
  window.wangge = page;   // for operators' consoles and the browser tests

  // ---- HTTP ----

  async function api(path, options) {
    const init = Object.assign({ credentials: 'same-origin', headers: { Accept: 'application/json' } }, options || {});
    const r = await fetch(path, init);
    if (!r.ok) {
      let detail = r.status + ' ' + r.statusText;
      try { const p = await r.json(); if (p.detail) detail = p.detail; } catch (e) { /* not JSON */ }
      const err = new Error(detail);
      err.status = r.status;
      throw err;
    }
    return r.status === 204 ? null : r.json();
  }

  function postJSON(path, body) {
    return api(path, { method: 'POST', headers: { Accept: 'application/json', 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  }

  // Layers come in the basemap's datum: GCJ-02 for Amap/Tencent tiles, WGS84 otherwise.
  // Every feature of a collection, page after page by its `next` links (a prefecture has more
  // cameras than one page holds).
  async function allFeatures(path) {
    const first = await api(path);
    let page = first;
    for (let n = 0; n < 100; n++) {
      const next = (page.links || []).find((l) => l.rel === 'next');
      if (!next) break;
      page = await api(next.href);
      first.features.push(...page.features);
    }
    return first;
  }

  function inCRS(path) {
    const crs = page.config.crs;
    if (crs.endsWith('CRS84')) return path;
    return path + (path.includes('?') ? '&' : '?') + 'crs=' + encodeURIComponent(crs);
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v; else if (k === 'class') e.className = v; else e.setAttribute(k, v);
    }
    for (const c of children || []) e.append(c);
    return e;
  }

  function rate(x) { return x == null ? '–' : (x * 100).toFixed(1) + '%'; }
  function notice(text) { document.getElementById('notice').textContent = text; }

  // ---- start ----

  async function start() {
    [page.config, page.who] = await Promise.all([api('/map/config.json'), api('/api/session')]);
    if (!page.who.role) return signIn();
    document.getElementById('county').textContent = page.config.county || '';
    const who = document.getElementById('who');
    who.replaceChildren(page.who.name + ' (' + page.who.role + ')', el('button', { type: 'button', text: 'sign out' }));
    who.querySelector('button').addEventListener('click', async () => { await api('/api/session', { method: 'DELETE' }); location.reload(); });

    makeMap();
    // How long each layer took from the start (ms since navigation), for operators and the benchmark.
    page.timings = {};
    const timed = (name, p) => p.then((v) => { page.timings[name] = Math.round(performance.now()); return v; });
    const tasks = [timed('boundaries', drawBoundaries()), timed('grids', drawGrids()), timed('cameras', drawCameras()),
      timed('cases', drawCases()), timed('figures', figures(true))];
    if (page.who.role !== 'worker') tasks.push(timed('warnings', warnings()));
    tasks.push(timed('patrol', patrol()));
    if (page.who.role === 'dispatcher') tasks.push(timed('workers', drawWorkers()));
    if (page.who.role === 'planner' || page.who.role === 'viewer') tasks.push(plans());
    const results = await Promise.allSettled(tasks);
    page.errors = results.filter((r) => r.status === 'rejected').map((r) => String(r.reason && r.reason.stack || r.reason));
    if (page.errors.length) notice(page.errors.join('; '));
    recolourGrids();
    page.map.on('moveend', () => drawCameraViews().catch((e) => notice(e.message)));
    await drawCameraViews().catch((e) => notice(e.message));
    listen();
    setInterval(() => figures(true).catch((e) => notice(e.message)), 60000);
    setInterval(() => patrol().then(recolourGrids).catch((e) => notice(e.message)), 300000);
    if (page.who.role !== 'worker') setInterval(() => warnings().then(recolourGrids).catch((e) => notice(e.message)), 600000);
    page.ready = true;
    page.renderedAt = performance.now();
    document.body.dataset.ready = 'true';
  }

  function signIn() {
    const form = document.getElementById('signin');
    form.hidden = false;
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        await postJSON('/api/session', { token: document.getElementById('token').value.trim() });
        location.reload();
      } catch (e) {
        document.getElementById('signin-error').textContent = e.message;
      }
    });
  }

  function makeMap() {
    // Marker clustering needs the zoom range; 19 is street level, as far as the layers go.
    const map = L.map('map', { zoomControl: true, preferCanvas: false, minZoom: 5, maxZoom: 19, zoomSnap: 0.25 });
    page.map = map;
    const b = page.config.basemap;
    if (b) {
      // A basemap that cannot be reached leaves the layers drawn on the plain background.
      let failed = 0;
      L.tileLayer(b.url, { attribution: b.attribution, maxZoom: b.max_zoom, subdomains: '1234' })
        .on('tileerror', () => { if (++failed === 1) notice('basemap unreachable: drawing without it'); })
        .addTo(map);
    }
    for (const [name, z] of [['boundaries', 410], ['grids', 420], ['problems', 430], ['cases', 640]]) {
      map.createPane(name).style.zIndex = z;
    }
    const bounds = page.config.bounds;
    if (bounds) map.fitBounds([[bounds[0][1], bounds[0][0]], [bounds[1][1], bounds[1][0]]]);
    else map.setView([30.8, 106.9], 10);
    L.control.scale({ imperial: false }).addTo(map);
  }

  // ---- layers ----

  async function drawBoundaries() {
    const fc = await allFeatures(inCRS('/collections/boundaries/items?limit=10000&zoom=12'));
    L.geoJSON(fc, {
      pane: 'boundaries', interactive: false,
      filter: (f) => f.properties.level !== 'county',
      style: (f) => f.properties.level === 'town'
        ? { color: '#10263f', weight: 2.5, fill: false, className: 'wg-town' }
        : { color: '#52606d', weight: 1, dashArray: '4 3', fill: false, className: 'wg-village' },
    }).addTo(page.map);
  }

  async function drawGrids() {
    const fc = await allFeatures(inCRS('/collections/grids/items?limit=10000&zoom=14'));
    if (page.grids) page.map.removeLayer(page.grids);   // a new layer was published: redraw
    page.gridFeatures.clear();
    for (const f of fc.features) page.gridFeatures.set(f.properties.grid_id, f.properties);
    page.grids = L.geoJSON(fc, {
      pane: 'grids',
      style: () => ({ color: '#3d4f63', weight: 0.6, fillOpacity: 0.55, className: 'wg-grid' }),
      onEachFeature: (f, layer) => {
        layer.on('click', (ev) => gridPopup(f.properties, ev.latlng));
        layer.on('add', () => { const e = layer.getElement(); if (e) e.dataset.gridId = f.properties.grid_id; });
      },
    }).addTo(page.map);
  }

  async function drawCameras() {
    const fc = await allFeatures(inCRS('/collections/cameras/items?limit=10000'));
    page.cameraLayer = L.markerClusterGroup({ animate: false, showCoverageOnHover: false, maxClusterRadius: 50, disableClusteringAtZoom: 15 });
    const markers = fc.features.map((f) => {
      const [lon, lat] = f.geometry.coordinates;
      const p = f.properties;
      return L.circleMarker([lat, lon], { radius: 5, color: '#fff', weight: 1.5, fillColor: CAMERA_COLOURS[p.kind] || '#6a3d9a', fillOpacity: 1, className: 'wg-camera' })
        .bindTooltip(p.name + ' · ' + p.kind);
    });
    page.cameraLayer.addTo(page.map);
    page.cameraLayer.addLayers(markers);   // in bulk: clustering thousands one by one is what costs
    page.cameraCount = fc.features.length;
  }

  // Camera view areas (视域): only close up, where they can be told apart, and only those in view.
  const VIEW_ZOOM = 16;
  async function drawCameraViews() {
    const map = page.map;
    if (!map.getPane('views')) map.createPane('views').style.zIndex = 425;
    if (page.viewLayer) { map.removeLayer(page.viewLayer); page.viewLayer = null; }
    page.viewCount = 0;
    if (map.getZoom() < VIEW_ZOOM) return;
    const b = map.getBounds();
    const bbox = [b.getWest(), b.getSouth(), b.getEast(), b.getNorth()].map((v) => v.toFixed(7)).join(',');
    const crs = page.config.crs ? '&bbox-crs=' + encodeURIComponent(page.config.crs) : '';
    const fc = await api(inCRS('/collections/camera_views/items?limit=2000&bbox=' + bbox + crs));
    if (page.viewLayer) map.removeLayer(page.viewLayer);   // a later move drew first
    page.viewLayer = L.geoJSON(fc, {
      pane: 'views',
      style: (f) => ({ color: CAMERA_COLOURS[f.properties.kind] || '#6a3d9a', weight: 1, fillOpacity: 0.18, className: 'wg-camera-view' }),
      onEachFeature: (f, layer) => layer.bindTooltip(f.properties.camera_id + ' → ' + (f.properties.grid_id || 'no grid')),
    }).addTo(map);
    page.viewCount = fc.features.length;
    document.body.dataset.cameraViews = String(page.viewCount);
  }

  async function drawCases() {
    page.caseLayer = L.featureGroup().addTo(page.map);
    const fc = await allFeatures(inCRS('/collections/cases/items?limit=10000&status=' + OPEN.join(',')));
    for (const f of fc.features) putCase(f.properties, f.geometry.coordinates);
    showOpenCount();
  }

  function caseStyle(p) {
    return {
      pane: 'cases', radius: p.priority === 'urgent' ? 7 : 5, fillColor: STATUS_COLOURS[p.status] || '#999', fillOpacity: 0.95,
      color: p.overdue ? '#000' : '#fff', weight: p.overdue ? 2.5 : 1, dashArray: p.overdue ? '2 2' : null, className: 'wg-case',
    };
  }

  // Adds, moves or restyles a case's marker; closed ones leave the map.
  function putCase(p, lonlat) {
    const id = p.case_id;
    const known = page.cases.get(id);
    if (!OPEN.includes(p.status)) {
      if (known) { page.caseLayer.removeLayer(known.marker); page.cases.delete(id); }
      return;
    }
    if (known) {
      known.props = p;
      known.marker.setStyle(caseStyle(p));
      if (lonlat) known.marker.setLatLng([lonlat[1], lonlat[0]]);
      tag(known.marker, p);
      return;
    }
    const m = L.circleMarker([lonlat[1], lonlat[0]], caseStyle(p));
    m.on('click', (ev) => { L.DomEvent.stopPropagation(ev); casePopup(id, ev.latlng); });
    page.caseLayer.addLayer(m);
    page.cases.set(id, { marker: m, props: p });
    tag(m, p);
  }

  function tag(marker, p) {
    const e = marker.getElement && marker.getElement();
    if (!e) return;
    e.dataset.caseId = p.case_id;
    e.dataset.status = p.status;
    e.dataset.overdue = p.overdue ? 'true' : 'false';
  }

  function openByGrid() {
    const counts = new Map();
    for (const { props } of page.cases.values()) if (props.grid_id) counts.set(props.grid_id, (counts.get(props.grid_id) || 0) + 1);
    return counts;
  }

  function recolourGrids() {
    if (!page.grids) return;
    const counts = openByGrid();
    page.grids.eachLayer((layer) => {
      const p = layer.feature.properties;
      let fill;
      if (page.colourBy === 'band') fill = BAND_COLOURS[p.band];
      else if (page.colourBy === 'risk') fill = PATTERN_COLOURS[page.risk.get(p.grid_id)] || '#f7f7f7';
      else if (page.colourBy === 'patrol') { const c = (page.patrol.get(p.grid_id) || {}).coverage || 0; fill = COVERAGE_STEPS.filter(([min]) => c >= min).pop()[1]; }
      else { const n = counts.get(p.grid_id) || 0; fill = OPEN_STEPS.filter(([min]) => n >= min).pop()[1]; }
      layer.setStyle({ fillColor: fill });
    });
    legend();
  }

  function legend() {
    const box = document.getElementById('legend');
    const present = new Set(page.risk.values());
    const rows = page.colourBy === 'band'
      ? [['under', 'under 300 households'], ['within', '300–500 households'], ['over', 'over 500 households']].map(([k, t]) => [BAND_COLOURS[k], t])
      : page.colourBy === 'risk'
        ? Object.keys(PATTERN_COLOURS).filter((k) => present.has(k)).map((k) => [PATTERN_COLOURS[k], (PATTERN_NAMES[k] || k.replace('_', ' ')) + ' (' +
            [...page.risk.values()].filter((v) => v === k).length + ')']).concat([['#f7f7f7', '无模式 no pattern']])
        : page.colourBy === 'patrol'
          ? COVERAGE_STEPS.map(([, c, t]) => [c, t]).concat([['#ffffff', '半日1巡 ' + [...page.patrol.values()].filter((r) => r.half_daily).length + ' of ' + page.patrol.size + ' grids walked morning and afternoon']])
          : OPEN_STEPS.map(([, c, t]) => [c, t + ' open case' + (t === '1' ? '' : 's')]);
    box.replaceChildren(...rows.map(([c, t]) => el('div', { class: 'legend-row' }, [el('span', { class: 'swatch', style: 'background:' + c }), t])));
    const status = document.getElementById('status-legend');
    status.replaceChildren(...OPEN.map((s) => el('div', { class: 'legend-row' }, [el('span', { class: 'dot', style: 'background:' + STATUS_COLOURS[s] }), s])),
      el('div', { class: 'legend-row' }, [el('span', { class: 'dot', style: 'background:#fff;box-shadow:0 0 0 2px #000' }), 'overdue (black ring)']),
      ...[['tianwang', '天网 cameras'], ['xueliang', '雪亮 cameras'], ['', 'other cameras (numbers: clusters)']].map(([k, t]) =>
        el('div', { class: 'legend-row' }, [el('span', { class: 'dot', style: 'border-radius:0;background:' + (CAMERA_COLOURS[k] || '#6a3d9a') }), t])));
  }

  // ---- field work ----

  // Today's patrol figures per grid (every role sees these; workers their own grids).
  async function patrol() {
    const r = await api('/api/patrol?by=grid');
    page.patrol = new Map(r.grids.map((g) => [g.grid_id, g]));
  }

  // Dispatchers: the workers' last positions (grey when older than 15 minutes); a click draws
  // the worker's track of today.
  async function drawWorkers() {
    const fc = await api(inCRS('/api/workers/positions'));
    if (page.workerLayer) page.map.removeLayer(page.workerLayer);
    page.workerLayer = L.geoJSON(fc, {
      pane: 'cases',
      pointToLayer: (f, at) => L.circleMarker(at, { radius: 5, weight: 2, color: '#fff', fillColor: f.properties.fresh ? '#1a9850' : '#969696',
        fillOpacity: 1, className: 'wg-worker' }),
      onEachFeature: (f, layer) => layer.on('click', () => drawTrack(f.properties, layer.getLatLng())),
    }).addTo(page.map);
    document.body.dataset.workers = String(fc.features.length);
  }

  async function drawTrack(p, at) {
    const fc = await api(inCRS('/api/workers/' + p.worker_id + '/tracks'));
    if (page.trackLayer) page.map.removeLayer(page.trackLayer);
    page.trackLayer = L.geoJSON(fc, { pane: 'cases', style: () => ({ color: '#d95f02', weight: 3, className: 'wg-track' }) }).addTo(page.map);
    const f = fc.features[0];
    if (f) page.map.fitBounds(page.trackLayer.getBounds().extend(at), { maxZoom: 17, padding: [40, 40] });
    L.popup().setLatLng(at).setContent(el('div', { class: 'wg-popup' }, [
      el('h3', { text: p.name + ' (' + p.role + ')' }),
      table([['grids 网格', p.grids.join(', ')], ['last seen 最近定位', p.at + ' (' + p.minutes_ago + ' min)'],
        ['today 今日轨迹', f ? f.properties.fixes + ' fixes, ' + f.properties.first.slice(11, 16) + '–' + f.properties.last.slice(11, 16) : 'none']])])).openOn(page.map);
  }

  let workersTimer = null;
  function workersSoon() {
    if (workersTimer) return;
    workersTimer = setTimeout(() => { workersTimer = null; drawWorkers().catch((e) => notice(e.message)); }, 2000);
  }

  // ---- figures ----

  function showOpenCount() { document.getElementById('fig-open').textContent = String(page.cases.size); }

  // Today's count follows the events (a small query, debounced); the year's rates change slowly
  // and are asked for once a minute, so that many screens over a busy county do not each query a
  // whole year per event.
  async function figures(withYear) {
    showOpenCount();
    if (page.who.role === 'worker') return;   // figures are for the centre's roles
    const now = new Date();
    const midnight = new Date(now.getFullYear(), now.getMonth(), now.getDate());
    const iso = (d) => d.toISOString().replace(/\.\d{3}Z$/, 'Z');
    const [today, year] = await Promise.all([api('/api/stats?from=' + iso(midnight)), withYear ? api('/api/stats') : null]);
    const t = today.figures[0];
    document.getElementById('fig-received-today').textContent = String(t ? t.received : 0);
    if (!year) return;
    const y = year.figures[0];
    document.getElementById('fig-success').textContent = rate(y && y.success_rate);
    document.getElementById('fig-closure').textContent = rate(y && y.closure_rate);
  }

  // Early warnings (预测预警): the count in the header, the list in the panel, the patterns for
  // the grid colours. Weekly figures: asked for at start and every ten minutes.
  async function warnings() {
    // Last month's report (按月发布分析报告), printed on demand.
    const link = document.getElementById('report-link');
    const d = new Date(Date.now() + 8 * 3600 * 1000);   // China time
    const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() - 1, 1));
    link.href = '/api/reports/' + last.toISOString().slice(0, 7) + '.pdf';
    link.hidden = !!(page.who.area && page.who.area.length !== 6);
    const w = await api('/api/warnings');
    page.risk = new Map(Object.entries(w.patterns));
    page.warnings = w;
    document.getElementById('fig-warnings').textContent = String(w.count);
    const list = document.getElementById('warning-list');
    list.replaceChildren(...w.warnings.slice(0, 30).map((x) => {
      const where = x.name || x.grid_id || (x.code ? '案件 ' + x.code : '');
      const item = el('li', { class: 'warning warning-' + x.kind }, [el('strong', { text: where }), ' ' + x.message]);
      item.addEventListener('click', () => {
        if (!page.grids || !x.grid_id) return;
        page.grids.eachLayer((layer) => { if (layer.feature.properties.grid_id === x.grid_id) page.map.fitBounds(layer.getBounds()); });
      });
      return item;
    }));
    document.getElementById('warnings').hidden = false;
  }

  let figuresTimer = null;
  function figuresSoon() {
    showOpenCount();
    clearTimeout(figuresTimer);
    figuresTimer = setTimeout(() => figures(false).catch((e) => notice(e.message)), 1000);
  }

  // ---- live ----

  function listen() {
    const state = document.getElementById('live-state');
    const source = new EventSource('/api/events');
    source.onopen = () => { state.textContent = 'live: connected'; };
    source.onerror = () => { state.textContent = 'live: reconnecting…'; };
    source.addEventListener('case', async (ev) => {
      const e = JSON.parse(ev.data);
      const p = e.case;
      let lonlat = p.location;
      if (!page.config.crs.endsWith('CRS84') && OPEN.includes(p.status)) {
        // The feed speaks WGS84; ask for this case in the map's datum.
        try { lonlat = (await api(inCRS('/collections/cases/items/' + p.case_id))).geometry.coordinates; } catch (err) { return; }
      }
      delete p.location;
      putCase(p, lonlat);
      recolourGrids();
      page.gridStats = null;
      page.lastEventID = e.event_id;
      figuresSoon();
    });
    // A worker's phone reported (dispatchers only): positions drawn again, a few at a time.
    source.addEventListener('position', () => workersSoon());
    // A grid layer published anywhere (this server, the CLI): the grids are drawn again.
    source.addEventListener('layer', async (ev) => {
      page.layerVersion = JSON.parse(ev.data).layer_version;
      try { await drawGrids(); recolourGrids(); page.gridStats = null; } catch (err) { notice(err.message); }
      document.body.dataset.layerVersion = String(page.layerVersion);
    });
  }

  // ---- popups ----

  async function gridStats() {
    if (page.gridStats && performance.now() - page.gridStatsAt < 30000) return page.gridStats;
    const s = await api('/api/stats?by=grid');
    page.gridStats = new Map(s.figures.map((f) => [f.key, f]));
    page.gridStatsAt = performance.now();
    return page.gridStats;
  }

  function table(rows) {
    return el('table', {}, rows.map(([k, v]) => el('tr', {}, [el('td', { text: k }), el('td', { text: v == null ? '–' : String(v) })])));
  }

  async function gridPopup(p, latlng) {
    const box = el('div', { class: 'wg-popup wg-grid-popup' }, [el('h3', { text: p.name + ' ' + p.grid_id })]);
    const popup = L.popup({ maxWidth: 320 }).setLatLng(latlng).setContent(box).openOn(page.map);
    const open = openByGrid().get(p.grid_id) || 0;
    const rows = [['village 村/社区', p.village], ['town 乡镇', p.town], ['households 户数', p.households + ' (' + p.band + ' 300–500)'],
      ['population 人口', p.population], ['open cases 在办', open]];
    const walked = page.patrol.get(p.grid_id);
    if (walked) rows.push(['patrol today 今日巡查', (walked.morning_pass ? '上午 ✓' : '上午 ✗') + ' ' + (walked.afternoon_pass ? '下午 ✓' : '下午 ✗') + ', coverage ' + rate(walked.coverage)]);
    box.append(table(rows));
    try {
      const [duty, stats] = await Promise.all([api('/api/grids/' + p.grid_id + '/duty'),
        page.who.role === 'worker' ? Promise.resolve(null) : gridStats()]);
      const d = duty.on_duty;
      const f = stats && stats.get(p.grid_id);
      box.append(table([
        ['on duty 在岗', d ? d.name + ' (' + d.role + ')' : 'none'],
        ['leader 网格长', duty.leader ? duty.leader.name : '–'],
        ['workers 网格员', duty.workers.map((w) => w.name).join(', ') || '–'],
        ['success rate 化解率', rate(f && f.success_rate)], ['closure rate 办结率', rate(f && f.closure_rate)],
        ['received (365 d)', f ? f.received : 0],
      ]));
    } catch (e) {
      box.append(el('p', { class: 'error', text: e.message }));
    }
    popup.update();
  }

  async function casePopup(id, latlng) {
    const box = el('div', { class: 'wg-popup wg-case-popup' }, [el('h3', { text: 'case ' + id })]);
    const popup = L.popup({ maxWidth: 360 }).setLatLng(latlng).setContent(box).openOn(page.map);
    try {
      const c = await api('/api/cases/' + id);
      box.querySelector('h3').textContent = c.category + ' · ' + c.status + ' · ' + c.code;
      box.append(table([['grid', c.grid_id], ['unit', c.assignee.unit_name], ['priority', c.priority], ['reported', c.reported_at],
        ['due', c.due_at], ['flags', c.flags.join(', ') || '–']]));
      box.append(el('ol', { class: 'timeline' }, (c.events || []).map((e) =>
        el('li', { text: e.at.replace('T', ' ').replace(/\..*$/, '') + ' ' + e.action + (e.to ? ' → ' + e.to : '') + (e.unit ? ' @' + e.unit : '') }))));
      // Reassignment is assigned → assigned (or reported/escalated → assigned), as the lifecycle allows.
      if (page.who.role === 'dispatcher' && c.grid_id && ['reported', 'assigned', 'escalated'].includes(c.status)) {
        box.append(await reassignForm(c, popup));
      }
    } catch (e) {
      box.append(el('p', { class: 'error', text: e.message }));
    }
    popup.update();
  }

  // A dispatcher hands a case to another worker of its grid (reassignment keeps the history).
  async function reassignForm(c, popup) {
    const duty = await api('/api/grids/' + c.grid_id + '/duty');
    const select = el('select', { name: 'worker' }, duty.workers.map((w) => el('option', { value: 'worker:' + w.worker_id, text: w.name + ' (' + w.role + ')' })));
    const note = el('input', { name: 'note', placeholder: 'note' });
    const result = el('p', { class: 'muted' });
    const form = el('form', { class: 'reassign' }, [el('strong', { text: 'reassign 改派 ' }), select, note, el('button', { type: 'submit', text: 'assign' }), result]);
    form.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      try {
        const r = await postJSON('/api/cases/' + c.id + '/transitions', { to: 'assigned', target: select.value, note: note.value || undefined });
        result.textContent = 'assigned to ' + r.assignee.unit_name;
      } catch (e) {
        result.textContent = e.message;
        result.className = 'error';
      }
      popup.update();
    });
    return form;
  }

  // ---- planner view ----

  async function plans() {
    const list = await api('/api/plans');
    const section = document.getElementById('plan-view');
    const select = document.getElementById('plan-select');
    for (const p of list.filter((p) => p.status === 'draft')) select.append(el('option', { value: p.id, text: '#' + p.id + ' ' + p.name }));
    section.hidden = false;
    const show = async (id) => {
      await showProblems(id);
      if (page.editor) await page.editor.open(id || null);
    };
    select.addEventListener('change', () => show(select.value).catch((e) => notice(e.message)));
    const wanted = new URLSearchParams(location.search).get('plan');
    if (wanted) { select.value = wanted; await show(wanted); }
  }

  async function showProblems(planID) {
    drawProblems(await api(inCRS(planID ? '/api/plans/' + planID + '/validation' : '/api/grids/validation')));
  }

  // The problems the server found (a validation, or the answer to an edit), drawn and listed.
  function drawProblems(fc) {
    if (page.planLayer) page.map.removeLayer(page.planLayer);
    page.planLayer = L.geoJSON(fc, {
      pane: 'problems', interactive: false,   // clicks go through to the plan's grids and vertices
      style: () => ({ color: '#b3261e', weight: 3, fillColor: '#b3261e', fillOpacity: 0.35, className: 'wg-problem' }),
      pointToLayer: (f, latlng) => L.circleMarker(latlng, { pane: 'problems', radius: 7, color: '#b3261e', className: 'wg-problem', interactive: false }),
    }).addTo(page.map);
    const kinds = {};
    for (const f of fc.features) kinds[f.properties.problem] = (kinds[f.properties.problem] || 0) + 1;
    document.getElementById('plan-summary').textContent = fc.features.length + ' problem' + (fc.features.length === 1 ? '' : 's') +
      (fc.features.length ? ': ' + Object.entries(kinds).map(([k, n]) => n + ' ' + k).join(', ') : '');
    document.getElementById('plan-problems').replaceChildren(...fc.features.slice(0, 200).map((f) =>
      el('li', { text: f.properties.problem + ' ' + f.properties.grid_ids.join(', ') + ': ' + f.properties.detail })));
  }

  // What the plan editor (plan-editor.js) uses of this page.
  page.lib = { api, postJSON, inCRS, el, notice, drawProblems, BAND_COLOURS };

  // ---- wiring ----

  for (const input of document.querySelectorAll('input[name=colour]')) {
    input.addEventListener('change', () => { page.colourBy = input.value; recolourGrids(); });
  }
  start().catch((e) => { notice(e.message); console.warn(e); });
})();
