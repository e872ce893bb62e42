// Reportes: the state in the URL survives the round trip (and junk is ignored), the periods are
// written as calendar days whatever the browser's time zone, totals and means add buckets up
// exactly, and each API error lands next to its field.
import { describe, expect, it } from "vitest";
import {
  DEFAULT_CHART, axisLabel, keepTogether, bucketEnd, bucketLabel, chartName, effectivePeriod, formatAverage, isDay, isEmpty,
  listPhrase, periodPhrase, placeErrors, queryFromState, stateFromQuery, todayIn, totals, unitChoices, unitTotals,
  type Figures, type ReportState,
} from "../src/lib/reports";

const q = (s: string) => new URLSearchParams(s);
const DEFAULTS: ReportState = {
  from: null, to: null, granularity: "MONTH", unitId: null, includeSubunits: true, byUnit: false, chart: DEFAULT_CHART,
};

function figures(values: Partial<Figures> = {}): Figures {
  return {
    documentsReceived: 0, turnosSent: 0, turnosReceived: 0, responsesSent: 0, responsesReceived: 0, pending: 0,
    overdue: 0, concludedOnTime: 0, averageBusinessDaysToAnswer: null, ...values,
  };
}

describe("the report in the URL", () => {
  it("has defaults: this year by month, all my units with subunits, no table by unit", () => {
    expect(stateFromQuery(q(""))).toEqual(DEFAULTS);
    expect(queryFromState(DEFAULTS).toString()).toBe("");
  });

  it("reads and writes every choice", () => {
    const url = "desde=2026-01-01&hasta=2026-03-31&granularidad=semanal&unidad=T3JnVW5pdDoz&subunidades=no&porUnidad=si"
      + "&graficar=documentos%2Cvencidos";
    const state = stateFromQuery(q(url));
    expect(state).toEqual({
      from: "2026-01-01", to: "2026-03-31", granularity: "WEEK", unitId: "T3JnVW5pdDoz", includeSubunits: false,
      byUnit: true, chart: ["documentsReceived", "overdue"],
    });
    expect(queryFromState(state).toString()).toBe(url);
    for (const [slug, value] of [["diaria", "DAY"], ["semanal", "WEEK"], ["mensual", "MONTH"], ["anual", "YEAR"]]) {
      const read = stateFromQuery(q(`granularidad=${slug}`));
      expect(read.granularity).toBe(value);
      expect(stateFromQuery(queryFromState(read))).toEqual(read);
    }
  });

  it("ignores what it does not know, and keeps an empty chart as chosen", () => {
    expect(stateFromQuery(q("desde=ayer&hasta=2026-02-30&granularidad=HOURLY&graficar=nada,pendientes&x=1"))).toEqual({
      ...DEFAULTS, chart: ["pending"],
    });
    const none = stateFromQuery(q("graficar="));
    expect(none.chart).toEqual([]);
    expect(queryFromState(none).get("graficar")).toBe("");
  });

  it("writes the chosen indicators in their fixed order", () => {
    const state = { ...DEFAULTS, chart: ["overdue", "documentsReceived"] as ReportState["chart"] };
    expect(queryFromState(state).get("graficar")).toBe("documentos,vencidos");
  });
});

