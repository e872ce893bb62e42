// The service worker, served at /sw.js (scope /). It keeps the app shell of one build (index.html
// and the hashed assets, the list written in at build time by vite.config.ts) so that a reload
// without network shows the app, which then says "Sin conexión". It never stores API data
// (src/lib/swPolicy.ts). A new build installs beside the running one and waits: the page offers
// "Actualizar" (src/lib/pwa.ts), which sends SKIP_WAITING; only then does it take over.
// It also shows the Web Push notices the server sends to a subscribed browser (src/lib/push.ts
// subscribes; src/lib/pushMessage.ts reads them), and a click on one opens the turno in the app.

import { readPushMessage, targetPath } from "./lib/pushMessage";
// imported last: the minifier then folds CACHE into one literal, "mcs-shell-<version>", that a
// deployment (and tests/web/test_installable.py) finds in sw.js
import { CACHE_PREFIX, strategy } from "./lib/swPolicy";

// Service-worker types (lib "webworker" would clash with the app's "DOM" lib in one program).
interface ExtendableEvent extends Event { waitUntil(promise: Promise<unknown>): void }
interface FetchEvent extends ExtendableEvent { readonly request: Request; respondWith(response: Promise<Response>): void }
interface PushMessageData { text(): string }
interface PushEvent extends ExtendableEvent { readonly data: PushMessageData | null }
interface NotificationEvent extends ExtendableEvent { readonly notification: Notification }
interface WindowClient {
  readonly url: string;
  readonly focused: boolean;
  readonly visibilityState: DocumentVisibilityState;
  focus(): Promise<WindowClient>;
  navigate(url: string): Promise<WindowClient | null>;
}
interface Clients {
  claim(): Promise<void>;
  matchAll(options: { type: "window"; includeUncontrolled: boolean }): Promise<WindowClient[]>;
  openWindow(url: string): Promise<WindowClient | null>;
}
// renotify: a newer notice about the same turno (same tag) alerts again (not in every DOM lib's NotificationOptions)
interface ShownNotificationOptions extends NotificationOptions { renotify?: boolean }
interface WorkerScope {
  addEventListener(type: "install" | "activate", listener: (event: ExtendableEvent) => void): void;
  addEventListener(type: "fetch", listener: (event: FetchEvent) => void): void;
  addEventListener(type: "message", listener: (event: MessageEvent) => void): void;
  addEventListener(type: "push", listener: (event: PushEvent) => void): void;
  addEventListener(type: "notificationclick", listener: (event: NotificationEvent) => void): void;
  skipWaiting(): Promise<void>;
  readonly clients: Clients;
  readonly registration: { showNotification(title: string, options?: ShownNotificationOptions): Promise<void> };
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

// --- Web Push ----------------------------------------------------------------------------------
// The message says no confidential text (the server's PushPayload: title, body, url, kind,
// turnoId); the app shows the rest once signed in. Notices about one turno replace each other.

self.addEventListener("push", (event) => {
  let text: string | null = null;
  try {
    text = event.data?.text() ?? null;
  } catch {
    /* unreadable: a generic notice still shows (a push must show one) */
  }
  const notice = readPushMessage(text, self.location.origin);
  event.waitUntil(self.registration.showNotification(notice.title, {
    body: notice.body,
    tag: notice.tag,
    renotify: notice.tag !== undefined,
    lang: "es-MX",
    icon: "/icons/icon-192.png",
    data: { url: notice.url },
  }));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const data = event.notification.data as { url?: unknown } | null;
  const target = new URL(targetPath(data?.url, self.location.origin), self.location.origin).href;
  event.waitUntil((async () => {
    const windows = (await self.clients.matchAll({ type: "window", includeUncontrolled: true }))
      .filter((client) => new URL(client.url).origin === self.location.origin);
    // the app's window already there, else the one in front, else any of the app's windows
    const client = windows.find((c) => c.url === target) ?? windows.find((c) => c.focused)
      ?? windows.find((c) => c.visibilityState === "visible") ?? windows[0];
    if (client) {
      const focused = await client.focus().catch(() => client);
      if (focused.url === target) return;
      // navigate() works on a window this worker controls (it claims every window when it starts)
      if (await focused.navigate(target).catch(() => null)) return;
    }
    await self.clients.openWindow(target);
  })());
});
