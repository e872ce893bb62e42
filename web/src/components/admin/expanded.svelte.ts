// Which units of the tree are open: the first two levels until one chooses otherwise; kept while
// the app is open (back from a unit, the tree is as it was left).

import { SvelteMap } from "svelte/reactivity";

class Expanded {
  private chosen = new SvelteMap<string, boolean>();

  isOpen(id: string, depth: number): boolean {
    return this.chosen.get(id) ?? depth < 2;
  }

  toggle(id: string, depth: number): void {
    this.chosen.set(id, !this.isOpen(id, depth));
  }
}

export const expanded = new Expanded();