describe("dates", () => {
  it("accepts complete dates the API takes, not a year still being typed", () => {
    expect(isDay("2026-02-28")).toBe(true);
    expect(isDay("2028-02-29")).toBe(true);
    expect(isDay("2026-02-29")).toBe(false);
    expect(isDay("0202-01-01")).toBe(false);
    expect(isDay("1900-01-01")).toBe(true);
    expect(isDay("9999-01-01")).toBe(false);
    expect(isDay("")).toBe(false);
  });

  it("knows today in Mexico City, not in UTC", () => {
    // 23:30 on 31 January in Mexico City is 05:30 on 1 February in UTC
    expect(todayIn("America/Mexico_City", new Date("2026-02-01T05:30:00Z"))).toBe("2026-01-31");
    expect(todayIn("America/Mexico_City", new Date("2026-02-01T06:00:00Z"))).toBe("2026-02-01");
  });

  it("defaults the period as the API does: from the 1st of January of `to`'s year", () => {
    expect(effectivePeriod({ from: null, to: null }, "2026-03-02")).toEqual({ from: "2026-01-01", to: "2026-03-02" });
    expect(effectivePeriod({ from: null, to: "2025-06-30" }, "2026-03-02")).toEqual({ from: "2025-01-01", to: "2025-06-30" });
    expect(effectivePeriod({ from: "2025-11-01", to: null }, "2026-03-02")).toEqual({ from: "2025-11-01", to: "2026-03-02" });
  });

  it("writes the buckets as calendar days, never shifted by a time zone", () => {
    const period = { from: "2026-01-01", to: "2026-03-02" };
    expect(bucketLabel("2026-01-01", "MONTH", period)).toBe("enero 2026");
    expect(bucketLabel("2026-01-01", "YEAR", period)).toBe("2026");
    expect(bucketLabel("2026-01-05", "DAY", period)).toBe("lun 5 ene 2026");
    expect(bucketLabel("2026-02-01", "DAY", period)).toBe("dom 1 feb 2026");
    // the first week starts on Monday 29 December 2025 but counts from the period's first day
    expect(bucketLabel("2025-12-29", "WEEK", period)).toBe("1 al 4 ene 2026");
    expect(bucketLabel("2026-01-26", "WEEK", period)).toBe("26 ene al 1 feb 2026");
    expect(bucketLabel("2026-03-02", "WEEK", period)).toBe("2 mar 2026"); // clipped to its one day
    expect(bucketLabel("2025-12-29", "WEEK", { from: "2025-12-29", to: "2026-12-31" })).toBe("29 dic 2025 al 4 ene 2026");
    expect(axisLabel("2026-02-01", "MONTH", period)).toBe("feb");
    expect(axisLabel("2026-02-01", "MONTH", { from: "2025-06-01", to: "2026-03-02" })).toBe("feb 2026");
    expect(axisLabel("2025-12-29", "WEEK", period)).toBe("1 ene");
    expect(axisLabel("2026-01-05", "DAY", period)).toBe("5 ene");
    expect(bucketEnd("2024-02-01", "MONTH", "2024-12-31")).toBe("2024-02-29");
    expect(bucketEnd("2026-12-01", "MONTH", "2027-12-31")).toBe("2026-12-31");
    expect(periodPhrase("2026-01-01", "2026-03-02")).toBe("del 1 ene 2026 al 2 mar 2026");
    expect(periodPhrase("2026-09-06", "2026-09-06")).toBe("del 6 sep 2026");
    expect(keepTogether("26 ene al 1 feb 2026")).toBe("26\u00a0ene al 1\u00a0feb\u00a02026");
    expect(keepTogether("enero 2026")).toBe("enero\u00a02026");
  });
});

