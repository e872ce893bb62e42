// Buscar's URL: the query and the filters survive a reload and the back button; bad values are dropped.
import { describe, expect, it } from "vitest";
import {
  countFilters, filtersFromQuery, queryFromSearch, searchFilter, textFromQuery,
} from "../src/components/search/searchFilter";
import { resultsPhrase, snippetPlace, unitsInScope } from "../src/components/search/search";

describe("searchFilter", () => {
  it("reads every filter and the text", () => {
    const query = new URLSearchParams(
      "q=nómina 2026&desde=2026-01-01&hasta=2026-01-31&unidad=U1&estado=REGISTERED,IN_PROGRESS&origen=EXTERNAL" +
      "&nivel=STATE,CITIZEN&tipo=OFICIO&prioridad=URGENT&luz=RED,YELLOW");
    expect(searchFilter(query)).toEqual({
      search: "nómina 2026",
      period: { from: "2026-01-01", to: "2026-01-31" },
      unitId: "U1",
      includeSubunits: true,
      status: ["REGISTERED", "IN_PROGRESS"],
      origin: "EXTERNAL",
      senderLevel: ["STATE", "CITIZEN"],
      documentType: ["OFICIO"],
      priority: "URGENT",
      trafficLight: ["RED", "YELLOW"],
    });
    expect(countFilters(searchFilter(query))).toBe(8);
  });

  it("round-trips through the URL", () => {
    const filter = filtersFromQuery(new URLSearchParams("unidad=U1&subunidades=no&luz=NONE&desde=2026-02-01"));
    expect(filter).toEqual({ unitId: "U1", includeSubunits: false, trafficLight: ["NONE"], period: { from: "2026-02-01", to: undefined } });
    const query = queryFromSearch("  contrato  ", filter);
    expect(query.toString()).toBe("q=contrato&desde=2026-02-01&unidad=U1&subunidades=no&luz=NONE");
    expect(searchFilter(query)).toEqual({ ...filter, search: "contrato" });
  });

  it("drops what is not a value of the API and an empty text", () => {
    const query = new URLSearchParams("q=%20%20&estado=NOPE,CONCLUDED&origen=X&prioridad=&luz=PURPLE&desde=ayer&subunidades=no");
    expect(searchFilter(query)).toEqual({ status: ["CONCLUDED"] });
    expect(textFromQuery(new URLSearchParams(`q=${"a".repeat(900)}`))).toHaveLength(500);
    expect(countFilters({})).toBe(0);
    expect(queryFromSearch("", {}).toString()).toBe("");
  });
});

describe("search words", () => {
  const units = [
    { id: "R", acronym: "INST", name: "Institución", parent: null },
    { id: "A", acronym: "DA", name: "Administración", parent: { id: "R" } },
    { id: "A1", acronym: "SRH", name: "Recursos Humanos", parent: { id: "A" } },
    { id: "J", acronym: "DJ", name: "Jurídica", parent: { id: "R" } },
  ];

  it("offers the units a person sees", () => {
    const ids = (memberships: { role: "ADMIN" | "HEAD" | "STAFF" | "VIEWER" | "REGISTRAR"; unit: { id: string } }[]) =>
      unitsInScope(units, memberships).map(({ unit, depth }) => `${unit.acronym}:${depth}`);
    expect(ids([{ role: "STAFF", unit: { id: "A" } }])).toEqual(["DA:0"]);
    expect(ids([{ role: "HEAD", unit: { id: "A" } }])).toEqual(["DA:0", "SRH:1"]);
    expect(ids([{ role: "STAFF", unit: { id: "J" } }, { role: "VIEWER", unit: { id: "A" } }])).toEqual(["DA:0", "SRH:1", "DJ:0"]);
    expect(ids([{ role: "ADMIN", unit: { id: "R" } }])).toEqual(["INST:0", "DA:1", "SRH:2", "DJ:1"]);
  });

  it("says where a snippet was found and how many results", () => {
    expect(snippetPlace("FILE", "oficio.pdf")).toBe("En el archivo oficio.pdf");
    expect(snippetPlace("SUMMARY", null)).toBe("En el resumen");
    expect(resultsPhrase(1)).toBe("1 resultado");
    expect(resultsPhrase(1234)).toBe("1,234 resultados");
  });
});
