// The service worker, served at /sw.js (scope /). It keeps the app shell of one build (index.html
// and the hashed assets, the list written in at build time by vite.config.ts) so that a reload
// without network shows the app, which then says "Sin conexión". It never stores API data
// (src/lib/swPolicy.ts). A new build installs beside the running one and waits: the page offers
// "Actualizar" (src/lib/pwa.ts), which sends SKIP_WAITING; only then does it take over.

import { CACHE_PREFIX, strategy } from "./lib/swPolicy";

// Service-worker types (lib "webworker" would clash with the app's "DOM" lib in one program).
interface ExtendableEvent extends Event { waitUntil(promise: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { readonly request: Request; respondWith(response: Promise<Response>): void }
interface WorkerScope {
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: { claim(): Promise<void> };
  readonly location: Location;
}
declare const self: WorkerScope;
declare const __MCS_SHELL__: string[]; // "/" and every file under /assets/ of this build
declare const __MCS_VERSION__: string; // a hash of that list and of index.html

const CACHE = CACHE_PREFIX + __MCS_VERSION__;
const SHELL_PAGE = "/";

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(CACHE).then((cache) =>
    // the page bypasses the HTTP cache: it must be this build's; assets are immutable
    cache.addAll(__MCS_SHELL__.map((url) => new Request(url, { cache: url === SHELL_PAGE ? "reload" : "default" })))));
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim(); // the first install controls the open page at once (offline works without a reload)
  })());
});

self.addEventListener("message", (event) => {
  if ((event.data as { type?: string } | null)?.type === "SKIP_WAITING") void self.skipWaiting();
});

self.addEventListener("fetch", (event) => {
  const request = event.request;
  switch (strategy(request, self.location.origin)) {
    case "page":
      // network first (a reload online always gets the deployed page); offline, this build's shell
      event.respondWith(fetch(request).catch(async () =>
        (await caches.open(CACHE).then((cache) => cache.match(SHELL_PAGE))) ?? Response.error()));
      return;
    case "asset":
      event.respondWith(caches.open(CACHE).then(async (cache) => {
        const cached = await cache.match(request);
        if (cached) return cached;
        const response = await fetch(request);
        if (response.ok && response.type === "basic") await cache.put(request, response.clone());
        return response;
      }));
      return;
    default:
      return; // the browser fetches it as if there were no worker
  }
});