describe("figures", () => {
  it("adds counts up and weighs each bucket's mean by its answers", () => {
    const rows = [
      figures({ documentsReceived: 2, responsesSent: 3, averageBusinessDaysToAnswer: 2 }), // 6 days
      figures({ documentsReceived: 1, pending: 1 }),
      figures({ responsesSent: 1, averageBusinessDaysToAnswer: 10 }), // 10 days
    ];
    const sum = totals(rows);
    expect(sum.documentsReceived).toBe(3);
    expect(sum.pending).toBe(1);
    expect(sum.responsesSent).toBe(4);
    expect(sum.averageBusinessDaysToAnswer).toBe(4); // 16 days over 4 answers, not (2 + 10) / 2
    expect(totals([figures()]).averageBusinessDaysToAnswer).toBeNull();
    expect(isEmpty([figures(), figures()])).toBe(true);
    expect(isEmpty(rows)).toBe(false);
  });

  it("writes the mean with one decimal, rounding half up", () => {
    expect(formatAverage(3.25)).toBe("3.3");
    expect(formatAverage(2)).toBe("2.0");
    expect(formatAverage(0)).toBe("0.0");
    expect(formatAverage(null)).toBeNull();
  });

  it("adds each unit's buckets up, in the API's order", () => {
    const da = { id: "a", acronym: "DA", name: "Dirección de Administración" };
    const dj = { id: "j", acronym: "DJ", name: "Dirección Jurídica" };
    const rows = [
      { ...figures({ turnosReceived: 2 }), start: "2025-01-01", unit: da },
      { ...figures({ responsesSent: 1, averageBusinessDaysToAnswer: 4 }), start: "2025-01-01", unit: dj },
      { ...figures({ turnosReceived: 1, responsesSent: 1, averageBusinessDaysToAnswer: 1 }), start: "2026-01-01", unit: da },
      { ...figures({ responsesSent: 3, averageBusinessDaysToAnswer: 0 }), start: "2026-01-01", unit: dj },
    ];
    const result = unitTotals(rows);
    expect(result.map((r) => r.unit.acronym)).toEqual(["DA", "DJ"]);
    expect(result[0].figures.turnosReceived).toBe(3);
    expect(result[0].figures.averageBusinessDaysToAnswer).toBe(1);
    expect(result[1].figures.averageBusinessDaysToAnswer).toBe(1); // 4 days over 4 answers
  });
});

describe("the units offered", () => {
  const units = [
    { id: "0", acronym: "INST", name: "Institución", active: true, parent: null },
    { id: "1", acronym: "DG", name: "Dirección General", active: true, parent: { id: "0" } },
    { id: "2", acronym: "DA", name: "Dirección de Administración", active: true, parent: { id: "1" } },
    { id: "3", acronym: "SRH", name: "Subdirección de Recursos Humanos", active: true, parent: { id: "2" } },
    { id: "4", acronym: "DJ", name: "Dirección Jurídica", active: true, parent: { id: "1" } },
  ];
  const acronyms = (memberships: { role: string; unit: { id: string } }[]) =>
    unitChoices(units, memberships).map((u) => `${u.depth}:${u.acronym}`);

  it("a head: the unit and its subtree, indented from it", () => {
    expect(acronyms([{ role: "HEAD", unit: { id: "2" } }])).toEqual(["0:DA", "1:SRH"]);
  });
  it("staff: only their units", () => {
    expect(acronyms([{ role: "STAFF", unit: { id: "2" } }])).toEqual(["0:DA"]);
  });
  it("an administrator: every unit", () => {
    expect(acronyms([{ role: "ADMIN", unit: { id: "0" } }])).toEqual(["0:INST", "1:DG", "2:DA", "3:SRH", "2:DJ"]);
  });
});

describe("words", () => {
  it("names the chart by what it shows", () => {
    expect(listPhrase(["a", "b", "c"])).toBe("a, b y c");
    expect(chartName("MONTH", { from: "2026-01-01", to: "2026-03-02" }, "DA y sus subunidades",
      ["documentsReceived", "overdue"]))
      .toBe("Gráfica de producción por mes del 1 ene 2026 al 2 mar 2026, DA y sus subunidades: "
        + "Documentos recibidos y Vencidos. Las cifras están en la tabla Producción por mes.");
  });

  it("places each API error next to its field; the rest in one message", () => {
    expect(placeErrors([
      { message: "El periodo abarca 2,531 días…", extensions: { code: "VALIDATION", field: "granularity" } },
      { message: "El resultado tendría 12,700 filas…", extensions: { code: "VALIDATION", field: "byUnit" } },
      { message: "La fecha inicial…", extensions: { code: "VALIDATION", field: "period" } },
    ])).toEqual({
      fields: { granularity: "El periodo abarca 2,531 días…", byUnit: "El resultado tendría 12,700 filas…",
        period: "La fecha inicial…" },
      general: null,
    });
    expect(placeErrors([{ message: "Inicie sesión.", extensions: { code: "UNAUTHENTICATED" } }]))
      .toEqual({ fields: {}, general: "Inicie sesión." });
  });
});
