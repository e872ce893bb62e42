// Installable and light: the service worker (src/sw.ts, at /sw.js) keeps the app's shell so that a
// reload without network shows the app (which then says "Sin conexión") instead of the browser's
// error page; and a new build announces itself instead of breaking open pages: its worker waits,
// the page offers "Actualizar", and only that click lets it take over (then the page reloads once).

import type { PersonFragment } from "../graphql/generated";

/** Called when a new version is ready; `apply` switches to it (the page reloads). */
export type Offer = (apply: () => void) => void;

const CHECK_EVERY_MS = 60 * 60 * 1000; // an open page looks for a new version hourly, when shown again, and back online

export function registerServiceWorker(offer: Offer): void {
  if (!import.meta.env.PROD || typeof navigator === "undefined" || !("serviceWorker" in navigator)) return;
  // after the first screen has loaded: the worker's downloads never compete with it
  const start = () => void watch(offer).catch(() => {
    /* no worker (a private window, an old browser, HTTP on a non-local address): the app works online as before */
  });
  if (document.readyState === "complete") start();
  else addEventListener("load", start, { once: true });
}

async function watch(offer: Offer): Promise<void> {
  const workers = navigator.serviceWorker;
  const registration = await workers.register("/sw.js", { scope: "/", updateViaCache: "none" });
  let controlled = workers.controller !== null;
  let asked = false;
  let reloading = false;
  const propose = (worker: ServiceWorker) =>
    offer(() => {
      asked = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    });

  if (registration.waiting && controlled) propose(registration.waiting);
  registration.addEventListener("updatefound", () => {
    const worker = registration.installing;
    worker?.addEventListener("statechange", () => {
      if (worker.state === "installed" && workers.controller) propose(worker); // a new build, waiting
    });
  });
  workers.addEventListener("controllerchange", () => {
    if (asked && !reloading) {
      reloading = true;
      location.reload(); // the person asked for it: the new worker is in control now
    } else if (controlled && !asked) {
      offer(() => location.reload()); // another tab switched to the new version: this one is older
    }
    controlled = true; // a first install taking this page over changes nothing on it
  });

  const check = () => void registration.update().catch(() => {});
  setInterval(check, CHECK_EVERY_MS);
  addEventListener("online", check);
  document.addEventListener("visibilitychange", () => {
    if (document.visibilityState === "visible") check();
  });
}

// Offline, `me` cannot be asked: the shell shows the person as last known with this token (kept
// beside the token, and forgotten with it), so that a reload without network keeps them signed in.
const PERSON_KEY = "mcs.person";

const fingerprint = (token: string) => token.slice(-24);

export function rememberPerson(token: string, person: PersonFragment): void {
  try {
    localStorage.setItem(PERSON_KEY, JSON.stringify({ token: fingerprint(token), person }));
  } catch {
    /* storage full or disabled: offline reloads will ask to retry */
  }
}

export function rememberedPerson(token: string): PersonFragment | null {
  try {
    const saved = JSON.parse(localStorage.getItem(PERSON_KEY) ?? "null") as { token: string; person: PersonFragment } | null;
    return saved && saved.token === fingerprint(token) ? saved.person : null;
  } catch {
    return null;
  }
}

export function forgetPerson(): void {
  try {
    localStorage.removeItem(PERSON_KEY);
  } catch {
    /* nothing stored */
  }
}
