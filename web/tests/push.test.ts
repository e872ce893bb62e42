// Web Push: what the service worker shows for a message (src/lib/pushMessage.ts: never a link to
// another site), and the VAPID key's decoding for PushManager.subscribe (src/lib/push.ts).
import { describe, expect, it } from "vitest";
import { readPushMessage, targetPath } from "../src/lib/pushMessage";
import { decodeBase64Url } from "../src/lib/push";

const ORIGIN = "https://mcs.example.gob.mx";

describe("a push message", () => {
  it("the server's payload: title, body, the turno to open, one notice per turno", () => {
    const payload = { title: "Nuevo turno", body: "DRTT/2026/000016-T1 · DAF", url: "/turno/VHVybm86MQ%3D%3D",
      kind: "NEW_TURNO", turnoId: "VHVybm86MQ==" };
    expect(readPushMessage(JSON.stringify(payload), ORIGIN)).toEqual({
      title: "Nuevo turno", body: "DRTT/2026/000016-T1 · DAF", url: "/turno/VHVybm86MQ%3D%3D", tag: "turno:VHVybm86MQ==",
    });
  });

  it("something else still shows a notice, and opens the Bandeja", () => {
    expect(readPushMessage(null, ORIGIN)).toEqual({ title: "MCS", body: "", url: "/bandeja", tag: undefined });
    expect(readPushMessage("Hola", ORIGIN)).toEqual({ title: "MCS", body: "Hola", url: "/bandeja", tag: undefined });
    expect(readPushMessage('{"title": 3, "url": ["x"]}', ORIGIN)).toEqual({ title: "MCS", body: "", url: "/bandeja", tag: undefined });
  });

  it("opens only paths of the app, never another site", () => {
    expect(targetPath("/turno/abc?x=1#h", ORIGIN)).toBe("/turno/abc?x=1#h");
    expect(targetPath(`${ORIGIN}/documento/d`, ORIGIN)).toBe("/documento/d");
    for (const url of ["https://evil.example/turno/1", "//evil.example/x", "javascript:alert(1)", "", 42, null]) {
      expect(targetPath(url, ORIGIN), String(url)).toBe("/bandeja");
    }
  });
});

describe("the VAPID key", () => {
  it("base64url without padding, as the server gives it, to its bytes", () => {
    const bytes = Uint8Array.from([0xfb, 0xef, 0xbe, 0xff, 0xff, 0xff, 4, 1]); // "----____" then a padded tail
    const base64url = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
    expect(base64url).toMatch(/^----____[^=]+$/);
    expect(Array.from(decodeBase64Url(base64url))).toEqual(Array.from(bytes));
  });
});
