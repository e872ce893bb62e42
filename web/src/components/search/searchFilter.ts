// Buscar keeps its query and filters in the URL (shareable, the back button and a reload keep them):
// ?q=nomina&desde=2026-01-01&hasta=2026-01-31&unidad=<id>&subunidades=no&estado=REGISTERED,IN_PROGRESS
//  &origen=EXTERNAL&nivel=STATE,CITIZEN&tipo=OFICIO&prioridad=URGENT&luz=RED
// Pure functions, tested with vitest.

import type {
  DocumentFilter, DocumentStatus, Origin, Priority, SenderLevel, TrafficLight,
} from "../../graphql/generated";

export const DOCUMENT_STATUSES: DocumentStatus[] = ["REGISTERED", "IN_PROGRESS", "CONCLUDED", "ARCHIVED"];
export const ORIGINS: Origin[] = ["EXTERNAL", "INTERNAL"];
export const SENDER_LEVELS: SenderLevel[] = ["FEDERAL", "STATE", "MUNICIPAL", "ORGANIZATION", "CITIZEN", "INTERNAL"];
export const PRIORITIES: Priority[] = ["NORMAL", "URGENT"];
export const LIGHTS: TrafficLight[] = ["RED", "YELLOW", "GREEN", "NONE"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const MAX_TEXT = 500; // a search box holds a few words; a longer URL is cut, not refused

function list<T extends string>(value: string | null, allowed: readonly T[]): T[] | undefined {
  const items = (value ?? "").split(",").filter((v): v is T => (allowed as readonly string[]).includes(v));
  return items.length ? [...new Set(items)] : undefined;
}

function one<T extends string>(value: string | null, allowed: readonly T[]): T | undefined {
  return value && (allowed as readonly string[]).includes(value) ? (value as T) : undefined;
}

/** What the person typed in the box ("" when nothing). */
export function textFromQuery(query: URLSearchParams): string {
  return (query.get("q") ?? "").slice(0, MAX_TEXT);
}

/** The filters of the URL as the API's DocumentFilter, without the text (see searchFilter). */
export function filtersFromQuery(query: URLSearchParams): DocumentFilter {
  const from = query.get("desde");
  const to = query.get("hasta");
  const unitId = query.get("unidad") || undefined;
  const types = (query.get("tipo") ?? "").split(",").map((t) => t.trim()).filter(Boolean);
  const filter: DocumentFilter = {
    unitId,
    // with a unit: its subunits too, unless the URL says subunidades=no
    includeSubunits: unitId ? query.get("subunidades") !== "no" : undefined,
    status: list(query.get("estado"), DOCUMENT_STATUSES),
    origin: one(query.get("origen"), ORIGINS),
    senderLevel: list(query.get("nivel"), SENDER_LEVELS),
    documentType: types.length ? [...new Set(types)] : undefined,
    priority: one(query.get("prioridad"), PRIORITIES),
    trafficLight: list(query.get("luz"), LIGHTS),
  };
  const okFrom = from && DAY.test(from) ? from : undefined;
  const okTo = to && DAY.test(to) ? to : undefined;
  if (okFrom || okTo) filter.period = { from: okFrom, to: okTo };
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as DocumentFilter;
}

/** The API's filter for the URL: the filters and the text together. */
export function searchFilter(query: URLSearchParams): DocumentFilter {
  const text = textFromQuery(query).trim();
  return { ...filtersFromQuery(query), ...(text ? { search: text } : {}) };
}

/** How many filters are chosen (the "Filtros (n)" button); the subunits choice goes with its unit. */
export function countFilters(filter: DocumentFilter): number {
  const { includeSubunits: _subunits, search: _search, ...rest } = filter;
  return Object.values(rest).filter((v) => v !== undefined && v !== null).length;
}

/** The URL of a text and filters (the inverse of searchFilter). */
export function queryFromSearch(text: string, filter: DocumentFilter): URLSearchParams {
  const query = new URLSearchParams();
  const trimmed = text.trim().slice(0, MAX_TEXT);
  if (trimmed) query.set("q", trimmed);
  if (filter.period?.from) query.set("desde", filter.period.from);
  if (filter.period?.to) query.set("hasta", filter.period.to);
  if (filter.unitId) {
    query.set("unidad", filter.unitId);
    if (filter.includeSubunits === false) query.set("subunidades", "no");
  }
  if (filter.status?.length) query.set("estado", filter.status.join(","));
  if (filter.origin) query.set("origen", filter.origin);
  if (filter.senderLevel?.length) query.set("nivel", filter.senderLevel.join(","));
  if (filter.documentType?.length) query.set("tipo", filter.documentType.join(","));
  if (filter.priority) query.set("prioridad", filter.priority);
  if (filter.trafficLight?.length) query.set("luz", filter.trafficLight.join(","));
  return query;
}
