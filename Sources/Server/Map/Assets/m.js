// The grid worker's phone (网格通): my cases, report, patrol, my key households, over the same
// APIs as every client. What cannot be sent now (a step, a report, positions, the track) waits in
// the browser's storage and goes when the network is back, each with its Idempotency-Key.
'use strict';
(function () {
  const CATEGORIES = { labour: '劳动争议', land: '土地纠纷', neighbour: '邻里纠纷', family: '婚姻家庭', property: '物业纠纷',
    consumer: '消费纠纷', traffic: '交通事故', debt: '债务纠纷', other: '其他' };
  const STATUSES = { reported: '已受理', assigned: '已分派', accepted: '已接单', mediating: '调解中', resolved: '已化解',
    escalated: '已上报', closed: '已办结', rated: '已评价' };
  // The steps a worker takes; the server says which are allowed now (`next`).
  const STEPS = [['accepted', '接单 Accept'], ['mediating', '开始调解 Start mediation'],
    ['resolved', '化解 Resolve (with a note)'], ['escalated', '上报 Escalate (with a reason)']];
  const NEEDS_NOTE = { resolved: '请写明化解情况 Say how it was resolved', escalated: '请写明上报原因 Say why it goes up' };
  const OPEN = 'reported,assigned,accepted,mediating,escalated';
  const TRACK_BATCH = 10;   // fixes per track upload while a patrol runs

  const page = {
    who: null, here: null, cases: [], open: null, seen: new Set(), fresh: new Set(),
    patrolWatch: null, ready: false, fixCount: 0,
    // The page's clock for fixes; a test may emulate a walk by replacing it.
    clock: () => Date.now(),
  };
  window.wangge = page;
  const $ = (id) => document.getElementById(id);

  // ---- HTTP ----

  class HTTPError extends Error {
    constructor(status, problem) { super(problem.detail || problem.title || String(status)); this.status = status; this.problem = problem; }
  }

  async function api(path, options) {
    const init = Object.assign({ credentials: 'same-origin' }, options || {});
    init.headers = Object.assign({ Accept: 'application/json' }, init.headers || {});
    const r = await fetch(path, init);
    if (!r.ok) {
      let problem = {};
      try { problem = await r.json(); } catch (e) { /* not JSON */ }
      throw new HTTPError(r.status, problem);
    }
    return r.status === 204 ? null : r.json();
  }

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === 'text') e.textContent = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
    }
    for (const c of children || []) if (c) e.append(c);
    return e;
  }

  // A notice goes after a while; an error stays until the next message.
  let sayTimer = null;
  function say(text, isError) {
    const m = $('message');
    m.textContent = text;
    m.className = isError ? 'error' : '';
    m.hidden = !text;
    clearTimeout(sayTimer);
    if (text && !isError) sayTimer = setTimeout(() => { m.hidden = true; }, 8000);
  }

  function newKey() {
    const b = new Uint8Array(16);
    crypto.getRandomValues(b);
    return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
  }

  // Metres between two [lon, lat] (haversine; the distances shown are a walk's, not a survey's).
  function metres(a, b) {
    const r = Math.PI / 180, dLat = (b[1] - a[1]) * r, dLon = (b[0] - a[0]) * r;
    const h = Math.sin(dLat / 2) ** 2 + Math.cos(a[1] * r) * Math.cos(b[1] * r) * Math.sin(dLon / 2) ** 2;
    return 2 * 6371008.8 * Math.asin(Math.sqrt(h));
  }
  function distanceText(to) {
    if (!page.here) return '';
    const m = metres(page.here, to);
    return m < 1000 ? Math.round(m) + ' 米' : (m / 1000).toFixed(1) + ' 公里';
  }

  // ---- the outbox: what waits for the network ----

  const outbox = {
    name: () => 'wangge.outbox.' + (page.who ? page.who.worker_id : ''),
    items: [],
    busy: false,
    load() { try { this.items = JSON.parse(localStorage.getItem(this.name()) || '[]'); } catch (e) { this.items = []; } },
    save() { localStorage.setItem(this.name(), JSON.stringify(this.items)); showOutbox(); },
    add(item) {
      item.key = item.key || newKey();
      // Only the newest position matters to dispatch; the track keeps every fix.
      if (item.kind === 'position') this.items = this.items.filter((i) => i.kind !== 'position');
      this.items.push(item);
      this.save();
      return this.flush();
    },
    async flush() {
      if (this.busy) return;
      this.busy = true;
      try {
        while (this.items.length && navigator.onLine !== false) {
          const item = this.items[0];
          let reply, failure;
          try { reply = await send(item); } catch (e) {
            if (!(e instanceof HTTPError)) break;              // no network: try again later
            if (e.status >= 500 || e.status === 429 || e.status === 408) break;   // the server asks for a retry
            failure = e;
          }
          this.items.shift();
          this.save();
          try { await settled(item, reply, failure); } catch (e) { console.error(e); }
        }
      } finally { this.busy = false; showOutbox(); }
    },
  };

  function showOutbox() {
    const n = outbox.items.length, q = $('queue');
    q.hidden = n === 0;
    const kinds = {};
    for (const i of outbox.items) kinds[i.kind] = (kinds[i.kind] || 0) + 1;
    const names = { step: '步骤', report: '上报', position: '位置', track: '轨迹', photo: '照片' };
    q.textContent = '待发送 ' + n + ': ' + Object.entries(kinds).map(([k, c]) => (names[k] || k) + ' ' + c).join(', ');
    q.title = n + ' waiting for the network';
  }

  function send(item) {
    const headers = { 'Idempotency-Key': item.key };
    switch (item.kind) {
      case 'step':
        return api('/api/cases/' + item.caseID + '/transitions', { method: 'POST', headers: Object.assign(headers, { 'Content-Type': 'application/json' }), body: JSON.stringify(item.body) });
      case 'report':
        return api('/api/cases', { method: 'POST', headers: Object.assign(headers, { 'Content-Type': 'application/json' }), body: JSON.stringify(item.body) });
      case 'position':
        return api('/api/workers/' + page.who.worker_id + '/position', { method: 'POST', headers: Object.assign(headers, { 'Content-Type': 'application/json' }), body: JSON.stringify(item.body) });
      case 'track':
        return api('/api/workers/' + page.who.worker_id + '/tracks', { method: 'POST', headers: Object.assign(headers, { 'Content-Type': 'application/gpx+xml' }), body: item.gpx });
      case 'photo':
        return api('/api/cases/' + item.caseID + '/photos', { method: 'POST', headers: Object.assign(headers, { 'Content-Type': 'image/jpeg' }), body: jpegBytes(item.photo) });
    }
    return Promise.resolve(null);
  }

  // What the page shows once an item has gone (or was refused for good).
  async function settled(item, reply, failure) {
    if (item.kind === 'step') {
      if (failure && failure.status === 409) say('案件已被他人处理，状态已更新 The case was moved by someone else: ' + failure.message, true);
      else if (failure && failure.status === 403) say('这不是您网格的案件 Not a case of your grids: ' + failure.message, true);
      else if (failure) say(failure.message, true);
      else say('已提交 Sent: ' + (STATUSES[reply.status] || reply.status));
      await loadCases();
      if (page.open === item.caseID) await openCase(item.caseID);
    } else if (item.kind === 'report') {
      if (failure) { $('report-result').textContent = '上报未成功 Not taken: ' + failure.message; return; }
      $('report-result').textContent = '已上报 Reported: 解纷码 ' + reply.code + ' · ' + (reply.grid_id || '');
      $('report-result').dataset.caseId = reply.id;
      // The photo follows the case it belongs to, once the case has an id.
      for (const photo of item.photos || []) outbox.add({ kind: 'photo', caseID: reply.id, photo });
      await loadCases();
    } else if (item.kind === 'track' && !failure) {
      loadPatrol();
    } else if (item.kind === 'photo') {
      $('report-result').dataset.photos = failure ? 'refused' : String(reply.photos);
      if (failure) say('照片未能上传 The photo was not taken: ' + failure.message, true);
    }
  }

  // ---- sign-in ----

  // What the phone last showed (who and the open cases): the page is usable from it at once, on
  // a slow network or none, and brought up to date when the server answers.
  const lastName = 'wangge.m.last';
  function lastSeen() { try { return JSON.parse(localStorage.getItem(lastName) || 'null'); } catch (e) { return null; } }

  async function start() {
    const last = lastSeen();
    if (last && last.who && last.who.worker_id) {
      page.who = last.who;
      page.cases = last.cases || [];
      show();
      renderCases();
      interactive();
    }
    // Asked together: on a slow network each round trip is seconds (a caller who is not a worker
    // is refused the list, which is then not used).
    const listed = api('/api/cases?status=' + OPEN + '&limit=200');
    listed.catch(() => { /* answered below, or not needed */ });
    let who;
    try { who = await api('/api/session'); } catch (e) {
      if (page.ready && !(e instanceof HTTPError)) { say('离线：显示上次的信息 Offline: as last seen', true); retryLater(); return; }
      throw e;
    }
    if (!who.role) { localStorage.removeItem(lastName); hideApp(); showSignIn(); return; }
    if (who.role !== 'worker' || !who.worker_id) {
      hideApp();
      say('此页面供网格员使用 This page is for grid workers; your token is a ' + who.role + "'s. The map is at /map.", true);
      return;
    }
    if (!page.who || page.who.worker_id !== who.worker_id) { page.cases = []; page.ready = false; }
    page.who = who;
    show();
    try { showCases(await listed); } catch (e) { await loadCases(); }
    follow();
    interactive();
    outbox.flush();
    if (localStorage.getItem(trackName() + '.on')) startPatrol();
  }

  // Offline at opening: the server is asked again when the network is back.
  function retryLater() {
    window.addEventListener('online', () => { start().catch((e) => say(e.message, true)); }, { once: true });
  }

  let shown = false;
  function show() {
    $('who').textContent = page.who.name;
    $('signin').hidden = true;
    $('app').hidden = false;
    $('tabs').hidden = false;
    if (shown) return;
    shown = true;
    outbox.load();
    showOutbox();
    watchHere();
    fillCategories();
  }
  function hideApp() { $('app').hidden = true; $('tabs').hidden = true; }

  function interactive() {
    if (page.ready) return;
    page.ready = true;
    document.body.dataset.ready = 'true';
    document.body.dataset.interactiveMs = String(Math.round(performance.now()));
  }

  function showSignIn() {
    $('signin').hidden = false;
    $('token').focus();
  }

  $('signin').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    $('signin-error').textContent = '';
    try {
      await api('/api/session', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ token: $('token').value.trim() }) });
      await start();
    } catch (e) { $('signin-error').textContent = '登录失败 Sign-in failed: ' + e.message; }
  });

  // ---- tabs ----

  document.querySelectorAll('nav#tabs button').forEach((b) => b.addEventListener('click', () => showTab(b.dataset.tab)));
  function showTab(name) {
    document.querySelectorAll('nav#tabs button').forEach((b) => b.classList.toggle('on', b.dataset.tab === name));
    document.querySelectorAll('main > section').forEach((s) => { s.hidden = s.dataset.tab !== name; });
    if (name === 'patrol') loadPatrol();
    if (name === 'households') loadHouseholds();
    if (name === 'report') showWhere();
  }
  page.showTab = showTab;

  // ---- where I am ----

  function watchHere() {
    if (!navigator.geolocation) return;
    navigator.geolocation.watchPosition((p) => {
      page.here = [p.coords.longitude, p.coords.latitude];
      page.accuracy = p.coords.accuracy;
      showWhere();
      if (page.patrolWatch) fix(p);
    }, () => { /* no permission or no fix: distances stay blank */ }, { enableHighAccuracy: true, maximumAge: 10000 });
  }

  function showWhere() {
    $('report-where').textContent = page.here
      ? '位置 Where: ' + page.here[1].toFixed(5) + ', ' + page.here[0].toFixed(5) + (page.accuracy ? ' (±' + Math.round(page.accuracy) + ' 米)' : '')
      : '正在定位… Waiting for the phone\'s position';
  }

  // ---- my cases ----

  async function loadCases() {
    showCases(await api('/api/cases?status=' + OPEN + '&limit=200'));
  }

  function showCases(list) {
    page.cases = list.cases;
    localStorage.setItem(lastName, JSON.stringify({ who: page.who, cases: page.cases }));
    renderCases();
  }

  function renderCases() {
    // Overdue first, then newest.
    page.cases.sort((a, b) => (b.flags.includes('overdue') - a.flags.includes('overdue')) || b.reported_at.localeCompare(a.reported_at));
    $('case-count').textContent = '(' + page.cases.length + ')';
    const ol = $('cases');
    ol.replaceChildren(...page.cases.map((c) => {
      const li = el('li', { 'data-case': c.id, onclick: () => openCase(c.id) }, [
        el('strong', { text: (CATEGORIES[c.category] || c.category) + (c.priority === 'urgent' ? ' · 紧急' : '') }),
        el('div', { class: 'meta', text: (STATUSES[c.status] || c.status) + ' · ' + c.reported_at.slice(5, 16).replace('T', ' ') +
          (c.due_at ? ' · 期限 ' + c.due_at.slice(5, 16).replace('T', ' ') : '') + (distanceText(c.location) ? ' · ' + distanceText(c.location) : '') }),
      ]);
      if (c.flags.includes('overdue')) li.classList.add('overdue');
      if (page.fresh.has(c.id)) li.classList.add('new');
      return li;
    }));
    for (const c of page.cases) page.seen.add(c.id);
  }

  async function openCase(id) {
    let c;
    try { c = await api('/api/cases/' + id); } catch (e) {
      // Without a network, the list's copy (the offline shortlist) is what the worker acts on.
      c = !(e instanceof HTTPError) && page.cases.find((x) => x.id === id);
      if (!c) {
        say(e.status === 403 ? '这不是您网格的案件 Not a case of your grids: ' + e.message : e.message, true);
        if (e.status === 403 || e.status === 404) closeCase();
        return;
      }
      say('离线：显示上次的信息 Offline: as last seen', true);
    }
    page.open = id;
    page.fresh.delete(id);
    $('cases').hidden = true;
    $('case').hidden = false;
    $('case').dataset.caseId = id;
    $('case').dataset.status = c.status;
    $('case-title').textContent = (CATEGORIES[c.category] || c.category) + ' · ' + c.code;
    const facts = [['状态 Status', STATUSES[c.status] || c.status], ['网格 Grid', c.grid_id || '—'], ['承办 With', c.assignee.unit_name],
      ['受理 Reported', c.reported_at.slice(0, 16).replace('T', ' ')], ['期限 Due', c.due_at ? c.due_at.slice(0, 16).replace('T', ' ') : '—'],
      ['距离 Distance', distanceText(c.location) || '—']];
    $('case-facts').replaceChildren(...facts.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
    $('case-description').textContent = c.description || '';
    $('case-parties').replaceChildren(...(c.parties || []).map((p) => el('li', {}, [
      el('span', { text: p.name + ' ' }), p.phone ? el('a', { href: 'tel:' + p.phone, text: p.phone }) : null])));
    $('case-events').replaceChildren(...(c.events || []).map((e) => el('li', { text:
      e.at.slice(5, 16).replace('T', ' ') + ' ' + (e.to ? (STATUSES[e.to] || e.to) : e.action) + (e.note ? ' — ' + e.note : '') + (e.actor ? ' (' + e.actor + ')' : '') })));
    const waiting = outbox.items.some((i) => i.kind === 'step' && i.caseID === id);
    $('steps').replaceChildren(...STEPS.filter(([to]) => c.next.includes(to)).map(([to, label]) =>
      el('button', { type: 'button', 'data-step': to, class: to === 'escalated' ? 'warn' : '', onclick: () => step(c, to) }, [label])));
    if (waiting) $('steps').prepend(el('p', { class: 'meta', text: '此案有步骤待发送 A step of this case is waiting for the network' }));
    smallMap(c);
  }

  function closeCase() {
    page.open = null;
    $('case').hidden = true;
    $('cases').hidden = false;
  }
  $('case-back').addEventListener('click', () => {
    closeCase();
    loadCases().catch(() => { /* offline: the list as last seen */ });
  });

  function step(c, to) {
    const note = $('step-note').value.trim();
    if (NEEDS_NOTE[to] && !note) { say(NEEDS_NOTE[to], true); $('step-note').focus(); return; }
    const body = { to };
    if (note) body.note = note;
    $('step-note').value = '';
    // Shown at once; the server's answer (now or when the network is back) has the last word.
    $('steps').replaceChildren(el('p', { class: 'meta', text: '正在提交 Sending: ' + (STATUSES[to] || to) }));
    outbox.add({ kind: 'step', caseID: c.id, body });
  }

  // The case's place on a small map: its grid and the point, over the basemap when there is one.
  let leaflet = null;
  function loadLeaflet() {
    if (leaflet) return leaflet;
    leaflet = new Promise((resolve, reject) => {
      const css = el('link', { rel: 'stylesheet', href: '/vendor/leaflet/leaflet.css' });
      document.head.append(css);
      const s = el('script', { src: '/vendor/leaflet/leaflet.min.js' });
      s.onload = () => resolve(window.L);
      s.onerror = () => { leaflet = null; reject(new Error('Leaflet is not installed')); };
      document.head.append(s);
    });
    return leaflet;
  }
  let config = null, mini = null, miniLayer = null;
  async function smallMap(c) {
    $('case-map-note').textContent = '';
    try {
      const L = await loadLeaflet();
      config = config || await api('/map/config.json');
      const crs = config.crs.endsWith('CRS84') ? '' : '?crs=' + encodeURIComponent(config.crs);
      if (!mini) {
        mini = L.map('case-map', { zoomControl: false, attributionControl: !!config.basemap });
        if (config.basemap) L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution, maxZoom: config.basemap.max_zoom }).addTo(mini);
      }
      if (miniLayer) miniLayer.remove();
      miniLayer = L.featureGroup().addTo(mini);
      const point = await api('/collections/cases/items/' + c.id + crs);
      if (c.grid_id) {
        try { L.geoJSON(await api('/collections/grids/items/' + c.grid_id + crs), { style: { color: '#1f3a5f', weight: 2, fillOpacity: 0.08 } }).addTo(miniLayer); } catch (e) { /* grid gone */ }
      }
      L.geoJSON(point, { pointToLayer: (f, ll) => L.circleMarker(ll, { radius: 9, color: '#d7301f', fillOpacity: 0.9 }) }).addTo(miniLayer);
      mini.fitBounds(miniLayer.getBounds(), { maxZoom: 16, padding: [12, 12] });
    } catch (e) { $('case-map-note').textContent = '地图不可用 No map: ' + e.message; }
  }

  // ---- new assignments ----

  let following = false;
  function follow() {
    if (following) return;
    following = true;
    const source = new EventSource('/api/events');
    source.addEventListener('case', async (ev) => {
      const d = JSON.parse(ev.data);
      const c = d.case;
      // The worker's stream carries only their grids' cases.
      const isNew = !page.seen.has(c.case_id) || (d.to === 'assigned');
      if (isNew && c.status === 'assigned') {
        page.fresh.add(c.case_id);
        notify();
      }
      await loadCases();
      if (page.open === c.case_id) await openCase(c.case_id);
    });
  }

  function notify() {
    if (navigator.vibrate) { try { navigator.vibrate([200, 100, 200]); } catch (e) { /* not allowed */ } }
    try {
      const ctx = new (window.AudioContext || window.webkitAudioContext)();
      const o = ctx.createOscillator();
      o.frequency.value = 880;
      o.connect(ctx.destination);
      o.start();
      o.stop(ctx.currentTime + 0.2);
    } catch (e) { /* no sound before the user has touched the page */ }
    say('新案件 A new case is assigned to you');
  }

  // ---- report ----

  function fillCategories() {
    $('report-category').replaceChildren(...Object.entries(CATEGORIES).map(([k, v]) => el('option', { value: k, text: v })));
  }

  // A data: URL's bytes (the page's policy lets it fetch only its own server).
  function jpegBytes(dataURL) {
    const text = atob(dataURL.slice(dataURL.indexOf(',') + 1));
    const bytes = new Uint8Array(text.length);
    for (let k = 0; k < text.length; k++) bytes[k] = text.charCodeAt(k);
    return bytes;
  }

  // A photo made small on the phone (1600 px, JPEG): up to three wait in the outbox with the
  // report (the browser's storage holds a few of these, not a camera's 5 MB originals).
  async function shrunk(file) {
    const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
    const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.round(bitmap.width * scale);
    canvas.height = Math.round(bitmap.height * scale);
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    return canvas.toDataURL('image/jpeg', 0.85);
  }

  $('report').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    if (!page.here) { $('report-result').textContent = '还没有定位 No position yet: allow location and wait a moment'; return; }
    const body = { category: $('report-category').value, channel: 'patrol', description: $('report-description').value.trim(),
      location: { type: 'Point', coordinates: page.here } };
    const files = Array.from($('report-photo').files);
    if (files.length > 3) { $('report-result').textContent = '至多 3 张照片 At most 3 photos'; return; }
    const photos = [];
    for (const file of files) {
      try { photos.push(await shrunk(file)); } catch (e) {
        $('report-result').textContent = '这张照片无法读取 This photo cannot be read on the phone: ' + file.name;
        return;
      }
    }
    $('report-description').value = '';
    $('report-photo').value = '';
    $('report-result').textContent = navigator.onLine === false ? '已存，联网后发送 Saved: it goes when the network is back' : '正在上报 Sending…';
    outbox.add({ kind: 'report', body, photos });
  });

  // ---- patrol ----

  const trackName = () => 'wangge.track.' + (page.who ? page.who.worker_id : '');
  function trackFixes() { try { return JSON.parse(localStorage.getItem(trackName()) || '[]'); } catch (e) { return []; } }

  $('patrol-toggle').addEventListener('click', () => (page.patrolWatch ? stopPatrol() : startPatrol()));

  function startPatrol() {
    page.patrolWatch = true;
    localStorage.setItem(trackName() + '.on', '1');
    $('patrol-toggle').textContent = '结束巡查 Stop patrol';
    $('patrol-state').textContent = '巡查中 Patrolling: ' + trackFixes().length + ' 个点 fixes';
  }

  function stopPatrol() {
    page.patrolWatch = null;
    localStorage.removeItem(trackName() + '.on');
    uploadTrack();
    $('patrol-toggle').textContent = '开始巡查 Start patrol';
    $('patrol-state').textContent = '已结束 Stopped';
  }

  // A fix while the patrol runs: the newest position for dispatch, and a point of the track.
  function fix(p) {
    const at = new Date(page.clock());
    const f = { lon: p.coords.longitude, lat: p.coords.latitude, at: at.toISOString() };
    if (p.coords.accuracy != null && p.coords.accuracy <= 10000) f.accuracy_m = Math.round(p.coords.accuracy * 10) / 10;
    const fixes = trackFixes();
    if (fixes.length && fixes[fixes.length - 1].at >= f.at) return;   // the same second again
    fixes.push(f);
    page.fixCount++;
    localStorage.setItem(trackName(), JSON.stringify(fixes));
    $('patrol-state').textContent = '巡查中 Patrolling: ' + fixes.length + ' 个点 fixes';
    outbox.add({ kind: 'position', body: f });
    if (fixes.length >= TRACK_BATCH) uploadTrack();
  }

  // The fixes so far go up as GPX 1.1 (a fix the server already has is kept once there).
  function uploadTrack() {
    const fixes = trackFixes();
    if (!fixes.length) return;
    localStorage.setItem(trackName(), '[]');
    const points = fixes.map((f) => '<trkpt lat="' + f.lat + '" lon="' + f.lon + '"><time>' + f.at + '</time></trkpt>').join('');
    const gpx = '<?xml version="1.0" encoding="UTF-8"?><gpx version="1.1" creator="Wangge /m" xmlns="http://www.topografix.com/GPX/1/1">' +
      '<trk><trkseg>' + points + '</trkseg></trk></gpx>';
    outbox.add({ kind: 'track', gpx });
  }

  async function loadPatrol() {
    try {
      const [mine, grids] = await Promise.all([api('/api/patrol?by=worker'), api('/api/patrol?by=grid')]);
      const me = (mine.workers || [])[0];
      const rows = [];
      if (me) {
        rows.push(['巡查 Passes', String(me.passes)], ['上午 Morning', me.morning_pass ? '✓' : '✗'], ['下午 Afternoon', me.afternoon_pass ? '✓' : '✗'],
          ['入户走访 Visits', me.visits + ' / ' + mine.rules.visits_per_day], ['本周上报 Reports this week', me.reports_this_week + ' / ' + mine.rules.reports_per_week]);
      }
      for (const g of grids.grids || []) rows.push(['覆盖 Coverage ' + g.name, Math.round(g.coverage * 100) + '% (' + g.covered_households + '/' + g.households + ')']);
      $('patrol-figures').replaceChildren(...rows.flatMap(([k, v]) => [el('dt', { text: k }), el('dd', { text: v })]));
    } catch (e) { $('patrol-figures').replaceChildren(el('dd', { class: 'error', text: e.message })); }
  }

  // ---- my households ----

  async function loadHouseholds() {
    try {
      const h = await api('/api/workers/' + page.who.worker_id + '/households');
      const list = h.households.slice();
      if (page.here) list.sort((a, b) => metres(page.here, a.location) - metres(page.here, b.location));
      const kinds = { key_family: '重点家庭', special_group: '特殊群体' };
      $('households').replaceChildren(...list.map((k) => {
        const li = el('li', { 'data-household': k.household_id }, [
          el('strong', { text: k.address }),
          el('div', { class: 'meta', text: (kinds[k.kind] || k.kind) + ' · 上次走访 ' + (k.last_visit || '无 none') + ' · 本月 ' + k.visits_this_month + ' 次' +
            (distanceText(k.location) ? ' · ' + distanceText(k.location) : '') }),
        ]);
        if (k.due) li.classList.add('due');
        return li;
      }));
    } catch (e) { $('households').replaceChildren(el('li', { class: 'error', text: e.message })); }
  }

  page.outbox = outbox;
  page.openCase = openCase;
  window.addEventListener('online', () => outbox.flush());
  setInterval(() => outbox.flush(), 5000);
  if (navigator.serviceWorker) navigator.serviceWorker.register('/m-sw.js', { scope: '/m' }).catch(() => { /* no offline opening */ });
  start().catch((e) => say(e.message, true));
})();
