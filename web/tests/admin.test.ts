// Administración as data: its addresses, the org tree (children, ancestors, search), the calendar's
// month grids and the periods of memberships in words.
import { describe, expect, it } from "vitest";
import {
  adminHref, ancestorsOf, childrenOf, dayName, isWeekend, membershipInputs, monthGrid, periodWords, searchTree,
  sectionOf, unitMatches, weekdaysBetween,
} from "../src/components/admin/admin";

const unit = (id: string, acronym: string, name: string, parent: string | null, code = id) =>
  ({ id, code, acronym, name, active: true, parent: parent ? { id: parent } : null });

const TREE = [
  unit("1", "INST", "Institución", null, "0"),
  unit("2", "DG", "Dirección General", "1", "100"),
  unit("3", "DA", "Dirección de Administración", "2", "110"),
  unit("4", "SRH", "Subdirección de Recursos Humanos", "3", "111"),
  unit("5", "DJ", "Dirección Jurídica", "2", "120"),
];

describe("sections and addresses", () => {
  it("reads the section from the address, Unidades by default", () => {
    expect(sectionOf(new URLSearchParams("seccion=dias"))).toBe("dias");
    expect(sectionOf(new URLSearchParams("seccion=otra"))).toBe("unidades");
    expect(sectionOf(new URLSearchParams(""))).toBe("unidades");
  });

  it("writes an address with only the parameters given", () => {
    expect(adminHref("unidades", { unidad: "T3Jn", accion: null, q: "" })).toBe("/administracion?seccion=unidades&unidad=T3Jn");
  });
});

describe("the org tree", () => {
  it("lists children in order and the ancestors from the root", () => {
    const children = childrenOf(TREE);
    expect(children.get("")!.map((u) => u.acronym)).toEqual(["INST"]);
    expect(children.get("2")!.map((u) => u.acronym)).toEqual(["DA", "DJ"]);
    expect(ancestorsOf(TREE, "4").map((u) => u.acronym)).toEqual(["INST", "DG", "DA"]);
    expect(ancestorsOf(TREE, "1")).toEqual([]);
  });

  it("matches every word in the name, acronym or code, without accents", () => {
    expect(unitMatches(TREE[2], "direccion administ")).toBe(true);
    expect(unitMatches(TREE[2], "110")).toBe(true);
    expect(unitMatches(TREE[2], "juridica")).toBe(false);
  });

  it("shows what matches with its ancestors", () => {
    const { matches, shown } = searchTree(TREE, "recursos");
    expect([...matches]).toEqual(["4"]);
    expect([...shown].sort()).toEqual(["1", "2", "3", "4"]);
    expect(searchTree(TREE, "  ").shown.size).toBe(0);
  });
});

describe("the calendar", () => {
  it("lays a month out in weeks from Monday", () => {
    const march = monthGrid(2026, 3); // 1 March 2026 is a Sunday
    expect(march[0]).toEqual([null, null, null, null, null, null, "2026-03-01"]);
    expect(march[1][0]).toBe("2026-03-02");
    expect(march.flat().filter(Boolean)).toHaveLength(31);
    expect(march.every((week) => week.length === 7)).toBe(true);
    expect(monthGrid(2028, 2).flat().filter(Boolean)).toHaveLength(29);
  });

  it("names days in full, in Spanish", () => {
    expect(dayName("2026-04-06")).toBe("lunes 6 de abril de 2026");
    expect(isWeekend("2026-04-11")).toBe(true);
    expect(isWeekend("2026-04-10")).toBe(false);
  });

  it("takes the weekdays of a period, both ends included", () => {
    expect(weekdaysBetween("2026-04-07", "2026-04-12")).toEqual(["2026-04-07", "2026-04-08", "2026-04-09", "2026-04-10"]);
    expect(weekdaysBetween("2026-04-11", "2026-04-12")).toEqual([]);
    expect(weekdaysBetween("2026-04-06", "")).toEqual(["2026-04-06"]);
    expect(weekdaysBetween("2026-12-31", "2027-01-01")).toEqual(["2026-12-31", "2027-01-01"]);
  });
});

describe("memberships", () => {
  it("writes a substitute's period", () => {
    expect(periodWords("2026-03-04", "2026-03-06")).toBe("Del 4 de marzo de 2026 al 6 de marzo de 2026");
    expect(periodWords("2026-03-04", null)).toBe("Desde el 4 de marzo de 2026");
    expect(periodWords(null, "2026-03-06")).toBe("Hasta el 6 de marzo de 2026");
    expect(periodWords(null, null)).toBeNull();
  });

  it("sends the memberships back with their dates", () => {
    expect(membershipInputs({ memberships: [
      { role: "HEAD", startsOn: "2026-03-04", endsOn: null, unit: { id: "U1" } },
    ] })).toEqual([{ unitId: "U1", role: "HEAD", startsOn: "2026-03-04", endsOn: null }]);
  });
});
