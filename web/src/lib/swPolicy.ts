// What the service worker (src/sw.ts) does with each request. The shell only: the page itself and
// the build's hashed assets. The API and everything personal (GraphQL, files, exports, printed
// acuses and volantes, verification pages, health) always go to the network and are never stored.

/** First path segments the worker never touches (mcs/webapp.py API_PREFIXES, and the worker's own files). */
export const NEVER_CACHED = new Set([
  "graphql", "files", "exports", "health", "documents", "turnos", "verificar", "graphiql",
  "sw.js", "manifest.webmanifest", "icons",
]);

/**
 * - "page": a navigation to a client route: network first, the cached shell when offline;
 * - "asset": a hashed build asset (/assets/…): cache first (a name never changes meaning);
 * - "network": anything else, left to the browser (the worker does not answer it).
 */
export type Strategy = "page" | "asset" | "network";

export function strategy(request: { method: string; url: string; mode: string }, origin: string): Strategy {
  if (request.method !== "GET") return "network";
  const url = new URL(request.url);
  if (url.origin !== origin) return "network";
  const first = url.pathname.split("/")[1] ?? "";
  if (NEVER_CACHED.has(first)) return "network";
  if (first === "assets") return request.mode === "navigate" ? "network" : "asset";
  return request.mode === "navigate" ? "page" : "network";
}

/** The shell's cache is named after the build: a new build installs beside it, then replaces it. */
export const CACHE_PREFIX = "mcs-shell-";
