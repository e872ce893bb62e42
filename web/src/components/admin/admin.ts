// Administración as data: its sections (in the URL), the words of the org tree's kinds, the tree
// itself (children, search with the ancestors of what matches), the calendar's month grids and
// the periods of memberships. Pure functions (no Svelte), tested with vitest.

import type { MembershipInput, OrgUnitKind, Role } from "../../graphql/generated";
import { fold } from "../detail/words";

export type Section = "unidades" | "personas" | "tipos" | "series" | "dias";

export const SECTIONS: { key: Section; label: string }[] = [
  { key: "unidades", label: "Unidades" },
  { key: "personas", label: "Personas" },
  { key: "tipos", label: "Tipos de documento" },
  { key: "series", label: "Series documentales" },
  { key: "dias", label: "Días inhábiles" },
];

export function sectionOf(query: URLSearchParams): Section {
  const wanted = query.get("seccion");
  return SECTIONS.find((s) => s.key === wanted)?.key ?? "unidades";
}

/** The address of a page of Administración: its section and what it shows. */
export function adminHref(section: Section, params: Record<string, string | null | undefined> = {}): string {
  const query = new URLSearchParams({ seccion: section });
  for (const [key, value] of Object.entries(params)) if (value) query.set(key, value);
  return `/administracion?${query.toString()}`;
}

export const KIND_WORDS: Record<OrgUnitKind, string> = {
  GENERAL_DIRECTORATE: "Dirección General",
  DIRECTORATE: "Dirección",
  SUBDIRECTORATE: "Subdirección",
  DEPARTMENT: "Departamento",
  REGIONAL_OFFICE: "Delegación Regional",
  UNIT: "Unidad",
};

export const KINDS = Object.keys(KIND_WORDS) as OrgUnitKind[];

// --- the org tree ---------------------------------------------------------------------------

export interface TreeUnit {
  id: string;
  code: string;
  acronym: string;
  name: string;
  active: boolean;
  parent: { id: string } | null;
}

/** Children of each unit (key "" for the roots), in the API's order (the tree's). */
export function childrenOf<U extends TreeUnit>(units: U[]): Map<string, U[]> {
  const ids = new Set(units.map((u) => u.id));
  const map = new Map<string, U[]>();
  for (const unit of units) {
    const parent = unit.parent && ids.has(unit.parent.id) ? unit.parent.id : "";
    const list = map.get(parent);
    if (list) list.push(unit);
    else map.set(parent, [unit]);
  }
  return map;
}

/** The ancestors of a unit, from the root down to its parent. */
export function ancestorsOf<U extends TreeUnit>(units: U[], id: string): U[] {
  const byId = new Map(units.map((u) => [u.id, u]));
  const path: U[] = [];
  let current = byId.get(id)?.parent?.id;
  const seen = new Set<string>();
  while (current && byId.has(current) && !seen.has(current)) {
    seen.add(current);
    path.unshift(byId.get(current)!);
    current = byId.get(current)!.parent?.id;
  }
  return path;
}

/** Whether a unit matches what was typed: every word in its name, acronym or code, without accents. */
export function unitMatches(unit: TreeUnit, query: string): boolean {
  const words = fold(query).split(/\s+/).filter(Boolean);
  if (!words.length) return true;
  const text = fold(`${unit.acronym} ${unit.code} ${unit.name}`);
  return words.every((w) => text.includes(w));
}

/** For a search: the units that match, and the ids to show (those and their ancestors). */
export function searchTree<U extends TreeUnit>(units: U[], query: string): { matches: Set<string>; shown: Set<string> } {
  const matches = new Set<string>();
  const shown = new Set<string>();
  if (!query.trim()) return { matches, shown };
  const byId = new Map(units.map((u) => [u.id, u]));
  for (const unit of units) {
    if (!unitMatches(unit, query)) continue;
    matches.add(unit.id);
    let current: U | undefined = unit;
    while (current && !shown.has(current.id)) {
      shown.add(current.id);
      current = current.parent ? byId.get(current.parent.id) : undefined;
    }
  }
  return { matches, shown };
}

// --- dates ------------------------------------------------------------------------------------

