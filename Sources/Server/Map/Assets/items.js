// The items page's small map: the page's own features (the same query, as GeoJSON), with no
// basemap (it works offline), fitted to them. Signed-in browsers send the session cookie.
(function () {
  'use strict';
  var el = document.getElementById('items-map');
  if (!el || !window.L) { return; }
  var map = L.map(el, { attributionControl: false });
  fetch(el.dataset.geojson, { credentials: 'same-origin', headers: { Accept: 'application/geo+json' } })
    .then(function (r) { if (!r.ok) { throw new Error('HTTP ' + r.status); } return r.json(); })
    .then(function (doc) {
      var layer = L.geoJSON(doc, {
        style: { color: '#c0392b', weight: 1, fillOpacity: 0.15 },
        pointToLayer: function (f, at) { return L.circleMarker(at, { radius: 4, color: '#c0392b', weight: 1, fillOpacity: 0.8 }); }
      }).addTo(map);
      var box = layer.getBounds();
      if (box.isValid()) { map.fitBounds(box, { padding: [12, 12] }); } else { map.setView([30.84, 106.97], 9); }
      document.body.dataset.features = String(doc.features ? doc.features.length : 1);
      document.body.dataset.ready = 'true';
    })
    .catch(function (e) {
      el.textContent = '地图无法加载 — the map could not load: ' + e.message;
      document.body.dataset.ready = 'error';
    });
})();
