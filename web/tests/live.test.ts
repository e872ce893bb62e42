// The live connection's client logic, with graphql-ws replaced by a fake socket: the cursor passed
// on every (re)subscription, replays ignored, the status messages, the keep-alive, the resyncs.
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";

const env = vi.hoisted(() => {
  type Sink = { next: (value: unknown) => void; error: (error: unknown) => void; complete: () => void };
  type On = {
    connected: () => void;
    closed: (event: unknown) => void;
    ping: (received: boolean) => void;
    pong: (received: boolean) => void;
  };

  class FakeClient {
    subscriptions: { variables: { after: string | null }; sink: Sink; active: boolean }[] = [];
    terminated = 0;
    disposed = false;
    constructor(readonly options: { on: On; url: string }) {}
    subscribe(payload: { variables: { after: string | null } }, sink: Sink) {
      const entry = { variables: payload.variables, sink, active: true };
      this.subscriptions.push(entry);
      return () => (entry.active = false);
    }
    terminate() {
      this.terminated += 1;
    }
    dispose() {
      this.disposed = true;
    }
    // what the server and the network do
    connect() {
      this.options.on.connected();
    }
    drop(code = 1006) {
      this.options.on.closed({ code });
    }
    get current() {
      return this.subscriptions[this.subscriptions.length - 1];
    }
    push(sequence: string, kind = "TURNO_SENT") {
      this.current.sink.next({ data: { inboxEvents: { sequence, kind, occurredAt: "", data: null, turno: null, document: null } } });
    }
  }

  const listeners: Record<string, (() => void)[]> = {};
  const store = new Map<string, string>();
  const g = globalThis as Record<string, unknown>;
  g.addEventListener = (type: string, listener: () => void) => (listeners[type] ??= []).push(listener);
  g.location = { protocol: "http:", host: "mcs.test", pathname: "/bandeja", search: "" };
  g.localStorage = {
    getItem: (k: string) => store.get(k) ?? null,
    setItem: (k: string, v: string) => void store.set(k, v),
    removeItem: (k: string) => void store.delete(k),
  };
  return { FakeClient, listeners, store, clients: [] as FakeClient[] };
});

vi.mock("graphql-ws", () => ({
  createClient: (options: never) => {
    const client = new env.FakeClient(options);
    env.clients.push(client);
    return client;
  },
}));

import { live, type LiveEvent } from "../src/lib/live.svelte";

const client = () => env.clients[env.clients.length - 1];
let seen: string[] = [];
let resyncs = 0;
let unsubscribe: (() => void)[] = [];

beforeEach(() => {
  env.store.clear();
  env.clients.length = 0;
  seen = [];
  resyncs = 0;
  unsubscribe = [live.onEvent((e: LiveEvent) => seen.push(e.sequence)), live.onResync(() => (resyncs += 1))];
});

afterEach(() => {
  live.stop();
  unsubscribe.forEach((u) => u());
  vi.useRealTimers();
});

