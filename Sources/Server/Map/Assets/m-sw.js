// The phone page's service worker: the page's own three files from the cache at once (then
// refreshed from the network for the next visit), so that /m opens on a poor network or none.
// Nothing else passes through it: API answers are never cached here.
'use strict';
const CACHE = 'wangge-m-1';
const SHELL = ['/m', '/m/m.js', '/m/m.css'];

self.addEventListener('install', (e) => e.waitUntil(caches.open(CACHE).then((c) => c.addAll(SHELL)).then(() => self.skipWaiting())));
self.addEventListener('activate', (e) => e.waitUntil(
  caches.keys().then((keys) => Promise.all(keys.filter((k) => k !== CACHE).map((k) => caches.delete(k)))).then(() => self.clients.claim())));
self.addEventListener('fetch', (e) => {
  const u = new URL(e.request.url);
  if (e.request.method !== 'GET' || u.origin !== self.location.origin || !SHELL.includes(u.pathname)) return;
  e.respondWith(caches.open(CACHE).then(async (c) => {
    const hit = await c.match(u.pathname);
    const fresh = fetch(e.request).then((r) => { if (r.ok) c.put(u.pathname, r.clone()); return r; });
    if (hit) { fresh.catch(() => {}); return hit; }
    return fresh;
  }));
});
