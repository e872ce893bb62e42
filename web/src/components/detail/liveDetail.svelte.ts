// What the detail screens (turno, documento) share: reading their node again whenever the id
// changes (a later answer wins; stale ones are dropped), the loading / not found / error states,
// the catalogs they name units and document types with, the action forms they open and close,
// their one-click actions, the status element that announces what happened, and staying live
// while open: events about this document refresh the screen (together, after a short pause) and
// are announced as "Novedad…", unless they are the echo of the person's own change.
// Create it while the screen's component initializes (it sets up effects and cleanup).

import { onDestroy, onMount, tick, untrack } from "svelte";
import type { Result } from "../../lib/api";
import { live, type LiveEvent } from "../../lib/live.svelte";
import { EVENT_WORDS } from "../../lib/format";
import { documentTypes, orgUnits, type Unit } from "./catalogs";
import { placeErrors, type Answer } from "./words";

/** Events arriving closer together than this are applied at once. */
const SETTLE_MS = 200;
/** For this long after the person's own change, the events it causes are not announced again. */
const OWN_CHANGE_MS = 4000;

export interface DetailOptions<T> {
  /** The id of the node shown (the route's parameter). */
  id: () => string;
  /** Reads the node: `node` is null when the answer holds none of the kind shown. */
  read: (id: string) => Promise<{ result: Result<unknown>; node: T | null }>;
  /** The message when it could not be read and the API said nothing. */
  failure: string;
  /** The document the node is or belongs to: its events are the screen's. */
  documentOf: (node: T) => string;
}

export class DetailScreen<T, F extends string> {
  node = $state<T | null>(null);
  loading = $state(true);
  missing = $state(false);
  error = $state<string | null>(null);
  /** The action form open, if any. */
  form = $state<F | null>(null);
  /** The one-click action running, if any. */
  busy = $state<string | null>(null);
  /** The banner of the one-click actions. */
  actionError = $state<string | null>(null);
  /** What the status element says. */
  announcement = $state("");
  /** The status element (role=status, tabindex=-1): it gets the focus after the person's own change. */
  statusBox = $state<HTMLElement | undefined>();
  /** Grows on each refresh: the history reads itself again. */
  historyVersion = $state(0);
  units = $state<Unit[]>([]);
  /** False while the org tree is still being read. */
  unitsReady = $state(false);
  unitNames = $derived(new Map(this.units.map((u) => [u.id, u])));
  typeNames = $state(new Map<string, string>());

  private generation = 0;
  private lastOwnChange = 0;
  private timer: ReturnType<typeof setTimeout> | null = null;
  private news: LiveEvent[] = [];

  constructor(private options: DetailOptions<T>) {
    $effect(() => {
      const current = options.id();
      untrack(() => {
        this.node = null;
        this.form = null;
        this.announcement = "";
        this.actionError = null;
        this.load(current);
      });
    });

    onMount(() => {
      orgUnits()
        .then((all) => (this.units = all))
        .catch(() => {})
        .finally(() => (this.unitsReady = true));
      documentTypes().then((all) => (this.typeNames = new Map(all.map((t) => [t.code, t.name])))).catch(() => {});
    });

    const stopLive = live.onEvent((event) => this.onEvent(event));
    const stopResync = live.onResync(() => this.refresh());
    onDestroy(() => {
      stopLive();
      stopResync();
      if (this.timer) clearTimeout(this.timer);
    });
  }

  /** The id of the document `node` is or belongs to. */
  documentOf(node: T): string {
    return this.options.documentOf(node);
  }

  /** Reads the node; `quiet` keeps the screen as it is meanwhile. */
  async load(id: string, quiet = false): Promise<void> {
    const mine = ++this.generation;
    if (!quiet) this.loading = true;
    try {
      const { result, node } = await this.options.read(id);
      if (mine !== this.generation) return;
      if (node) {
        this.node = node;
        this.missing = false;
        this.error = null;
      } else if (result.data) {
        this.missing = true;
        this.node = null;
      } else {
        this.error = result.errors[0]?.message ?? this.options.failure;
      }
    } catch (failure) {
      if (mine === this.generation) this.error = (failure as Error).message;
    } finally {
      if (mine === this.generation) this.loading = false;
    }
  }

  /** Reads it again after a failure, showing that it does. */
  retry(): Promise<void> {
    return this.load(this.options.id());
  }

  /** Reads it again quietly, and the history too. */
  async refresh(): Promise<void> {
    this.historyVersion += 1;
    await this.load(this.options.id(), true);
  }

  private onEvent(event: LiveEvent): void {
    const node = this.node;
    if (!node || event.document?.id !== this.documentOf(node)) return;
    this.news.push(event);
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(async () => {
      this.timer = null;
      const seen = this.news;
      this.news = [];
      await this.refresh();
      if (Date.now() - this.lastOwnChange > OWN_CHANGE_MS && seen.length) {
        const last = seen[seen.length - 1];
        this.announce(`Novedad${last.turno ? ` en el turno ${last.turno.number}` : ""}: ${EVENT_WORDS[last.kind].toLowerCase()}.`, false);
      }
    }, SETTLE_MS);
  }

  /** Says it in the status element (again, even if it is the same words); `focus` moves there. */
  async announce(message: string, focus = true): Promise<void> {
    this.announcement = "";
    await tick();
    this.announcement = message;
    if (focus) {
      await tick();
      this.statusBox?.focus();
    }
  }

  open(which: F): void {
    this.actionError = null;
    this.announcement = "";
    this.form = which;
  }

  /** An action (a form's or a button's) worked: close the form, read again, say so. */
  done = async (message: string): Promise<void> => {
    this.lastOwnChange = Date.now();
    this.form = null;
    await this.refresh();
    await this.announce(message);
  };

  /** The form closed without sending: the focus goes back to the button that opened it (id `accion-<form>`). */
  closeForm = (): void => {
    const was = this.form;
    this.form = null;
    tick().then(() => document.getElementById(`accion-${was}`)?.focus());
  };

  /** A one-click action (no form), `which` is busy meanwhile; what failed goes to the actions' banner. */
  async act(which: string, mutate: () => Promise<Answer>, fallback: string): Promise<void> {
    this.busy = which;
    this.actionError = null;
    try {
      const { result, errors, done } = await mutate();
      if (done !== null) await this.done(done);
      else this.actionError = placeErrors(errors, result, () => null).form ?? fallback;
    } catch (failure) {
      this.actionError = (failure as Error).message;
    } finally {
      this.busy = null;
    }
  }
}
