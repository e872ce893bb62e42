// Buscar's words and choices: the units a person may filter by, and where a snippet comes from.
// Pure functions, tested with vitest.

import type { Role, SnippetSource } from "../../graphql/generated";

export interface UnitEntry { id: string; acronym: string; name: string; parent: { id: string } | null }
export interface MembershipEntry { role: Role; unit: { id: string } }

const SUBTREE_ROLES: Role[] = ["HEAD", "REGISTRAR", "VIEWER"];

/**
 * The units whose documents a person sees, in the catalog's order, each with its depth under the
 * first one listed (for indenting): ADMIN all; otherwise each unit of theirs and, for HEAD,
 * REGISTRAR and VIEWER, the units below it.
 */
export function unitsInScope(units: UnitEntry[], memberships: MembershipEntry[]): { unit: UnitEntry; depth: number }[] {
  const children = new Map<string, UnitEntry[]>();
  const byId = new Map(units.map((u) => [u.id, u]));
  for (const unit of units) {
    const parent = unit.parent?.id;
    if (parent) children.set(parent, [...(children.get(parent) ?? []), unit]);
  }
  const admin = memberships.some((m) => m.role === "ADMIN");
  const roots = admin ? units.filter((u) => !u.parent || !byId.has(u.parent.id)) : [];
  const subtree = new Set<string>();
  const own = new Set<string>();
  for (const m of memberships) {
    own.add(m.unit.id);
    if (SUBTREE_ROLES.includes(m.role)) subtree.add(m.unit.id);
  }
  const picked: { unit: UnitEntry; depth: number }[] = [];
  const seen = new Set<string>();
  const walk = (unit: UnitEntry, depth: number, whole: boolean) => {
    if (seen.has(unit.id)) return;
    seen.add(unit.id);
    picked.push({ unit, depth });
    if (whole) for (const child of children.get(unit.id) ?? []) walk(child, depth + 1, true);
  };
  if (admin) roots.forEach((root) => walk(root, 0, true));
  else {
    for (const unit of units) {
      if (own.has(unit.id)) walk(unit, 0, subtree.has(unit.id));
    }
  }
  return picked;
}

/** Where the words of a snippet were found, to read before it. */
export function snippetPlace(source: SnippetSource, fileName: string | null): string {
  switch (source) {
    case "SUMMARY": return "En el resumen";
    case "SENDER": return "En el remitente";
    case "REFERENCE": return "En la referencia";
    case "ADDRESSEE": return "En el destinatario";
    case "FILE": return fileName ? `En el archivo ${fileName}` : "En un archivo";
    case "ANSWER_FILE": return fileName ? `En el archivo de una respuesta, ${fileName}` : "En el archivo de una respuesta";
  }
}

/** "1 resultado", "12 resultados" (with thousands written the Mexican way). */
export function resultsPhrase(total: number): string {
  return `${total.toLocaleString("es-MX")} ${total === 1 ? "resultado" : "resultados"}`;
}
