// Reportes: the state of a report in the URL, the indicators and their Spanish names, the labels
// of the periods (buckets), the totals, and which field an API error belongs to. Pure functions,
// tested with vitest (web/tests/reports.test.ts).
//
// ?desde=2026-01-01&hasta=2026-03-31&granularidad=semanal&unidad=<id>&subunidades=no&porUnidad=si
//  &graficar=documentos,turnos-recibidos
// Whatever is absent takes its default: this year until today, by month, every unit of mine with
// their subunits, no table by unit, and the default indicators in the chart. A bookmark without
// dates is therefore "this year so far" whenever it is opened.

import type { Granularity, ReportFiguresFragment } from "../graphql/generated";

// --- the indicators -----------------------------------------------------------------------------

export type CountKey = "documentsReceived" | "turnosSent" | "turnosReceived" | "responsesSent" | "responsesReceived"
  | "pending" | "overdue" | "concludedOnTime";

export interface Indicator {
  key: CountKey;
  slug: string; // in the URL (graficar=)
  label: string;
  color: string; // at least 3:1 against white (WCAG 1.4.11), told apart by dash patterns on lines too
  dash: number[];
  description: string;
}

export const INDICATORS: Indicator[] = [
  { key: "documentsReceived", slug: "documentos", label: "Documentos recibidos", color: "#1f5fbf", dash: [],
    description: "Documentos registrados en el periodo (por su fecha de recepción) por las unidades del reporte." },
  { key: "turnosSent", slug: "turnos-enviados", label: "Turnos enviados", color: "#7a1a40", dash: [8, 4],
    description: "Turnos que las unidades del reporte enviaron en el periodo, cualquiera que sea su estado hoy." },
  { key: "turnosReceived", slug: "turnos-recibidos", label: "Turnos recibidos", color: "#6d28d9", dash: [2, 3],
    description: "Turnos que las unidades del reporte recibieron en el periodo (copias para conocimiento y cancelados incluidos)." },
  { key: "responsesSent", slug: "respuestas-enviadas", label: "Respuestas enviadas", color: "#0f766e", dash: [12, 4, 2, 4],
    description: "Respuestas que las unidades del reporte dieron en el periodo; cada ronda cuenta." },
  { key: "responsesReceived", slug: "respuestas-recibidas", label: "Respuestas recibidas", color: "#475569", dash: [4, 4],
    description: "Respuestas que las unidades del reporte recibieron en el periodo a los turnos que enviaron." },
  { key: "pending", slug: "pendientes", label: "Pendientes", color: "#a35200", dash: [10, 3, 3, 3],
    description: "De los turnos recibidos en el periodo, los que siguen abiertos hoy (sin respuesta aceptada)." },
  { key: "overdue", slug: "vencidos", label: "Vencidos", color: "#b3261e", dash: [1, 3],
    description: "De los pendientes, los que hoy tienen el semáforo en Vencido." },
  { key: "concludedOnTime", slug: "en-tiempo", label: "Concluidos en tiempo", color: "#2f7a43", dash: [6, 2],
    description: "De los turnos recibidos en el periodo, los concluidos con una respuesta dada dentro del plazo." },
];

export const AVERAGE_LABEL = "Promedio de días hábiles para responder";
export const AVERAGE_DESCRIPTION =
  "De las respuestas enviadas en el periodo: los días hábiles desde el envío del turno hasta la respuesta " +
  "(una respuesta el mismo día cuenta 0).";

/** At 390 px four series still read well; the chooser adds or removes the others. */
export const DEFAULT_CHART: CountKey[] = ["documentsReceived", "turnosReceived", "responsesSent", "overdue"];

export function indicator(key: CountKey): Indicator {
  return INDICATORS.find((i) => i.key === key)!;
}

// --- the state in the URL -----------------------------------------------------------------------

export const GRANULARITIES: { value: Granularity; slug: string; label: string; noun: string; plural: string }[] = [
  { value: "DAY", slug: "diaria", label: "Día", noun: "día", plural: "días" },
  { value: "WEEK", slug: "semanal", label: "Semana", noun: "semana", plural: "semanas" },
  { value: "MONTH", slug: "mensual", label: "Mes", noun: "mes", plural: "meses" },
  { value: "YEAR", slug: "anual", label: "Año", noun: "año", plural: "años" },
];

export function granularity(value: Granularity) {
  return GRANULARITIES.find((g) => g.value === value)!;
}

