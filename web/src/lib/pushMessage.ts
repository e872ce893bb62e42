// What a Web Push message says (notifications/push.py PushPayload: {title, body, url, kind,
// turnoId}) and where its click leads. Shared by the service worker (src/sw.ts) and its tests;
// nothing here touches the DOM or the app.

export interface PushNotice {
  title: string;
  body: string;
  /** A path of this app (same origin), e.g. /turno/VHVybm86MQ%3D%3D */
  url: string;
  /** Notices about one turno replace each other (the newest shows). */
  tag: string | undefined;
}

const FALLBACK_TITLE = "MCS";
const FALLBACK_URL = "/bandeja";

const text = (value: unknown): string => (typeof value === "string" ? value : "");

/** The path to open for `url`: a path of this origin, never another site (else the Bandeja). */
export function targetPath(url: unknown, origin: string): string {
  const raw = text(url);
  if (!raw) return FALLBACK_URL;
  try {
    const resolved = new URL(raw, origin);
    if (resolved.origin !== origin) return FALLBACK_URL;
    return resolved.pathname + resolved.search + resolved.hash;
  } catch {
    return FALLBACK_URL;
  }
}

/** The notice of a push message's text (JSON; a plain text becomes the body). */
export function readPushMessage(data: string | null | undefined, origin: string): PushNotice {
  let payload: Record<string, unknown> = {};
  if (data) {
    try {
      const parsed: unknown = JSON.parse(data);
      payload = parsed && typeof parsed === "object" ? (parsed as Record<string, unknown>) : { body: data };
    } catch {
      payload = { body: data };
    }
  }
  const turnoId = text(payload.turnoId);
  return {
    title: text(payload.title) || FALLBACK_TITLE,
    body: text(payload.body),
    url: targetPath(payload.url, origin),
    tag: turnoId ? `turno:${turnoId}` : undefined,
  };
}
