/**
 * The app's service worker (built to `/sw.js` by src/sw/vite-plugin.ts): precaches the app shell so
 * the app starts offline. Model files are not cached here (IndexedDB does that, see src/model-store)
 * and requests under `models/` are left to the network. A new version installs in the background
 * and waits; the page offers it (src/sw/register.ts) and activates it only when the user agrees.
 *
 * This file compiles under the project's DOM lib, so the few service-worker types are declared here.
 */

/** Replaced at build time by the plugin with the list of shell files and their version. */
declare const __PRECACHE_MANIFEST__: { version: string; urls: string[] };

interface ExtendableEventLike extends Event {
  waitUntil(p: Promise<unknown>): void;
}
interface FetchEventLike extends ExtendableEventLike {
  request: Request;
  respondWith(r: Promise<Response> | Response): void;
}
interface SwScope {
  location: Location;
  registration: { scope: string };
  clients: { claim(): Promise<void> };
  skipWaiting(): Promise<void>;
  addEventListener(type: 'install' | 'activate', l: (e: ExtendableEventLike) => void): void;
  addEventListener(type: 'fetch', l: (e: FetchEventLike) => void): void;
  addEventListener(type: 'message', l: (e: MessageEvent) => void): void;
}

const sw = self as unknown as SwScope;
const { version, urls } = __PRECACHE_MANIFEST__;
const PREFIX = 'pandagpt-shell-';
const CACHE = PREFIX + version;
const scope = () => new URL(sw.registration.scope);

sw.addEventListener('install', (e) => {
  // `reload`: fetch fresh copies, not whatever the HTTP cache holds. No skipWaiting: updates wait.
  e.waitUntil(caches.open(CACHE).then((c) => c.addAll(urls.map((u) => new Request(new URL(u, scope()), { cache: 'reload' })))));
});

sw.addEventListener('activate', (e) => {
  e.waitUntil(
    (async () => {
      for (const k of await caches.keys()) if (k.startsWith(PREFIX) && k !== CACHE) await caches.delete(k);
      await sw.clients.claim();
    })(),
  );
});

sw.addEventListener('message', (e) => {
  const type = (e.data as { type?: string } | null)?.type;
  if (type === 'SKIP_WAITING') void sw.skipWaiting();
  if (type === 'GET_VERSION') (e.source as { postMessage(m: unknown): void } | null)?.postMessage({ type: 'VERSION', version });
});

sw.addEventListener('fetch', (e) => {
  const req = e.request;
  const url = new URL(req.url);
  const base = scope();
  if (req.method !== 'GET' || url.origin !== base.origin || !url.pathname.startsWith(base.pathname)) return;
  // Model bundles: IndexedDB is their cache; Range requests and no-store must reach the server.
  if (url.pathname.slice(base.pathname.length).startsWith('models/')) return;
  if (req.mode === 'navigate') {
    // Cache first: the page stays the version this worker cached (with its COOP/COEP headers) until
    // the user applies an update; a network-first page would load a new build's HTML under old code.
    e.respondWith(caches.match(new URL('./', base).href, { cacheName: CACHE, ignoreVary: true }).then((hit) => hit ?? fetch(req)));
    return;
  }
  // ignoreVary: static servers (Vite preview's sirv) send `Vary: Origin`, and module scripts and
  // `crossorigin` links carry an Origin header the install-time requests lacked, so an exact Vary
  // match would miss every precached asset and the app would not start offline. Shell files are
  // hashed same-origin files: their bytes do not depend on Origin.
  e.respondWith(caches.match(req, { cacheName: CACHE, ignoreSearch: true, ignoreVary: true }).then((hit) => hit ?? fetch(req)));
});
