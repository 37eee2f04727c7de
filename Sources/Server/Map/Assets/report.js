// The residents' report page (扫码反映): a category, what happened, where (the phone's position,
// a tap on a map, or the unit of the QR code that opened the page), an optional photo and phone.
// Leaflet is loaded only when the map is asked for: the form works at once on a slow phone.
'use strict';
(function () {
  const $ = (id) => document.getElementById(id);
  const unit = new URLSearchParams(location.search).get('unit');
  let place = null;   // { lon, lat, crs }

  function showWhere() {
    if (place) $('where').textContent = '位置 ' + place.lat.toFixed(5) + ', ' + place.lon.toFixed(5) + (place.crs === 'GCJ-02' ? ' (地图)' : ' (定位)');
    else if (unit) $('where').textContent = '二维码所在单位 The QR code\'s place: ' + unit;
    else $('where').textContent = '还没有位置 No place yet';
  }

  $('locate').addEventListener('click', () => {
    if (!navigator.geolocation) { $('error').textContent = '此浏览器不能定位 This browser cannot locate'; return; }
    $('where').textContent = '定位中… Locating…';
    navigator.geolocation.getCurrentPosition((p) => {
      place = { lon: p.coords.longitude, lat: p.coords.latitude, crs: 'EPSG:4326' };
      showWhere();
    }, (e) => { $('error').textContent = '无法定位 Cannot locate: ' + e.message; showWhere(); },
    { enableHighAccuracy: true, timeout: 15000 });
  });

  function load(tag, attrs) {
    return new Promise((ok, fail) => {
      const el = document.createElement(tag);
      Object.assign(el, attrs);
      el.onload = ok; el.onerror = fail;
      document.head.appendChild(el);
    });
  }

  let map = null;
  $('pick').addEventListener('click', async () => {
    $('map').hidden = false;
    if (map) return;
    const [config] = await Promise.all([fetch('/map/config.json').then((r) => r.json()),
      load('link', { rel: 'stylesheet', href: '/vendor/leaflet/leaflet.css' }), load('script', { src: '/vendor/leaflet/leaflet.min.js' })]);
    const crs = config.crs && !config.crs.endsWith('CRS84') ? 'GCJ-02' : 'EPSG:4326';
    map = L.map('map');
    if (config.basemap) L.tileLayer(config.basemap.url, { attribution: config.basemap.attribution, maxZoom: config.basemap.max_zoom }).addTo(map);
    const b = config.bounds;
    if (place) map.setView([place.lat, place.lon], 15);
    else if (b) map.fitBounds([[b[0][1], b[0][0]], [b[1][1], b[1][0]]]);
    else map.setView([30.84, 106.97], 10);
    let marker = null;
    map.on('click', (e) => {
      place = { lon: e.latlng.lng, lat: e.latlng.lat, crs };
      if (marker) marker.setLatLng(e.latlng); else marker = L.marker(e.latlng).addTo(map);
      showWhere();
    });
  });

  // A phone's photo made 1600 px on the phone before it is sent: 0.4 MB instead of 3–5 MB on a
  // slow network. What the browser cannot decode (HEIC in most) goes as it is; the server
  // re-encodes every photo either way.
  async function smaller(file) {
    try {
      const bitmap = await createImageBitmap(file, { imageOrientation: 'from-image' });
      const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
      if (scale === 1 && file.size < 1024 * 1024) return file;
      const canvas = document.createElement('canvas');
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return await new Promise((ok) => canvas.toBlob((b) => ok(b || file), 'image/jpeg', 0.85));
    } catch (e) {
      return file;
    }
  }

  $('report').addEventListener('submit', async (e) => {
    e.preventDefault();
    $('error').textContent = '';
    if (!$('category').value) { $('error').textContent = '请选择类别 Choose what kind'; return; }
    if (!$('description').value.trim()) { $('error').textContent = '请说明发生了什么 Say what happened'; return; }
    if (!place && !unit) { $('error').textContent = '请给出位置 Give the place: your location or a tap on the map'; return; }
    const photo = $('photo').files[0];
    if (photo && photo.size > 10 * 1024 * 1024) { $('error').textContent = '照片超过 10 MB The photo is over 10 MB'; return; }
    const form = new FormData();
    form.append('category', $('category').value);
    form.append('description', $('description').value);
    if (place) { form.append('lon', String(place.lon)); form.append('lat', String(place.lat)); form.append('crs', place.crs); }
    if (unit) form.append('unit', unit);
    if ($('phone').value.trim()) form.append('phone', $('phone').value.trim());
    form.append('website', $('website').value);
    if (photo) form.append('photo', await smaller(photo), photo.name);
    $('send').disabled = true;
    try {
      const r = await fetch('/api/reports', { method: 'POST', body: form });
      const body = await r.json().catch(() => ({}));
      if (!r.ok) {
        const retry = r.headers.get('Retry-After');
        $('error').textContent = (body.detail || ('提交失败 Not sent (' + r.status + ')')) + (retry ? ' · ' + Math.ceil(retry / 60) + ' 分钟后再试' : '');
        return;
      }
      $('report').hidden = true;
      $('done').hidden = false;
      $('code').textContent = body.code;
      $('unit').textContent = '办理单位 Handled by: ' + body.handling_unit;
      $('track').href = body.track_url;
      $('rate').href = body.rating_url;
      $('rate').textContent = location.origin + body.rating_url;
    } catch (err) {
      $('error').textContent = '网络不通,请稍后再试 No network; try again shortly';
    } finally {
      $('send').disabled = false;
    }
  });

  showWhere();
  // Interactive: every control works from here (benchmarks read the time).
  document.body.dataset.interactiveMs = String(Math.round(performance.now()));
  document.body.dataset.ready = 'true';
})();