export interface ReportState {
  from: string | null; // YYYY-MM-DD; null: the 1st of January of `to`'s year
  to: string | null; // null: today
  granularity: Granularity;
  unitId: string | null; // null: every unit of mine
  includeSubunits: boolean;
  byUnit: boolean;
  chart: CountKey[]; // the indicators drawn (the table shows them all)
}

const DAY = /^\d{4}-\d{2}-\d{2}$/;
// the API takes periods between 1900 and 9998; while a year is being typed (0002, 0020, 0202) the
// date input already holds a "valid" date: such values are not applied
export const EARLIEST = "1900-01-01";
export const LATEST = "9998-12-31";

/** A complete calendar date the API accepts. */
export function isDay(value: string | null | undefined): value is string {
  if (!value || !DAY.test(value)) return false;
  const [y, m, d] = value.split("-").map(Number);
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d
    && value >= EARLIEST && value <= LATEST;
}

export function stateFromQuery(query: URLSearchParams): ReportState {
  const slug = query.get("granularidad");
  const chosen = (query.get("graficar") ?? "").split(",")
    .map((s) => INDICATORS.find((i) => i.slug === s)?.key).filter((k): k is CountKey => !!k);
  return {
    from: isDay(query.get("desde")) ? query.get("desde") : null,
    to: isDay(query.get("hasta")) ? query.get("hasta") : null,
    granularity: GRANULARITIES.find((g) => g.slug === slug)?.value ?? "MONTH",
    unitId: query.get("unidad") || null,
    includeSubunits: query.get("subunidades") !== "no",
    byUnit: query.get("porUnidad") === "si",
    chart: query.has("graficar") ? INDICATORS.map((i) => i.key).filter((k) => chosen.includes(k)) : [...DEFAULT_CHART],
  };
}

export function queryFromState(state: ReportState): URLSearchParams {
  const query = new URLSearchParams();
  if (state.from) query.set("desde", state.from);
  if (state.to) query.set("hasta", state.to);
  if (state.granularity !== "MONTH") query.set("granularidad", granularity(state.granularity).slug);
  if (state.unitId) query.set("unidad", state.unitId);
  if (!state.includeSubunits) query.set("subunidades", "no");
  if (state.byUnit) query.set("porUnidad", "si");
  const chart = INDICATORS.map((i) => i.key).filter((k) => state.chart.includes(k));
  if (chart.join() !== DEFAULT_CHART.join()) query.set("graficar", chart.map((k) => indicator(k).slug).join(","));
  return query;
}

/** Today's date in the institution's time zone, YYYY-MM-DD. */
export function todayIn(zone = "America/Mexico_City", now: Date = new Date()): string {
  const parts = new Intl.DateTimeFormat("en-CA", { timeZone: zone, year: "numeric", month: "2-digit", day: "2-digit" })
    .formatToParts(now);
  const part = (type: string) => parts.find((p) => p.type === type)!.value;
  return `${part("year")}-${part("month")}-${part("day")}`;
}

/** The period asked for: as the API's defaults, computed here so that the form shows the dates. */
export function effectivePeriod(state: Pick<ReportState, "from" | "to">, today: string): { from: string; to: string } {
  const to = state.to ?? today;
  return { from: state.from ?? `${to.slice(0, 4)}-01-01`, to };
}

// --- words for dates and periods ----------------------------------------------------------------
// Written here rather than by Intl: every browser then writes the same ("sep", not "sept"), and
// calendar days (the API's `Date`) are never shifted by a time zone.

const MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre",
  "noviembre", "diciembre"];
const MONTHS_SHORT = ["ene", "feb", "mar", "abr", "may", "jun", "jul", "ago", "sep", "oct", "nov", "dic"];
const WEEKDAYS_SHORT = ["dom", "lun", "mar", "mié", "jue", "vie", "sáb"];

interface Ymd { y: number; m: number; d: number } // m: 1..12

function ymd(day: string): Ymd {
  const [y, m, d] = day.split("-").map(Number);
  return { y, m, d };
}

function iso({ y, m, d }: Ymd): string {
  return `${String(y).padStart(4, "0")}-${String(m).padStart(2, "0")}-${String(d).padStart(2, "0")}`;
}

export function addDays(day: string, days: number): string {
  const { y, m, d } = ymd(day);
  const date = new Date(Date.UTC(y, m - 1, d + days));
  return iso({ y: date.getUTCFullYear(), m: date.getUTCMonth() + 1, d: date.getUTCDate() });
}

function weekday(day: string): number {
  const { y, m, d } = ymd(day);
  return new Date(Date.UTC(y, m - 1, d)).getUTCDay();
}

