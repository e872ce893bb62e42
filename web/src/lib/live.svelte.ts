// The live connection: one graphql-transport-ws socket per signed-in tab, subscribed to the
// person's events (inboxEvents) from their last seen sequence. It reconnects forever with
// backoff, notices a silent socket within 10 s (a ping every 5 s must get its pong within 5 s),
// and resubscribes from the cursor after every reconnection so nothing is missed.

import { createClient, type Client, type FormattedExecutionResult, type Sink } from "graphql-ws";
import { InboxEventsDocument, type InboxEventsSubscription } from "../graphql/generated";
import { Cursor } from "./cursor";
import { request } from "./api";
import { MeDocument } from "../graphql/generated";
import { session } from "./session.svelte";

export type LiveEvent = InboxEventsSubscription["inboxEvents"];
type Listener = (event: LiveEvent) => void;

const PING_EVERY_MS = 5000;
const PONG_WITHIN_MS = 5000;
const SHOW_RESTORED_MS = 8000;

class Live {
  /** "connecting" (first connection), "online", "down" (lost, retrying). */
  state = $state<"connecting" | "online" | "down">("connecting");
  /** What the status element says (role=status). */
  message = $state("");
  private client: Client | null = null;
  private cursor: Cursor | null = null;
  private listeners = new Set<Listener>();
  private resyncListeners = new Set<() => void>();
  private stopSubscription: (() => void) | null = null;
  private wasDown = false;
  private connectedOnce = false;
  private novelties = 0;
  private countingNovelties = false;
  private pongTimer: ReturnType<typeof setTimeout> | null = null;
  private restoredTimer: ReturnType<typeof setTimeout> | null = null;

  constructor() {
    addEventListener("offline", () => {
      // a hint that the network is gone: fail fast; the socket decides when it is back
      this.markDown();
      this.client?.terminate();
    });
  }

  start(userId: string): void {
    this.stop();
    this.connectedOnce = false;
    // a reload without network (the shell from the service worker): say so at once
    if (typeof navigator !== "undefined" && navigator.onLine === false) this.markDown();
    this.cursor = new Cursor(typeof localStorage === "undefined" ? null : localStorage, userId);
    const scheme = location.protocol === "https:" ? "wss" : "ws";
    this.client = createClient({
      url: `${scheme}://${location.host}/graphql`,
      connectionParams: () => ({ token: session.token }),
      lazy: false,
      keepAlive: PING_EVERY_MS,
      retryAttempts: Infinity,
      shouldRetry: () => true,
      retryWait: async (retries) => {
        const base = Math.min(1000 * 2 ** retries, 10000);
        await new Promise((resolve) => setTimeout(resolve, base / 2 + Math.random() * (base / 2)));
      },
      on: {
        connected: () => this.connected(),
        closed: (event) => this.closed(event as CloseEvent),
        ping: (received) => {
          if (!received) this.pongTimer = setTimeout(() => this.client?.terminate(), PONG_WITHIN_MS);
        },
        pong: (received) => {
          if (received && this.pongTimer) clearTimeout(this.pongTimer);
        },
      },
    });
  }

  stop(): void {
    this.stopSubscription?.();
    this.stopSubscription = null;
    this.client?.dispose();
    this.client = null;
    this.state = "connecting";
    this.message = "";
  }

  /** Another operation on this tab's socket (e.g. exportProgress); graphql-ws sends it again after a
   *  reconnection. Null without a socket (signed out): the caller reads by HTTP instead. */
  subscribeTo<T>(query: string, variables: Record<string, unknown>,
                 sink: Sink<FormattedExecutionResult<T, unknown>>): (() => void) | null {
    return this.client ? this.client.subscribe<T>({ query, variables }, sink) : null;
  }

  /** Called for every event the person may see, in order, once. */
  onEvent(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Called when the missed events were too many to replay: screens read their data again. */
  onResync(listener: () => void): () => void {
    this.resyncListeners.add(listener);
    return () => this.resyncListeners.delete(listener);
  }

  private connected(): void {
    this.state = "online";
    if (this.wasDown) {
      this.wasDown = false;
      this.novelties = 0;
      this.countingNovelties = true;
      this.message = "Conexión restablecida";
      if (this.restoredTimer) clearTimeout(this.restoredTimer);
      this.restoredTimer = setTimeout(() => {
        this.countingNovelties = false;
        if (this.state === "online") this.message = "";
      }, SHOW_RESTORED_MS);
      // no event seen yet, so no cursor to replay from: what happened while down would be lost;
      // the screens read their data again instead (also when this page never had a connection:
      // opened offline, they could read nothing yet)
      if (this.cursor?.get() === null || !this.connectedOnce) for (const listener of this.resyncListeners) listener();
    } else {
      this.message = "";
    }
    this.connectedOnce = true;
    this.subscribe();
  }

  private closed(event: CloseEvent | undefined): void {
    if (this.pongTimer) clearTimeout(this.pongTimer);
    this.stopSubscription?.();
    this.stopSubscription = null;
    if (!this.client) return; // stopped on purpose
    this.markDown();
    if (event?.code === 4403) void this.checkSession();
  }

  private markDown(): void {
    this.state = "down";
    this.wasDown = true;
    this.countingNovelties = false;
    this.message = "Sin conexión — reintentando…";
  }

  /** The server closed with 4403: the session may have ended (logout elsewhere, password). */
  private async checkSession(): Promise<void> {
    try {
      await request(MeDocument); // answers UNAUTHENTICATED and ends the session if so
    } catch {
      /* offline: the retries go on */
    }
  }

  private subscribe(): void {
    const client = this.client;
    if (!client || !this.cursor) return;
    const cursor = this.cursor;
    this.stopSubscription = client.subscribe<InboxEventsSubscription>(
      { query: InboxEventsDocument.toString(), variables: { after: cursor.get() } },
      {
        next: ({ data }) => {
          if (!data) return;
          const event = data.inboxEvents;
          if (!cursor.advance(event.sequence)) return; // already seen
          if (this.countingNovelties) {
            this.novelties += 1;
            this.message = `Conexión restablecida: ${this.novelties} ${this.novelties === 1 ? "novedad" : "novedades"}`;
          }
          for (const listener of this.listeners) listener(event);
        },
        error: (error) => {
          const code = Array.isArray(error) ? (error[0] as { extensions?: { code?: string } })?.extensions?.code : undefined;
          if (code === "BACKLOG_TOO_LARGE") {
            cursor.reset(); // too much was missed: read everything again, then follow from now
            for (const listener of this.resyncListeners) listener();
            this.subscribe();
          }
        },
        complete: () => {},
      },
    );
  }
}

export const live = new Live();
