// The filter of Bandeja / Enviados lives in the URL: it must survive the round trip, and
// whatever else a URL holds must be ignored rather than sent to the API.
import { describe, expect, it } from "vitest";
import { filterFromQuery, queryFromFilter } from "../src/lib/boxFilter";
import type { TurnoFilter } from "../src/graphql/generated";

const q = (s: string) => new URLSearchParams(s);

describe("URL → filter", () => {
  it("reads every part of the filter", () => {
    expect(filterFromQuery(q("desde=2026-01-01&hasta=2026-01-31&estado=SENT,RECEIVED&luz=RED&unidad=T3JnVW5pdDoz&subunidades=no")))
      .toEqual({
        period: { from: "2026-01-01", to: "2026-01-31" },
        status: ["SENT", "RECEIVED"],
        trafficLight: ["RED"],
        unitId: "T3JnVW5pdDoz",
        includeSubunits: false,
      });
  });

  it("is empty for an empty query (no undefined keys sent to the API)", () => {
    const filter = filterFromQuery(q(""));
    expect(filter).toEqual({});
    expect(Object.keys(filter)).toEqual([]);
  });

  it("ignores garbage: unknown statuses and lights, malformed dates, other parameters", () => {
    expect(filterFromQuery(q("estado=SENT,BOGUS,,sent&luz=PURPLE&desde=ayer&hasta=2026-13&subunidades=tal&x=1"))).toEqual({
      status: ["SENT"],
    });
    expect(filterFromQuery(q("luz=RED,GREEN,<script>&estado="))).toEqual({ trafficLight: ["RED", "GREEN"] });
    expect(filterFromQuery(q("desde=2026-03-01T00:00&hasta=2026-03-31"))).toEqual({ period: { to: "2026-03-31" } });
  });

  it("keeps subunits unless the URL says no", () => {
    expect(filterFromQuery(q("subunidades=no")).includeSubunits).toBe(false);
    expect(filterFromQuery(q("subunidades=si")).includeSubunits).toBeUndefined();
  });

  it("ignores an empty unit", () => {
    expect(filterFromQuery(q("unidad="))).toEqual({});
  });
});

describe("filter → URL → filter", () => {
  const cases: TurnoFilter[] = [
    {},
    { trafficLight: ["RED"], status: ["SENT", "RECEIVED", "ANSWERED", "RETURNED"] },
    { period: { from: "2026-02-01" } },
    { period: { to: "2026-02-28" } },
    { period: { from: "2026-02-01", to: "2026-02-28" }, unitId: "T3JnVW5pdDo1", includeSubunits: false },
    { status: ["CONCLUDED", "CANCELLED"], trafficLight: ["NONE", "GREEN", "YELLOW"] },
  ];

  for (const filter of cases) {
    it(`round-trips ${JSON.stringify(filter)}`, () => {
      expect(filterFromQuery(queryFromFilter(filter))).toEqual(filter);
    });
  }

  it("writes readable Spanish parameter names and omits what is not set", () => {
    expect(queryFromFilter({ trafficLight: ["RED"], status: ["SENT", "RECEIVED"] }).toString())
      .toBe("estado=SENT%2CRECEIVED&luz=RED");
    expect(queryFromFilter({ includeSubunits: true, status: [], trafficLight: [] }).toString()).toBe("");
  });

  it("URL → filter → URL is stable for a clean URL", () => {
    const url = "desde=2026-01-01&hasta=2026-01-31&estado=SENT%2CRECEIVED&luz=RED&unidad=abc&subunidades=no";
    expect(queryFromFilter(filterFromQuery(q(url))).toString()).toBe(url);
  });
});
