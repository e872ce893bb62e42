// Catalogs the detail screens read (the org tree, document types, archival series): asked once
// per session and kept while the app is open.

import { request } from "../../lib/api";
import { session } from "../../lib/session.svelte";
import {
  ArchiveSeriesDocument, DocumentTypesDocument, OrgUnitsDocument,
  type ArchiveSeriesQuery, type DocumentTypesQuery, type OrgUnitsQuery,
} from "../../graphql/generated";

export type Unit = OrgUnitsQuery["orgUnits"][number];
export type DocumentTypeEntry = DocumentTypesQuery["documentTypes"][number];
export type SeriesEntry = ArchiveSeriesQuery["archiveSeries"][number];

const cache = new Map<string, Promise<unknown>>();
let cachedFor: string | null = null;

function once<T>(key: string, load: () => Promise<T>): Promise<T> {
  const who = session.user?.id ?? null;
  if (who !== cachedFor) {
    cache.clear();
    cachedFor = who;
  }
  let found = cache.get(key) as Promise<T> | undefined;
  if (!found) {
    found = load().catch((error) => {
      cache.delete(key); // try again next time
      throw error;
    });
    cache.set(key, found);
  }
  return found;
}

export function orgUnits(): Promise<Unit[]> {
  return once("units", async () => {
    const result = await request(OrgUnitsDocument);
    if (!result.data) throw new Error(result.errors[0]?.message ?? "No se pudo leer el catálogo de unidades.");
    return result.data.orgUnits;
  });
}

export function documentTypes(): Promise<DocumentTypeEntry[]> {
  return once("types", async () => (await request(DocumentTypesDocument)).data?.documentTypes ?? []);
}

export function archiveSeries(): Promise<SeriesEntry[]> {
  return once("series", async () => {
    const result = await request(ArchiveSeriesDocument);
    if (!result.data) throw new Error(result.errors[0]?.message ?? "No se pudo leer el catálogo de series.");
    return result.data.archiveSeries;
  });
}

/** The units below `rootId` (not itself), depth first in the tree's order. */
export function descendantsOf(units: Unit[], rootId: string): Unit[] {
  const children = new Map<string, Unit[]>();
  for (const unit of units) {
    const parent = unit.parent?.id;
    if (parent) children.set(parent, [...(children.get(parent) ?? []), unit]);
  }
  const found: Unit[] = [];
  const walk = (id: string) => {
    for (const child of children.get(id) ?? []) {
      found.push(child);
      walk(child.id);
    }
  };
  walk(rootId);
  return found;
}