describe("live connection", () => {
  it("subscribes from the person's cursor, hands each event over once, in order, and keeps the cursor", () => {
    live.start("VXNlcjox");
    expect(client().options.url).toBe("ws://mcs.test/graphql");
    client().connect();
    expect(live.state).toBe("online");
    expect(live.message).toBe("");
    expect(client().current.variables).toEqual({ after: null }); // nothing seen yet: from now
    client().push("7");
    client().push("8");
    client().push("8"); // a replay of what was already handed over
    client().push("6");
    expect(seen).toEqual(["7", "8"]);
    expect(env.store.get("mcs.cursor.VXNlcjox")).toBe("8");
  });

  it("after a drop says so, and on reconnection resubscribes from the last sequence seen", () => {
    live.start("u1");
    client().connect();
    client().push("41");
    client().drop();
    expect(live.state).toBe("down");
    expect(live.message).toMatch(/^Sin conexión/);
    expect(client().current.active).toBe(false);

    client().connect();
    expect(live.state).toBe("online");
    expect(live.message).toBe("Conexión restablecida");
    expect(client().current.variables).toEqual({ after: "41" });
    client().push("41"); // the server's replay may overlap: not twice
    client().push("42");
    expect(seen).toEqual(["41", "42"]);
    expect(live.message).toBe("Conexión restablecida: 1 novedad");
    client().push("43");
    expect(live.message).toBe("Conexión restablecida: 2 novedades");
    expect(resyncs).toBe(0); // the cursor replays: no need to read everything again
  });

  it("stops saying 'Conexión restablecida' after a while", () => {
    vi.useFakeTimers();
    live.start("u1");
    client().connect();
    client().drop();
    client().connect();
    expect(live.message).toBe("Conexión restablecida");
    vi.advanceTimersByTime(10_000);
    expect(live.message).toBe("");
  });

  it("after an outage before any event (no cursor yet) asks the screens to read their data again", () => {
    live.start("u1");
    client().connect();
    client().drop();
    client().connect();
    expect(client().current.variables).toEqual({ after: null });
    expect(resyncs).toBe(1);
  });

  it("keeps one cursor per person on a shared browser", () => {
    live.start("ana");
    client().connect();
    client().push("90");
    live.stop();
    live.start("beto");
    client().connect();
    expect(client().current.variables).toEqual({ after: null });
    client().push("12"); // Beto's 12 is news to Beto although Ana saw 90
    expect(seen).toEqual(["90", "12"]);
    live.stop();
    live.start("ana");
    client().connect();
    expect(client().current.variables).toEqual({ after: "90" });
  });

  it("when too much was missed (BACKLOG_TOO_LARGE) forgets the cursor, resyncs, and follows from now", () => {
    live.start("u1");
    client().connect();
    client().push("5");
    client().drop();
    client().connect();
    const first = client().current;
    expect(first.variables).toEqual({ after: "5" });
    first.sink.error([{ message: "Demasiados eventos", extensions: { code: "BACKLOG_TOO_LARGE" } }]);
    expect(resyncs).toBe(1);
    expect(env.store.has("mcs.cursor.u1")).toBe(false);
    expect(client().current).not.toBe(first);
    expect(client().current.variables).toEqual({ after: null });
  });

  it("takes the browser's offline event as down at once and drops the socket", () => {
    live.start("u1");
    client().connect();
    env.listeners.offline.forEach((listener) => listener());
    expect(live.state).toBe("down");
    expect(live.message).toMatch(/^Sin conexión/);
    expect(client().terminated).toBe(1);
  });

  it("opened without network (the shell from the service worker): says so at once, and once connected the screens read again", () => {
    const g = globalThis as { navigator?: unknown };
    const before = Object.getOwnPropertyDescriptor(globalThis, "navigator");
    Object.defineProperty(globalThis, "navigator", { value: { onLine: false }, configurable: true });
    try {
      live.start("u1");
      expect(live.state).toBe("down");
      expect(live.message).toMatch(/^Sin conexión/);
      env.store.set("mcs.cursor.u1", "41"); // a cursor from an earlier visit: the replay alone would not fill empty screens
      live.start("u1");
      client().connect();
      expect(live.state).toBe("online");
      expect(client().current.variables).toEqual({ after: "41" });
      expect(resyncs).toBe(1);
      client().drop();
      client().connect();
      expect(resyncs).toBe(1); // later outages: the replay is enough
    } finally {
      if (before) Object.defineProperty(globalThis, "navigator", before);
      else delete g.navigator;
    }
  });

  it("drops a silent socket: a ping without its pong within 5 s", () => {
    vi.useFakeTimers();
    live.start("u1");
    client().connect();
    client().options.on.ping(false); // sent
    vi.advanceTimersByTime(4000);
    client().options.on.pong(true); // answered in time
    vi.advanceTimersByTime(10_000);
    expect(client().terminated).toBe(0);

    client().options.on.ping(false);
    vi.advanceTimersByTime(5000); // no answer
    expect(client().terminated).toBe(1);
  });

  it("stop() disposes of the client and says nothing", () => {
    live.start("u1");
    const first = client();
    first.connect();
    live.stop();
    expect(first.disposed).toBe(true);
    expect(live.message).toBe("");
  });
});