/** "5 ene 2026" */
export function shortDate(day: string): string {
  const { y, m, d } = ymd(day);
  return `${d} ${MONTHS_SHORT[m - 1]} ${y}`;
}

/** "del 1 ene 2026 al 2 mar 2026" */
export function periodPhrase(from: string, to: string): string {
  return from === to ? `del ${shortDate(from)}` : `del ${shortDate(from)} al ${shortDate(to)}`;
}

/** The last day of the bucket that starts on `start`, clipped to the period's last day. */
export function bucketEnd(start: string, gran: Granularity, last: string): string {
  const { y, m } = ymd(start);
  let end: string;
  if (gran === "DAY") end = start;
  else if (gran === "WEEK") end = addDays(start, 6);
  else if (gran === "MONTH") end = addDays(iso({ y: m === 12 ? y + 1 : y, m: m === 12 ? 1 : m + 1, d: 1 }), -1);
  else end = `${String(y).padStart(4, "0")}-12-31`;
  return end < last ? end : last;
}

/** The bucket as the table writes it: "lun 5 ene 2026", "29 dic 2025 al 4 ene 2026", "enero 2026", "2026".
 * A week is written with the days it counts (the first and last weeks are clipped to the period). */
export function bucketLabel(start: string, gran: Granularity, period: { from: string; to: string }): string {
  const { y, m, d } = ymd(start);
  if (gran === "DAY") return `${WEEKDAYS_SHORT[weekday(start)]} ${d} ${MONTHS_SHORT[m - 1]} ${y}`;
  if (gran === "MONTH") return `${MONTHS[m - 1]} ${y}`;
  if (gran === "YEAR") return String(y);
  const first = start < period.from ? period.from : start;
  const last = bucketEnd(start, gran, period.to);
  const a = ymd(first);
  const b = ymd(last);
  if (first === last) return shortDate(first);
  if (a.y !== b.y) return `${shortDate(first)} al ${shortDate(last)}`;
  if (a.m !== b.m) return `${a.d} ${MONTHS_SHORT[a.m - 1]} al ${b.d} ${MONTHS_SHORT[b.m - 1]} ${b.y}`;
  return `${a.d} al ${b.d} ${MONTHS_SHORT[b.m - 1]} ${b.y}`;
}

/** A label that may break only around " al ": "26 ene al / 1 feb 2026", never "26 ene al 1 / feb 2026". */
export function keepTogether(label: string): string {
  return label.split(" al ").map((part) => part.replace(/ /g, "\u00a0")).join(" al ");
}

/** The bucket under the chart's axis (short): "5 ene", "ene" (or "ene 2026" over several years), "2026". */
export function axisLabel(start: string, gran: Granularity, period: { from: string; to: string }): string {
  const { y, m } = ymd(start);
  const severalYears = period.from.slice(0, 4) !== period.to.slice(0, 4);
  if (gran === "YEAR") return String(y);
  if (gran === "MONTH") return severalYears ? `${MONTHS_SHORT[m - 1]} ${y}` : MONTHS_SHORT[m - 1];
  const first = start < period.from ? period.from : start; // a clipped first week starts where the period does
  const f = ymd(first);
  return `${f.d} ${MONTHS_SHORT[f.m - 1]}`;
}

// --- numbers ----------------------------------------------------------------------------------

const integer = new Intl.NumberFormat("es-MX", { maximumFractionDigits: 0 });
const oneDecimal = new Intl.NumberFormat("es-MX", { minimumFractionDigits: 1, maximumFractionDigits: 1 });

export function formatCount(n: number): string {
  return integer.format(n);
}

/** Business days, one decimal: "3.3"; null (no answer) gives null: the screen writes "sin respuestas". */
export function formatAverage(n: number | null | undefined): string | null {
  return n === null || n === undefined ? null : oneDecimal.format(n);
}

export type Figures = Omit<ReportFiguresFragment, "start">;

/** Sums of the counts, and the mean business days over every answer of the rows (each bucket's mean
 * weighs by its responsesSent: the API's mean is over exactly those answers). */
export function totals(rows: Figures[]): Figures {
  const sum: Figures = {
    documentsReceived: 0, turnosSent: 0, turnosReceived: 0, responsesSent: 0, responsesReceived: 0, pending: 0,
    overdue: 0, concludedOnTime: 0, averageBusinessDaysToAnswer: null,
  };
  let days = 0;
  let answers = 0;
  for (const row of rows) {
    for (const { key } of INDICATORS) sum[key] += row[key];
    if (row.averageBusinessDaysToAnswer !== null && row.responsesSent > 0) {
      days += row.averageBusinessDaysToAnswer * row.responsesSent;
      answers += row.responsesSent;
    }
  }
  sum.averageBusinessDaysToAnswer = answers ? days / answers : null;
  return sum;
}