const MONTHS = ["enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre",
  "octubre", "noviembre", "diciembre"];
const WEEKDAYS = ["lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"];
export const WEEKDAY_SHORT = ["L", "M", "M", "J", "V", "S", "D"];

export function monthName(month: number): string {
  return MONTHS[month - 1];
}

export function isoDate(year: number, month: number, day: number): string {
  return `${year}-${String(month).padStart(2, "0")}-${String(day).padStart(2, "0")}`;
}

function parts(day: string): [number, number, number] {
  const [y, m, d] = day.split("-").map(Number);
  return [y, m, d];
}

/** 0 = Monday … 6 = Sunday. */
export function weekdayOf(day: string): number {
  const [y, m, d] = parts(day);
  return (new Date(Date.UTC(y, m - 1, d)).getUTCDay() + 6) % 7;
}

export function isWeekend(day: string): boolean {
  return weekdayOf(day) >= 5;
}

/** "lunes 2 de marzo de 2026". */
export function dayName(day: string): string {
  const [y, m, d] = parts(day);
  return `${WEEKDAYS[weekdayOf(day)]} ${d} de ${MONTHS[m - 1]} de ${y}`;
}

/** "2 de marzo de 2026". */
export function shortDay(day: string): string {
  const [y, m, d] = parts(day);
  return `${d} de ${MONTHS[m - 1]} de ${y}`;
}

/** The weeks of a month, Monday first; null where a week runs into another month. */
export function monthGrid(year: number, month: number): (string | null)[][] {
  const days = new Date(Date.UTC(year, month, 0)).getUTCDate();
  const cells: (string | null)[] = Array.from({ length: weekdayOf(isoDate(year, month, 1)) }, () => null);
  for (let d = 1; d <= days; d++) cells.push(isoDate(year, month, d));
  while (cells.length % 7) cells.push(null);
  const weeks: (string | null)[][] = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

/** The weekdays from `from` to `to` (both included; `to` empty: only `from`), at most `limit`. */
export function weekdaysBetween(from: string, to: string | null | undefined, limit = 400): string[] {
  const [y, m, d] = parts(from);
  const end = to || from;
  const found: string[] = [];
  const cursor = new Date(Date.UTC(y, m - 1, d));
  for (let i = 0; i < 3700 && found.length < limit; i++) {
    const day = cursor.toISOString().slice(0, 10);
    if (day > end) break;
    if (!isWeekend(day)) found.push(day);
    cursor.setUTCDate(cursor.getUTCDate() + 1);
  }
  return found;
}

// --- memberships --------------------------------------------------------------------------------

/** A membership's period in words: "Del 4 de marzo de 2026 al 6 de marzo de 2026", or null without dates. */
export function periodWords(startsOn: string | null | undefined, endsOn: string | null | undefined): string | null {
  if (startsOn && endsOn) return `Del ${shortDay(startsOn)} al ${shortDay(endsOn)}`;
  if (startsOn) return `Desde el ${shortDay(startsOn)}`;
  if (endsOn) return `Hasta el ${shortDay(endsOn)}`;
  return null;
}

export const ROLE_HINTS: Record<string, string> = {
  HEAD: "Titular: ve su unidad y las de abajo; turna y evalúa respuestas.",
  REGISTRAR: "Control de gestión: registra y digitaliza; turna a nombre de la persona titular.",
  STAFF: "Personal: atiende la bandeja de su unidad; acusa recibo y responde.",
  VIEWER: "Consulta: solo lectura de su unidad y las de abajo.",
  ADMIN: "Administración: administra todo el sistema.",
};

export const ROLE_ORDER = ["HEAD", "REGISTRAR", "STAFF", "VIEWER", "ADMIN"] as const;

/** A person's memberships as updateUser receives them (the whole list is sent on each change). */
export function membershipInputs(p: { memberships: { role: Role; startsOn: string | null; endsOn: string | null;
  unit: { id: string } }[] }): MembershipInput[] {
  return p.memberships.map((m) => ({ unitId: m.unit.id, role: m.role, startsOn: m.startsOn, endsOn: m.endsOn }));
}
