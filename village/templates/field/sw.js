// The field app's service worker (rendered by village/field/views.py). Hand-written: no build chain, no CDN.
// A new version installs into its own cache and waits: the page lets it take over only when the outbox is
// empty or the worker agrees. The old cache is deleted only once the new one is complete and active.
const VERSION = "{{ version }}";
const CACHE = "field-" + VERSION;
const PRECACHE = {{ precache|safe }};
const SHELL = PRECACHE[0];
const KILL = {{ "true" if kill else "false" }};
let opened = null;
const openCache = () => opened || (opened = caches.open(CACHE));  // opened once, not at every request

async function fill() {
  const cache = await caches.open(CACHE);
  try {
    await Promise.all(PRECACHE.map(async (url) => {
      const response = await fetch(url, {cache: "reload", credentials: "same-origin"});
      // A login page or an error must never be kept in place of the app.
      if (!response.ok || response.redirected) throw new Error("could not fetch " + url);
      await cache.put(url, response);
    }));
  } catch (error) {
    await caches.delete(CACHE);  // a half-filled cache never becomes the app
    throw error;
  }
}

async function dropOldCaches() {
  for (const key of await caches.keys()) {
    if (key.startsWith("field-") && key !== CACHE) await caches.delete(key);
  }
}

async function switchOff() {
  // The kill switch: caches and this worker go; IndexedDB (the records) stays untouched.
  for (const key of await caches.keys()) if (key.startsWith("field-")) await caches.delete(key);
  await self.registration.unregister();
  for (const client of await self.clients.matchAll()) client.postMessage({type: "killed"});
}

self.addEventListener("install", (event) => {
  if (KILL) { self.skipWaiting(); return; }
  event.waitUntil(fill());
});

self.addEventListener("activate", (event) => {
  event.waitUntil(KILL ? switchOff() : dropOldCaches().then(() => self.clients.claim()));
});

self.addEventListener("message", (event) => {
  if (event.data === "skipWaiting") self.skipWaiting();
  if (event.data === "version" && event.source) event.source.postMessage({type: "version", version: VERSION});
});

self.addEventListener("fetch", (event) => {
  const url = new URL(event.request.url);
  if (KILL || event.request.method !== "GET" || url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/field/api/") || url.pathname.startsWith("/sync/")) return;
  const navigation = event.request.mode === "navigate" && url.pathname.startsWith(SHELL);
  event.respondWith((async () => {
    const hit = await (await openCache()).match(navigation ? SHELL : event.request, {ignoreSearch: true});
    return hit || fetch(event.request);
  })());
});