export function isEmpty(rows: Figures[]): boolean {
  return rows.every((row) => INDICATORS.every(({ key }) => row[key] === 0));
}

export interface UnitRef { id: string; acronym: string; name: string }

/** The rows by unit (each unit's buckets, in the API's order: the org tree's) added up per unit. */
export function unitTotals<R extends Figures & { unit: UnitRef | null }>(rows: R[]): { unit: UnitRef; figures: Figures }[] {
  const groups = new Map<string, { unit: UnitRef; rows: Figures[] }>();
  for (const row of rows) {
    if (!row.unit) continue;
    const group = groups.get(row.unit.id) ?? { unit: row.unit, rows: [] };
    group.rows.push(row);
    groups.set(row.unit.id, group);
  }
  return [...groups.values()].map(({ unit, rows }) => ({ unit, figures: totals(rows) }));
}

// --- the units one may choose ---------------------------------------------------------------------

export interface UnitNode { id: string; acronym: string; name: string; active: boolean; parent: { id: string } | null }
export interface Membership { role: string; unit: { id: string } }

/** The units worth offering (a convenience: the API decides what counts, and a unit outside one's
 * scope gives zeros): ADMIN every unit; HEAD, REGISTRAR and VIEWER their units and everything under
 * them; STAFF their units. In the org tree's order, each with its depth under the first shown. */
export function unitChoices(units: UnitNode[], memberships: Membership[]): (UnitNode & { depth: number })[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const depthOf = (unit: UnitNode): number => {
    let depth = 0;
    for (let p = unit.parent && byId.get(unit.parent.id); p; p = p.parent && byId.get(p.parent.id)) depth++;
    return depth;
  };
  const admin = memberships.some((m) => m.role === "ADMIN");
  const roots = new Set(memberships.filter((m) => m.role !== "STAFF").map((m) => m.unit.id));
  const own = new Set(memberships.map((m) => m.unit.id));
  const inScope = (unit: UnitNode): boolean => {
    if (admin || own.has(unit.id)) return true;
    for (let p = unit.parent && byId.get(unit.parent.id); p; p = p.parent && byId.get(p.parent.id)) {
      if (roots.has(p.id)) return true;
    }
    return false;
  };
  const chosen = units.filter(inScope);
  const top = Math.min(...chosen.map(depthOf));
  return chosen.map((u) => ({ ...u, depth: depthOf(u) - top }));
}

// --- what the chart shows, in words (its accessible name) ----------------------------------------

export function listPhrase(items: string[]): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} y ${items[items.length - 1]}`;
}

export function tableCaption(gran: Granularity): string {
  return `Producción por ${granularity(gran).noun}`;
}

/** "Gráfica de producción por mes del 1 ene 2026 al 2 mar 2026, DA y sus subunidades: Documentos
 * recibidos y Vencidos. Las cifras están en la tabla Producción por mes." */
export function chartName(gran: Granularity, period: { from: string; to: string }, scope: string,
                          chart: CountKey[]): string {
  const shown = listPhrase(chart.map((k) => indicator(k).label));
  return `Gráfica de producción por ${granularity(gran).noun} ${periodPhrase(period.from, period.to)}, ${scope}: `
    + `${shown}. Las cifras están en la tabla ${tableCaption(gran)}.`;
}

// --- errors next to their fields --------------------------------------------------------------------

/** The API's `extensions.field` → the screen's field. */
export const ERROR_FIELDS: Record<string, ReportField> = {
  period: "period", granularity: "granularity", unitId: "unit", includeSubunits: "unit", byUnit: "byUnit",
};
export type ReportField = "period" | "granularity" | "unit" | "byUnit";

export interface ErrorItem { message: string; extensions?: { field?: string; [key: string]: unknown } }

/** Each error with a field of the form goes next to it; the rest is one message for a banner. */
export function placeErrors(errors: ErrorItem[]): { fields: Partial<Record<ReportField, string>>; general: string | null } {
  const fields: Partial<Record<ReportField, string>> = {};
  const general: string[] = [];
  for (const error of errors) {
    const field = error.extensions?.field ? ERROR_FIELDS[error.extensions.field] : undefined;
    if (field && !fields[field]) fields[field] = error.message;
    else if (!field) general.push(error.message);
  }
  return { fields, general: general[0] ?? null };
}
