// The service worker's choice for each request (src/lib/swPolicy.ts): it keeps the app's shell
// only; the API and every personal file always go to the network and are never stored.
import { describe, expect, it } from "vitest";
import { strategy } from "../src/lib/swPolicy";

const ORIGIN = "https://mcs.example.gob.mx";
const get = (path: string, mode = "cors") => strategy({ method: "GET", url: ORIGIN + path, mode }, ORIGIN);

describe("service worker policy", () => {
  it("navigations to the app's routes: network first, the cached shell offline", () => {
    for (const path of ["/", "/bandeja", "/enviados?luz=RED", "/turno/VHVybm86MQ%3D%3D", "/documento/x", "/entrar"]) {
      expect(get(path, "navigate")).toBe("page");
    }
  });

  it("the build's hashed assets: cache first", () => {
    expect(get("/assets/index-Bga38Vv7.js", "cors")).toBe("asset");
    expect(get("/assets/index-C8NY2_8I.css", "no-cors")).toBe("asset");
  });

  it("never the API, files, exports, prints, verification, health, GraphiQL or the worker's own files", () => {
    for (const path of ["/graphql", "/graphql?query={me{id}}", "/files/RmlsZTox", "/exports/abc?sig=1", "/health",
      "/verificar/ABCD1234", "/documents/x/acuse.pdf", "/turnos/x/volante.pdf", "/graphiql/graphiql.min.js",
      "/sw.js", "/manifest.webmanifest", "/icons/icon-192.png"]) {
      expect(get(path, "cors"), path).toBe("network");
      expect(get(path, "navigate"), path).toBe("network");
    }
  });

  it("nothing but GET, and nothing from elsewhere", () => {
    for (const method of ["POST", "PUT", "DELETE", "HEAD"]) {
      expect(strategy({ method, url: ORIGIN + "/assets/index-Bga38Vv7.js", mode: "cors" }, ORIGIN)).toBe("network");
      expect(strategy({ method, url: ORIGIN + "/bandeja", mode: "navigate" }, ORIGIN)).toBe("network");
    }
    expect(strategy({ method: "GET", url: "https://cdn.example.com/assets/x.js", mode: "cors" }, ORIGIN)).toBe("network");
    expect(strategy({ method: "GET", url: "https://otro.example.com/bandeja", mode: "navigate" }, ORIGIN)).toBe("network");
  });

  it("a request that is not a navigation to a client route is left alone (fetch, images)", () => {
    expect(get("/bandeja", "cors")).toBe("network");
    expect(get("/assets/index-Bga38Vv7.js", "navigate")).toBe("network");
  });
});
