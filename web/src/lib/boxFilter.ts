// The filter of Bandeja / Enviados lives in the URL (shareable; the back button works):
// ?desde=2026-01-01&hasta=2026-01-31&estado=SENT,RECEIVED&luz=RED&unidad=<id>&subunidades=no

import type { TrafficLight, TurnoFilter, TurnoStatus } from "../graphql/generated";

const STATUSES: TurnoStatus[] = ["SENT", "RECEIVED", "ANSWERED", "RETURNED", "CONCLUDED", "CANCELLED"];
const LIGHTS: TrafficLight[] = ["GREEN", "YELLOW", "RED", "NONE"];
const DAY = /^\d{4}-\d{2}-\d{2}$/;

function list<T extends string>(value: string | null, allowed: T[]): T[] | undefined {
  const items = (value ?? "").split(",").filter((v): v is T => (allowed as string[]).includes(v));
  return items.length ? items : undefined;
}

export function filterFromQuery(query: URLSearchParams): TurnoFilter {
  const from = query.get("desde");
  const to = query.get("hasta");
  const filter: TurnoFilter = {
    status: list(query.get("estado"), STATUSES),
    trafficLight: list(query.get("luz"), LIGHTS),
    unitId: query.get("unidad") || undefined,
    includeSubunits: query.get("subunidades") === "no" ? false : undefined,
  };
  if ((from && DAY.test(from)) || (to && DAY.test(to))) {
    filter.period = { from: from && DAY.test(from) ? from : undefined, to: to && DAY.test(to) ? to : undefined };
  }
  return Object.fromEntries(Object.entries(filter).filter(([, v]) => v !== undefined)) as TurnoFilter;
}

export function queryFromFilter(filter: TurnoFilter): URLSearchParams {
  const query = new URLSearchParams();
  if (filter.period?.from) query.set("desde", filter.period.from);
  if (filter.period?.to) query.set("hasta", filter.period.to);
  if (filter.status?.length) query.set("estado", filter.status.join(","));
  if (filter.trafficLight?.length) query.set("luz", filter.trafficLight.join(","));
  if (filter.unitId) query.set("unidad", filter.unitId);
  if (filter.includeSubunits === false) query.set("subunidades", "no");
  return query;
}
