// What the pages of Administración share while it is open: the org tree (every unit, the
// inactive ones too: the tree, the unit choosers and the memberships read it), and the message a
// page leaves for the next one ("Unidad creada") after a change that moves to another page.

import { request } from "../../lib/api";
import { AdminUnitsDocument, type AdminUnitFragment } from "../../graphql/generated";

class AdminStore {
  units = $state<AdminUnitFragment[]>([]);
  unitsLoaded = $state(false);
  unitsError = $state<string | null>(null);
  /** Announced by the next page (role=status), then forgotten. */
  flash = $state<string | null>(null);
  private loading: Promise<void> | null = null;

  /** The org tree, read once; `force` reads it again (after a change). */
  loadUnits(force = false): Promise<void> {
    if (this.unitsLoaded && !force) return Promise.resolve();
    if (this.loading && !force) return this.loading;
    this.loading = (async () => {
      try {
        const result = await request(AdminUnitsDocument);
        if (!result.data) throw new Error(result.errors[0]?.message ?? "No se pudo leer el árbol de unidades.");
        this.units = result.data.orgUnits;
        this.unitsLoaded = true;
        this.unitsError = null;
      } catch (failure) {
        this.unitsError = (failure as Error).message;
      } finally {
        this.loading = null;
      }
    })();
    return this.loading;
  }

  unit(id: string | null | undefined): AdminUnitFragment | undefined {
    return id ? this.units.find((u) => u.id === id) : undefined;
  }

  /** The message left by the page before, once. */
  takeFlash(): string | null {
    const message = this.flash;
    this.flash = null;
    return message;
  }
}

export const adminStore = new AdminStore();

let firstPage = true;

/** On a page's heading: it takes the focus when the page is reached from another one (not on the
 *  first load), so keyboard and screen reader users start reading where the page begins. */
export function arrive(node: HTMLElement): void {
  if (!firstPage) queueMicrotask(() => node.focus());
  firstPage = false;
}
