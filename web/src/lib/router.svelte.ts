// Client-side routes: the path and the query string are the state of a screen (a filter lives in
// the URL: shareable, and the back button works).

export interface Route {
  name: string;
  params: Record<string, string>;
}

const ROUTES: [RegExp, string][] = [
  [/^\/$/, "home"],
  [/^\/entrar$/, "entrar"],
  [/^\/bandeja$/, "bandeja"],
  [/^\/enviados$/, "enviados"],
  [/^\/registrar$/, "registrar"],
  [/^\/buscar$/, "buscar"],
  [/^\/reportes$/, "reportes"],
  [/^\/administracion$/, "administracion"],
  [/^\/notificaciones$/, "notificaciones"],
  [/^\/turno\/(?<id>[^/]+)$/, "turno"],
  [/^\/documento\/(?<id>[^/]+)$/, "documento"],
];

export function match(path: string): Route {
  for (const [pattern, name] of ROUTES) {
    const found = pattern.exec(path);
    if (found) return { name, params: Object.fromEntries(Object.entries(found.groups ?? {}).map(([k, v]) => [k, decodeURIComponent(v)])) };
  }
  return { name: "notFound", params: {} };
}

class Router {
  path = $state(location.pathname);
  search = $state(location.search);

  constructor() {
    addEventListener("popstate", () => this.sync());
  }

  get route(): Route {
    return match(this.path);
  }

  get query(): URLSearchParams {
    return new URLSearchParams(this.search);
  }

  private sync(): void {
    this.path = location.pathname;
    this.search = location.search;
  }

  navigate(to: string, { replace = false } = {}): void {
    if (to === location.pathname + location.search) return;
    history[replace ? "replaceState" : "pushState"](null, "", to);
    this.sync();
    if (!replace) scrollTo(0, 0);
  }

  /** Replace the query string (a filter changed): one history entry per change. */
  setQuery(params: URLSearchParams): void {
    const search = params.toString();
    this.navigate(location.pathname + (search ? `?${search}` : ""));
  }
}

export const router = new Router();

/** Use on <a href> in the app: plain links that navigate without reloading. */
export function link(node: HTMLAnchorElement) {
  const onClick = (event: MouseEvent) => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    const href = node.getAttribute("href");
    if (!href || !href.startsWith("/") || node.target) return;
    event.preventDefault();
    router.navigate(href);
  };
  node.addEventListener("click", onClick);
  return { destroy: () => node.removeEventListener("click", onClick) };
}
